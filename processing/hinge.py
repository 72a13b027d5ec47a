"""Hinge (mediolateral) axis of a segment in its sensor frame, found from the segment's first real excursion.

Rotation data alone cannot tell +j from -j. The rule used here: the first excursion of a segment away from
the neutral stance by more than `excursion_rad` goes in the direction its exercise prescribes (the
`first_excursion_sign` of that segment: +1 = shin top forward or toes down, -1 = shin back or forefoot up).
The foot's is the ankle pump of the calibration protocol (rising onto the toes); the shin's is set by the
exercise (forward in a lunge, back when sitting with the leg out straight or lying down).

An inclination filter restarted after a gap can be 8-12 deg off at once, while nothing moves (under 3 deg
within 0.4 s in the simulated cases that showed it), so an excursion counts only once the tilt has stayed
beyond the threshold for persist_s without a gap in the samples, and its direction
is read from the tilt summed from its start to settle_s after it (the axis that turns the calibration
vertical into the current one), not from one sample. The axis itself is the principal axis of the bias-free
angular rate, projected onto the horizontal plane of the stance, from 2 s before the excursion to settle_s
after it.
The returned axis points to the person's left on either leg: + rotation about it is shin-forward / toes-down.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from processing.angles import rowwise_dot, runs

FloatArray = NDArray[np.float64]


class HingeFinder:
    """Online hinge-axis finder of one segment.

    Parameters
    ----------
    up_ref : (3,) unit earth up in the sensor frame in the neutral stance.
    first_excursion_sign : +1 or -1, see the module docstring.
    excursion_rad : tilt from the stance that counts as the first real excursion, rad.
    persist_s : how long the tilt must stay beyond excursion_rad to count, s (at most settle_s).
    lookback_s, settle_s : angular rate used before and after that moment, s.
    max_gap_s : samples further apart than this break a run of tilted samples, s.
    """

    def __init__(
        self,
        up_ref: FloatArray,
        first_excursion_sign: int,
        excursion_rad: float = math.radians(8.0),
        persist_s: float = 0.3,
        lookback_s: float = 2.0,
        settle_s: float = 1.5,
        max_gap_s: float = 0.25,
    ) -> None:
        if persist_s > settle_s:
            raise ValueError("persist_s must not exceed settle_s (the decision would depend on the chunking)")
        self.up_ref = np.asarray(up_ref, dtype=np.float64)
        self.sign = first_excursion_sign
        self.cos_excursion = math.cos(excursion_rad)
        self.persist_s = persist_s
        self.lookback_s = lookback_s
        self.settle_s = settle_s
        self.max_gap_s = max_gap_s
        self.axis: FloatArray | None = None
        self.found_t_s: float | None = None
        self.excursion_t_s: float | None = None
        self._candidate_t_s: float | None = None
        self._t = np.zeros(0)
        self._w = np.zeros((0, 3))
        self._up = np.zeros((0, 3))

    @property
    def pending_since_s(self) -> float | None:
        """Start of the excursion being confirmed or decided (None: none, or the axis is known)."""
        if self.axis is not None:
            return None
        return self.excursion_t_s if self.excursion_t_s is not None else self._candidate_t_s

    def update(self, t_s: FloatArray, up: FloatArray, gyr_unbiased: FloatArray) -> int | None:
        """Feed consecutive samples: t_s (N,) s, up (N, 3), gyr_unbiased (N, 3) rad/s.

        Returns the index in this chunk of the sample at which the axis was decided, or None.
        """
        if self.axis is not None or len(t_s) == 0:
            return None
        last_t_s = float(self._t[-1]) if len(self._t) else -math.inf
        self._t = np.concatenate([self._t, t_s])
        self._w = np.concatenate([self._w, gyr_unbiased])
        self._up = np.concatenate([self._up, up])
        if self.excursion_t_s is None:
            self._confirm(t_s, up, last_t_s)
        if self.excursion_t_s is None:
            oldest = self._t[-1] if self._candidate_t_s is None else min(self._t[-1], self._candidate_t_s)
            keep = int(np.searchsorted(self._t, oldest - self.lookback_s, side="left"))
            self._t, self._w, self._up = self._t[keep:], self._w[keep:], self._up[keep:]
            return None
        done = np.flatnonzero(t_s >= self.excursion_t_s + self.settle_s)
        if not done.size:
            return None
        n_used = len(self._t) - len(t_s) + int(done[0]) + 1
        lo = int(np.searchsorted(self._t, self.excursion_t_s - self.lookback_s, side="left"))
        start = int(np.searchsorted(self._t, self.excursion_t_s, side="left"))
        tilt = np.nansum(np.cross(self._up[start:n_used], self.up_ref), axis=0)
        self.axis = self._principal_axis(self._w[lo:n_used], tilt)
        self.found_t_s = float(t_s[done[0]])
        self._t, self._w, self._up = np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3))
        return int(done[0])

    def _confirm(self, t_s: FloatArray, up: FloatArray, last_t_s: float) -> None:
        """Follow runs of samples tilted beyond the threshold; the first to last persist_s is the excursion."""
        beyond = rowwise_dot(up, self.up_ref) < self.cos_excursion
        after_gap = np.diff(np.concatenate([[last_t_s], t_s])) > self.max_gap_s
        run_id = np.cumsum(after_gap)  # a new run at each gap, and wherever `beyond` changes
        for a, b in runs(run_id * 2 + beyond):
            if not beyond[a] or after_gap[a]:
                self._candidate_t_s = None
            if not beyond[a]:
                continue
            if self._candidate_t_s is None:
                self._candidate_t_s = float(t_s[a])
            if t_s[b - 1] >= self._candidate_t_s + self.persist_s:
                self.excursion_t_s = self._candidate_t_s
                return

    def _principal_axis(self, w: FloatArray, tilt: FloatArray) -> FloatArray:
        v = self.up_ref
        horizontal = w - np.outer(w @ v, v)
        _, vecs = np.linalg.eigh(horizontal.T @ horizontal)
        axis = vecs[:, -1]
        axis = axis - (axis @ v) * v
        axis = axis / np.linalg.norm(axis)
        return np.asarray(axis if self.sign * (axis @ tilt) >= 0 else -axis)

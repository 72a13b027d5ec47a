"""Hinge (mediolateral) axis of a segment in its sensor frame, found from the segment's first real excursion.

Rotation data alone cannot tell +j from -j. The rule used here: the first excursion of a segment away from
the neutral stance by more than `excursion_rad` goes in the direction its exercise prescribes (the
`first_excursion_sign` of that segment: +1 = shin top forward or toes down, -1 = shin back or forefoot up).
The foot's is the ankle pump of the calibration protocol (rising onto the toes); the shin's is set by the
exercise (forward in a lunge, back when sitting with the leg out straight or lying down). The sign is read
from the tilt at that moment (the axis that turns the calibration vertical into the current one); the axis
itself is the principal axis of the bias-free angular rate, projected onto the horizontal plane of the
stance, from 2 s before the excursion to settle_s after it.
The returned axis points to the person's left on either leg: + rotation about it is shin-forward / toes-down.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from processing.angles import rowwise_dot

FloatArray = NDArray[np.float64]


class HingeFinder:
    """Online hinge-axis finder of one segment.

    Parameters
    ----------
    up_ref : (3,) unit earth up in the sensor frame in the neutral stance.
    first_excursion_sign : +1 or -1, see the module docstring.
    excursion_rad : tilt from the stance that counts as the first real excursion, rad.
    lookback_s, settle_s : angular rate used before and after that moment, s.
    """

    def __init__(
        self,
        up_ref: FloatArray,
        first_excursion_sign: int,
        excursion_rad: float = math.radians(8.0),
        lookback_s: float = 2.0,
        settle_s: float = 1.5,
    ) -> None:
        self.up_ref = np.asarray(up_ref, dtype=np.float64)
        self.sign = first_excursion_sign
        self.cos_excursion = math.cos(excursion_rad)
        self.lookback_s = lookback_s
        self.settle_s = settle_s
        self.axis: FloatArray | None = None
        self.found_t_s: float | None = None
        self.excursion_t_s: float | None = None
        self._tilt_axis: FloatArray | None = None
        self._t = np.zeros(0)
        self._w = np.zeros((0, 3))

    def update(self, t_s: FloatArray, up: FloatArray, gyr_unbiased: FloatArray) -> int | None:
        """Feed consecutive samples: t_s (N,) s, up (N, 3), gyr_unbiased (N, 3) rad/s.

        Returns the index in this chunk of the sample at which the axis was decided, or None.
        """
        if self.axis is not None or len(t_s) == 0:
            return None
        if self._tilt_axis is None:
            beyond = np.flatnonzero(rowwise_dot(up, self.up_ref) < self.cos_excursion)
            if beyond.size:
                i = int(beyond[0])
                cross = np.cross(up[i], self.up_ref)
                self._tilt_axis = self.sign * cross / np.linalg.norm(cross)
                self.excursion_t_s = float(t_s[i])
        self._t = np.concatenate([self._t, t_s])
        self._w = np.concatenate([self._w, gyr_unbiased])
        if self.excursion_t_s is None:
            keep = int(np.searchsorted(self._t, self._t[-1] - self.lookback_s, side="left"))
            self._t, self._w = self._t[keep:], self._w[keep:]
            return None
        done = np.flatnonzero(t_s >= self.excursion_t_s + self.settle_s)
        if not done.size:
            return None
        n_used = len(self._t) - len(t_s) + int(done[0]) + 1
        lo = int(np.searchsorted(self._t, self.excursion_t_s - self.lookback_s, side="left"))
        self.axis = self._principal_axis(self._w[lo:n_used])
        self.found_t_s = float(t_s[done[0]])
        self._t, self._w = np.zeros(0), np.zeros((0, 3))
        return int(done[0])

    def _principal_axis(self, w: FloatArray) -> FloatArray:
        assert self._tilt_axis is not None
        v = self.up_ref
        horizontal = w - np.outer(w @ v, v)
        _, vecs = np.linalg.eigh(horizontal.T @ horizontal)
        axis = vecs[:, -1]
        axis = axis - (axis @ v) * v
        axis = axis / np.linalg.norm(axis)
        return np.asarray(axis if axis @ self._tilt_axis >= 0 else -axis)

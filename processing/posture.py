"""After the ankle pumps: when the exercise may begin (RestArming), and the shin's small lean in foot exercises.

Heel lifts and pronation are watched once the foot's axis is known and the foot has rested flat for `rest_s`
after the pumps (the pumps are heel raises on purpose; between two pumps the foot rests less than a second).

In exercises where the foot does the work (eccentric drops, the calf stretch on a step) the shin only leans a
degree or two, never the 8 deg that finds its hinge axis from motion, yet that lean is part of the ankle angle.
SmallTiltAxis takes the shin's axis from how its lean goes with the forefoot's lifts (see the class).
Everything here runs on the common output grid, so the result does not depend on how the input was split.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from processing.angles import rowwise_dot, runs

FloatArray = NDArray[np.float64]


class RestArming:
    """When the ankle pumps are over and the exercise may begin: heel lifts and pronation are watched from then on.

    The first grid time from `from_s` on at which the foot has been flat for rest_s (pitch and roll < flat_rad;
    a sensor gap, NaN, neither breaks nor makes a flat run)."""

    def __init__(self, rest_s: float = 1.5, flat_rad: float = math.radians(3.0)) -> None:
        self.rest_s = rest_s
        self.flat_rad = flat_rad
        self.armed_t_s: float | None = None
        self._flat_since: float | None = None

    def update(self, t_s: FloatArray, from_s: float | None, foot_pitch: FloatArray, foot_roll: FloatArray) -> None:
        """Feed consecutive grid samples (from_s None: not yet possible)."""
        if self.armed_t_s is not None or from_s is None:
            return
        with np.errstate(invalid="ignore"):
            tilted = (np.abs(foot_pitch) >= self.flat_rad) | (np.abs(foot_roll) >= self.flat_rad)
        for t, not_flat in zip(t_s, tilted, strict=True):
            if t < from_s or not_flat:
                self._flat_since = None
                continue
            if self._flat_since is None:
                self._flat_since = float(t)
            if t - self._flat_since >= self.rest_s:
                self.armed_t_s = float(t)
                return


class SmallTiltAxis:
    """The shin's axis from how it leans with the forefoot's lifts (see the module docstring).

    The shin's tilt from the stance (a 2-vector in the stance's horizontal plane) is regressed on the foot's
    pitch over every sample from the arming on (the pumps done) while the shin's own hinge axis is unknown,
    NaN gaps left out: the slope is the lean that goes with the movement, while
    sway, uncorrelated with it, averages out (taken from a single lift, a 0.3 deg sway turned the axis by 68 deg
    in a simulated case whose first lean was under a degree). The axis is decided at the first lift (forefoot
    up beyond foot_rad for settle_s) whose regressed lean reaches tilt_rad, and refined at every later lift.
    The first axis applies from the start of its lift (forefoot up beyond start_rad) when it was decided within
    hold_s of that start: the pipeline holds the lift's samples back until then (`holding_from_s`), so the
    first lift's peak has the shin's lean too (without it, that peak was 1.6-1.8 deg high in simulated
    eccentric drops). Later axes, and a first one decided later, apply from the grid time they were decided,
    so the angles do not depend on how the stream was split.

    Parameters
    ----------
    up_ref : (3,) earth up in the sensor frame in the stance.
    sign : the exercise's direction of the shin's lean during the movement (+1 forward, -1 back).
    tilt_rad, foot_rad, start_rad, settle_s, hold_s : see above; a lift ends when the foot pitch is back above
        -start_rad (rad, s).
    """

    def __init__(
        self,
        up_ref: FloatArray,
        sign: int,
        tilt_rad: float = math.radians(0.4),
        foot_rad: float = math.radians(8.0),
        start_rad: float = math.radians(2.0),
        settle_s: float = 0.5,
        hold_s: float = 2.0,
    ) -> None:
        self.up_ref = np.asarray(up_ref, dtype=np.float64)
        self.sign = sign
        self.tilt_rad = tilt_rad
        self.foot_rad = foot_rad
        self.start_rad = start_rad
        self.settle_s = settle_s
        self.hold_s = hold_s
        helper = np.eye(3)[int(np.argmin(np.abs(self.up_ref)))]
        e1 = np.cross(self.up_ref, helper)
        e1 /= np.linalg.norm(e1)
        self._basis = np.stack([e1, np.cross(self.up_ref, e1)])
        self._moments = np.zeros(7)  # n, sum f, sum f^2, sum d (2), sum f d (2); d: the tilt in the basis
        self._lifted_since: float | None = None
        self._lift_start_s: float | None = None
        self._counted_lift = False
        self._latest_s = -math.inf
        self.since_s: float | None = None
        self._changes: list[tuple[float, FloatArray]] = []

    @property
    def axis(self) -> FloatArray | None:
        """The latest axis (unit, perpendicular to up_ref), or None."""
        return self._changes[-1][1] if self._changes else None

    @property
    def holding_from_s(self) -> float | None:
        """Grid times from this on are to be held back: a lift that may still decide the first axis."""
        if self._changes or self._lift_start_s is None or self._latest_s >= self._lift_start_s + self.hold_s:
            return None
        return None if self._counted_lift else self._lift_start_s

    def advance(self, t_s: float) -> None:
        """The grid has reached t_s (s), whether or not its samples were fed: a lift held back ends by then."""
        self._latest_s = max(self._latest_s, t_s)

    def update(self, t_s: FloatArray, up: FloatArray, foot_pitch: FloatArray, armed_t_s: float | None) -> None:
        """Feed consecutive grid samples of the shin's up vector (N, 3), not necessarily unit, and the foot's
        pitch (N,) rad."""
        if len(t_s):
            self.advance(float(t_s[-1]))
        if armed_t_s is None:
            return
        with np.errstate(invalid="ignore"):
            ok = (t_s >= armed_t_s) & np.isfinite(foot_pitch) & np.all(np.isfinite(up), axis=1)
        if not ok.any():
            return
        t, f = t_s[ok], foot_pitch[ok]
        unit = up[ok] / np.linalg.norm(up[ok], axis=1)[:, None]
        d = np.column_stack([rowwise_dot(unit, self._basis[0]), rowwise_dot(unit, self._basis[1])])
        terms = np.column_stack([np.ones(len(t)), f, f * f, d, f[:, None] * d])
        running = np.cumsum(np.vstack([self._moments, terms]), axis=0)[1:]  # summed in order, whatever the split
        self._moments = running[-1]
        state = np.where(f > -self.start_rad, 0, np.where(f < -self.foot_rad, 2, 1))
        for a, b in runs(state):
            if state[a] == 0:
                self._lifted_since, self._lift_start_s, self._counted_lift = None, None, False
                continue
            if self._lift_start_s is None:
                self._lift_start_s = float(t[a])
            if state[a] == 2 and not self._counted_lift:
                if self._lifted_since is None:
                    self._lifted_since = float(t[a])
                j = a + int(np.searchsorted(t[a:b], self._lifted_since + self.settle_s, side="left"))
                if j < b:
                    self._counted_lift = True
                    self._decide(float(t[j]), float(f[j]), running[j])

    def _decide(self, t_s: float, foot_pitch_rad: float, moments: FloatArray) -> None:
        n, sf, sff = moments[:3]
        var = sff - sf * sf / n
        if var <= 0.0:
            return
        slope = (moments[5:7] - sf * moments[3:5] / n) / var
        lean = (slope * foot_pitch_rad) @ self._basis
        size = float(np.linalg.norm(lean))
        if size > 0.0 and (self._changes or size >= math.sin(self.tilt_rad)):
            start = self._lift_start_s
            if not self._changes and start is not None and t_s < start + self.hold_s:
                t_s = start
            cross = np.cross(lean, self.up_ref)
            self._changes.append((t_s, self.sign * cross / np.linalg.norm(cross)))
            if self.since_s is None:
                self.since_s = t_s

    def axes_at(self, t_s: FloatArray) -> list[tuple[NDArray[np.bool_], FloatArray]]:
        """For consecutive grid times t_s (none earlier than those fed before): which of them use which axis."""
        out = []
        for k, (since, axis) in enumerate(self._changes):
            until = self._changes[k + 1][0] if k + 1 < len(self._changes) else math.inf
            mask = (t_s >= since) & (t_s < until)
            if mask.any():
                out.append((mask, axis))
        self._changes = self._changes[-1:]
        return out

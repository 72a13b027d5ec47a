"""After the ankle pumps: when the exercise may begin (RestArming), and the shin's small lean in foot exercises.

Heel lifts and pronation are watched once the foot's axis is known and the foot has rested flat for `rest_s`
after the pumps (the pumps are heel raises on purpose; between two pumps the foot rests less than a second).

In exercises where the foot does the work (eccentric drops, the calf stretch on a step) the shin only leans a
degree or two, never the 8 deg that finds its hinge axis from motion, yet that lean is part of the ankle angle.
SmallTiltAxis takes the shin's axis from its lean during the first forefoot lift (see the class).
A sway of 0.15 deg turns that axis by about 10 deg, which changes a 2 deg lean by 0.03 deg.
Everything here runs on the common output grid, so the result does not depend on how the input was split.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

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
    """The shin's axis from its lean during the exercise's first main movement (see the module docstring).

    The lean is measured from the moment the forefoot starts to lift (foot pitch last above -start_rad) to the
    moment it has been lifted beyond foot_rad for settle_s (near the top of the lift, before the hold), so a
    tilt left over from the ankle pump or a shift of weight does not count; a lean smaller than tilt_rad waits
    for the next lift.

    Parameters
    ----------
    up_ref : (3,) earth up in the sensor frame in the stance.
    sign : the exercise's direction of the shin's lean during the movement (+1 forward, -1 back).
    tilt_rad, foot_rad, start_rad, settle_s : see above (rad, s).
    """

    def __init__(
        self,
        up_ref: FloatArray,
        sign: int,
        tilt_rad: float = math.radians(0.7),
        foot_rad: float = math.radians(8.0),
        start_rad: float = math.radians(2.0),
        settle_s: float = 0.5,
    ) -> None:
        self.up_ref = up_ref
        self.sign = sign
        self.sin_tilt = math.sin(tilt_rad)
        self.foot_rad = foot_rad
        self.start_rad = start_rad
        self.settle_s = settle_s
        self.axis: FloatArray | None = None
        self.since_s: float | None = None
        self._up_start: FloatArray | None = None
        self._lifted_since: float | None = None

    def update(self, t_s: FloatArray, up: FloatArray, foot_pitch: FloatArray, armed_t_s: float | None) -> None:
        """Feed consecutive grid samples of the shin's up vector (N, 3), not necessarily unit, and the foot's
        pitch (N,) rad."""
        if self.axis is not None or armed_t_s is None:
            return
        for k in range(len(t_s)):
            t, fp = float(t_s[k]), float(foot_pitch[k])
            if t < armed_t_s or not np.isfinite(fp) or not np.all(np.isfinite(up[k])):
                continue
            if fp > -self.start_rad:
                self._up_start, self._lifted_since = up[k] / np.linalg.norm(up[k]), None
            elif fp < -self.foot_rad and self._up_start is not None:
                if self._lifted_since is None:
                    self._lifted_since = t
                if t - self._lifted_since >= self.settle_s:
                    now = up[k] / np.linalg.norm(up[k])
                    cross = np.cross(now, self._up_start)
                    if np.linalg.norm(cross) >= self.sin_tilt:
                        self.axis = self.sign * cross / np.linalg.norm(cross)
                        self.since_s = t
                        return
                    self._up_start = None

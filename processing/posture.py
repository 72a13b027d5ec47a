"""Small shin tilts in foot exercises: the shin's axis from its first small lean once the exercise is under way.

In exercises where the foot does the work (eccentric drops, the calf stretch on a step) the shin only leans a
degree or two, never the 8 deg that finds its hinge axis from motion, yet that lean is part of the ankle angle.
Once the foot's axis is known and the foot has rested flat for `rest_s` after the ankle pump, the shin's tilt
at the first moment of the exercise's main movement (the forefoot lifted by more than `foot_rad`: the drop's
lift, the heel dropped off the step) with the shin tilted by more than `tilt_rad` gives its axis: the
horizontal axis that turns the stance vertical into the tilted one, in the direction the exercise prescribes
for the shin at that moment. Small shifts of weight, wiggles and heel lifts before it do not decide the axis.
A sway of 0.15 deg turns that axis by about 10 deg, which changes a 2 deg lean by 0.03 deg.
Everything here runs on the common output grid, so the result does not depend on how the input was split.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from processing.angles import rowwise_dot

FloatArray = NDArray[np.float64]


class RestArming:
    """The first grid time from `from_s` on at which the foot has been flat for rest_s (pitch and roll < flat_rad;
    a sensor gap, NaN, neither breaks nor makes a flat run)."""

    def __init__(self, rest_s: float = 1.0, flat_rad: float = math.radians(3.0)) -> None:
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
    """The shin's axis from its first tilt beyond tilt_rad after arming (see the module docstring).

    Parameters
    ----------
    up_ref : (3,) earth up in the sensor frame in the stance.
    sign : the exercise's direction of the shin's lean (+1 forward, -1 back).
    tilt_rad : shin tilt that counts, rad.
    foot_rad : forefoot lift (negative foot pitch) that marks the main movement, rad.
    """

    def __init__(
        self, up_ref: FloatArray, sign: int, tilt_rad: float = math.radians(0.5), foot_rad: float = math.radians(8.0)
    ) -> None:
        self.up_ref = up_ref
        self.sign = sign
        self.cos_tilt = math.cos(tilt_rad)
        self.foot_rad = foot_rad
        self.axis: FloatArray | None = None
        self.since_s: float | None = None

    def update(self, t_s: FloatArray, up: FloatArray, foot_pitch: FloatArray, armed_t_s: float | None) -> None:
        """Feed consecutive grid samples of the shin's up vector (N, 3), not necessarily unit, and the foot's
        pitch (N,) rad."""
        if self.axis is not None or armed_t_s is None or len(t_s) == 0:
            return
        norm = np.linalg.norm(up, axis=1)
        with np.errstate(invalid="ignore"):
            tilted = (
                (t_s >= armed_t_s)
                & (foot_pitch < -self.foot_rad)
                & (rowwise_dot(up, self.up_ref) < self.cos_tilt * norm)
            )
        hits = np.flatnonzero(tilted)
        if hits.size:
            i = int(hits[0])
            cross = np.cross(up[i], self.up_ref)
            self.axis = self.sign * cross / np.linalg.norm(cross)
            self.since_s = float(t_s[i])

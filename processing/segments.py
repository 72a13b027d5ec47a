"""One segment after calibration: its inclination filter, hinge-axis finder, and angles held until the axis is known."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from processing.angles import segment_angles
from processing.hinge import HingeFinder
from processing.orientation import TiltTracker

FloatArray = NDArray[np.float64]
N_VALUES = 6  # pitch, roll, angular rate norm, earth up (3) in the sensor frame


@dataclass
class SegmentTrack:
    """Post-calibration state of one sensor.

    Samples are held back (`pending`) while the pipeline waits for the primary segment's axis, and while this
    segment's own axis is being decided (an excursion has started): when the axis is found, the held samples
    get angles about it, so the start of a movement is measured, not zeroed. A segment whose axis is unknown
    contributes zero pitch and roll (it has not tilted 8 deg from the stance yet).

    Which samples use the axis depends only on the data, never on how the stream was split: all samples for a
    retroactive segment (the exercise's primary one, whose samples are all held until its axis is known),
    otherwise the samples from the excursion that decided the axis on.
    """

    tracker: TiltTracker
    finder: HingeFinder
    up_ref: FloatArray
    retroactive: bool
    pending_t: list[FloatArray] = field(default_factory=list)
    pending_up: list[FloatArray] = field(default_factory=list)
    pending_rate: list[FloatArray] = field(default_factory=list)

    @property
    def deciding(self) -> bool:
        """An excursion has started (or may have: it is being confirmed) and the axis is not decided yet."""
        return self.finder.pending_since_s is not None

    def applies(self, t_s: FloatArray) -> NDArray[np.bool_]:
        """Which of these grid times got angles about the hinge axis (decided by the data, see above)."""
        since = self.finder.excursion_t_s
        if self.finder.axis is None or since is None:
            return np.zeros(len(t_s), bool)
        return np.ones(len(t_s), bool) if self.retroactive else t_s >= since

    def update(self, t_s: FloatArray, acc: FloatArray, gyr: FloatArray) -> tuple[FloatArray, FloatArray, bool]:
        """Filter samples; return up (N, 3), rate norm (N,) rad/s, and whether the axis was found in them."""
        up, gyr_unbiased = self.tracker.update(t_s, acc, gyr)
        found = self.finder.update(t_s, up, gyr_unbiased) is not None
        return up, np.linalg.norm(gyr_unbiased, axis=1), found

    def hold(self, t_s: FloatArray, up: FloatArray, rate: FloatArray) -> None:
        """Keep samples until release()."""
        self.pending_t.append(t_s)
        self.pending_up.append(up)
        self.pending_rate.append(rate)

    def release(self) -> tuple[FloatArray, FloatArray]:
        """The held samples: times (N,) and values (N, 6)."""
        if not self.pending_t:
            return np.zeros(0), np.zeros((0, N_VALUES))
        t, up, rate = (np.concatenate(x) for x in (self.pending_t, self.pending_up, self.pending_rate))
        self.pending_t, self.pending_up, self.pending_rate = [], [], []
        return t, self.values(t, up, rate)

    def values(self, t_s: FloatArray, up: FloatArray, rate: FloatArray) -> FloatArray:
        """(N, 6): pitch and roll about the axis where it applies (else zero), rad, the rate norm, rad/s, and up."""
        out = np.zeros((len(t_s), N_VALUES))
        out[:, 2] = rate
        out[:, 3:] = up
        applies = self.applies(t_s)
        if applies.any():
            assert self.finder.axis is not None
            pitch, roll = segment_angles(up[applies], self.up_ref, self.finder.axis)
            out[applies, 0], out[applies, 1] = pitch, roll
        return out

"""Rep counters: a rep is a full excursion of the ankle and its return (band mobilisation, nerve flossing).

- Band mobilisation (standing lunge): the shin tilts forward 25-40 deg over the flat foot and comes back; the
  base is the neutral stance. start_s and end_s are the start of the lift and the end of the return,
  extrapolated from the 30 % and 70 % crossings of the rep's height (robust to the rounded ends of a ramp).
- Nerve flossing (seated, leg out on a bench): the foot points (plantarflexion) then bends (dorsiflexion) and
  comes back, around a resting level that is not the stance's. The base is the lowest angle of the last few
  seconds (the point), a rep is the rise from the point to the bend and back halfway from the bend to the
  resting level before the point, and reps must reach a minimum range and half the median range of the
  set's previous reps. start_s is the start of the descent into the point (extrapolated from its 70 % and
  30 % crossings), end_s the moment the angle is halfway back from the bend. Only reps with the leg out
  (shin pitch below -45 deg) count: the calibration's ankle pumps while standing are not reps.

Small wiggles (2-5 deg) never reach the excursion threshold; partial returns within a rep do not split it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from processing.events import Event
from processing.exercises._crossing import at_fraction, fall_time
from processing.exercises._excursion import RAMP_HIGH, RAMP_LOW, Excursion, ExcursionRule, ExcursionTracker, ramp_times
from processing.exercises._stream import StreamAnalyser
from processing.exercises.base import AngleStream

Timing = Literal["ramp", "point"]


@dataclass(frozen=True)
class RepRule:
    """What a rep is.

    Attributes
    ----------
    excursion : when the excursion starts and ends (on the dorsiflexion angle).
    min_amplitude_rad : smaller excursions (peak - base) are not reps, rad.
    relative_amplitude : nor are those below this fraction of the median amplitude of the last reps (0: off).
    timing : "ramp": start/end extrapolated from the 30/70 % crossings of the rise and the return; "point":
        start of the descent into the point, end halfway back from the bend (see the module docstring).
    max_shin_pitch_rad : if set, the exercise's posture: an excursion counts only if the shin's pitch is at
        most this at its start, peak and end (NaN: unknown, allowed), rad.
    """

    excursion: ExcursionRule
    min_amplitude_rad: float
    relative_amplitude: float = 0.0
    timing: Timing = "ramp"
    max_shin_pitch_rad: float | None = None


BAND_MOBILISATION = RepRule(
    ExcursionRule(on_rad=math.radians(12.0), return_fraction=0.3, rearm_rad=math.radians(6.0)),
    min_amplitude_rad=math.radians(12.0),
)
NERVE_FLOSSING = RepRule(
    ExcursionRule(
        on_rad=math.radians(15.0),
        return_fraction=0.5,
        rearm_rad=math.radians(8.0),
        base_window_s=4.0,
        max_s=20.0,
        return_to_rest=True,
    ),
    min_amplitude_rad=math.radians(20.0),
    relative_amplitude=0.5,
    timing="point",
    max_shin_pitch_rad=math.radians(-45.0),  # the leg out on the bench: not the calibration's ankle pumps
)
_RECENT_REPS = 5


class RepCounter(StreamAnalyser):
    """Counts reps on the dorsiflexion stream; emits a "rep" event when the ankle comes back.

    Parameters
    ----------
    rule : what a rep is (BAND_MOBILISATION, NERVE_FLOSSING or your own).
    target : reps to do.

    Attributes
    ----------
    reps : data of the reps so far: start_s, end_s, peak_dorsiflexion_rad, flags, and with "point" timing
        min_dorsiflexion_rad (the point).
    """

    def __init__(self, rule: RepRule, target: int) -> None:
        super().__init__()
        self.rule = rule
        self.target = target
        self.history_s = rule.excursion.max_s + (rule.excursion.base_window_s or 0.0) + 10.0
        self.reps: list[dict[str, Any]] = []
        self._tracker = ExcursionTracker(rule.excursion)
        self._amplitudes: deque[float] = deque(maxlen=_RECENT_REPS)

    def _process(self, ext: AngleStream, first: int) -> list[Event]:
        t, x = ext.t_s, ext.dorsiflexion_rad
        events: list[Event] = []
        for exc in self._tracker.scan(self, t, x, first):
            amplitude = exc.peak_rad - exc.base_rad
            if amplitude < self.rule.min_amplitude_rad or not self._in_posture(ext, exc):
                continue
            if self._amplitudes and amplitude < self.rule.relative_amplitude * float(np.median(self._amplitudes)):
                continue
            self._amplitudes.append(amplitude)
            start_s, end_s = self._times(t, x, exc)
            data: dict[str, Any] = {"start_s": start_s, "end_s": end_s, "peak_dorsiflexion_rad": exc.peak_rad}
            if self.rule.timing == "point":
                data["min_dorsiflexion_rad"] = exc.base_rad
            data["flags"] = []
            self.reps.append(data)
            events.append(Event("rep", float(t[exc.end]), data))
        return events

    def _in_posture(self, ext: AngleStream, exc: Excursion) -> bool:
        limit = self.rule.max_shin_pitch_rad
        if limit is None:
            return True
        pitch = ext.shin_pitch_rad[[exc.trigger, exc.peak, exc.end]]
        return not bool(np.any(pitch > limit))

    def _times(self, t: np.ndarray, x: np.ndarray, exc: Excursion) -> tuple[float, float]:
        lo = self.lookback_start(exc.end)
        if self.rule.timing == "point":
            return self._point_start(t, x, exc, lo), fall_time(t, x, exc.end + 1, exc.return_rad, exc.peak)
        return ramp_times(t, x, exc, lo)

    def _point_start(self, t: np.ndarray, x: np.ndarray, exc: Excursion, lo: int) -> float:
        """Start of the descent into the point (the rep's lowest angle before the rise), s."""
        window_n = self.samples(self.rule.excursion.base_window_s or 0.0)
        first_base = max(lo, exc.rest, exc.trigger - window_n + 1)
        lowest = first_base + int(np.nanargmin(x[first_base : exc.trigger + 1]))
        before = max(lo, exc.rest, lowest - window_n)
        level = x[before : lowest + 1]
        start = float(t[lowest])
        if np.isfinite(level).any():
            pre = float(np.nanmedian(level))
            drop = pre - exc.base_rad
            if drop > 0.0:
                high = fall_time(t, x, lowest + 1, exc.base_rad + RAMP_HIGH * drop, before)
                low = fall_time(t, x, lowest + 1, exc.base_rad + RAMP_LOW * drop, before)
                start = min(start, max(float(t[before]), at_fraction(low, RAMP_LOW, high, RAMP_HIGH, 1.0)))
        previous_end = self.reps[-1]["end_s"] if self.reps else -math.inf
        return max(start, previous_end)

    def progress(self) -> dict[str, Any]:
        """Reps counted so far toward the target, and the last rep's peak dorsiflexion (rad or None)."""
        last = self.reps[-1]["peak_dorsiflexion_rad"] if self.reps else None
        return {"count": len(self.reps), "target": self.target, "unit": "reps", "last_peak_dorsiflexion_rad": last}


def band_mobilisation() -> RepCounter:
    """A fresh band mobilisation analyser (30 reps)."""
    return RepCounter(BAND_MOBILISATION, 30)


def nerve_flossing() -> RepCounter:
    """A fresh nerve flossing analyser (20 reps)."""
    return RepCounter(NERVE_FLOSSING, 20)

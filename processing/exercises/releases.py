"""Releases (calf on a foam roller, Achilles on a ball): timed by activity, so pauses do not count.

Activity is read from the moving segment's angular rate (the shin rolls on the roller; the foot rolls on
the ball), smoothed by the maximum over a trailing window (rolling at 0.5-1 Hz passes through zero rate at
every turn; the window bridges those). A bout starts when the smoothed rate rises above `on_rad_s` and is
recognised once it has stayed above `off_rad_s` for `min_bout_s` ("activity_started", start_s: the first
sample above `on_rad_s`); it ends when the rate has stayed below `off_rad_s` for the whole window
("activity", start_s, end_s: the last sample above `off_rad_s`). A window without data (a sensor gap)
changes nothing. Out of the exercise's posture (the leg out on the floor: shin pitch below -45 deg), and
for settle_s after getting into it, there is no activity: the calibration's ankle pumps and sitting down
are not rolling. The timer counts toward
`target_s` (1 min) and says when it is reached ("target_reached") and when the maximum (3 min) is reached
("max_reached"); progress() gives active_s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from processing.exercises._crossing import scan
from processing.exercises._stream import StreamAnalyser, first_true, trailing_extreme
from processing.exercises.base import AngleStream

FloatArray = NDArray[np.float64]
Segment = Literal["shin", "foot"]

_REST, _CANDIDATE, _ACTIVE = "rest", "candidate", "active"


@dataclass(frozen=True)
class ActivityRule:
    """When the person is working.

    Attributes
    ----------
    segment : whose angular rate shows the work ("shin": calf release, "foot": Achilles release).
    window_s : trailing window of the smoothing maximum, s.
    on_rad_s, off_rad_s : hysteresis of the smoothed rate, rad/s.
    min_bout_s : shorter bursts (adjusting the position) are not activity, s.
    target_s, max_s : the guide's time on the exercise, s.
    max_shin_pitch_rad : the posture: the leg lies out (shin pitch at most this, top of the shin back);
        moving while standing or sitting down (the calibration's ankle pumps) is not rolling, rad.
    settle_s : nor is moving during the first settle_s in the posture (the end of lying the leg down), s.
    """

    segment: Segment
    window_s: float = 1.5
    on_rad_s: float = math.radians(10.0)
    off_rad_s: float = math.radians(6.0)
    min_bout_s: float = 3.0
    target_s: float = 60.0
    max_s: float = 180.0
    max_shin_pitch_rad: float = math.radians(-45.0)
    settle_s: float = 1.0


class ActivityTimer(StreamAnalyser):
    """Times the active part of a release exercise (see the module docstring).

    Parameters
    ----------
    rule : when the person is working and for how long they should.

    Attributes
    ----------
    bouts : start_s, end_s, duration_s of the bouts so far.
    active_s : time active in completed bouts, s.
    """

    def __init__(self, rule: ActivityRule) -> None:
        super().__init__()
        self.rule = rule
        self.history_s = rule.window_s + rule.settle_s + 2.0
        self.bouts: list[dict[str, Any]] = []
        self.active_s = 0.0
        self._state = _REST
        self._start_s = 0.0
        self._reached: set[str] = set()

    def _process(self, ext: AngleStream, first: int) -> list[Event]:
        rule = self.rule
        t = ext.t_s
        rate = ext.shin_rate_rad_s if rule.segment == "shin" else ext.foot_rate_rad_s
        window_n = self.samples(rule.window_s)
        lo = max(0, first - window_n + 1)
        pitch = ext.shin_pitch_rad
        out = np.where(np.isfinite(pitch), (pitch > rule.max_shin_pitch_rad).astype(np.float64), np.nan)
        settling = np.full(len(t), np.nan)
        settling[lo:] = trailing_extreme(out, lo, self.samples(rule.settle_s), "max")
        rate = np.where(settling > 0.0, 0.0, rate)  # out of position, or just got there: not rolling
        smooth = trailing_extreme(rate, first, window_n, "max")
        ts = t[first:]
        on = smooth > rule.on_rad_s  # False inside a window without data (NaN)
        off = smooth < rule.off_rad_s
        events: list[Event] = []
        i = 0
        while i < len(ts):
            if self._state == _REST:
                k = first_true(on, i)
                if k is None:
                    break
                self._state, self._start_s = _CANDIDATE, float(ts[k])
            elif self._state == _CANDIDATE:
                k = scan(len(ts), i, _recognised(ts, off, np.isfinite(smooth), self._start_s + rule.min_bout_s))
                if k is None:
                    break
                if off[k]:
                    self._state = _REST
                else:
                    self._state = _ACTIVE
                    events.append(Event("activity_started", float(ts[k]), {"start_s": self._start_s}))
                    events += self._milestones(ts[k : k + 1], first + k - window_n, t)
            else:
                k = first_true(off, i)
                stop = len(ts) if k is None else k
                events += self._milestones(ts[i:stop], first + i - window_n, t)
                if k is None:
                    break
                end = max(float(t[max(first + k - window_n, 0)]), self._start_s)
                duration = end - self._start_s
                self.active_s += duration
                data = {"start_s": self._start_s, "end_s": end, "duration_s": duration}
                self.bouts.append(data)
                events.append(Event("activity", float(ts[k]), data))
                self._state = _REST
            i = k + 1
        return events

    def _counted_s(self, t_s: float) -> float:
        """Active time if the current bout ended at t_s, s."""
        return self.active_s + max(0.0, t_s - self._start_s)

    def _milestones(self, ts: FloatArray, lagged_first: int, t: FloatArray) -> list[Event]:
        """Target and maximum reached during samples ts (the bout's time lags one window behind them)."""
        events: list[Event] = []
        if len(ts) == 0:
            return events
        lagged = t[np.clip(np.arange(lagged_first, lagged_first + len(ts)), 0, None)]
        for kind, limit in (("target_reached", self.rule.target_s), ("max_reached", self.rule.max_s)):
            if kind in self._reached:
                continue
            hits = np.flatnonzero(self.active_s + (lagged - self._start_s) >= limit)
            if hits.size:
                self._reached.add(kind)
                events.append(Event(kind, float(ts[hits[0]]), {"active_s": limit}))
        return events

    def finish(self) -> list[Event]:
        """End of the set: a bout still going ends at the last sample."""
        if self._state != _ACTIVE:
            self._state = _REST
            return []
        end = self._last_t_s
        duration = end - self._start_s
        self.active_s += duration
        data = {"start_s": self._start_s, "end_s": end, "duration_s": duration}
        self.bouts.append(data)
        self._state = _REST
        return [Event("activity", end, data)]

    def progress(self) -> dict[str, Any]:
        """Active time toward the target: count (whole s), active_s, active (bool), done, over_max."""
        active = self._state == _ACTIVE
        seconds = self._counted_s(self._last_t_s - self.rule.window_s) if active else self.active_s
        return {
            "count": int(seconds),
            "target": int(self.rule.target_s),
            "unit": "s",
            "active_s": seconds,
            "active": active,
            "done": seconds >= self.rule.target_s,
            "over_max": seconds >= self.rule.max_s,
            "max_s": self.rule.max_s,
        }


def _recognised(
    ts: FloatArray, off: NDArray[np.bool_], known: NDArray[np.bool_], due_s: float
) -> Callable[[int, int], NDArray[np.bool_]]:
    """Hits of a candidate bout: the rate dropped (off), or the bout reached its minimum length (due_s)."""

    def hits(lo: int, hi: int) -> NDArray[np.bool_]:
        return np.asarray(off[lo:hi] | ((ts[lo:hi] >= due_s) & known[lo:hi] & ~off[lo:hi]))

    return hits


def calf_release() -> ActivityTimer:
    """A fresh calf release analyser (the shin rolls on the foam roller; 1-3 min)."""
    return ActivityTimer(ActivityRule("shin"))


def achilles_release() -> ActivityTimer:
    """A fresh Achilles release analyser (the foot rolls on the ball; 1-3 min)."""
    return ActivityTimer(ActivityRule("foot"))

"""Compensation detectors for exercises with the foot on the ground: heel lift and pronation (rolling in).

- "heel_lift": the foot pitches toes-down (heel up) beyond the stance: AngleStream.foot_pitch_rad above
  about 4 deg. Only positive pitch counts: the forefoot lifting (eccentric drop) or the heel dropping off a
  step (gastrocnemius stretch) makes the pitch negative on purpose.
- "pronation": the foot rolls inwards relative to the ground: AngleStream.foot_pronation_rad above about 5 deg.

An episode starts when the angle rises above `on_rad` (start_s: that crossing, interpolated) and is
recognised ("compensation_started", kind, start_s) once it has stayed above `off_rad` for `min_s`; it ends
when the angle falls below `off_rad` ("compensation", kind, start_s, end_s, peak_rad). The hysteresis and the
minimum duration keep noise and postural sway of 1-2 deg from ever alerting; thresholds sit a little below
the nominal 4 and 5 deg so that a lift of that size is still caught when sway pulls it down. Samples in a
sensor gap (NaN) neither start, confirm nor end an episode. Decisions are taken at samples defined by the
data, so any split of the stream into chunks gives identical events.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from processing.exercises._crossing import crossing_time, scan
from processing.exercises.base import AngleStream

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Kind = Literal["heel_lift", "pronation"]
KINDS: tuple[Kind, ...] = ("heel_lift", "pronation")

_WAITING, _IDLE, _CANDIDATE, _ACTIVE = "waiting", "idle", "candidate", "active"


@dataclass(frozen=True)
class CompensationRule:
    """Thresholds of one detector.

    Attributes
    ----------
    on_rad : the angle rising above this starts an episode, rad.
    off_rad : falling below this ends it (or drops a candidate), rad.
    min_s : an episode is recognised once it has lasted this long above off_rad, s.
    """

    on_rad: float
    off_rad: float
    min_s: float = 0.25


RULES: dict[Kind, CompensationRule] = {
    "heel_lift": CompensationRule(on_rad=math.radians(3.0), off_rad=math.radians(2.0)),
    "pronation": CompensationRule(on_rad=math.radians(4.0), off_rad=math.radians(2.5)),
}


class CompensationDetector:
    """Online detector of one kind of compensation (see the module docstring).

    Parameters
    ----------
    kind : "heel_lift" or "pronation".
    rule : thresholds (default RULES[kind]).
    wait_rest_s : if > 0, nothing is detected until the angle has stayed below off_rad this long (s): the
        calibration protocol's ankle pump is a heel lift on purpose, so feed the detector from the moment
        the foot's axis is found (during the pump) and let it wait for the foot to be flat again.

    Attributes
    ----------
    episodes : kind, start_s, end_s, peak_rad of the episodes that ended.
    """

    def __init__(self, kind: Kind, rule: CompensationRule | None = None, wait_rest_s: float = 0.0) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown compensation {kind!r}; known: {', '.join(KINDS)}")
        self.kind: Kind = kind
        self.rule = rule or RULES[kind]
        self.wait_rest_s = wait_rest_s
        self.episodes: list[dict[str, Any]] = []
        self._state = _WAITING if wait_rest_s > 0.0 else _IDLE
        self._rest_since_t_s: float | None = None
        self._start_s = 0.0
        self._on_t_s = 0.0
        self._peak = -math.inf
        self._prev_t = math.nan
        self._prev_x = math.nan

    @property
    def active(self) -> bool:
        """An episode has been recognised and is still going on."""
        return self._state == _ACTIVE

    def step(self, angles: AngleStream) -> list[Event]:
        """Feed consecutive samples (any chunk length); return the events they complete, in time order."""
        if len(angles) == 0:
            return []
        x_new = angles.foot_pitch_rad if self.kind == "heel_lift" else angles.foot_pronation_rad
        t = np.concatenate([[self._prev_t], angles.t_s])
        x = np.concatenate([[self._prev_x], x_new])
        r = self.rule
        events: list[Event] = []
        n = len(x)
        i = 1
        while i < n:
            if self._state == _WAITING:
                k = self._find_rest(t, x, i)
                if k is None:
                    break
                self._state = _IDLE
                i = k + 1
            elif self._state == _IDLE:
                k = scan(n, i, lambda lo, hi: x[lo:hi] > r.on_rad)
                if k is None:
                    break
                self._state, self._on_t_s = _CANDIDATE, float(t[k])
                self._start_s = crossing_time(t, x, k - 1, r.on_rad) if np.isfinite(x[k - 1]) else float(t[k])
                self._peak = float(x[k])
                i = k + 1
            elif self._state == _CANDIDATE:
                k = scan(n, i, _settles(t, x, self._on_t_s, r))
                self._track_peak(x[i : n if k is None else k + 1])
                if k is None:
                    break
                if x[k] < r.off_rad:
                    self._state = _IDLE
                else:
                    self._state = _ACTIVE
                    data = {"kind": self.kind, "start_s": self._start_s}
                    events.append(Event("compensation_started", float(t[k]), data))
                i = k + 1
            else:
                k = scan(n, i, lambda lo, hi: x[lo:hi] < r.off_rad)
                self._track_peak(x[i : n if k is None else k])
                if k is None:
                    break
                end = crossing_time(t, x, k - 1, r.off_rad) if np.isfinite(x[k - 1]) else float(t[k])
                data = {"kind": self.kind, "start_s": self._start_s, "end_s": end, "peak_rad": self._peak}
                self.episodes.append(data)
                events.append(Event("compensation", float(t[k]), data))
                self._state = _IDLE
                i = k + 1
        self._prev_t, self._prev_x = float(t[-1]), float(x[-1])
        return events

    def _find_rest(self, t: FloatArray, x: FloatArray, i: int) -> int | None:
        """First sample from i ending wait_rest_s of the angle below off_rad, or None (keeps the run's start)."""
        n = len(x)
        while i < n:
            if self._rest_since_t_s is None:
                k = scan(n, i, lambda lo, hi: x[lo:hi] < self.rule.off_rad)
                if k is None:
                    return None
                self._rest_since_t_s, i = float(t[k]), k
            since = self._rest_since_t_s
            k = scan(n, i, _rest_over(t, x, since, self.wait_rest_s, self.rule.off_rad))
            if k is None:
                return None
            if t[k] - since >= self.wait_rest_s and x[k] < self.rule.off_rad:
                return k
            self._rest_since_t_s, i = None, k + 1
        return None

    def _track_peak(self, seg: FloatArray) -> None:
        finite = seg[np.isfinite(seg)]
        if finite.size:
            self._peak = max(self._peak, float(finite.max()))


def _settles(t: FloatArray, x: FloatArray, on_t_s: float, r: CompensationRule) -> Callable[[int, int], BoolArray]:
    """Hits of a candidate episode: back below off_rad (dropped), or min_s after it began and still above."""

    def hits(lo: int, hi: int) -> BoolArray:
        seg = x[lo:hi]
        return np.asarray((seg < r.off_rad) | ((t[lo:hi] - on_t_s >= r.min_s) & (seg >= r.off_rad)))

    return hits


def _rest_over(
    t: FloatArray, x: FloatArray, since_s: float, rest_s: float, off_rad: float
) -> Callable[[int, int], BoolArray]:
    """Hits while waiting for rest: the run below off_rad broke (above, or NaN), or it lasted rest_s."""

    def hits(lo: int, hi: int) -> BoolArray:
        below = x[lo:hi] < off_rad
        return np.asarray(~below | (t[lo:hi] - since_s >= rest_s))

    return hits

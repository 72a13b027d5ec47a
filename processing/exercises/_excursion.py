"""Excursions of an angle away from its resting level and back: the skeleton of reps and attempts.

An excursion starts at the first sample where the angle has risen `on_rad` above its base and (hysteresis)
`rearm_rad` above the lowest angle since the previous excursion ended; it ends at the first sample back at
or below base + return_fraction * (peak - base). The base is the neutral stance (0 rad) or, for exercises
that rest away from it, the lowest angle of a trailing window. Relative levels make the counter indifferent
to where the person rests and tolerant of shifts of weight smaller than the return fraction of a rep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from processing.exercises._crossing import at_fraction, fall_time, rise_time
from processing.exercises._stream import StreamAnalyser, trailing_extreme

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ExcursionRule:
    """When an excursion starts and ends.

    Attributes
    ----------
    on_rad : rise above the base that starts an excursion, rad.
    return_fraction : the excursion ends back at base + return_fraction * (peak - base).
    rearm_rad : rise above the lowest angle since the previous excursion ended needed to start another, rad.
    base_window_s : None: the base is the neutral stance (0 rad); else the lowest angle over this trailing
        window (not before the previous excursion ended), s.
    base_rest_s : with base_window_s, only levels held this long count as the base (a brief dip, such as
        the calibration's ankle pump, does not), s; 0: any sample.
    return_to_rest : with base_window_s, the return is also measured from the peak back towards the resting
        level before the base (the median angle over base_window_s before the lowest point) once the peak is
        rearm_rad beyond it, and the earlier of the two returns ends the excursion: nerve flossing goes from
        rest down to the point, up to the bend and back to rest, not to the point.
    """

    on_rad: float
    return_fraction: float
    rearm_rad: float
    base_window_s: float | None = None
    max_s: float = 60.0
    base_rest_s: float = 0.0
    return_to_rest: bool = False


@dataclass(frozen=True)
class Excursion:
    """A completed excursion; indices into the samples it was found in.

    Attributes
    ----------
    base_rad, peak_rad : resting level and highest angle, rad.
    trigger, peak, end : indices of the starting sample, the (first) highest sample, and the first sample
        back at the return level.
    rest : index of the sample that ended the previous excursion (0 if none in view): searches for this
        excursion's start never go before it.
    return_rad : the level whose crossing on the way back ended the excursion, rad.
    """

    base_rad: float
    peak_rad: float
    trigger: int
    peak: int
    end: int
    rest: int
    return_rad: float = math.nan


class ExcursionTracker:
    """Online excursion finder over one angle channel (see the module docstring)."""

    def __init__(self, rule: ExcursionRule) -> None:
        self.rule = rule
        self.active = False
        self.base_rad = 0.0
        self.rest_rad = 0.0
        self.peak_rad = -math.inf
        self.peak_t_s = -math.inf
        self.trigger_t_s = -math.inf
        self._low = math.inf
        self._low_level = math.inf
        self._end_t_s = -math.inf
        self._rest_t_s = -math.inf
        self._first = 0
        self._trail: FloatArray | None = None
        self._level: FloatArray = np.zeros(0)
        self._window_n = 0

    def begin(self, owner: StreamAnalyser, x: FloatArray, first: int) -> None:
        """Prepare a new chunk: x[:first] are past samples, x[first:] new ones (computes the trailing base)."""
        self._first = first
        self._trail = None
        self._level = x
        self._window_n = 0
        if self.rule.base_window_s is not None:
            self._window_n = owner.samples(self.rule.base_window_s)
            level = x
            if self.rule.base_rest_s > 0.0:
                held_from = max(0, first - self._window_n + 1)
                level = np.full(len(x), np.nan)
                level[held_from:] = trailing_extreme(x, held_from, owner.samples(self.rule.base_rest_s), "max")
            self._trail = trailing_extreme(level, first, self._window_n, "min")
            self._level = level

    def scan(self, owner: StreamAnalyser, t: FloatArray, x: FloatArray, first: int) -> list[Excursion]:
        """Advance over x[first:] (x[:first] are past samples); return the excursions completed there."""
        self.begin(owner, x, first)
        done: list[Excursion] = []
        i = first
        while i < len(x):
            if not self.active:
                k = self.find_start(t, x, i)
                if k is None:
                    break
                i = k
            else:
                k = self.find_end(t, x, i)
                if k is None:
                    break
                if x[k] <= self.return_level():
                    trigger = int(np.searchsorted(t, self.trigger_t_s))
                    peak = int(np.searchsorted(t, self.peak_t_s))
                    rest = int(np.searchsorted(t, self._rest_t_s))
                    done.append(Excursion(self.base_rad, self.peak_rad, trigger, peak, k, rest, self.return_level()))
                self.close(t, x, k)
                i = k + 1
        return done

    @property
    def end_t_s(self) -> float:
        """Time of the sample that ended the previous excursion (-inf before the first), s."""
        return self._end_t_s

    def return_level(self) -> float:
        """Angle at which the current excursion ends, rad."""
        f = self.rule.return_fraction
        back = self.base_rad + f * (self.peak_rad - self.base_rad)
        if self.peak_rad > self.rest_rad + self.rule.rearm_rad:  # well past the resting level: halfway back to it
            back = max(back, self.rest_rad + f * (self.peak_rad - self.rest_rad))
        return back

    def close(self, t: FloatArray, x: FloatArray, k: int) -> None:
        """The current excursion ended at sample k (rest from there; re-arm above the lowest angle since)."""
        self.active = False
        self._end_t_s = float(t[k])
        self._low = float(x[k]) if np.isfinite(x[k]) else math.inf
        self._low_level = float(self._level[k]) if np.isfinite(self._level[k]) else math.inf

    def find_start(self, t: FloatArray, x: FloatArray, i: int) -> int | None:
        """First sample from i that starts an excursion (then active, with its base), or None."""
        rule = self.rule
        n = len(x)
        end_index = int(np.searchsorted(t, self._end_t_s))
        width = 256
        lo = i
        while lo < n:
            hi = min(n, lo + width)
            seg = x[lo:hi]
            low = np.fmin.accumulate(np.concatenate([[self._low], seg]))[1:]
            low_level = np.fmin.accumulate(np.concatenate([[self._low_level], self._level[lo:hi]]))[1:]
            if self._trail is None:
                base = np.zeros(hi - lo)
            else:
                since_end = np.arange(lo, hi) - self._window_n + 1 < end_index
                base = np.where(since_end, low_level, self._trail[lo - self._first : hi - self._first])
            hits = np.flatnonzero((seg - base >= rule.on_rad) & (seg - low >= rule.rearm_rad))
            if hits.size:
                k = lo + int(hits[0])
                self.active = True
                self._rest_t_s = self._end_t_s
                self.base_rad = float(base[hits[0]])
                self.rest_rad = self._resting_level(x, k, end_index) if rule.return_to_rest else self.base_rad
                self.peak_rad = float(x[k])
                self.peak_t_s = self.trigger_t_s = float(t[k])
                self._low = float(low[hits[0]])
                self._low_level = float(low_level[hits[0]])
                return k
            self._low = float(low[-1])
            self._low_level = float(low_level[-1])
            lo, width = hi, width * 2
        return None

    def _resting_level(self, x: FloatArray, k: int, end_index: int) -> float:
        """Median angle over the base window before the lowest point preceding sample k (at least the base)."""
        n = self._window_n
        lo = max(end_index, k - n + 1, 0)
        lowest = lo + int(np.nanargmin(x[lo : k + 1]))
        before = x[max(lowest - n, 0, end_index) : lowest + 1]
        before = before[np.isfinite(before)]
        rest = float(np.median(before)) if before.size else self.base_rad
        return max(rest, self.base_rad)

    def find_end(self, t: FloatArray, x: FloatArray, i: int) -> int | None:
        """First sample from i back at the return level or beyond max_s, or None; keeps the running peak."""
        rule = self.rule
        n = len(x)
        width = 256
        lo = i
        while lo < n:
            hi = min(n, lo + width)
            seg = x[lo:hi]
            run = np.fmax.accumulate(np.concatenate([[self.peak_rad], seg]))[1:]
            f = rule.return_fraction
            past_rest = run > self.rest_rad + rule.rearm_rad
            to_rest = np.where(past_rest, self.rest_rad + f * (run - self.rest_rad), -math.inf)
            back = np.maximum(self.base_rad + f * (run - self.base_rad), to_rest)
            ends = (seg <= back) | (t[lo:hi] - self.trigger_t_s > rule.max_s)
            hits = np.flatnonzero(ends)
            stop = int(hits[0]) + 1 if hits.size else hi - lo
            self._update_peak(t[lo : lo + stop], seg[:stop])
            if hits.size:
                return lo + int(hits[0])
            lo, width = hi, width * 2
        return None

    def _update_peak(self, t: FloatArray, seg: FloatArray) -> None:
        finite = np.isfinite(seg)
        if not finite.any():
            return
        j = int(np.argmax(np.where(finite, seg, -math.inf)))
        if seg[j] > self.peak_rad:
            self.peak_rad = float(seg[j])
            self.peak_t_s = float(t[j])


RAMP_LOW, RAMP_HIGH = 0.3, 0.7


def ramp_times(t: FloatArray, x: FloatArray, exc: Excursion, lo: int) -> tuple[float, float]:
    """Start of the rise and end of the return of an excursion, s, searching back to index lo.

    Each ramp is extrapolated linearly from its RAMP_LOW and RAMP_HIGH crossings of the excursion's height
    to 0 %, which finds where a ramp with rounded ends really starts and ends: the first rise to RAMP_HIGH
    and the last fall from it (a partial return in between is part of the excursion).
    """
    lo = max(lo, exc.rest)
    height = exc.peak_rad - exc.base_rad
    level_lo = exc.base_rad + RAMP_LOW * height
    level_hi = exc.base_rad + RAMP_HIGH * height
    reached = exc.trigger + int(np.flatnonzero(x[exc.trigger : exc.peak + 1] >= level_hi)[0])
    up_hi = rise_time(t, x, reached + 1, level_hi, lo)
    up_lo = rise_time(t, x, reached + 1, level_lo, lo)
    down_hi = fall_time(t, x, exc.end + 1, level_hi, exc.peak)
    down_lo = fall_time(t, x, exc.end + 1, level_lo, exc.peak)
    start = at_fraction(up_lo, RAMP_LOW, up_hi, RAMP_HIGH, 0.0)
    end = at_fraction(down_lo, RAMP_LOW, down_hi, RAMP_HIGH, 0.0)
    return max(min(start, up_lo), float(t[lo])), max(end, down_lo)

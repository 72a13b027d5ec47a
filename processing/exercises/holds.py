"""Holds: move the ankle into dorsiflexion and keep it there (stretches, seated holds, traction).

A hold begins with an excursion of the dorsiflexion (a rise of `on_rad` above the base: the stance, or for
traction the relaxed plantarflexion the helper pulls from). It is recognised once the angle has stayed
within a band (max - min <= max(band_rad, band_fraction * height)) for `settle_s`: a plateau. Its level is
the median of the second half of that window (the first half may still hold the end of the ramp). Its start
is the end of the ramp up: a line fitted to the ramp between its 20 % and (first) 80 % crossings of that
level (its last steady rise, if it paused on the way), extended to the level and corrected for the ramp
easing into it (see _crossing.easing_s), so a slow or rounded ramp, or sway, does not bias it. The hold
lasts until the angle falls below end_fraction of the plateau's height; its end is the start of the ramp
down, found the same way from the ramp between its last 80 % crossing and that moment and the last plateau
level (the median of the first half of the last stable window). A pause short of the level after the 80 %
crossing (the heel coming down late) makes the start the end of the last rise. Plateau windows may miss a
quarter of their samples (lost packets); crossings and ramp ends are interpolated across such gaps.
Partial drops above end_fraction and slow drift (the tissue giving way) stay in the hold; a deeper plateau
reached within reanchor_s of the start (a heel put back down, a lean completed) moves the start to the end
of the ramp into it (with another "hold_started").

Events: "hold_started" (start_s, level_rad, target_s) the moment a plateau is recognised, and "hold"
(start_s, end_s, duration_s, mean_dorsiflexion_rad, counts, count, flags) when it ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from processing.exercises._crossing import (
    at_fraction,
    crossing_time,
    easing_s,
    fall_time,
    line_time,
    ramp_line,
    rise_time,
)
from processing.exercises._excursion import ExcursionRule, ExcursionTracker
from processing.exercises._stream import (
    StreamAnalyser,
    exact_units,
    finite_count,
    from_units,
    trailing_extreme,
    trailing_mean,
)
from processing.exercises.base import AngleStream

FloatArray = NDArray[np.float64]

_REST, _RISING, _HOLDING = "rest", "rising", "holding"


@dataclass(frozen=True)
class HoldRule:
    """What a hold is.

    Attributes
    ----------
    target_hold_s : holds at least this long count, s.
    on_rad : rise above the base that starts a hold's ramp, rad.
    rearm_rad : after a hold, a new one needs a rise this far above the lowest angle since, rad.
    base_window_s : None: the base is the neutral stance; else the lowest level held for 2 s in this trailing
        window (the relaxed foot, not the calibration's ankle pump), s.
    settle_s : a plateau is recognised after the angle stayed within the band this long, s.
    band_rad, band_fraction : the band: max(band_rad, band_fraction * (angle - base)), rad.
    end_fraction : the hold ends when the angle falls below base + end_fraction * (plateau - base).
    lookback_s : history searched before the ramp's start for its 20 % crossing, s.
    reanchor_s : a flat plateau deeper than the hold's (by band_rad, or 15 % of the height) whose window
        began within this time of the hold's start moves the start to the end of the ramp into it, s.
    """

    target_hold_s: float
    on_rad: float = math.radians(8.0)
    rearm_rad: float = math.radians(4.0)
    base_window_s: float | None = None
    settle_s: float = 2.0
    band_rad: float = math.radians(4.0)
    band_fraction: float = 0.25
    end_fraction: float = 0.3
    lookback_s: float = 5.0
    reanchor_s: float = 5.0


_LOW, _HIGH = 0.2, 0.8
_MIN_LAST_RISE = 0.2  # the last rise after a pause is fitted on its own when at least this fraction of the ramp
_MAX_DOWN_FRACTION = 0.7  # a drop decided above this fraction of the last plateau is too short to extrapolate


_MAX_GAP_FRACTION = 0.25  # a plateau window may miss this fraction of its samples (lost packets)
_RISING_LAG_S = 0.1  # a ramp rises over every step of this length until its 80 % crossing
_EASE_WINDOW_S = 0.1  # the gap of an easing ramp is averaged over this window, s


class HoldAnalyser(StreamAnalyser):
    """Finds holds on the dorsiflexion stream (see the module docstring).

    Parameters
    ----------
    rule : what a hold is.
    target_count : holds to do.

    Attributes
    ----------
    holds : data of the holds so far.
    """

    history_s = 30.0

    def __init__(self, rule: HoldRule, target_count: int) -> None:
        super().__init__()
        self.rule = rule
        self.target_count = target_count
        self.history_s = max(30.0, rule.lookback_s + rule.settle_s + (rule.base_window_s or 0.0) + 11.0)
        self.holds: list[dict[str, Any]] = []
        self._tracker = ExcursionTracker(
            ExcursionRule(
                rule.on_rad, rule.end_fraction, rule.rearm_rad, rule.base_window_s, max_s=math.inf, base_rest_s=2.0
            )
        )
        self._state = _REST
        self._start_s = 0.0
        self._level_last = 0.0
        self._anchor_level = 0.0
        self._stable_t_s = 0.0
        self._level_max = 0.0
        self._sum_units = 0
        self._sum_n = 0

    @property
    def count(self) -> int:
        """Holds that counted (lasted at least the target)."""
        return sum(1 for h in self.holds if h["counts"])

    def _process(self, ext: AngleStream, first: int) -> list[Event]:
        t, x = ext.t_s, ext.dorsiflexion_rad
        rule = self.rule
        n_settle = self.samples(rule.settle_s)
        self._tracker.begin(self, x, first)
        rmax = trailing_extreme(x, first, n_settle, "max")
        rmin = trailing_extreme(x, first, n_settle, "min")
        gaps = 1.0 - trailing_mean(np.isfinite(x).astype(np.float64), first, n_settle)
        window = _Windows(first, rmax, rmin, gaps)
        events: list[Event] = []
        i = first
        while i < len(x):
            if self._state == _REST:
                k = self._tracker.find_start(t, x, i)
                if k is None:
                    break
                self._state = _RISING
                i = k
            elif self._state == _RISING:
                k, plateau = self._find_plateau(x, i, window)
                if k is None:
                    break
                if plateau:
                    events.append(self._begin_hold(t, x, k))
                else:
                    self._tracker.close(t, x, k)
                    self._state = _REST
                i = k + 1
            else:
                k, deeper = self._find_drop(t, x, i, window)
                if k is None:
                    break
                events.append(self._deepen(t, x, k) if deeper else self._end_hold(t, x, k))
                i = k + 1
        return events

    def _stable(self, window: _Windows, lo: int, hi: int) -> tuple[NDArray[np.bool_], FloatArray]:
        """Which samples in [lo, hi) end a plateau window, and the window's mid level."""
        base = self._tracker.base_rad
        rmax, rmin, gaps = window.at(lo, hi)
        band = np.maximum(self.rule.band_rad, self.rule.band_fraction * (rmax - base))
        stable = (gaps <= _MAX_GAP_FRACTION) & (rmax - rmin <= band) & (rmin >= base + 0.5 * self.rule.on_rad)
        return stable, 0.5 * (rmax + rmin)

    def _find_plateau(self, x: FloatArray, i: int, window: _Windows) -> tuple[int | None, bool]:
        """First sample from i ending a plateau window (True) or back near the base (False)."""
        base = self._tracker.base_rad
        width, lo = 256, i
        while lo < len(x):
            hi = min(len(x), lo + width)
            stable, _ = self._stable(window, lo, hi)
            back = x[lo:hi] <= base + 0.5 * self.rule.on_rad
            hits = np.flatnonzero(stable | back)
            if hits.size:
                k = lo + int(hits[0])
                return k, bool(stable[hits[0]])
            lo, width = hi, width * 2
        return None, False

    def _begin_hold(self, t: FloatArray, x: FloatArray, k: int) -> Event:
        base = self._tracker.base_rad
        level = self._settled_level(x, k)
        trigger = int(np.searchsorted(t, self._tracker.trigger_t_s))
        lo = max(self.lookback_start(k), trigger - self.samples(self.rule.lookback_s), self._rest_index(t))
        lo += int(np.nanargmin(x[lo : trigger + 1]))  # the ramp rises from its lowest point
        start = self._ramp_end(t, x, lo, k, base, level)
        self._state = _HOLDING
        self._start_s = start
        self._anchor_level = self._level_last = self._level_max = level
        self._stable_t_s = float(t[k])
        inside = x[int(np.searchsorted(t, start)) : k + 1]
        self._sum_units, self._sum_n = exact_units(inside), finite_count(inside)
        return self._started_event(float(t[k]))

    def _started_event(self, t_s: float) -> Event:
        data = {"start_s": self._start_s, "level_rad": self._anchor_level, "target_s": self.rule.target_hold_s}
        return Event("hold_started", t_s, data)

    def _settled_level(self, x: FloatArray, k: int) -> float:
        """Level of a plateau recognised at k: the median of the second half of its stable window."""
        settled = x[max(k - self.samples(self.rule.settle_s) // 2 + 1, 0) : k + 1]
        return float(np.median(settled[np.isfinite(settled)]))

    def _ramp_end(
        self, t: FloatArray, x: FloatArray, lo: int, k: int, from_level: float, level: float, refine: bool = True
    ) -> float:
        """End of the ramp from from_level up to level between indices lo and k (see the module docstring)."""
        height = level - from_level
        low, high = from_level + _LOW * height, from_level + _HIGH * height
        reached = lo + int(np.flatnonzero(x[lo : k + 1] >= high)[0])
        lag = self.samples(_RISING_LAG_S)
        short = np.flatnonzero(x[reached : k + 1] < level - max(self.rule.band_rad, 0.15 * height))
        if refine and short.size:  # paused short of the level after its 80 %: the hold starts after the last rise
            last_short = reached + int(short[-1])
            step = x[reached + lag : last_short + 1] - x[reached : last_short + 1 - lag]
            paused_rad = float(np.nanmin(x[reached : last_short + 1]))
            last_high = paused_rad + _HIGH * (level - paused_rad)
            if np.any(step <= 0.0) and last_high > x[reached] and np.any(x[reached : k + 1] >= last_high):
                return self._ramp_end(t, x, reached, k, paused_rad, level, refine=False)
        t_high = rise_time(t, x, reached + 1, high, lo)
        end = at_fraction(rise_time(t, x, reached + 1, low, lo), _LOW, t_high, _HIGH, 1.0)
        below = np.flatnonzero(x[lo:reached] < low)
        ramp_lo = lo + int(below[-1]) if below.size else lo
        step = x[ramp_lo + lag : reached + 1] - x[ramp_lo : reached + 1 - lag]
        rising = (step > 0.0) | ~np.isfinite(step)  # a gap in the data is no pause
        stalled = np.flatnonzero(~rising)
        if stalled.size:  # the ramp paused on the way (the heel up, a hesitation): fit its last rise only
            ramp_lo += lag + int(stalled[-1])
            paused_rad = float(np.nanmin(x[ramp_lo : reached + 1]))
            last_high = paused_rad + _HIGH * (level - paused_rad)
            hits = np.flatnonzero(x[ramp_lo : k + 1] >= last_high)
            if level - paused_rad >= _MIN_LAST_RISE * height and hits.size:  # a rise of its own: its 20 % and 80 %
                low, high = paused_rad + _LOW * (level - paused_rad), last_high
                reached = ramp_lo + int(hits[0])
                t_high = rise_time(t, x, reached + 1, high, ramp_lo)
                end = at_fraction(rise_time(t, x, reached + 1, low, ramp_lo), _LOW, t_high, _HIGH, 1.0)
        ramp = ramp_line(t, x, ramp_lo, reached + 1, low, high)
        if ramp is not None and ramp[1] > 0.0:
            end = line_time(ramp, level)
            end += easing_s(t, x, end, level, ramp[1], self.samples(_EASE_WINDOW_S), k + 1)
        return min(max(end, t_high), float(t[k]))

    def _deepen(self, t: FloatArray, x: FloatArray, k: int) -> Event:
        """A deeper plateau soon after the hold began (a heel put back down, a lean completed): the hold
        starts at the end of the ramp into it; the samples before leave the hold's mean."""
        level = self._settled_level(x, k)
        old_start = int(np.searchsorted(t, self._start_s))
        lo = max(self.lookback_start(k), old_start)
        start = max(self._ramp_end(t, x, lo, k, self._anchor_level, level), self._start_s)
        dropped = x[old_start : int(np.searchsorted(t, start))]
        self._sum_units -= exact_units(dropped)
        self._sum_n -= finite_count(dropped)
        self._start_s = start
        self._anchor_level = level
        return self._started_event(float(t[k]))

    def _rest_index(self, t: FloatArray) -> int:
        """Index of the sample that ended the previous hold's excursion (searches never go before it)."""
        return int(np.searchsorted(t, self._tracker.end_t_s))

    def _find_drop(self, t: FloatArray, x: FloatArray, i: int, window: _Windows) -> tuple[int | None, bool]:
        """First sample from i below the hold's end level (False) or ending a plateau deeper than the hold's
        by more than the band within reanchor_s of its start (True); keeps the plateau levels and the sum."""
        rule = self.rule
        base = self._tracker.base_rad
        deeper_by = max(rule.band_rad, 0.15 * (self._anchor_level - base))
        flat_rad = max(deeper_by, 0.75 * rule.band_rad)
        width, lo = 256, i
        while lo < len(x):
            hi = min(len(x), lo + width)
            stable, mid = self._stable(window, lo, hi)
            levels = np.where(stable, mid, np.nan)
            level_max = np.fmax.accumulate(np.concatenate([[self._level_max], levels]))[1:]
            drops = x[lo:hi] <= base + rule.end_fraction * (level_max - base)
            rmax, rmin, _ = window.at(lo, hi)
            flat = stable & (rmax - rmin <= flat_rad)  # not a window on the way up
            soon = t[lo:hi] - rule.settle_s - self._start_s <= rule.reanchor_s  # the window began soon enough
            deeper = flat & (mid > self._anchor_level + deeper_by) & soon
            hits = np.flatnonzero(drops | deeper)
            stop = int(hits[0]) + 1 if hits.size else hi - lo
            seen = np.flatnonzero(stable[:stop])
            if seen.size:
                self._level_last = float(mid[seen[-1]])
                self._stable_t_s = float(t[lo + seen[-1]])
            self._level_max = float(level_max[stop - 1])
            self._sum_units += exact_units(x[lo : lo + stop])
            self._sum_n += finite_count(x[lo : lo + stop])
            if hits.size:
                return lo + int(hits[0]), not bool(drops[hits[0]])
            lo, width = hi, width * 2
        return None, False

    def _end_hold(self, t: FloatArray, x: FloatArray, k: int) -> Event:
        base = self._tracker.base_rad
        height = self._last_level(t, x, k) - base
        decision_level = base + self.rule.end_fraction * (self._level_max - base)
        t_decision = crossing_time(t, x, k - 1, decision_level) if k > 0 else float(t[k])
        lo = max(self.lookback_start(k), int(np.searchsorted(t, self._start_s)))
        end = t_decision
        if height > 0.0:
            frac = (decision_level - base) / height
            high = base + _HIGH * height
            t_high = fall_time(t, x, k, high, lo)
            end = t_high if frac > _MAX_DOWN_FRACTION else at_fraction(t_decision, frac, t_high, _HIGH, 1.0)
            above = np.flatnonzero(x[lo:k] > high)
            ramp = ramp_line(t, x, lo + int(above[-1]) if above.size else lo, k + 1, decision_level, high)
            if frac <= _MAX_DOWN_FRACTION and ramp is not None and ramp[1] < 0.0:
                end = line_time(ramp, base + height)
                end -= easing_s(t, x, end, base + height, -ramp[1], self.samples(_EASE_WINDOW_S), k + 1)
        end = min(max(end, self._start_s), t_decision)
        after = x[int(np.searchsorted(t, end, side="right")) : k + 1]
        event = self._hold_event(
            float(t[k]), end, self._sum_units - exact_units(after), self._sum_n - finite_count(after)
        )
        self._tracker.close(t, x, k)
        self._state = _REST
        return event

    def _last_level(self, t: FloatArray, x: FloatArray, k: int) -> float:
        """Level of the plateau before the drop: median of the first half of its last stable window (the
        second half may already hold the start of the drop, within the band)."""
        half = self.samples(self.rule.settle_s) // 2
        last = int(np.searchsorted(t, self._stable_t_s))
        lo = max(self.lookback_start(k), int(np.searchsorted(t, self._start_s)), last - 2 * half + 1)
        seg = x[lo : max(lo, last - half + 1)]
        seg = seg[np.isfinite(seg)]
        return float(np.median(seg)) if seg.size else self._level_last

    def _hold_event(self, t_s: float, end_s: float, units: int, n: int, flags: list[str] | None = None) -> Event:
        duration = end_s - self._start_s
        counts = duration >= self.rule.target_hold_s
        data: dict[str, Any] = {
            "start_s": self._start_s,
            "end_s": end_s,
            "duration_s": duration,
            "mean_dorsiflexion_rad": from_units(units) / n if n else self._level_last,
            "counts": counts,
            "count": self.count + int(counts),
            "flags": flags or [],
        }
        self.holds.append(data)
        return Event("hold", t_s, data)

    def finish(self) -> list[Event]:
        """End of the set: a hold still going ends at the last sample, flagged "unfinished"."""
        if self._state != _HOLDING:
            return []
        self._state = _REST
        end = self._last_t_s
        return [self._hold_event(end, end, self._sum_units, self._sum_n, ["unfinished"])]

    def progress(self) -> dict[str, Any]:
        """Holds that counted toward the target; holding_s (s) while a hold is going on, else None."""
        holding = self._last_t_s - self._start_s if self._state == _HOLDING else None
        last = self.holds[-1]["duration_s"] if self.holds else None
        return {
            "count": self.count,
            "target": self.target_count,
            "unit": "holds",
            "holding_s": holding,
            "target_hold_s": self.rule.target_hold_s,
            "last_hold_s": last,
        }


@dataclass
class _Windows:
    """Trailing-window statistics of one chunk (indices into the samples from `first`); gaps: missing fraction."""

    first: int
    rmax: FloatArray
    rmin: FloatArray
    gaps: FloatArray

    def at(self, lo: int, hi: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        a, b = lo - self.first, hi - self.first
        return self.rmax[a:b], self.rmin[a:b], self.gaps[a:b]


GASTROCNEMIUS_STRETCH = HoldRule(target_hold_s=30.0)
SOLEUS_STRETCH = HoldRule(target_hold_s=30.0)
SEATED_DORSIFLEXION_HOLD = HoldRule(target_hold_s=10.0)
TRACTION = HoldRule(target_hold_s=30.0, base_window_s=8.0)


def gastrocnemius_stretch() -> HoldAnalyser:
    """A fresh gastrocnemius stretch analyser (3 holds of 30 s)."""
    return HoldAnalyser(GASTROCNEMIUS_STRETCH, 3)


def soleus_stretch() -> HoldAnalyser:
    """A fresh soleus stretch analyser (3 holds of 30 s)."""
    return HoldAnalyser(SOLEUS_STRETCH, 3)


def seated_dorsiflexion_hold() -> HoldAnalyser:
    """A fresh seated dorsiflexion hold analyser (20 holds of 10 s)."""
    return HoldAnalyser(SEATED_DORSIFLEXION_HOLD, 20)


def traction() -> HoldAnalyser:
    """A fresh traction analyser (3 holds of 30 s, pulled up from the relaxed plantarflexion)."""
    return HoldAnalyser(TRACTION, 3)

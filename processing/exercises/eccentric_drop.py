"""Eccentric drop: lift the forefoot, hold, lower slowly; per rep the peak, hold and lowering durations.

A rep is an excursion of the dorsiflexion above 8 deg from the stance that comes back below 15 % of its
peak. Durations use the ramps between 20 % and 80 % of the hold's level (the median of the rep's samples above
half its peak: a peak lifted by sway and noise would bias them): a line fitted to each ramp's samples there
(or through its two crossings, if too few) is extended to 0 and 100 % and corrected for the foot easing
into and out of each movement (_crossing.easing_s), so hold_s is the time between the end of the lift and
the start of the lowering, lower_s the duration of the lowering.
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
from processing.exercises._excursion import Excursion, ExcursionRule, ExcursionTracker
from processing.exercises._stream import StreamAnalyser
from processing.exercises.base import AngleStream

FloatArray = NDArray[np.float64]
_EASE_WINDOW_S = 0.1


@dataclass(frozen=True)
class DropParams:
    """Rep detection and quality rules.

    Attributes
    ----------
    on_rad : dorsiflexion that starts a rep, rad.
    end_fraction : a rep ends when dorsiflexion falls below this fraction of its peak (below low_fraction of
        the hold's level, so that the lowering's last crossing is seen).
    low_fraction, high_fraction : levels of the ramp crossings, as fractions of the hold's level.
    lookback_s : history searched before the rep starts, to find its 20 % crossing, s.
    min_hold_s : shorter holds are flagged "hold_too_short", s.
    min_lower_s : faster lowering is flagged "lowered_too_fast", s.
    max_rep_s : a lift that has not come down after this long is not a rep (a slipped strap, a change of
        posture), s.
    report_delay_s : a rep is reported this long after it ended, when the end of its lowering is in view, s.
    """

    on_rad: float = math.radians(8.0)
    end_fraction: float = 0.15
    low_fraction: float = 0.2
    high_fraction: float = 0.8
    lookback_s: float = 3.0
    min_hold_s: float = 5.0
    min_lower_s: float = 2.0
    max_rep_s: float = 60.0
    report_delay_s: float = 1.0


class EccentricDrop(StreamAnalyser):
    """Detects lift-hold-lower reps on the dorsiflexion stream; emits "rep" report_delay_s after the foot is
    back down (the rep event's data: start_s, end_s, peak_dorsiflexion_rad, flags, hold_s, lower_s,
    hold_start_s, hold_end_s, mean_hold_dorsiflexion_rad).

    Parameters
    ----------
    params : the rules.
    target : reps to do.
    """

    def __init__(self, params: DropParams | None = None, target: int = 30) -> None:
        super().__init__()
        self.params = p = params or DropParams()
        self.target = target
        self.history_s = p.max_rep_s + p.lookback_s + 5.0
        self.reps: list[dict[str, Any]] = []
        self._last_end_t_s = -math.inf
        self._pending: list[tuple[float, float, float, float]] = []  # trigger, peak and end times, peak
        self._tracker = ExcursionTracker(
            ExcursionRule(p.on_rad, p.end_fraction, rearm_rad=0.5 * p.on_rad, max_s=p.max_rep_s)
        )

    def _process(self, ext: AngleStream, first: int) -> list[Event]:
        t, x = ext.t_s, ext.dorsiflexion_rad
        for exc in self._tracker.scan(self, t, x, first):
            self._pending.append((float(t[exc.trigger]), float(t[exc.peak]), float(t[exc.end]), exc.peak_rad))
        return self._report(t, x, float(t[-1]))

    def _report(self, t: FloatArray, x: FloatArray, until_s: float) -> list[Event]:
        """Reps whose report is due by until_s (report_delay_s after they ended: the lowering's last part is
        then in view), analysed from samples up to that moment only."""
        events: list[Event] = []
        while self._pending and self._pending[0][2] + self.params.report_delay_s <= until_s:
            trigger_t, peak_t, end_t, peak = self._pending.pop(0)
            stop = min(int(np.searchsorted(t, end_t + self.params.report_delay_s)), len(t) - 1)
            index = [int(np.searchsorted(t, v)) for v in (trigger_t, peak_t, end_t)]
            data = self._rep(t, x, Excursion(0.0, peak, index[0], index[1], index[2], 0), stop)
            self.reps.append(data)
            events.append(Event("rep", float(t[stop]), data))
        return events

    def finish(self) -> list[Event]:
        """End of the set: report the reps still waiting for their report delay."""
        tail = self._tail
        if not self._pending or len(tail) == 0:
            return []
        return self._report(tail.t_s, tail.dorsiflexion_rad, math.inf)

    def _rep(self, t: FloatArray, x: FloatArray, exc: Excursion, stop: int) -> dict[str, Any]:
        p = self.params
        peak = exc.peak_rad
        lo = max(
            self.lookback_start(exc.end),
            exc.trigger - self.samples(p.lookback_s),
            int(np.searchsorted(t, self._last_end_t_s)),
        )
        self._last_end_t_s = float(t[exc.end])
        top = x[exc.trigger : exc.end + 1]
        level = float(np.median(top[top >= 0.5 * peak]))  # the hold's level: sway and noise lift the peak
        low, high = p.low_fraction * level, p.high_fraction * level
        i1 = lo + int(np.flatnonzero(x[lo : exc.end + 1] >= high)[0])
        below = np.flatnonzero(x[lo:i1] < low)
        i0 = lo + int(below[-1]) if below.size else lo
        i2 = exc.trigger + int(np.flatnonzero(x[exc.trigger : exc.end + 1] > high)[-1])
        t_up_lo, t_up_hi = rise_time(t, x, i1, low, lo), crossing_time(t, x, i1 - 1, high) if i1 > lo else float(t[i1])
        t_down_hi, t_down_lo = crossing_time(t, x, i2, high), fall_time(t, x, exc.end + 1, low, i2)
        start = at_fraction(t_up_lo, p.low_fraction, t_up_hi, p.high_fraction, 0.0)
        hold_start = at_fraction(t_up_lo, p.low_fraction, t_up_hi, p.high_fraction, 1.0)
        hold_end = at_fraction(t_down_lo, p.low_fraction, t_down_hi, p.high_fraction, 1.0)
        end = at_fraction(t_down_lo, p.low_fraction, t_down_hi, p.high_fraction, 0.0)
        window_n = self.samples(_EASE_WINDOW_S)
        up = ramp_line(t, x, i0, i1 + 1, low, high)
        if up is not None and up[1] > 0.0:
            start, hold_start = line_time(up, 0.0), line_time(up, level)
            start -= easing_s(t, x, start, 0.0, up[1], window_n, stop + 1)
            hold_start += easing_s(t, x, hold_start, level, up[1], window_n, stop + 1)
        down = ramp_line(t, x, i2, exc.end + 1, low, high)
        if down is not None and down[1] < 0.0:
            hold_end, end = line_time(down, level), line_time(down, 0.0)
            hold_end -= easing_s(t, x, hold_end, level, down[1], window_n, stop + 1)
            end += easing_s(t, x, end, 0.0, down[1], window_n, stop + 1)
        lower_s = end - hold_end
        hold_s = hold_end - hold_start
        in_hold = (t >= hold_start) & (t <= hold_end)
        flags = []
        if hold_s < p.min_hold_s:
            flags.append("hold_too_short")
        if lower_s < p.min_lower_s:
            flags.append("lowered_too_fast")
        hold_values = x[in_hold]
        mean_hold = float(np.mean(hold_values[np.isfinite(hold_values)])) if np.isfinite(hold_values).any() else peak
        return {
            "start_s": start,
            "end_s": end,
            "peak_dorsiflexion_rad": peak,
            "flags": flags,
            "hold_s": hold_s,
            "lower_s": lower_s,
            "hold_start_s": hold_start,
            "hold_end_s": hold_end,
            "mean_hold_dorsiflexion_rad": mean_hold,
        }

    def progress(self) -> dict[str, Any]:
        """Reps so far toward the target, and the last rep's hold and lowering durations (s or None)."""
        last = self.reps[-1] if self.reps else {}
        return {
            "count": len(self.reps),
            "target": self.target,
            "unit": "reps",
            "last_hold_s": last.get("hold_s"),
            "last_lower_s": last.get("lower_s"),
        }

"""Eccentric drop: lift the forefoot, hold, lower slowly; per rep the peak, hold and lowering durations.

Durations use the 20 % and 80 % crossings of the rep's peak: each ramp is extrapolated linearly from
its 20-80 % part to 0 and 100 %, so hold_s is the time between the end of the lift and the start of the
lowering, lower_s the duration of the lowering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from processing.exercises._crossing import crossing_time, first_where
from sensors.samples import Role

FloatArray = NDArray[np.float64]

NAME = "eccentric_drop"
PRIMARY_ROLE: Role = "foot"
FIRST_EXCURSION_SIGN = {"foot": -1, "shin": -1}  # the forefoot lifts; a shin that moves leans back


@dataclass(frozen=True)
class DropParams:
    """Rep detection and quality rules.

    Attributes
    ----------
    on_rad : dorsiflexion that starts a rep, rad.
    end_fraction : a rep ends when dorsiflexion falls below this fraction of its peak.
    low_fraction, high_fraction : levels of the ramp crossings, as fractions of the peak.
    lookback_s : history kept before the rep starts, to find its 20 % crossing, s.
    min_hold_s : shorter holds are flagged "hold_too_short", s.
    min_lower_s : faster lowering is flagged "lowered_too_fast", s.
    max_rep_s : a lift that has not come down after this long is not a rep (a slipped strap, a change of
        posture); its history is dropped so memory stays bounded, s.
    """

    on_rad: float = math.radians(8.0)
    end_fraction: float = 0.2
    low_fraction: float = 0.2
    high_fraction: float = 0.8
    lookback_s: float = 3.0
    min_hold_s: float = 5.0
    min_lower_s: float = 2.0
    max_rep_s: float = 60.0


class EccentricDrop:
    """Detects lift-hold-lower reps on the dorsiflexion stream; emits "rep" when the foot is back down."""

    def __init__(self, params: DropParams | None = None) -> None:
        self.params = params or DropParams()
        self.reps: list[dict[str, Any]] = []
        self._out = False
        self._peak = -math.inf
        self._t = np.zeros(0)
        self._y = np.zeros(0)

    def step(self, t_s: FloatArray, dorsiflexion_rad: FloatArray) -> list[Event]:
        """Feed consecutive grid samples t_s (N,) s, dorsiflexion_rad (N,) rad (NaN = unknown)."""
        p = self.params
        events: list[Event] = []
        i, n = 0, len(t_s)
        while i < n:
            if not self._out:
                hit = first_where(dorsiflexion_rad, i, lambda y: y > p.on_rad)
                stop = n if hit is None else hit
                self._t = np.concatenate([self._t, t_s[i:stop]])
                self._y = np.concatenate([self._y, dorsiflexion_rad[i:stop]])
                if len(self._t):
                    keep = int(np.searchsorted(self._t, float(self._t[-1]) - p.lookback_s))
                    self._t, self._y = self._t[keep:], self._y[keep:]
                if hit is None:
                    break
                self._out = True
                self._peak = -math.inf
                i = hit
            else:
                end = self._find_end(dorsiflexion_rad, i)
                stop = n if end is None else end + 1
                self._t = np.concatenate([self._t, t_s[i:stop]])
                self._y = np.concatenate([self._y, dorsiflexion_rad[i:stop]])
                if end is None:
                    if float(self._t[-1]) - float(self._t[0]) > p.lookback_s + p.max_rep_s:
                        keep = int(np.searchsorted(self._t, float(self._t[-1]) - p.lookback_s))
                        self._t, self._y = self._t[keep:], self._y[keep:]
                        self._peak = float(np.nanmax(self._y, initial=-math.inf))
                    break
                data = self._rep()
                self.reps.append(data)
                events.append(Event("rep", float(t_s[end]), data))
                self._out = False
                self._t, self._y = self._t[-1:], self._y[-1:]
                i = stop
        return events

    def _find_end(self, y: FloatArray, start: int) -> int | None:
        """Index of the first sample from start below end_fraction of the running peak (updates the peak)."""
        width = 256
        lo = start
        while lo < len(y):
            hi = min(len(y), lo + width)
            running = np.fmax.accumulate(np.concatenate([[self._peak], y[lo:hi]]))[1:]
            below = np.flatnonzero(y[lo:hi] < self.params.end_fraction * running)
            if below.size:
                self._peak = float(running[below[0]])
                return lo + int(below[0])
            self._peak = float(running[-1])
            lo, width = hi, width * 2
        return None

    def _rep(self) -> dict[str, Any]:
        p = self.params
        t, y, peak = self._t, self._y, self._peak
        lo, hi = p.low_fraction * peak, p.high_fraction * peak
        i_on = int(np.flatnonzero(y > p.on_rad)[0])
        below_lo = np.flatnonzero(y[:i_on] < lo)
        i0 = int(below_lo[-1]) if below_lo.size else 0
        t_up_lo = crossing_time(t, y, i0, lo)
        i1 = int(np.flatnonzero(y >= hi)[0])
        t_up_hi = crossing_time(t, y, i1 - 1, hi) if i1 > 0 else float(t[i1])
        i2 = int(np.flatnonzero(y >= hi)[-1])
        t_down_hi = crossing_time(t, y, i2, hi)
        t_down_lo = crossing_time(t, y, len(t) - 2, lo)
        ramp = p.high_fraction - p.low_fraction
        lift_s = (t_up_hi - t_up_lo) / ramp
        lower_s = (t_down_lo - t_down_hi) / ramp
        hold_start = t_up_hi + (1.0 - p.high_fraction) * lift_s
        hold_end = t_down_hi - (1.0 - p.high_fraction) * lower_s
        hold_s = hold_end - hold_start
        in_hold = (t >= hold_start) & (t <= hold_end)
        flags = []
        if hold_s < p.min_hold_s:
            flags.append("hold_too_short")
        if lower_s < p.min_lower_s:
            flags.append("lowered_too_fast")
        return {
            "start_s": t_up_lo - p.low_fraction * lift_s,
            "end_s": t_down_lo + p.low_fraction * lower_s,
            "peak_dorsiflexion_rad": peak,
            "flags": flags,
            "hold_s": hold_s,
            "lower_s": lower_s,
            "hold_start_s": hold_start,
            "hold_end_s": hold_end,
            "mean_hold_dorsiflexion_rad": float(np.nanmean(y[in_hold])) if np.any(in_hold) else peak,
        }

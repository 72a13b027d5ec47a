"""Band mobilisation (standing lunge with a band): a rep is a forward excursion of the ankle and back."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from processing.exercises._crossing import first_where
from sensors.samples import Role

FloatArray = NDArray[np.float64]

NAME = "band_mobilisation"
PRIMARY_ROLE: Role = "shin"
FIRST_EXCURSION_SIGN = {"shin": +1, "foot": +1}  # the shin tilts forward; a foot that moves lifts its heel


@dataclass(frozen=True)
class BandParams:
    """Hysteresis of the rep counter: a rep goes above on_rad and comes back below off_rad."""

    on_rad: float = math.radians(12.0)
    off_rad: float = math.radians(5.0)


class BandMobilisation:
    """Counts lunge reps on the dorsiflexion stream; emits a "rep" event when the ankle comes back."""

    def __init__(self, params: BandParams | None = None) -> None:
        self.params = params or BandParams()
        self.reps: list[dict[str, Any]] = []
        self._out = False
        self._last_low_t: float | None = None
        self._start_t = 0.0
        self._peak = -math.inf

    def step(self, t_s: FloatArray, dorsiflexion_rad: FloatArray) -> list[Event]:
        """Feed consecutive grid samples t_s (N,) s, dorsiflexion_rad (N,) rad (NaN = unknown)."""
        p = self.params
        events: list[Event] = []
        i, n = 0, len(t_s)
        while i < n:
            if not self._out:
                hit = first_where(dorsiflexion_rad, i, lambda y: y > p.on_rad)
                stop = n if hit is None else hit
                lows = np.flatnonzero(dorsiflexion_rad[i:stop] <= p.off_rad)
                if lows.size:
                    self._last_low_t = float(t_s[i + lows[-1]])
                if hit is None:
                    break
                self._out = True
                self._peak = -math.inf
                self._start_t = self._last_low_t if self._last_low_t is not None else float(t_s[hit])
                i = hit
            else:
                hit = first_where(dorsiflexion_rad, i, lambda y: y < p.off_rad)
                stop = n if hit is None else hit
                seg = dorsiflexion_rad[i:stop]
                if np.any(np.isfinite(seg)):
                    self._peak = max(self._peak, float(np.nanmax(seg)))
                if hit is None:
                    break
                end_t = float(t_s[hit])
                data: dict[str, Any] = {
                    "start_s": self._start_t,
                    "end_s": end_t,
                    "peak_dorsiflexion_rad": self._peak,
                    "flags": [],
                }
                self.reps.append(data)
                events.append(Event("rep", end_t, data))
                self._out = False
                self._last_low_t = end_t
                i = hit
        return events

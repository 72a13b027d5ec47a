"""Small helpers shared by the exercise analysers: level crossings on a sampled angle trace."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def crossing_time(t_s: FloatArray, y: FloatArray, i: int, level: float) -> float:
    """Time (s) at which y crosses level between samples i and i + 1, by linear interpolation.

    Falls back to t_s[i] when the step is flat, non-finite, or i is the last sample.
    """
    if i + 1 >= len(t_s):
        return float(t_s[i])
    dy = float(y[i + 1] - y[i])
    if not np.isfinite(dy) or dy == 0.0:
        return float(t_s[i])
    frac = float(np.clip((level - y[i]) / dy, 0.0, 1.0))
    return float(t_s[i] + frac * (t_s[i + 1] - t_s[i]))


def first_where(y: FloatArray, start: int, predicate: Callable[[FloatArray], NDArray[np.bool_]]) -> int | None:
    """Index of the first y[k], k >= start, for which predicate holds, or None.

    Scans in growing windows, so finding a nearby crossing costs little however long y is.
    """
    width = 256
    lo = start
    while lo < len(y):
        hi = min(len(y), lo + width)
        hits = np.flatnonzero(predicate(y[lo:hi]))
        if hits.size:
            return lo + int(hits[0])
        lo, width = hi, width * 2
    return None

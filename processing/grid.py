"""Merge two sensors' streams, each at its own timestamps, onto one common output grid (k / rate_hz)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sensors.samples import ROLES, Role

FloatArray = NDArray[np.float64]


class GridMerger:
    """Linear interpolation of per-sensor values onto a fixed grid, emitted once both sensors are past it.

    Parameters
    ----------
    rate_hz : output rate, Hz.
    n_values : values per sample.
    max_gap_s : grid points inside a gap of a sensor longer than this get NaN, s.
    """

    def __init__(self, rate_hz: float = 100.0, n_values: int = 2, max_gap_s: float = 0.1) -> None:
        self.rate_hz = rate_hz
        self.max_gap_s = max_gap_s
        self._t: dict[Role, FloatArray] = {r: np.zeros(0) for r in ROLES}
        self._v: dict[Role, FloatArray] = {r: np.zeros((0, n_values)) for r in ROLES}
        self._next_k: int | None = None

    def push(self, role: Role, t_s: FloatArray, values: FloatArray) -> None:
        """Add samples of one sensor: t_s (N,) s increasing, values (N, n_values)."""
        self._t[role] = np.concatenate([self._t[role], t_s])
        self._v[role] = np.concatenate([self._v[role], values])

    def pop(self) -> tuple[FloatArray, dict[Role, FloatArray]]:
        """Grid times (M,) s and per-sensor values (M, n_values) for every grid point now covered by both."""
        if any(len(self._t[r]) == 0 for r in ROLES):
            return np.zeros(0), {r: self._v[r][:0] for r in ROLES}
        if self._next_k is None:
            self._next_k = math.ceil(max(float(self._t[r][0]) for r in ROLES) * self.rate_hz)
        last = math.floor(min(float(self._t[r][-1]) for r in ROLES) * self.rate_hz)
        k = np.arange(self._next_k, last + 1)
        tk = k / self.rate_hz
        out: dict[Role, FloatArray] = {}
        for r in ROLES:
            t, v = self._t[r], self._v[r]
            i = np.clip(np.searchsorted(t, tk, side="right") - 1, 0, len(t) - 1)
            j = np.minimum(i + 1, len(t) - 1)
            span = t[j] - t[i]
            frac = np.where(span > 0, (tk - t[i]) / np.where(span > 0, span, 1.0), 0.0)
            vals = v[i] + frac[:, None] * (v[j] - v[i])
            vals[(span > self.max_gap_s) & (tk > t[i])] = np.nan
            out[r] = vals
        if len(k):
            self._next_k = int(k[-1]) + 1
        next_t = self._next_k / self.rate_hz
        for r in ROLES:
            keep = max(int(np.searchsorted(self._t[r], next_t, side="right")) - 1, 0)
            self._t[r], self._v[r] = self._t[r][keep:], self._v[r][keep:]
        return tk, out

"""Sensor clock -> session clock: offset and drift fitted to the lower envelope of BLE arrival times."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def lower_hull(x_in: ArrayLike, y_in: ArrayLike) -> list[int]:
    """Indices of the lower convex hull of points sorted by increasing x (Andrew's monotone chain)."""
    x: list[float] = np.asarray(x_in, dtype=np.float64).tolist()
    y: list[float] = np.asarray(y_in, dtype=np.float64).tolist()
    hull: list[int] = []
    for i in range(len(x)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop b when it lies on or above the segment a -> i
            if (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a]) <= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    return hull


class ClockAligner:
    """Maps one sensor's clock onto the session clock from (sensor time, arrival time) pairs.

    Arrivals are never early: each arrival is the sensor time mapped onto the session clock plus a
    non-negative delay (connection interval, host scheduling, bursts after retransmissions). The fit is the
    line under every observation that is closest to them on average (the lower-envelope edge at the mean
    sensor time), so late bursts never pull it. Only the earliest arrival per `bin_s` of sensor time is kept,
    over the last `window_s`, which bounds memory and follows slow drift changes. Before `min_span_s` of
    observations the drift is taken as zero. Session times are the sensor times shifted by the smallest
    delay seen (the unknowable constant part of the latency is left in).

    Parameters
    ----------
    bin_s : sensor-time bin width for keeping the earliest arrival, s.
    window_s : span of sensor time the fit uses, s.
    min_span_s : sensor-time span needed before the drift is fitted, s.
    max_drift_ppm : drift estimates are clamped to +- this, ppm.
    """

    def __init__(
        self,
        *,
        bin_s: float = 0.5,
        window_s: float = 600.0,
        min_span_s: float = 5.0,
        max_drift_ppm: float = 500.0,
    ) -> None:
        self.bin_s = bin_s
        self.window_s = window_s
        self.min_span_s = min_span_s
        self.max_drift = max_drift_ppm * 1e-6
        self._bins: dict[int, tuple[float, float]] = {}  # bin -> (sensor_t, arrival - sensor_t), earliest
        self._dirty = False
        self._offset_s = math.nan  # session = sensor + offset + drift * (sensor - ref)
        self._drift = 0.0
        self._ref_s = 0.0
        self._last_out = -math.inf
        self._last_sensor = -math.inf
        self._fit_sensor = -math.inf  # newest sensor time when the fit was last made
        self.resets = 0

    @property
    def ready(self) -> bool:
        """True once at least one observation has been added."""
        return bool(self._bins)

    @property
    def drift_ppm(self) -> float:
        """Current estimate of the sensor clock's rate error, ppm (positive: the sensor clock runs fast)."""
        self._refit()
        return -self._drift / (1.0 + self._drift) * 1e6

    @property
    def offset_s(self) -> float:
        """Session time of sensor time 0 under the current fit, s."""
        self._refit()
        return self._offset_s - self._drift * self._ref_s

    def reset(self) -> None:
        """Forget every observation (the sensor clock restarted)."""
        self._bins.clear()
        self._offset_s = math.nan
        self._drift = 0.0
        self._dirty = False
        self._last_sensor = -math.inf
        self._fit_sensor = -math.inf
        self.resets += 1

    def add(self, sensor_t_s: float, arrival_s: float) -> None:
        """Add one observation: a sample's sensor time and the session time its notification arrived."""
        if sensor_t_s < self._last_sensor - 10.0:
            self.reset()  # the sensor clock went back: it rebooted
        self._last_sensor = max(self._last_sensor, sensor_t_s)
        key = math.floor(sensor_t_s / self.bin_s)
        late = arrival_s - sensor_t_s
        prev = self._bins.get(key)
        if prev is None or late < prev[1]:
            self._bins[key] = (sensor_t_s, late)
            self._dirty = True
            if prev is None:
                oldest = math.floor((sensor_t_s - self.window_s) / self.bin_s)
                for k in [k for k in self._bins if k < oldest]:
                    del self._bins[k]
        if math.isnan(self._offset_s):
            self._refit()

    def _refit(self, *, at_most_per_bin: bool = False) -> None:
        """Fit the line again; with `at_most_per_bin`, not before bin_s more of sensor time (a fit of the
        window's points costs about a millisecond, and within bin_s the drift moves it by microseconds)."""
        if not self._dirty:
            return
        if at_most_per_bin and self._last_sensor - self._fit_sensor < self.bin_s:
            return
        self._dirty = False
        self._fit_sensor = self._last_sensor
        pts = np.array(sorted(self._bins.values()))
        x, y = pts[:, 0], pts[:, 1]
        ref = float(x.mean())
        slope = 0.0
        if x[-1] - x[0] >= self.min_span_s:
            hull = lower_hull(x, y)
            for a, b in zip(hull[:-1], hull[1:], strict=True):
                if x[a] <= ref <= x[b]:
                    slope = (y[b] - y[a]) / (x[b] - x[a])
                    break
            slope = float(np.clip(slope, -self.max_drift, self.max_drift))
        self._drift = slope
        self._ref_s = ref
        self._offset_s = float(np.min(y - slope * (x - ref)))

    def to_session(self, sensor_t_s: ArrayLike) -> NDArray[np.float64]:
        """Map sensor times (s) onto the session clock (s); outputs never decrease across calls."""
        t = np.asarray(sensor_t_s, dtype=np.float64)
        if not self.ready:
            raise RuntimeError("ClockAligner has no observations yet: add() at least one before mapping")
        self._refit(at_most_per_bin=True)
        out = t + self._offset_s + self._drift * (t - self._ref_s)
        if out.size:
            # a refit may move the mapping back by a little: keep time monotonic, 1 us apart at least
            out = np.maximum(out, self._last_out + 1e-6 * np.arange(1, out.size + 1))
            self._last_out = float(out[-1])
        return out

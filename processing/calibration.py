"""Calibration from the opening neutral stance (>= 3 s still in both sensors): verticals, gyro biases."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from sensors.samples import ROLES, Role

FloatArray = NDArray[np.float64]


class CalibrationError(ValueError):
    """The recording has no usable neutral stance (the message says what to do)."""


@dataclass(frozen=True)
class StillnessThresholds:
    """When a sensor counts as still, judged per window of window_s on the session clock.

    Attributes
    ----------
    window_s : window length, s.
    still_s : stillness needed in both sensors to calibrate, s.
    gyr_std_max_rad_s : per-axis standard deviation of the angular rate, rad/s.
    gyr_mean_max_rad_s : norm of the mean angular rate (gyro bias plus slow motion), rad/s.
    acc_std_max_m_s2 : norm of the per-axis standard deviations of the specific force, m/s^2.
    acc_norm_tolerance_m_s2 : allowed deviation of the mean specific force from 9.81 m/s^2.
    drift_max_rad : allowed change of the gravity direction within the still run, rad.
    posture_tolerance_rad : after a failed attempt, a new stance counts only if each sensor's gravity direction
        is within this angle of the failed attempt's (the person is back in the same neutral posture, not
        still in the middle of an exercise, e.g. at the top of an eccentric drop), rad.
    attempt_min_s : a still run this long (s) that ends before still_s is reported as a failed attempt.
    min_samples : fewer samples in a window (a gap) make the window not still.
    """

    window_s: float = 0.5
    still_s: float = 3.0
    gyr_std_max_rad_s: float = 0.06
    gyr_mean_max_rad_s: float = 0.08
    acc_std_max_m_s2: float = 0.25
    acc_norm_tolerance_m_s2: float = 1.0
    drift_max_rad: float = math.radians(3.0)
    posture_tolerance_rad: float = math.radians(5.0)
    attempt_min_s: float = 1.0
    min_samples: int = 3


@dataclass(frozen=True)
class SensorCalibration:
    """One sensor's calibration.

    Attributes
    ----------
    up : (3,) unit vector, earth up in the sensor frame during the stance.
    gyr_bias_rad_s : (3,) mean angular rate during the stance, rad/s.
    rate_hz : sampling rate from the median sample interval of the stance, Hz.
    """

    up: FloatArray
    gyr_bias_rad_s: FloatArray
    rate_hz: float


@dataclass(frozen=True)
class Calibration:
    """The neutral stance used: its session times (s) and per-sensor results."""

    start_s: float
    end_s: float
    sensors: dict[Role, SensorCalibration]


@dataclass
class RawBuffer:
    """Raw samples of one sensor kept until calibration: t (N,) s, acc (N, 3), gyr (N, 3)."""

    t_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    acc: FloatArray = field(default_factory=lambda: np.zeros((0, 3)))
    gyr: FloatArray = field(default_factory=lambda: np.zeros((0, 3)))

    def append(self, t_s: FloatArray, acc: FloatArray, gyr: FloatArray) -> None:
        """Add samples at the end."""
        self.t_s = np.concatenate([self.t_s, t_s])
        self.acc = np.concatenate([self.acc, acc])
        self.gyr = np.concatenate([self.gyr, gyr])

    def since(self, t_s: float) -> RawBuffer:
        """Samples at or after t_s (s)."""
        i = int(np.searchsorted(self.t_s, t_s, side="left"))
        return RawBuffer(self.t_s[i:], self.acc[i:], self.gyr[i:])

    def between(self, t0_s: float, t1_s: float) -> RawBuffer:
        """Samples with t0_s <= t < t1_s (s)."""
        i, j = np.searchsorted(self.t_s, [t0_s, t1_s], side="left")
        return RawBuffer(self.t_s[i:j], self.acc[i:j], self.gyr[i:j])


def _window_still(w: RawBuffer, th: StillnessThresholds) -> tuple[bool, FloatArray]:
    """Whether one window of one sensor is still, and its mean specific force direction (3,)."""
    if len(w.t_s) < th.min_samples:
        return False, np.full(3, np.nan)
    acc_mean = w.acc.mean(axis=0)
    norm = float(np.linalg.norm(acc_mean))
    still = (
        bool(np.all(w.gyr.std(axis=0) < th.gyr_std_max_rad_s))
        and float(np.linalg.norm(w.gyr.mean(axis=0))) < th.gyr_mean_max_rad_s
        and float(np.linalg.norm(w.acc.std(axis=0))) < th.acc_std_max_m_s2
        and abs(norm - 9.81) < th.acc_norm_tolerance_m_s2
    )
    return still, acc_mean / max(norm, 1e-9)


def _angle(a: FloatArray, b: FloatArray) -> float:
    """Angle between two unit vectors, rad."""
    return math.acos(float(np.clip(np.dot(a, b), -1.0, 1.0)))


class CalibrationDetector:
    """Finds the first run of still_s in which both sensors are still, window by window.

    Windows are fixed on the session clock (k * window_s), and a window is judged once both sensors have a
    sample past its end, so the result does not depend on how the samples were split into blocks.
    """

    def __init__(self, thresholds: StillnessThresholds | None = None) -> None:
        self.thresholds = thresholds or StillnessThresholds()
        self.buffers: dict[Role, RawBuffer] = {r: RawBuffer() for r in ROLES}
        self.calibration: Calibration | None = None
        self.failed_attempts = 0
        self._next_k: int | None = None
        self._run_start_k: int | None = None
        self._run_len = 0
        self._run_dirs: dict[Role, FloatArray] = {}
        self._posture: dict[Role, FloatArray] | None = None

    @property
    def still_s(self) -> float:
        """How long both sensors have been still so far in the current attempt, s (0 once calibrated)."""
        return 0.0 if self.calibration is not None else self._run_len * self.thresholds.window_s

    def feed(self, role: Role, t_s: FloatArray, acc: FloatArray, gyr: FloatArray) -> list[Event]:
        """Add samples of one sensor; return the calibration events that this completes (in time order)."""
        if self.calibration is not None:
            self.buffers[role].append(t_s, acc, gyr)
            return []
        self.buffers[role].append(t_s, acc, gyr)
        if any(len(self.buffers[r].t_s) == 0 for r in ROLES):
            return []
        w = self.thresholds.window_s
        if self._next_k is None:
            self._next_k = int(math.floor(min(float(self.buffers[r].t_s[0]) for r in ROLES) / w))
        last_complete = min(int(math.floor(float(self.buffers[r].t_s[-1]) / w)) - 1 for r in ROLES)
        events: list[Event] = []
        while self._next_k <= last_complete and self.calibration is None:
            ev = self._judge(self._next_k)
            if ev is not None:
                events.append(ev)
            self._next_k += 1
        if self.calibration is None:
            keep_from = (self._run_start_k if self._run_start_k is not None else self._next_k) * w
            for r in ROLES:
                self.buffers[r] = self.buffers[r].since(keep_from)
        return events

    def _judge(self, k: int) -> Event | None:
        th = self.thresholds
        w = th.window_s
        judged = {r: _window_still(self.buffers[r].between(k * w, (k + 1) * w), th) for r in ROLES}
        still = all(s for s, _ in judged.values())
        if still and self._run_start_k is not None:
            drift = max(_angle(judged[r][1], self._run_dirs[r]) for r in ROLES)
            if drift <= th.drift_max_rad:
                self._run_len += 1
                return self._maybe_calibrate(k)
        event = None
        if self._run_start_k is not None and self._run_len * w >= th.attempt_min_s:
            self.failed_attempts += 1
            if self._posture is None:
                self._posture = dict(self._run_dirs)
            event = Event(
                "calibration_failed",
                k * w,
                {
                    "reason": (
                        f"moved after {self._run_len * w:.1f} s of the neutral stance: stand still, shin "
                        f"vertical and foot flat, for {th.still_s:.0f} s"
                    ),
                    "still_s": self._run_len * w,
                },
            )
        if still and self._posture is not None:
            still = all(_angle(judged[r][1], self._posture[r]) <= th.posture_tolerance_rad for r in ROLES)
        if still:
            self._run_start_k, self._run_len = k, 1
            self._run_dirs = {r: judged[r][1] for r in ROLES}
            self._maybe_calibrate(k)
        else:
            self._run_start_k, self._run_len = None, 0
        return event

    def _maybe_calibrate(self, k: int) -> Event | None:
        th = self.thresholds
        if self._run_start_k is None or self._run_len < round(th.still_s / th.window_s):
            return None
        start, end = self._run_start_k * th.window_s, (k + 1) * th.window_s
        sensors: dict[Role, SensorCalibration] = {}
        for r in ROLES:
            b = self.buffers[r].between(start, end)
            acc_mean = b.acc.mean(axis=0)
            sensors[r] = SensorCalibration(
                acc_mean / np.linalg.norm(acc_mean),
                b.gyr.mean(axis=0),
                float(1.0 / np.median(np.diff(b.t_s))),
            )
        self.calibration = Calibration(start, end, sensors)
        return Event("calibrated", end, {"start_s": start, "end_s": end})

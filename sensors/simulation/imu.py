"""IMU error model (bias with random walk, scale and axis misalignment, white noise) and the sensor MotionSource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
DEG = np.pi / 180.0


@dataclass(frozen=True)
class ErrorModel:
    """Which sensor and link errors a simulation includes, and how large they may be.

    Each error can be switched off on its own; `ErrorModel.clean()` switches every one off (ideal sensors on
    the true clock, no loss; int16 quantisation too) and `ErrorModel()` is the realistic default except packet
    loss, which is off unless asked for.

    Attributes
    ----------
    bias : constant gyro and accelerometer biases (gyro uniform up to gyro_bias_max_deg_s per axis).
    bias_walk : the gyro bias random-walks (gyro_bias_walk_deg_s_per_sqrt_s).
    scale : per-axis scale-factor errors (uniform up to scale_max).
    misalignment : non-orthogonal sensitivity axes (off-diagonal terms uniform up to misalignment_max).
    white_noise : white measurement noise (gyro_noise_deg_s, acc_noise_m_s2 per sample).
    quantisation : int16 quantisation at the dorsi profile's default full-scale ranges.
    clocks : independent sensor clocks (offset, drift up to clock_drift_max_ppm), BLE-like arrivals, and
        t_s mapped onto the session clock by sensors.clock.ClockAligner as the app does.
    packet_loss : bursts of lost 4-sample packets (loss_bursts_per_min on average, each loss_burst_s long).
    """

    bias: bool = True
    bias_walk: bool = True
    scale: bool = True
    misalignment: bool = True
    white_noise: bool = True
    quantisation: bool = True
    clocks: bool = True
    packet_loss: bool = False
    gyro_bias_max_deg_s: float = 0.6
    gyro_bias_walk_deg_s_per_sqrt_s: float = 0.003
    acc_bias_max_m_s2: float = 0.05
    scale_max: float = 0.01
    misalignment_max: float = 0.01
    gyro_noise_deg_s: float = 0.23
    acc_noise_m_s2: float = 0.02
    clock_drift_max_ppm: float = 100.0
    loss_bursts_per_min: float = 3.0
    loss_burst_s: tuple[float, float] = (0.05, 0.5)

    @staticmethod
    def clean() -> ErrorModel:
        """No errors at all: ideal sensors, true timestamps, no loss, no quantisation."""
        return ErrorModel(False, False, False, False, False, False, False, False)

    @property
    def imu(self) -> bool:
        """True if any IMU error (bias, walk, scale, misalignment, noise) is on."""
        return self.bias or self.bias_walk or self.scale or self.misalignment or self.white_noise


@dataclass
class ImuErrors:
    """Errors of one sensor: measured = sensitivity @ true + bias(t) + noise, for acc and gyro.

    Attributes
    ----------
    gyr_bias_rad_s, acc_bias_m_s2 : (3,) constant biases.
    gyr_sensitivity, acc_sensitivity : (3, 3) sensitivity matrices (identity = ideal; the diagonal holds the
        scale factors, the off-diagonal terms the axis misalignment).
    gyr_noise_rad_s, acc_noise_m_s2 : white noise standard deviations per sample.
    gyr_bias_walk_rad_s : random-walk intensity of the gyro bias, rad/s per sqrt(s).
    walk_seed : seed of the bias random walk (the same walk for every MotionSource of this sensor).
    """

    gyr_bias_rad_s: FloatArray
    acc_bias_m_s2: FloatArray
    gyr_sensitivity: FloatArray
    acc_sensitivity: FloatArray
    gyr_noise_rad_s: float
    acc_noise_m_s2: float
    gyr_bias_walk_rad_s: float = 0.0
    walk_seed: int = 0

    @staticmethod
    def none() -> ImuErrors:
        """An ideal sensor."""
        return ImuErrors(np.zeros(3), np.zeros(3), np.eye(3), np.eye(3), 0.0, 0.0)

    @staticmethod
    def random(rng: np.random.Generator, noise: bool = True, model: ErrorModel | None = None) -> ImuErrors:
        """Draw one sensor's errors from `model` (default ErrorModel()); noise=False gives an ideal sensor."""
        m = ErrorModel() if model is None else model
        if not noise:
            return ImuErrors.none()
        gyr_bias = rng.uniform(-1.0, 1.0, 3) * m.gyro_bias_max_deg_s * DEG
        acc_bias = rng.uniform(-1.0, 1.0, 3) * m.acc_bias_max_m_s2
        sens = []
        for _ in range(2):
            s = np.eye(3)
            scale = rng.uniform(-1.0, 1.0, 3) * m.scale_max
            skew = rng.uniform(-1.0, 1.0, (3, 3)) * m.misalignment_max
            if m.scale:
                s += np.diag(scale)
            if m.misalignment:
                s += skew - np.diag(np.diag(skew))
            sens.append(s)
        walk_seed = int(rng.integers(2**31))
        return ImuErrors(
            gyr_bias if m.bias else np.zeros(3),
            acc_bias if m.bias else np.zeros(3),
            sens[0],
            sens[1],
            m.gyro_noise_deg_s * DEG if m.white_noise else 0.0,
            m.acc_noise_m_s2 if m.white_noise else 0.0,
            m.gyro_bias_walk_deg_s_per_sqrt_s * DEG if m.bias_walk else 0.0,
            walk_seed,
        )


class BiasWalk:
    """A random walk (3 axes) evaluable at any time >= 0: knots every knot_s, linear in between.

    The knots are drawn in fixed-size batches from one generator, so the walk is the same whatever times it
    is asked for and in whatever order.
    """

    BATCH = 1024

    def __init__(self, intensity_per_sqrt_s: float, seed: int, knot_s: float = 1.0) -> None:
        self.intensity = intensity_per_sqrt_s
        self.knot_s = knot_s
        self._rng = np.random.default_rng(seed)
        self._knots = np.zeros((1, 3))

    def __call__(self, t_s: FloatArray) -> FloatArray:
        """Bias (N, 3) at times t_s (s); zero at t = 0."""
        t = np.maximum(np.asarray(t_s, dtype=np.float64), 0.0)
        if self.intensity == 0.0 or t.size == 0:
            return np.zeros((t.size, 3))
        need = int(np.max(t) / self.knot_s) + 2
        while len(self._knots) < need:
            steps = self._rng.normal(0.0, self.intensity * np.sqrt(self.knot_s), (self.BATCH, 3))
            self._knots = np.vstack([self._knots, self._knots[-1] + np.cumsum(steps, axis=0)])
        x = t / self.knot_s
        i = np.minimum(x.astype(np.int64), len(self._knots) - 2)
        frac = (x - i)[:, None]
        return np.asarray(self._knots[i] * (1.0 - frac) + self._knots[i + 1] * frac)


class Kinematics(Protocol):
    """What moves a sensor: its error-free readings in the segment (or sensor) frame at any true time."""

    duration_s: float | None

    def ideal_imu(self, role: str, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Specific force (N, 3) m/s^2 and angular rate (N, 3) rad/s of `role` at true times t_s (s)."""
        ...


class SensorMotion:
    """The MotionSource of one sensor: kinematics, mounting rotation and sensor errors; endless or scripted.

    Parameters
    ----------
    kinematics : the leg's motion (or a calibration tumble).
    role : "shin" or "foot".
    mounting : (3, 3) rotation sensor frame -> segment frame.
    errors : the sensor's error model.
    seed : seed of the white noise generator.
    """

    def __init__(self, kinematics: Kinematics, role: str, mounting: FloatArray, errors: ImuErrors, seed: int) -> None:
        self.kinematics = kinematics
        self.role = role
        self.mounting = np.asarray(mounting, dtype=np.float64)
        self.errors = errors
        self.duration_s: float | None = kinematics.duration_s
        self._rng = np.random.default_rng(seed)
        self._walk = BiasWalk(errors.gyr_bias_walk_rad_s, errors.walk_seed)

    def ideal(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Error-free acc (N, 3) m/s^2 and gyr (N, 3) rad/s in the sensor frame at true times t_s (s)."""
        f_seg, w_seg = self.kinematics.ideal_imu(self.role, np.asarray(t_s, dtype=np.float64))
        return f_seg @ self.mounting, w_seg @ self.mounting

    def gyro_bias(self, t_s: FloatArray) -> FloatArray:
        """Gyro bias (N, 3) rad/s at true times t_s (s): the constant part plus the random walk."""
        return self.errors.gyr_bias_rad_s + self._walk(t_s)

    def sample(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Acc (N, 3) m/s^2 and gyr (N, 3) rad/s in the sensor frame at true times t_s (s), with errors."""
        t = np.asarray(t_s, dtype=np.float64)
        acc, gyr = self.ideal(t)
        e = self.errors
        n = acc.shape[0]
        acc = acc @ e.acc_sensitivity.T + e.acc_bias_m_s2
        gyr = gyr @ e.gyr_sensitivity.T + self.gyro_bias(t)
        if e.acc_noise_m_s2 > 0.0:
            acc = acc + self._rng.normal(0.0, e.acc_noise_m_s2, (n, 3))
        if e.gyr_noise_rad_s > 0.0:
            gyr = gyr + self._rng.normal(0.0, e.gyr_noise_rad_s, (n, 3))
        return acc, gyr

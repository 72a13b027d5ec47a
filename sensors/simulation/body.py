"""Two-segment leg kinematics (shin about the ankle, foot about the heel) and the IMU readings it produces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sensors.simulation.trajectory import Channel

FloatArray = NDArray[np.float64]
GRAVITY_M_S2 = 9.81

# Segment frames (neutral stance): x anterior, y left, z up; earth frame the same up to the facing direction.
ANKLE_FROM_HEEL_M = np.array([0.05, 0.0, 0.08])  # foot frame
FOOT_SENSOR_FROM_HEEL_M = np.array([0.13, 0.0, 0.07])  # foot frame, on the dorsum
SHIN_SENSOR_FROM_ANKLE_M = np.array([0.04, 0.0, 0.30])  # shin frame, front of the shin


def rot_x(a: FloatArray) -> FloatArray:
    """Rotation matrices about x, (N, 3, 3), angles a (N,) rad."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def rot_y(a: FloatArray) -> FloatArray:
    """Rotation matrices about y, (N, 3, 3), angles a (N,) rad."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def rot_z(a: FloatArray) -> FloatArray:
    """Rotation matrices about z, (N, 3, 3), angles a (N,) rad."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


@dataclass
class LegKinematics:
    """Segment angles of one leg over time.

    Each segment's orientation (segment to earth) is Rz(heading) Ry(pitch) Rx(roll): pitch about the
    mediolateral axis (y, pointing left; + = shin top forward, or toes down), roll about the segment's
    anterior axis. Dorsiflexion = shin pitch - foot pitch; inversion = side sign * (foot roll - shin roll).
    The heel contact point is fixed in the world; the foot pivots about it and carries the ankle.

    Attributes
    ----------
    shin_pitch, shin_roll, foot_pitch, foot_roll : angle channels, rad.
    heading_rad : facing direction of the person about earth z, rad.
    side_sign : +1 for the right leg, -1 for the left.
    duration_s : end of the script, s (None = endless).
    """

    shin_pitch: Channel
    shin_roll: Channel
    foot_pitch: Channel
    foot_roll: Channel
    heading_rad: float
    side_sign: int
    duration_s: float | None

    def _orientation(self, pitch: Channel, roll: Channel, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        th, dth, _ = pitch.evaluate(t)
        ph, dph, _ = roll.evaluate(t)
        r = rot_z(np.full(t.shape, self.heading_rad)) @ rot_y(th) @ rot_x(ph)
        # body-frame angular velocity of Ry(th) Rx(ph): Rx(ph)^T [0, dth, 0] + [dph, 0, 0]
        w = np.stack([dph, dth * np.cos(ph), -dth * np.sin(ph)], axis=-1)
        return r, w

    def segment(self, role: str, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Orientation (N, 3, 3) segment to earth and body-frame angular velocity (N, 3) rad/s."""
        if role == "shin":
            return self._orientation(self.shin_pitch, self.shin_roll, t_s)
        return self._orientation(self.foot_pitch, self.foot_roll, t_s)

    def sensor_position(self, role: str, t_s: FloatArray) -> FloatArray:
        """World position (N, 3) m of the sensor on a segment, relative to the heel contact point."""
        return self._position(role, self.segment("foot", t_s)[0], self.segment("shin", t_s)[0])

    @staticmethod
    def _position(role: str, r_foot: FloatArray, r_shin: FloatArray) -> FloatArray:
        if role == "foot":
            return np.asarray(r_foot @ FOOT_SENSOR_FROM_HEEL_M, dtype=np.float64)
        return np.asarray(r_foot @ ANKLE_FROM_HEEL_M + r_shin @ SHIN_SENSOR_FROM_ANKLE_M, dtype=np.float64)

    def ideal_imu(self, role: str, t_s: FloatArray, step_s: float = 1e-3) -> tuple[FloatArray, FloatArray]:
        """Error-free specific force (N, 3) m/s^2 and angular rate (N, 3) rad/s in the segment frame.

        The sensor's linear acceleration is the central second difference of its analytic position (step
        step_s), accurate to about 1e-6 m/s^2 for these smooth trajectories.
        """
        t = np.asarray(t_s, dtype=np.float64)
        n = len(t)
        t3 = np.concatenate([t - step_s, t, t + step_s])
        (r_foot, w_foot), (r_shin, w_shin) = self.segment("foot", t3), self.segment("shin", t3)
        p = self._position(role, r_foot, r_shin)
        lin_acc = (p[:n] - 2.0 * p[n : 2 * n] + p[2 * n :]) / step_s**2
        f_world = lin_acc + np.array([0.0, 0.0, GRAVITY_M_S2])
        r, w = (r_foot, w_foot) if role == "foot" else (r_shin, w_shin)
        r, w = r[n : 2 * n], w[n : 2 * n]
        return (np.swapaxes(r, 1, 2) @ f_world[:, :, None])[:, :, 0], w

    def angles(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """True ankle dorsiflexion and inversion (N,) rad at times t_s (s)."""
        t = np.asarray(t_s, dtype=np.float64)
        df = self.shin_pitch.evaluate(t)[0] - self.foot_pitch.evaluate(t)[0]
        inv = self.side_sign * (self.foot_roll.evaluate(t)[0] - self.shin_roll.evaluate(t)[0])
        return df, inv


@dataclass
class ImuErrors:
    """Sensor errors: constant biases, scale factors, white noise (per sample standard deviations)."""

    gyr_bias_rad_s: FloatArray
    acc_bias_m_s2: FloatArray
    gyr_scale: FloatArray
    acc_scale: FloatArray
    gyr_noise_rad_s: float
    acc_noise_m_s2: float

    @staticmethod
    def random(rng: np.random.Generator, noise: bool = True) -> ImuErrors:
        """Typical consumer MEMS errors (gyro bias ~0.6 deg/s, acc bias ~0.03 m/s^2), or none."""
        if not noise:
            return ImuErrors(np.zeros(3), np.zeros(3), np.ones(3), np.ones(3), 0.0, 0.0)
        return ImuErrors(
            rng.normal(0.0, 0.01, 3),
            rng.normal(0.0, 0.03, 3),
            1.0 + rng.normal(0.0, 0.003, 3),
            1.0 + rng.normal(0.0, 0.003, 3),
            0.004,
            0.02,
        )


def random_mounting(rng: np.random.Generator, max_tilt_rad: float = np.radians(10.0)) -> FloatArray:
    """Random sensor-to-segment rotation (3, 3).

    The board in any of 24 axis-aligned poses, any rotation about the segment's z axis (the limb axis of the
    shin, the dorsum normal of the foot) and a tilt of up to max_tilt_rad about a random horizontal axis.
    """
    perms = [
        p for p in (np.eye(3)[list(o)] * np.array(s)[:, None] for o in _PERMS for s in _SIGNS) if np.linalg.det(p) > 0
    ]
    base = perms[int(rng.integers(len(perms)))]
    limb = rot_z(np.array([rng.uniform(0.0, 2.0 * np.pi)]))[0]
    axis_angle = rng.uniform(0.0, 2.0 * np.pi)
    tilt = rng.uniform(0.0, max_tilt_rad)
    tilt_r = rot_z(np.array([axis_angle]))[0] @ rot_x(np.array([tilt]))[0] @ rot_z(np.array([-axis_angle]))[0]
    return np.asarray(limb @ tilt_r @ base)


_PERMS = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
_SIGNS = [(a, b, c) for a in (1, -1) for b in (1, -1) for c in (1, -1)]


class SensorMotion:
    """The MotionSource of one sensor: kinematics, mounting rotation and sensor errors; endless or scripted.

    Parameters
    ----------
    kinematics : the leg's motion.
    role : "shin" or "foot".
    mounting : (3, 3) rotation sensor frame -> segment frame.
    errors : the sensor's error model.
    seed : seed of the noise generator.
    """

    def __init__(
        self, kinematics: LegKinematics, role: str, mounting: FloatArray, errors: ImuErrors, seed: int
    ) -> None:
        self.kinematics = kinematics
        self.role = role
        self.mounting = np.asarray(mounting, dtype=np.float64)
        self.errors = errors
        self.duration_s: float | None = kinematics.duration_s
        self._rng = np.random.default_rng(seed)

    def ideal(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Error-free acc (N, 3) m/s^2 and gyr (N, 3) rad/s in the sensor frame at true times t_s (s)."""
        f_seg, w_seg = self.kinematics.ideal_imu(self.role, np.asarray(t_s, dtype=np.float64))
        return f_seg @ self.mounting, w_seg @ self.mounting

    def sample(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Acc (N, 3) m/s^2 and gyr (N, 3) rad/s in the sensor frame at true times t_s (s), with errors."""
        acc, gyr = self.ideal(t_s)
        e = self.errors
        n = acc.shape[0]
        acc = acc * e.acc_scale + e.acc_bias_m_s2 + self._rng.normal(0.0, 1.0, (n, 3)) * e.acc_noise_m_s2
        gyr = gyr * e.gyr_scale + e.gyr_bias_rad_s + self._rng.normal(0.0, 1.0, (n, 3)) * e.gyr_noise_rad_s
        return acc, gyr

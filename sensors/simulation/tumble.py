"""A sensor turned by hand through resting positions on a table: the motion of its accelerometer calibration."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from sensors.simulation.body import GRAVITY_M_S2
from sensors.simulation.imu import ImuErrors, SensorMotion

FloatArray = NDArray[np.float64]
FACES = np.array([[0, 0, 1], [0, 0, -1], [0, 1, 0], [0, -1, 0], [1, 0, 0], [-1, 0, 0]], dtype=np.float64)


def _up_to(direction: FloatArray, spin_rad: float) -> Rotation:
    """A sensor -> world rotation that points the sensor's `direction` up, spun about the vertical."""
    align, _ = Rotation.align_vectors([[0.0, 0.0, 1.0]], [direction])
    return Rotation.from_rotvec([0.0, 0.0, spin_rad]) * align


class Tumble:
    """Kinematics (`ideal_imu`, as LegKinematics) of a sensor laid on each of its faces and some tilted poses.

    The sensor rests rest_s in each position and is turned to the next over turn_s (smooth start and stop,
    about its own centre). Positions: the six faces (tilted up to tilt_deg, an uneven table or a strap), then
    `extra` random ones, in a random order.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        extra: int = 6,
        rest_s: float = 3.0,
        turn_s: float = 2.0,
        tilt_deg: float = 5.0,
    ) -> None:
        ups = [f for f in FACES[rng.permutation(6)]] + list(rng.normal(size=(extra, 3)))
        poses = []
        for up in ups:
            tilt = Rotation.from_rotvec(rng.normal(size=3) * np.radians(tilt_deg) / np.sqrt(3.0))
            poses.append(_up_to(tilt.apply(up / np.linalg.norm(up)), float(rng.uniform(0.0, 2.0 * np.pi))))
        self.poses = poses
        self.rest_s, self.turn_s = rest_s, turn_s
        self.duration_s: float | None = len(poses) * (rest_s + turn_s)

    def orientation(self, t_s: FloatArray) -> tuple[Rotation, FloatArray]:
        """Sensor -> world rotation at each time and body angular rate (N, 3) rad/s."""
        t = np.clip(np.asarray(t_s, dtype=np.float64), 0.0, None)
        period = self.rest_s + self.turn_s
        k = np.minimum((t // period).astype(np.int64), len(self.poses) - 1)
        u = np.clip((t - k * period - self.rest_s) / self.turn_s, 0.0, 1.0)
        last = k >= len(self.poses) - 1
        u[last] = 0.0
        s = u * u * (3.0 - 2.0 * u)  # smoothstep: at rest at both ends of a turn
        ds_dt = 6.0 * u * (1.0 - u) / self.turn_s
        nxt = np.minimum(k + 1, len(self.poses) - 1)
        start = Rotation.concatenate([self.poses[i] for i in k])
        end = Rotation.concatenate([self.poses[i] for i in nxt])
        step = (start.inv() * end).as_rotvec()  # in the sensor frame at the start of the turn
        rot = start * Rotation.from_rotvec(step * s[:, None])
        return rot, step * ds_dt[:, None]

    def ideal_imu(self, role: str, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Error-free specific force (N, 3) m/s^2 and angular rate (N, 3) rad/s in the sensor frame."""
        rot, rate = self.orientation(t_s)
        return rot.inv().apply(np.array([0.0, 0.0, GRAVITY_M_S2])), rate


def tumble_motion(errors: ImuErrors, role: str, seed: int, rest_s: float = 3.0, turn_s: float = 2.0) -> SensorMotion:
    """The MotionSource of a sensor with `errors` tumbled on a table (a Tumble drawn from seed)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7B1E]))
    tumble = Tumble(rng, rest_s=rest_s, turn_s=turn_s)
    return SensorMotion(tumble, role, np.eye(3), errors, int(rng.integers(2**31)))

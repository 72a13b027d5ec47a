"""What drives an emulated sensor: IMU readings in the sensor frame at any true time."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class MotionSource(Protocol):
    """Continuous-time IMU signal of one sensor, as a physically consistent model produces it."""

    duration_s: float | None

    def sample(self, t_s: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return acc (N, 3) m/s^2 and gyr (N, 3) rad/s in the sensor frame at true times t_s (s).

        Noise, bias and scale errors are included; quantisation is left to the sensor's encoder.
        """
        ...

"""The one sample type that crosses the package boundary: a block of consecutive samples of one sensor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Role = Literal["shin", "foot"]
ROLES: tuple[Role, Role] = ("shin", "foot")


@dataclass(frozen=True)
class SampleBlock:
    """N consecutive samples of one sensor, in SI units and the sensor's own frame.

    Attributes
    ----------
    role : "shin" or "foot".
    seq : (N,) int64 sample sequence numbers, counting samples since the sensor started streaming;
        a jump between blocks is a gap (lost samples).
    t_s : (N,) float64 timestamps in s. Sensor clock as decoded; session clock once aligned by the source.
    acc : (N, 3) float64 specific force, m/s^2.
    gyr : (N, 3) float64 angular rate, rad/s.
    mag : (N, 3) float64 magnetic field, uT, or None.
    t_sensor_s : (N,) float64 the sensor's own timestamps, kept when t_s was mapped onto the session clock.
    """

    role: Role
    seq: NDArray[np.int64]
    t_s: NDArray[np.float64]
    acc: NDArray[np.float64]
    gyr: NDArray[np.float64]
    mag: NDArray[np.float64] | None = field(default=None)
    t_sensor_s: NDArray[np.float64] | None = field(default=None)

    def __post_init__(self) -> None:
        n = len(self.t_s)
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")
        if self.seq.shape != (n,) or self.acc.shape != (n, 3) or self.gyr.shape != (n, 3):
            raise ValueError(
                f"inconsistent block shapes: seq {self.seq.shape}, t_s {self.t_s.shape}, "
                f"acc {self.acc.shape}, gyr {self.gyr.shape}"
            )
        if self.mag is not None and self.mag.shape != (n, 3):
            raise ValueError(f"mag shape {self.mag.shape} does not match {n} samples")

    def __len__(self) -> int:
        return len(self.t_s)

    def with_times(self, t_s: NDArray[np.float64]) -> SampleBlock:
        """Same samples on new timestamps (e.g. the session clock), keeping the sensor's own in t_sensor_s."""
        sensor_t = self.t_s if self.t_sensor_s is None else self.t_sensor_s
        return SampleBlock(
            self.role, self.seq, np.asarray(t_s, dtype=np.float64), self.acc, self.gyr, self.mag, sensor_t
        )

    def window(self, start_s: float, end_s: float) -> SampleBlock:
        """The samples with start_s <= t_s < end_s."""
        i, j = np.searchsorted(self.t_s, [start_s, end_s], side="left")
        sl = slice(int(i), int(j))
        return SampleBlock(
            self.role,
            self.seq[sl],
            self.t_s[sl],
            self.acc[sl],
            self.gyr[sl],
            None if self.mag is None else self.mag[sl],
            None if self.t_sensor_s is None else self.t_sensor_s[sl],
        )

    @staticmethod
    def concat(blocks: list[SampleBlock]) -> SampleBlock:
        """Join blocks of one sensor, in order."""
        if not blocks:
            raise ValueError("no blocks to join")
        roles = {b.role for b in blocks}
        if len(roles) != 1:
            raise ValueError(f"cannot join blocks of different sensors: {sorted(roles)}")
        mags = [b.mag for b in blocks if b.mag is not None]
        mag = np.concatenate(mags) if len(mags) == len(blocks) else None
        sensor_ts = [b.t_sensor_s for b in blocks if b.t_sensor_s is not None]
        t_sensor = np.concatenate(sensor_ts) if len(sensor_ts) == len(blocks) else None
        return SampleBlock(
            blocks[0].role,
            np.concatenate([b.seq for b in blocks]),
            np.concatenate([b.t_s for b in blocks]),
            np.concatenate([b.acc for b in blocks]),
            np.concatenate([b.gyr for b in blocks]),
            mag,
            t_sensor,
        )


def make_block(
    role: Role,
    seq: object,
    t_s: object,
    acc: object,
    gyr: object,
    mag: object | None = None,
) -> SampleBlock:
    """Build a block from array-likes, converting dtypes."""
    return SampleBlock(
        role,
        np.asarray(seq, dtype=np.int64).reshape(-1),
        np.asarray(t_s, dtype=np.float64).reshape(-1),
        np.asarray(acc, dtype=np.float64).reshape(-1, 3),
        np.asarray(gyr, dtype=np.float64).reshape(-1, 3),
        None if mag is None else np.asarray(mag, dtype=np.float64).reshape(-1, 3),
    )

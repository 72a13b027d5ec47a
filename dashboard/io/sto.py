"""OpenSim orientations (.sto) as OpenSense's IMU tools read them: one quaternion per IMU per time, vqf 6D."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation, Slerp
from vqf import VQF

from sensors.samples import ROLES, Role, SampleBlock

FloatArray = NDArray[np.float64]
OPENSIM_VERSION = "4.5"
STO_VERSION = 3
# OpenSense attaches an IMU column named <body>_imu to that body of the model (Rajagopal/Gait2392 body names)
BODY_OF_ROLE: dict[Role, str] = {"shin": "tibia", "foot": "calcn"}


def imu_column(role: Role, leg: str) -> str:
    """The .sto column of a sensor: tibia_r_imu, calcn_l_imu, ..."""
    return f"{BODY_OF_ROLE[role]}_{'l' if leg == 'left' else 'r'}_imu"


def sensor_orientations(block: SampleBlock) -> FloatArray:
    """Orientation of one sensor at each of its samples, (N, 4) scalar first, sensor frame to a z-up earth frame.

    vqf without magnetometer (6D): inclination is absolute, heading starts at 0 and drifts slowly (gyro only).
    Samples are assumed evenly spaced at the median interval (vqf's assumption).
    """
    if len(block) < 2:
        raise ValueError(f"the {block.role} sensor has {len(block)} sample(s); at least 2 are needed")
    period_s = float(np.median(np.diff(block.t_s)))
    out = VQF(period_s).updateBatch(np.ascontiguousarray(block.gyr), np.ascontiguousarray(block.acc))
    return np.asarray(out["quat6D"], dtype=np.float64)


def orientations_on_grid(blocks: dict[Role, SampleBlock]) -> tuple[float, FloatArray, dict[Role, FloatArray]]:
    """Both sensors' orientations on one even time grid (the slower sensor's rate, where both have samples).

    Returns
    -------
    rate_hz, t_s (M,) and per role (M, 4) unit quaternions, scalar first (slerp between samples).
    """
    rates = {r: 1.0 / float(np.median(np.diff(b.t_s))) for r, b in blocks.items() if len(b) >= 2}
    if set(rates) != set(ROLES):
        raise ValueError("both the shin and the foot sensor need at least 2 samples")
    rate_hz = float(round(min(rates.values()), 1))  # sensor clocks drift: 99.993 Hz is written as 100 Hz
    t0 = max(float(b.t_s[0]) for b in blocks.values())
    t1 = min(float(b.t_s[-1]) for b in blocks.values())
    if t1 <= t0:
        raise ValueError("the shin and foot recordings do not overlap in time")
    t_s = t0 + np.arange(int(math.floor((t1 - t0) * rate_hz)) + 1) / rate_hz
    quats = {}
    for role in ROLES:
        b = blocks[role]
        q = sensor_orientations(b)
        slerp = Slerp(b.t_s, Rotation.from_quat(q, scalar_first=True))
        quats[role] = slerp(np.clip(t_s, b.t_s[0], b.t_s[-1])).as_quat(scalar_first=True)
    return rate_hz, t_s, quats


def write_sto(path: Path, blocks: dict[Role, SampleBlock], leg: str) -> None:
    """Write an OpenSense orientations file: header (DataRate, DataType=Quaternion, version, OpenSimVersion,
    endheader), then tab-separated rows of time and one "w,x,y,z" cell per IMU.

    The earth frame is z-up (as Xsens exports): in OpenSense's IMU placer use sensor_to_opensim_rotations
    -pi/2 0 0 to make it OpenSim's y-up. Times are session-clock seconds.
    """
    rate_hz, t_s, quats = orientations_on_grid(blocks)
    columns = [imu_column(r, leg) for r in ROLES]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"DataRate={rate_hz:.6f}\n")
        f.write("DataType=Quaternion\n")
        f.write(f"version={STO_VERSION}\n")
        f.write(f"OpenSimVersion={OPENSIM_VERSION}\n")
        f.write("endheader\n")
        f.write("time\t" + "\t".join(columns) + "\n")
        for i, t in enumerate(t_s):
            cells = [",".join(f"{v:.8f}" for v in quats[r][i]) for r in ROLES]
            f.write(f"{t:.6f}\t" + "\t".join(cells) + "\n")


def read_sto(path: Path) -> tuple[dict[str, str], FloatArray, dict[str, FloatArray]]:
    """Read an orientations .sto back (header fields, time (M,), per column (M, 4)); for checks and tests."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    end = lines.index("endheader")
    header = dict(line.split("=", 1) for line in lines[:end] if "=" in line)
    names = lines[end + 1].split("\t")
    rows = [line.split("\t") for line in lines[end + 2 :] if line]
    t_s = np.array([float(r[0]) for r in rows])
    quats = {n: np.array([[float(v) for v in r[k].split(",")] for r in rows]) for k, n in enumerate(names) if k}
    return header, t_s, quats

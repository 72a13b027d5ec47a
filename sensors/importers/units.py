"""Plausibility of imported units: accelerometers in m/s^2 (not g), gyroscopes in rad/s (not deg/s)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sensors.interchange import InputFileError
from sensors.samples import Role, SampleBlock

STANDARD_GRAVITY_M_S2 = 9.80665
# The median specific force of a body-worn sensor is about 1 g whatever the exercise; outside these, not m/s^2.
MEDIAN_ACC_MIN_M_S2 = 0.5 * STANDARD_GRAVITY_M_S2
MEDIAN_ACC_MAX_M_S2 = 4.0 * STANDARD_GRAVITY_M_S2
# No wearable gyroscope measures beyond 2000 deg/s (34.9 rad/s); a larger value is deg/s read as rad/s.
GYR_MAX_RAD_S = 40.0


def check_units(path: Path, block: SampleBlock, columns: tuple[str, str] = ("acc", "gyr")) -> None:
    """Refuse a block whose accelerations cannot be m/s^2 or whose angular rates cannot be rad/s.

    Parameters
    ----------
    path : Path
        The file the block came from (named in the error).
    block : SampleBlock
        One sensor's samples.
    columns : (str, str)
        How the file names the acceleration and angular rate columns, for the message.

    Raises
    ------
    InputFileError
        Naming the file, the sensor, the column and the unit the values look like.
    """
    if len(block) == 0:
        return
    median_acc_m_s2 = float(np.median(np.linalg.norm(block.acc, axis=1)))
    where = f"{path}, {block.role} sensor, column {columns[0]}"
    if median_acc_m_s2 < MEDIAN_ACC_MIN_M_S2:
        in_g = "; the values look like g (multiply by 9.80665)" if 0.5 < median_acc_m_s2 < 2.0 else ""
        raise InputFileError(
            f"{where}: the median acceleration magnitude is {median_acc_m_s2:.3g}, expected about 9.8 m/s^2 "
            f"(gravity){in_g}"
        )
    if median_acc_m_s2 > MEDIAN_ACC_MAX_M_S2:
        raise InputFileError(
            f"{where}: the median acceleration magnitude is {median_acc_m_s2:.4g}, expected about 9.8 m/s^2 "
            "(gravity); the values look like another unit (mg? ft/s^2?)"
        )
    k = int(np.argmax(np.abs(block.gyr).max(axis=1)))
    peak = float(np.abs(block.gyr[k]).max())
    if peak > GYR_MAX_RAD_S:
        raise InputFileError(
            f"{path}, {block.role} sensor, column {columns[1]}, sample {k + 1}: angular rate {peak:.4g}, above the "
            f"{GYR_MAX_RAD_S:g} rad/s no wearable gyroscope reaches; expected rad/s (deg/s? divide by "
            f"{180 / math.pi:.4g})"
        )


def check_blocks_units(
    path: Path, blocks: Mapping[Role, SampleBlock], columns: tuple[str, str] = ("acc", "gyr")
) -> None:
    """`check_units` for every sensor of a recording."""
    for block in blocks.values():
        check_units(path, block, columns)

"""Per-sensor accelerometer calibration: scale, axis and offset errors fitted from rests in many orientations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from sensors.importers.units import STANDARD_GRAVITY_M_S2
from sensors.samples import SampleBlock

FloatArray = NDArray[np.float64]

STILL_GYRO_RAD_S = 0.05  # a resting sensor's gyro stays this close to its offset
STILL_ACC_SPREAD_M_S2 = 0.15  # and its accelerometer stays within this of the rest's mean on every axis
MIN_REST_S = 1.5
EDGE_TRIM_S = 0.25  # left out at both ends of a rest: the sensor is being put down or picked up
SAME_POSE_RAD = np.radians(10.0)  # rests closer than this are one position
FACE_RAD = np.radians(30.0)  # a rest within this of an axis pointing up or down counts as lying on that face
MIN_POSES = 9  # 9 unknowns: 6 of the symmetric correction, 3 of the offset
ENOUGH_POSES = MIN_POSES + 3  # what the instructions ask for: some to spare
ASK_STILL_S = MIN_REST_S + 0.5  # what the instructions ask for, s
MAX_RESIDUAL_M_S2 = 0.05
MAX_CORRECTION = 0.1  # largest plausible correction entry (10 % scale or axis error)
MAX_OFFSET_M_S2 = 1.5
CALIBRATIONS_DIR = "sensors"
UNCALIBRATED = (
    "no accelerometer calibration yet, so angles measured lying or seated may be 1-2.5 deg off; "
    "run `dorsi calibrate-sensors` once (firmware_notes/calibration.md)"
)


class AccelCalibrationError(ValueError):
    """The rests cannot give a trustworthy calibration (the message says what to do)."""


@dataclass(frozen=True)
class AccelCalibration:
    """Correction of one accelerometer: calibrated = matrix @ (measured - offset_m_s2).

    The matrix is symmetric: a rotation between the accelerometer's and the gyro's axes looks like a
    mounting rotation, which the standing calibration of every set takes care of.

    Attributes
    ----------
    matrix : (3, 3) scale and axis correction.
    offset_m_s2 : (3,) zero-g offset.
    residual_m_s2 : rms of |calibrated| - g over the rests the fit used.
    poses : how many rests it used.
    """

    matrix: FloatArray
    offset_m_s2: FloatArray
    residual_m_s2: float
    poses: int

    def apply(self, acc: FloatArray) -> FloatArray:
        """Calibrated acc (N, 3) m/s^2 from measured acc (N, 3) m/s^2."""
        return np.asarray((np.asarray(acc, dtype=np.float64) - self.offset_m_s2) @ self.matrix.T)

    def apply_block(self, block: SampleBlock) -> SampleBlock:
        """The block with its accelerometer calibrated."""
        return SampleBlock(
            block.role, block.seq, block.t_s, self.apply(block.acc), block.gyr, block.mag, block.t_sensor_s
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form (what session.json and the sensor's calibration file hold)."""
        return {
            "matrix": np.round(self.matrix, 7).tolist(),
            "offset_m_s2": np.round(self.offset_m_s2, 6).tolist(),
            "residual_m_s2": round(self.residual_m_s2, 6),
            "poses": self.poses,
        }

    @staticmethod
    def from_json(data: Any, where: str) -> AccelCalibration:
        """Read `to_json`'s form back; ValueError naming `where` if it is not one, or implausible."""
        try:
            matrix = np.asarray(data["matrix"], dtype=np.float64)
            offset = np.asarray(data["offset_m_s2"], dtype=np.float64)
            cal = AccelCalibration(matrix, offset, float(data["residual_m_s2"]), int(data["poses"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{where}: not an accelerometer calibration (a field missing or malformed: {e})") from e
        if (
            matrix.shape != (3, 3)
            or offset.shape != (3,)
            or not (np.isfinite(matrix).all() and np.isfinite(offset).all())
        ):
            raise ValueError(f"{where}: an accelerometer calibration needs a finite 3x3 matrix and 3 offsets")
        problem = _implausible(cal)
        if problem:
            raise ValueError(f"{where}: {problem}")
        return cal


def _implausible(cal: AccelCalibration) -> str | None:
    worst = float(np.max(np.abs(cal.matrix - np.eye(3))))
    if worst > MAX_CORRECTION:
        return f"a correction of {worst:.0%} is beyond any working accelerometer (at most {MAX_CORRECTION:.0%})"
    offset = float(np.max(np.abs(cal.offset_m_s2)))
    if offset > MAX_OFFSET_M_S2:
        return f"an offset of {offset:.2f} m/s^2 is beyond any working accelerometer (at most {MAX_OFFSET_M_S2})"
    return None


def rest_poses(t_s: FloatArray, acc: FloatArray, gyr: FloatArray) -> FloatArray:
    """Mean acc (K, 3) of each rest (still for >= MIN_REST_S, not shaken), in time order."""
    t = np.asarray(t_s, dtype=np.float64)
    if len(t) == 0:
        return np.zeros((0, 3))
    offset = np.median(gyr, axis=0)  # the sensor rests most of the time; gyros may be 10 deg/s off at rest
    still = np.linalg.norm(gyr - offset, axis=1) < STILL_GYRO_RAD_S
    edges = np.flatnonzero(np.diff(np.concatenate([[0], still.astype(np.int8), [0]])))
    means = []
    for a, z in zip(edges[::2], edges[1::2], strict=True):
        keep = (t[a:z] >= t[a] + EDGE_TRIM_S) & (t[a:z] <= t[z - 1] - EDGE_TRIM_S)
        if t[z - 1] - t[a] < MIN_REST_S or not keep.any():
            continue
        part = acc[a:z][keep]
        mean = part.mean(axis=0)
        if np.max(np.abs(part - mean)) <= STILL_ACC_SPREAD_M_S2:  # else held in a hand or knocked
            means.append(mean)
    return np.asarray(means).reshape(-1, 3)


def distinct_positions(poses: FloatArray) -> int:
    """How many of the rests are in positions at least SAME_POSE_RAD apart."""
    kept: list[FloatArray] = []
    for p in poses:
        if all(_angle(p, k) >= SAME_POSE_RAD for k in kept):
            kept.append(p)
    return len(kept)


def _angle(a: FloatArray, b: FloatArray) -> float:
    cos = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


def faces_seen(poses: FloatArray) -> list[str]:
    """Which of the sensor's six faces it has rested on: "+x" when its x axis pointed up, and so on."""
    seen = []
    for k, axis in enumerate("xyz"):
        for sign, name in ((1.0, "+"), (-1.0, "-")):
            e = np.zeros(3)
            e[k] = sign
            if any(_angle(p, e) < FACE_RAD for p in poses):
                seen.append(name + axis)
    return seen


def fit(poses: FloatArray) -> AccelCalibration:
    """Fit the correction that makes every rest (mean acc, (K, 3) m/s^2) read one g.

    Raises AccelCalibrationError when the rests are too few or too alike (fewer than MIN_POSES distinct
    positions, or not on all six faces), or cannot be made consistent (a sensor that moved during a rest, or a
    broken sensor).
    """
    p = np.asarray(poses, dtype=np.float64)
    faces, distinct = faces_seen(p), distinct_positions(p)
    if distinct < MIN_POSES or len(faces) < 6:
        raise AccelCalibrationError(
            f"{distinct} resting positions on {len(faces)} of the 6 faces; the calibration needs the sensor "
            f"still for {ASK_STILL_S:g} s on each of its 6 faces and in {ENOUGH_POSES} or more positions in all "
            "(add a few tilted on an edge or a corner)"
        )

    def unpack(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        m = np.array([[x[0], x[3], x[4]], [x[3], x[1], x[5]], [x[4], x[5], x[2]]])
        return m, x[6:]

    def residual(x: FloatArray) -> FloatArray:
        m, b = unpack(x)
        return np.asarray(np.linalg.norm((p - b) @ m.T, axis=1) - STANDARD_GRAVITY_M_S2)

    start = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    x = least_squares(residual, start, method="lm").x
    matrix, offset = unpack(x)
    rms = float(np.sqrt(np.mean(residual(x) ** 2)))
    cal = AccelCalibration(matrix, offset, rms, len(p))
    if rms > MAX_RESIDUAL_M_S2:
        raise AccelCalibrationError(
            f"the rests disagree by {rms:.3f} m/s^2 after the fit (at most {MAX_RESIDUAL_M_S2}): the sensor moved "
            "during a rest; lay it on a firm table, hands off, for each position"
        )
    problem = _implausible(cal)
    if problem:
        raise AccelCalibrationError(f"{problem}: check the sensor, and that it lay still on a firm table")
    return cal


def fit_block(block: SampleBlock) -> AccelCalibration:
    """The calibration from a recording of one sensor resting in many positions (see `fit`)."""
    return fit(rest_poses(block.t_s, block.acc, block.gyr))


def _file_name(sensor: str) -> str:
    """A file name for a sensor's advertised name or address, the same on every platform."""
    safe = quote(sensor.strip(), safe="")
    if not safe or safe.startswith("."):
        raise ValueError(f"no calibration file name for sensor {sensor!r}")
    return safe + ".json"


def calibration_path(data_dir: Path, sensor: str) -> Path:
    """Where the calibration of `sensor` (advertised name or address) is kept."""
    return Path(data_dir) / CALIBRATIONS_DIR / _file_name(sensor)


def save(data_dir: Path, sensor: str, cal: AccelCalibration, model: str | None = None) -> Path:
    """Keep `cal` as the calibration of `sensor`; returns the file written (replaced atomically)."""
    path = calibration_path(data_dir, sensor)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "sensor": sensor,
        "model": model,
        "fitted_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "accelerometer": cal.to_json(),
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load(data_dir: Path, sensor: str) -> AccelCalibration | None:
    """The kept calibration of `sensor`, or None if it was never calibrated.

    Raises ValueError naming the file when it is damaged (calibrate the sensor again to replace it).
    """
    path = calibration_path(data_dir, sensor)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: unreadable sensor calibration ({e}); run `dorsi calibrate-sensors` again") from e
    again = "; run `dorsi calibrate-sensors` again"
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a sensor calibration{again}")
    try:
        return AccelCalibration.from_json(data.get("accelerometer"), str(path))
    except ValueError as e:
        raise ValueError(f"{e}{again}") from e

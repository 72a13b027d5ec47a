"""Real-data validation: dorsi's inclination and ankle angle against the orientations recorded with real data.

Datasets (see ../shared/datasets/README.md): `movingreality_xsens_pp01`, Xsens MTw Awinda on both shanks and
feet, 134 s of treadmill walking after a stroke, with Xsens' own on-board filter; `qmt_fullbody`, 100 s of fast
full-body motion with the authors' segment orientations and hand-tuned segment-to-sensor rotations.

Method:
- dorsi's inclination: processing.orientation.TiltTracker (vqf 6D, no magnetometer) per sensor, with the gyro bias
  of the first still run that dorsi's calibration would accept (StillnessThresholds: still_s of still windows),
  else no bias (vqf then estimates it itself).
- Inclination error: the angle between dorsi's and the reference's earth-up vectors in the sensor frame. The
  first CONVERGENCE_S are skipped: vqf starts from a guess, its accelerometer correction has a 3 s time constant
  and its gyro bias estimate settles over tens of seconds (on movingreality the mean error per 5-s window falls
  below 1 deg within 10 s, except on the left shank, whose 0.8 deg/s gyro bias vqf needs about 20 s to learn).
- Ankle dorsiflexion: (i) dorsi's heading-free angle, shin pitch - foot pitch (processing.angles) from dorsi's up
  vectors; (ii) the same formula from the reference's up vectors; (iii) the flexion of the reference's full 3D
  relative orientation: segment frames (anterior, up, right) built in each sensor from the same up reference and
  hinge axis, the foot's rotation relative to the shin, first angle of the intrinsic z-x'-y'' sequence (ISB).
- movingreality has no neutral stance: each segment's up reference is its mean up vector over the compared
  samples, angles are compared after removing their mean offset, and the range is relative to the mean. The hinge
  axes come from the gait: the principal axis of each segment's angular rate; the shank's points left (its fastest
  sagittal rotation, mid-swing, is shin top backward), the foot's makes the two segments' rates correlate
  positively. qmt_fullbody starts standing still: that stance is the zero, and the hinge axes are the hand-tuned
  segment frames' mediolateral axes (a principal axis of unlabelled motion need not be one: the deviation is
  reported).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from processing.angles import Side, ankle_angles, segment_angles
from processing.calibration import StillnessThresholds
from processing.orientation import TiltTracker, up_from_quat
from sensors.importers.xsens_mt import XsensExport, read_xsens_mt, synchronise
from sensors.samples import Role

FloatArray = NDArray[np.float64]

MOVINGREALITY = "movingreality_xsens_pp01"
MOVINGREALITY_RATE_HZ = 100.0  # the export has no Update Rate line; the dataset's README gives 100 Hz
QMT = "qmt_fullbody"
CONVERGENCE_S = 10.0
PLAUSIBLE_DORSIFLEXION_DEG = (-60.0, 50.0)
SIDES: tuple[Side, Side] = ("left", "right")
_MR_SPEC_KEYS: dict[tuple[str, Role], str] = {
    ("left", "shin"): "leftshank",
    ("left", "foot"): "leftfoot",
    ("right", "shin"): "rightshank",
    ("right", "foot"): "rightfoot",
}
_QMT_SEGMENTS: dict[Role, str] = {"shin": "lower_leg", "foot": "foot"}


@dataclass(frozen=True)
class Tilt:
    """dorsi's inclination of one sensor.

    Attributes
    ----------
    up : (N, 3) earth up in the sensor frame.
    gyr_unbiased : (N, 3) angular rate minus the bias used, rad/s.
    bias_rad_s : (3,) gyro bias subtracted (zeros when no still run was found), rad/s.
    still_s : (start, end) of the still run the bias came from (s, sensor clock), or None.
    """

    up: FloatArray
    gyr_unbiased: FloatArray
    bias_rad_s: FloatArray
    still_s: tuple[float, float] | None


def real_data_report(datasets_dir: Path) -> dict[str, Any]:
    """Compare dorsi with the orientations recorded with the real datasets (a few seconds).

    Parameters
    ----------
    datasets_dir : the folder holding movingreality_xsens_pp01/ and qmt_fullbody/.

    Returns
    -------
    JSON-ready dict: convergence_skip_s, and per dataset either its figures (angles in deg) or {"skipped": reason}.
    """
    datasets_dir = Path(datasets_dir)
    report: dict[str, Any] = {"convergence_skip_s": CONVERGENCE_S}
    for name, build in ((MOVINGREALITY, movingreality_report), (QMT, qmt_report)):
        folder = datasets_dir / name
        report[name] = build(folder) if folder.is_dir() else {"skipped": f"no folder {folder}"}
    return report


def movingreality_report(folder: Path) -> dict[str, Any]:
    """Inclination per sensor and ankle dorsiflexion per leg against Xsens' filter (see the module docstring)."""
    spec = json.loads((folder / "sensorspec.json").read_text(encoding="utf-8"))
    inclination: dict[str, Any] = {}
    ankle: dict[str, Any] = {}
    duration_s = 0.0
    for side in SIDES:
        exports = synchronise(*(_read_mr(folder, spec[_MR_SPEC_KEYS[(side, r)]], r) for r in ("shin", "foot")))
        t_s = exports["shin"].block.t_s
        duration_s = max(duration_s, float(t_s[-1] - t_s[0]) + 1.0 / MOVINGREALITY_RATE_HZ)
        tilts: dict[Role, Tilt] = {}
        xsens_quat: dict[Role, FloatArray] = {}
        for role, e in exports.items():
            tilts[role] = track(e.block.t_s, e.block.acc, e.block.gyr, e.rate_hz)
            if e.quat is None:
                raise ValueError(f"{e.path}: no Quat_q0..q3 columns, nothing to compare with")
            xsens_quat[role] = e.quat
            compared = e.block.t_s - e.block.t_s[0] >= CONVERGENCE_S
            err = inclination_error_rad(tilts[role].up, up_from_quat(e.quat))[compared]
            plain = track(e.block.t_s, e.block.acc, e.block.gyr, e.rate_hz, use_still_bias=False)
            err_plain = inclination_error_rad(plain.up, up_from_quat(e.quat))[compared]
            inclination[f"{side}_{role}"] = {
                "sensor": e.device_id,
                **_error_summary(err),
                "bias_still_s": _still_length(tilts[role]),
                "bias_deg_s": _r(math.degrees(float(np.linalg.norm(tilts[role].bias_rad_s)))),
                "rmse_without_bias_deg": _r(_rmse_deg(err_plain)),
            }
        compared = t_s - t_s[0] >= CONVERGENCE_S
        ankle[side] = _mr_ankle(tilts, xsens_quat, compared, side)
    return {
        "sensors": "Xsens MTw Awinda, shanks and feet",
        "duration_s": _r(duration_s),
        "rate_hz": MOVINGREALITY_RATE_HZ,
        "neutral_stance": False,
        "inclination": inclination,
        "ankle": ankle,
    }


def _read_mr(folder: Path, file_suffix: str, role: Role) -> XsensExport:
    matches = sorted(folder.glob(f"*{file_suffix}"))
    if len(matches) != 1:
        raise FileNotFoundError(f"{folder}: expected one file ending in {file_suffix}, found {len(matches)}")
    return read_xsens_mt(matches[0], role, MOVINGREALITY_RATE_HZ)


def _mr_ankle(
    tilts: dict[Role, Tilt], xsens_quat: dict[Role, FloatArray], compared: NDArray[np.bool_], side: Side
) -> dict[str, Any]:
    axes, correlation = gait_hinge_axes(tilts["shin"].gyr_unbiased[compared], tilts["foot"].gyr_unbiased[compared])
    refs: dict[Role, tuple[FloatArray, FloatArray]] = {}
    for role in ("shin", "foot"):
        up_ref = _unit(tilts[role].up[compared].mean(axis=0))
        refs[role] = (up_ref, perpendicular_axis(axes[role], up_ref))
    dorsi = heading_free_dorsiflexion({r: tilts[r].up for r in refs}, refs, side)
    xsens_ups = {r: up_from_quat(xsens_quat[r]) for r in refs}
    xsens_free = heading_free_dorsiflexion(xsens_ups, refs, side)
    xsens_3d = flexion_3d(xsens_quat, refs)
    relative = np.degrees(dorsi[compared] - dorsi[compared].mean())
    return {
        "rmse_vs_xsens_heading_free_deg": _r(_rmse_deg(_centred(dorsi - xsens_free, compared))),
        "rmse_vs_xsens_3d_deg": _r(_rmse_deg(_centred(dorsi - xsens_3d, compared))),
        "min_deg": _r(float(relative.min())),
        "max_deg": _r(float(relative.max())),
        "rom_deg": _r(float(relative.max() - relative.min())),
        "xsens_3d_rom_deg": _r(math.degrees(float(np.ptp(xsens_3d[compared])))),
        "shin_foot_rate_correlation": _r(correlation),
        "hinge_rate_fraction": {r: _r(_rate_fraction(tilts[r].gyr_unbiased[compared], refs[r][1])) for r in refs},
    }


def qmt_report(folder: Path) -> dict[str, Any]:
    """Inclination per lower-leg and foot sensor, ankle dorsiflexion and gyro peaks on qmt's fast-motion data."""
    data = scipy.io.loadmat(folder / "full_body_example_data.mat", squeeze_me=True, struct_as_record=False)
    seg_to_sensor = _qmt_segment_to_sensor(folder / "segment_to_sensor.csv")
    t_s = np.asarray(data["t"], dtype=np.float64)
    rate_hz = 1.0 / float(np.median(np.diff(t_s)))
    compared = t_s - t_s[0] >= CONVERGENCE_S
    inclination: dict[str, Any] = {}
    gyro: dict[str, Any] = {}
    ankle: dict[str, Any] = {}
    for side in SIDES:
        tilts: dict[Role, Tilt] = {}
        sensor_quat: dict[Role, FloatArray] = {}
        refs: dict[Role, tuple[FloatArray, FloatArray]] = {}
        pca_deviation: dict[str, float] = {}
        for role, segment in _QMT_SEGMENTS.items():
            name = f"{segment}_{side}"
            s = data[name]
            acc, gyr = np.asarray(s.acc, dtype=np.float64), np.asarray(s.gyr, dtype=np.float64)
            tilt = track(t_s, acc, gyr, rate_hz)
            if tilt.still_s is None:
                raise ValueError(f"{folder}: {name} has no still start to take as the neutral stance")
            tilts[role] = tilt
            # the supplied quaternions orient the hand-tuned segment frame (x forward, y up, z right): rotate them
            # back into the sensor frame
            q_seg2sensor = seg_to_sensor[name]
            seg_quat = Rotation.from_quat(np.asarray(s.quat, dtype=np.float64), scalar_first=True)
            sensor_quat[role] = (seg_quat * q_seg2sensor.inv()).as_quat(scalar_first=True)
            err = inclination_error_rad(tilt.up, up_from_quat(sensor_quat[role]))[compared]
            inclination[f"{side}_{role}"] = {
                **_error_summary(err),
                "bias_still_s": _still_length(tilt),
                "supplied_frame_vs_table_deg": _r(
                    math.degrees(_frame_mismatch_rad(gyr, seg_quat, q_seg2sensor, rate_hz))
                ),
            }
            gyro[f"{side}_{role}"] = {
                "max_rate_rad_s": _r(float(np.linalg.norm(gyr, axis=1).max())),
                "max_axis_rate_rad_s": _r(float(np.abs(gyr).max())),
                "saturated_samples": saturated_samples(gyr),
            }
            still = (t_s >= tilt.still_s[0]) & (t_s < tilt.still_s[1])
            up_ref = _unit(acc[still].mean(axis=0))
            left = np.asarray(q_seg2sensor.apply([0.0, 0.0, -1.0]), dtype=np.float64)
            refs[role] = (up_ref, perpendicular_axis(left, up_ref))
            pca_deviation[role] = math.degrees(
                math.acos(min(1.0, abs(float(principal_axis(tilt.gyr_unbiased) @ left))))
            )
        dorsi = heading_free_dorsiflexion({r: tilts[r].up for r in refs}, refs, side)
        reference_3d = flexion_3d(sensor_quat, refs)
        dorsi_deg = np.degrees(dorsi)
        ankle[side] = {
            "nan_samples": int(np.count_nonzero(~np.isfinite(dorsi))),
            "min_deg": _r(float(np.nanmin(dorsi_deg))),
            "max_deg": _r(float(np.nanmax(dorsi_deg))),
            "plausible": bool(
                np.all(np.isfinite(dorsi))
                and PLAUSIBLE_DORSIFLEXION_DEG[0] <= float(dorsi_deg.min())
                and float(dorsi_deg.max()) <= PLAUSIBLE_DORSIFLEXION_DEG[1]
            ),
            "rmse_vs_supplied_3d_deg": _r(_rmse_deg(_centred(dorsi - reference_3d, compared))),
            "hinge_pca_deviation_deg": {r: _r(v) for r, v in pca_deviation.items()},
        }
    return {
        "sensors": "6-axis IMUs on lower legs and feet, fast unlabelled motion",
        "duration_s": _r(float(t_s[-1] - t_s[0]) + 1.0 / rate_hz),
        "rate_hz": _r(rate_hz),
        "neutral_stance": True,
        "inclination": inclination,
        "ankle": ankle,
        "gyro": gyro,
    }


def _qmt_segment_to_sensor(path: Path) -> dict[str, Rotation]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        row["segment"]: Rotation.from_quat([float(row[f"q_segment2sensor_{c}"]) for c in "wxyz"], scalar_first=True)
        for row in rows
    }


def track(t_s: FloatArray, acc: FloatArray, gyr: FloatArray, rate_hz: float, use_still_bias: bool = True) -> Tilt:
    """dorsi's inclination of one sensor: TiltTracker with the bias of the first still run (if any and asked).

    Parameters
    ----------
    t_s : (N,) s. acc : (N, 3) m/s^2. gyr : (N, 3) rad/s. rate_hz : sampling rate, Hz.
    """
    still = first_still_run(t_s, acc, gyr, rate_hz) if use_still_bias else None
    bias = np.zeros(3)
    if still is not None:
        bias = gyr[(t_s >= still[0]) & (t_s < still[1])].mean(axis=0)
    up, gyr_unbiased = TiltTracker(rate_hz, bias).update(t_s, acc, gyr)
    return Tilt(up, gyr_unbiased, bias, still)


def first_still_run(
    t_s: FloatArray, acc: FloatArray, gyr: FloatArray, rate_hz: float, th: StillnessThresholds | None = None
) -> tuple[float, float] | None:
    """(start, end) in s of the first th.still_s in which every window of th.window_s is still, or None.

    A window is still by dorsi's calibration criteria (StillnessThresholds): small gyro spread and mean, small
    accelerometer spread, specific force close to 1 g.
    """
    th = th or StillnessThresholds()
    per_window = max(th.min_samples, int(round(th.window_s * rate_hz)))
    n = len(t_s) // per_window
    if n == 0:
        return None
    g = gyr[: n * per_window].reshape(n, per_window, 3)
    a = acc[: n * per_window].reshape(n, per_window, 3)
    still = (
        np.all(g.std(axis=1) < th.gyr_std_max_rad_s, axis=1)
        & (np.linalg.norm(g.mean(axis=1), axis=1) < th.gyr_mean_max_rad_s)
        & (np.linalg.norm(a.std(axis=1), axis=1) < th.acc_std_max_m_s2)
        & (np.abs(np.linalg.norm(a.mean(axis=1), axis=1) - 9.81) < th.acc_norm_tolerance_m_s2)
    )
    needed = int(math.ceil(th.still_s / th.window_s - 1e-9))
    run = 0
    for k, s in enumerate(still):
        run = run + 1 if s else 0
        if run == needed:
            first = k - needed + 1
            return float(t_s[first * per_window]), float(t_s[(k + 1) * per_window - 1]) + 1.0 / rate_hz
    return None


def inclination_error_rad(up_a: FloatArray, up_b: FloatArray) -> FloatArray:
    """Angle (N,) rad between two sequences of unit earth-up vectors (N, 3) in the same sensor frame."""
    cos = np.einsum("ij,ij->i", up_a, up_b) / (np.linalg.norm(up_a, axis=1) * np.linalg.norm(up_b, axis=1))
    return np.asarray(np.arccos(np.clip(cos, -1.0, 1.0)), dtype=np.float64)


def principal_axis(gyr: FloatArray) -> FloatArray:
    """Unit axis (3,) of the largest angular-rate energy of gyr (N, 3); its sign is arbitrary."""
    _, vectors = np.linalg.eigh(gyr.T @ gyr)
    return np.asarray(vectors[:, -1], dtype=np.float64)


def gait_hinge_axes(gyr_shin: FloatArray, gyr_foot: FloatArray) -> tuple[dict[Role, FloatArray], float]:
    """Hinge axes of shin and foot from walking, both pointing to the person's left.

    The shank's fastest sagittal rotation in gait is the swing (the foot swings forward: shin top backward, a
    negative rotation about a left-pointing axis), so its axis is turned to make the rate's 1st percentile larger
    in magnitude than its 99th; the foot's axis is turned to make the two segments' rates correlate positively.

    Returns
    -------
    ({"shin": axis, "foot": axis}, correlation of the two segments' rates about their axes).
    """
    shin, foot = principal_axis(gyr_shin), principal_axis(gyr_foot)
    low, high = np.percentile(gyr_shin @ shin, [1.0, 99.0])
    if abs(low) < abs(high):
        shin = -shin
    correlation = float(np.corrcoef(gyr_shin @ shin, gyr_foot @ foot)[0, 1])
    if correlation < 0:
        foot, correlation = -foot, -correlation
    return {"shin": shin, "foot": foot}, correlation


def perpendicular_axis(axis: FloatArray, up_ref: FloatArray) -> FloatArray:
    """The axis (3,) made perpendicular to up_ref (3,) and unit, as segment_angles requires."""
    return _unit(axis - (axis @ up_ref) * up_ref)


def heading_free_dorsiflexion(
    ups: dict[Role, FloatArray], refs: dict[Role, tuple[FloatArray, FloatArray]], side: Side
) -> FloatArray:
    """dorsi's dorsiflexion (N,) rad from each segment's up vectors (N, 3) and (up_ref, left-pointing axis)."""
    shin_pitch, shin_roll = segment_angles(ups["shin"], *refs["shin"])
    foot_pitch, foot_roll = segment_angles(ups["foot"], *refs["foot"])
    return ankle_angles(shin_pitch, shin_roll, foot_pitch, foot_roll, side)[0]


def segment_frame(up_ref: FloatArray, axis: FloatArray) -> FloatArray:
    """(3, 3) rotation whose columns are the segment's anterior, up and right axes in the sensor frame."""
    return np.column_stack([np.cross(axis, up_ref), up_ref, -axis])


def flexion_3d(quats: dict[Role, FloatArray], refs: dict[Role, tuple[FloatArray, FloatArray]]) -> FloatArray:
    """Dorsiflexion (N,) rad from full 3D orientations: the foot's rotation in the shin's segment frame about the
    right-pointing axis, first angle of the intrinsic z-x'-y'' sequence, unwrapped.

    Parameters
    ----------
    quats : per role (N, 4) scalar-first, sensor to earth.
    refs : per role (up_ref, left-pointing hinge axis) in the sensor frame, defining the segment frame.
    """
    segment = {
        r: Rotation.from_quat(quats[r], scalar_first=True) * Rotation.from_matrix(segment_frame(*refs[r]))
        for r in ("shin", "foot")
    }
    relative = segment["shin"].inv() * segment["foot"]
    return np.asarray(np.unwrap(relative.as_euler("ZXY")[:, 0]), dtype=np.float64)


def saturated_samples(gyr: FloatArray, min_run: int = 2) -> int:
    """Samples of gyr (N, 3) in runs of at least min_run consecutive samples pinned at an axis' largest |value|.

    A clipped sensor repeats its full-scale value; a real peak of a continuous signal is not held exactly.
    """
    count = 0
    for axis in np.abs(gyr).T:
        if axis.max() == 0.0:
            continue
        pinned = axis == axis.max()
        edges = np.diff(np.concatenate([[0], pinned.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        lengths = ends - starts
        count += int(lengths[lengths >= min_run].sum())
    return count


def _frame_mismatch_rad(gyr: FloatArray, seg_quat: Rotation, q_seg2sensor: Rotation, rate_hz: float) -> float:
    """Angle between the tabulated segment-to-sensor rotation and the one the angular rates imply (rad).

    The rates implied by consecutive supplied quaternions are in the segment frame; the rotation that best maps
    the measured rates onto them (least squares, Kabsch) should be the inverse of the tabulated one.
    """
    implied = (seg_quat[:-1].inv() * seg_quat[1:]).as_rotvec() * rate_hz
    fitted, _ = Rotation.align_vectors(implied, gyr[1:])
    return float((fitted * q_seg2sensor).magnitude())


def _rate_fraction(gyr: FloatArray, axis: FloatArray) -> float:
    """Share of the angular-rate energy about the axis."""
    return float(np.sum((gyr @ axis) ** 2) / np.sum(gyr**2))


def _centred(diff: FloatArray, mask: NDArray[np.bool_]) -> FloatArray:
    d = diff[mask]
    return np.asarray(d - d.mean(), dtype=np.float64)


def _rmse_deg(err_rad: FloatArray) -> float:
    return math.degrees(float(np.sqrt(np.mean(err_rad**2))))


def _error_summary(err_rad: FloatArray) -> dict[str, float]:
    return {
        "rmse_deg": _r(_rmse_deg(err_rad)),
        "p95_deg": _r(math.degrees(float(np.percentile(err_rad, 95.0)))),
        "max_deg": _r(math.degrees(float(err_rad.max()))),
    }


def _still_length(tilt: Tilt) -> float:
    return 0.0 if tilt.still_s is None else _r(tilt.still_s[1] - tilt.still_s[0])


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def _r(x: float) -> float:
    return round(float(x), 3)


def format_real_data(report: dict[str, Any]) -> list[str]:
    """The report as text lines (degrees), for `dorsi validate`."""
    skip = report["convergence_skip_s"]
    lines = [f"Real data (the first {skip:g} s of each recording skipped: filter convergence)"]
    mr = report.get(MOVINGREALITY, {})
    lines.append(f"{MOVINGREALITY}: " + (f"skipped, {mr['skipped']}" if "skipped" in mr else _describe(mr)))
    if "skipped" not in mr:
        lines += _inclination_lines(mr, "Xsens' filter")
        lines.append("  ankle dorsiflexion, both legs (no neutral stance in this trial: mean offset removed)")
        for side, a in mr["ankle"].items():
            lines.append(
                f"    {side:<5} RMSE vs Xsens heading-free {a['rmse_vs_xsens_heading_free_deg']:.2f} deg, "
                f"vs Xsens 3D {a['rmse_vs_xsens_3d_deg']:.2f} deg; range {a['min_deg']:+.1f}..{a['max_deg']:+.1f} "
                f"deg (ROM {a['rom_deg']:.1f}, Xsens 3D {a['xsens_3d_rom_deg']:.1f})"
            )
    q = report.get(QMT, {})
    lines.append(f"{QMT}: " + (f"skipped, {q['skipped']}" if "skipped" in q else _describe(q)))
    if "skipped" not in q:
        lines += _inclination_lines(q, "the supplied quaternions")
        lo, hi = PLAUSIBLE_DORSIFLEXION_DEG
        lines.append(f"  ankle dorsiflexion from the opening stance (plausible: {lo:+.0f}..{hi:+.0f} deg)")
        for side, a in q["ankle"].items():
            lines.append(
                f"    {side:<5} range {a['min_deg']:+.1f}..{a['max_deg']:+.1f} deg, NaN samples {a['nan_samples']}, "
                f"{'plausible' if a['plausible'] else 'IMPLAUSIBLE'}; RMSE vs supplied 3D "
                f"{a['rmse_vs_supplied_3d_deg']:.2f} deg (mean offset removed)"
            )
        lines.append("  gyro peaks")
        for name, g in q["gyro"].items():
            lines.append(
                f"    {name:<11} max |w| {g['max_rate_rad_s']:.2f} rad/s, saturated samples {g['saturated_samples']}"
            )
    return lines


def _describe(d: dict[str, Any]) -> str:
    return f"{d['sensors']}, {d['duration_s']:.1f} s at {d['rate_hz']:g} Hz"


def _inclination_lines(d: dict[str, Any], reference: str) -> list[str]:
    lines = [f"  inclination vs {reference} (RMSE / p95 / max, deg; gyro bias from a still run, if any)"]
    for name, e in d["inclination"].items():
        bias = f"{e['bias_still_s']:.1f} s" if e["bias_still_s"] else "none"
        lines.append(f"    {name:<11} {e['rmse_deg']:5.2f} / {e['p95_deg']:5.2f} / {e['max_deg']:5.2f}   bias: {bias}")
    return lines

"""Analysis results at the edge: the JSON object of `dorsi analyze --json` and the angles CSV, in degrees."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from processing.analysis import Analysis
from processing.exercises.registry import spec


def _deg(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(math.degrees(x), 2)


def _rep_json(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "start_s": round(float(data["start_s"]), 3),
        "end_s": round(float(data["end_s"]), 3),
        "peak_dorsiflexion_deg": _deg(data["peak_dorsiflexion_rad"]),
        "flags": list(data.get("flags", [])),
    }
    for key in ("hold_s", "lower_s"):
        if data.get(key) is not None:
            out[key] = round(float(data[key]), 3)
    return out


def _s(x: Any) -> float:
    return round(float(x), 3)


def _hold_json(h: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "start_s": _s(h["start_s"]),
        "end_s": _s(h["end_s"]),
        "duration_s": _s(h["duration_s"]),
        "mean_dorsiflexion_deg": _deg(h["mean_dorsiflexion_rad"]),
    }
    if "counts" in h:
        out["counts"] = bool(h["counts"])
    if "flags" in h:
        out["flags"] = list(h["flags"])
    return out


def _circles_json(circles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for direction in ("inward", "outward"):
        mine = [c for c in circles if c["direction"] == direction]
        if mine:
            out.append(
                {
                    "direction": direction,
                    "count": len(mine),
                    "range_dorsiflexion_deg": _deg(max(float(c["range_dorsiflexion_rad"]) for c in mine)),
                    "range_inversion_deg": _deg(max(float(c["range_inversion_rad"]) for c in mine)),
                }
            )
    return out


def analysis_to_json(analysis: Analysis, exercise: str, side: str) -> dict[str, Any]:
    """The DESIGN section 6 JSON object (degrees and cm at this edge only).

    Lists are present only for what the exercise measures: e.g. "circles" is null for a band mobilisation,
    "compensations" null for an exercise with the foot off the ground (not checked), never [] for "not checked".
    """
    ex = spec(exercise)
    reps = [_rep_json(r) for r in analysis.reps]
    cal = analysis.calibration
    assert cal is not None, "analyze() raises when there is no calibration"
    k2w = analysis.knee_to_wall_m
    return {
        "exercise": exercise,
        "side": side,
        "calibration": {"start_s": _s(cal[0]), "end_s": _s(cal[1])},
        "rep_count": len(reps),
        "reps": reps,
        "holds": [_hold_json(h) for h in analysis.holds],
        "circles": _circles_json(analysis.circles) if exercise == "ankle_circles" else None,
        "attempts": [
            {
                "start_s": _s(a["start_s"]),
                "end_s": _s(a["end_s"]),
                "max_dorsiflexion_deg": _deg(a["max_dorsiflexion_rad"]),
                "heel_lifted": bool(a["heel_lifted"]),
                "counts": bool(a["counts"]),
                "toe_to_wall_cm": None if a.get("toe_to_wall_m") is None else round(100 * a["toe_to_wall_m"], 1),
            }
            for a in analysis.attempts
        ]
        if exercise == "knee_to_wall"
        else None,
        "activity": [{"start_s": _s(b["start_s"]), "end_s": _s(b["end_s"])} for b in analysis.activity]
        if ex.target_unit == "s"
        else None,
        "compensations": [
            {"kind": c["kind"], "start_s": _s(c["start_s"]), "end_s": _s(c["end_s"])} for c in analysis.compensations
        ]
        if ex.foot_on_ground
        else None,
        "progress": analysis.progress,
        "max_dorsiflexion_deg": _deg(analysis.max_dorsiflexion_rad),
        "knee_to_wall_cm": None if k2w is None else round(100.0 * k2w, 1),
        "events": [{"kind": e.kind, "t_s": _s(e.t_s)} for e in analysis.events],
    }


def write_angles_csv(path: Path, analysis: Analysis) -> None:
    """Write t_s,dorsiflexion_deg,inversion_deg (empty cells where the angle is unknown)."""
    df = np.degrees(analysis.dorsiflexion_rad)
    inv = np.degrees(analysis.inversion_rad)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("t_s", "dorsiflexion_deg", "inversion_deg"))
        for t, d, i in zip(analysis.t_s, df, inv, strict=True):
            w.writerow(
                (
                    f"{t:.4f}",
                    "" if not np.isfinite(d) else f"{d:.3f}",
                    "" if not np.isfinite(i) else f"{i:.3f}",
                )
            )

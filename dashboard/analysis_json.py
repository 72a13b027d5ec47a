"""Analysis results at the edge: the JSON object of `dorsi analyze --json` and the angles CSV, in degrees."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from processing.pipeline import Analysis


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


def analysis_to_json(analysis: Analysis, exercise: str, side: str) -> dict[str, Any]:
    """The DESIGN section 6 JSON object (degrees at this edge only)."""
    reps = [_rep_json(e.data) for e in analysis.events if e.kind == "rep"]
    cal = analysis.calibration
    assert cal is not None, "analyze() raises when there is no calibration"
    return {
        "exercise": exercise,
        "side": side,
        "calibration": {"start_s": round(cal[0], 3), "end_s": round(cal[1], 3)},
        "rep_count": len(reps),
        "reps": reps,
        "holds": [
            {
                "start_s": round(h["start_s"], 3),
                "end_s": round(h["end_s"], 3),
                "duration_s": round(h["duration_s"], 3),
                "mean_dorsiflexion_deg": _deg(h["mean_dorsiflexion_rad"]),
            }
            for h in analysis.holds
        ],
        # null, not []: these are not detected yet, and an empty list would claim none happened
        "circles": None,
        "compensations": None,
        "max_dorsiflexion_deg": _deg(analysis.max_dorsiflexion_rad),
        "knee_to_wall_cm": None,
        "events": [{"kind": e.kind, "t_s": round(e.t_s, 3)} for e in analysis.events],
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

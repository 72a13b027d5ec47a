"""`dorsi validate`: run a fresh random simulator suite and the real-data comparisons, print the figures."""

from __future__ import annotations

import json
import math
import secrets
import sys
from pathlib import Path
from typing import Any

from dashboard.validation.simulated import TARGETS, describe_failures, run_suite, summarise

DEFAULT_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"

_LABELS = {
    "rmse_median_deg": ("dorsiflexion RMSE, median over cases", "deg"),
    "rmse_worst_deg": ("dorsiflexion RMSE, worst case", "deg"),
    "peak_error_deg": ("per-rep peak error, worst", "deg"),
    "drift_deg_per_min": ("drift of the error, worst", "deg/min"),
    "count_exact_fraction": ("sets with the exact count", ""),
    "count_off_max": ("largest count error", ""),
    "hold_edge_s": ("hold start/end error, worst", "s"),
    "compensation_found_fraction": ("heel-lift/pronation episodes found", ""),
    "false_alerts_per_set": ("false alerts in one set, worst", ""),
}


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if not math.isfinite(v) else f"{v:.3f}"
    return str(v)


def simulated_lines(
    figures: dict[str, Any], seed: int, n_cases: int, n_long: int, calibrated: bool = True
) -> list[str]:
    """The simulator suite's figures as text, one target per line."""
    flag = "" if calibrated else " --uncalibrated-accelerometers"
    lines = [
        f"Simulator suite: {n_cases} random cases + {n_long} long (20-30 min), base seed {seed} "
        f"(reproduce: dorsi validate --seed {seed} --cases {n_cases} --long {n_long}{flag})",
        f"  cases that failed to analyse: {figures['failed_cases']}",
    ]
    lines.insert(
        1,
        "  accelerometers calibrated once per sensor (dorsi calibrate-sensors, simulated)"
        if calibrated
        else "  accelerometers NOT calibrated: what sensors without `dorsi calibrate-sensors` measure",
    )
    for key, target in TARGETS.items():
        label, unit = _LABELS[key]
        op = ">=" if key.endswith("fraction") else "<="
        mark = "ok" if figures["meets"][key] else "MISSED"
        lines.append(f"  {label:<42} {_fmt(figures[key]):>8} {unit:<7} target {op} {target}  {mark}")
    lines.append(f"  per-rep peak error, median                 {_fmt(figures['peak_error_median_deg']):>8} deg")
    return lines


def run_validate(
    seed: int | None,
    n_cases: int,
    n_long: int,
    datasets: Path | None,
    as_json: bool,
    calibrated: bool = True,
) -> int:
    """Run both parts and print them; exit code 1 if a simulator target is missed."""
    base = secrets.randbelow(10**6) if seed is None else seed
    seeds = [base + i for i in range(n_cases)]
    long_seeds = [base + n_cases + i for i in range(n_long)]
    results = run_suite(seeds, long_seeds, calibrated)
    figures = summarise(results)
    real: dict[str, Any] | None = None
    real_lines: list[str] = []
    folder = datasets or DEFAULT_DATASETS
    if folder.is_dir():
        from dashboard.validation.real_data import format_real_data, real_data_report

        real = real_data_report(folder)
        real_lines = format_real_data(real)
    else:
        real_lines = [f"Real data: skipped, no datasets folder at {folder} (give one with --datasets DIR)"]
    if as_json:
        out = {
            "seed": base,
            "calibrated_accelerometers": calibrated,
            "simulated": figures,
            "real_data": real,
        }
        json.dump(out, sys.stdout, indent=2, default=str)
        print()
    else:
        print("\n".join(simulated_lines(figures, base, n_cases, n_long, calibrated)))
        for line in describe_failures(results):
            print("  " + line)
        print()
        print("\n".join(real_lines))
    return 0 if all(figures["meets"].values()) else 1

"""Benchmark: offline analysis of a 1-hour two-sensor 200 Hz recording, and live processing per notification.

Run: .venv/bin/python -m tests.benchmarks.bench_processing [--minutes 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from processing.analysis import analyze
from processing.pipeline import Pipeline
from sensors.interchange import read_interchange, write_interchange
from sensors.samples import SampleBlock
from sensors.simulator import simulate


def main() -> None:
    """Print the medians of the offline and live figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    sim = simulate("band_mobilisation", duration_s=args.minutes * 60.0, rate_hz=200.0, seed=7)
    duration_min = sim.truth.t_s[-1] / 60
    print(
        f"simulated {duration_min:.1f} min, {len(sim.blocks['shin'])} samples per sensor "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "hour.csv"
        write_interchange(csv_path, sim.blocks)
        load_s, analyse_s = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            blocks = read_interchange(csv_path)
            t1 = time.perf_counter()
            result = analyze(blocks, "band_mobilisation", "right")
            t2 = time.perf_counter()
            load_s.append(t1 - t0)
            analyse_s.append(t2 - t1)
    total = [a + b for a, b in zip(load_s, analyse_s, strict=True)]
    print(
        f"offline: load CSV median {statistics.median(load_s):.2f} s, fusion+angles+events median "
        f"{statistics.median(analyse_s):.2f} s, end to end median {statistics.median(total):.2f} s "
        f"({result.rep_count} reps of {len(sim.truth.reps)} true)"
    )

    # live: 4-sample blocks (one 200 Hz notification), alternating sensors, as BleSource delivers them
    pipe = Pipeline("band_mobilisation", "right")
    n = min(len(sim.blocks["shin"]), 200 * 120)
    step_ms = []
    for start in range(0, n - 4, 4):
        for role in ("shin", "foot"):
            b = sim.blocks[role]
            sl = slice(start, start + 4)
            block = SampleBlock(role, b.seq[sl], b.t_s[sl], b.acc[sl], b.gyr[sl])
            t0 = time.perf_counter()
            pipe.step(block)
            step_ms.append((time.perf_counter() - t0) * 1e3)
    arr = np.array(step_ms)
    print(
        f"live: {len(arr)} notifications of 4 samples, median {np.median(arr):.3f} ms, "
        f"p99 {np.percentile(arr, 99):.3f} ms, max {arr.max():.2f} ms"
    )


if __name__ == "__main__":
    main()

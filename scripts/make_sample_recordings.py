"""Regenerate the simulated sample recordings in recordings/ (interchange CSV plus the truth they came from)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from sensors.interchange import write_interchange
from sensors.simulator import simulate

OUT = Path(__file__).resolve().parents[1] / "recordings"
SAMPLES = (("band_mobilisation", "right", 10, 101), ("eccentric_drop", "right", 5, 102))


def main() -> None:
    """Write <exercise>_<side>.csv and <exercise>_<side>.truth.json for each sample."""
    for exercise, side, reps, seed in SAMPLES:
        sim = simulate(exercise, reps=reps, side=side, seed=seed)
        stem = OUT / f"{exercise}_{side}"
        write_interchange(stem.with_suffix(".csv"), sim.blocks)
        truth = {
            "simulated": True,
            "exercise": exercise,
            "side": side,
            "seed": seed,
            "stance_end_s": round(sim.truth.stance_end_s, 3),
            "reps": [
                {
                    "start_s": round(r.start_s, 3),
                    "end_s": round(r.end_s, 3),
                    "peak_dorsiflexion_deg": round(math.degrees(r.peak_dorsiflexion_rad), 2),
                    "hold_s": round(r.hold_s, 3),
                    "lower_s": round(r.lower_s, 3),
                }
                for r in sim.truth.reps
            ],
        }
        stem.with_suffix(".truth.json").write_text(json.dumps(truth, indent=2) + "\n")
        print(f"wrote {stem}.csv ({sum(len(b) for b in sim.blocks.values())} samples) and its truth")


if __name__ == "__main__":
    main()

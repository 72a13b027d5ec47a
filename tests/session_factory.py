"""Test helper: real session folders (written by sensors.recorder.Recorder) from simulated sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sensors.recorder import Recorder
from sensors.samples import ROLES, SampleBlock
from sensors.simulator import SimulatedSession, simulate


@dataclass
class MadeSet:
    """One simulated set as placed on the session clock (offset_s shifts the simulation's own times)."""

    exercise: str
    sim: SimulatedSession
    offset_s: float
    start_s: float
    end_s: float


def _shift(b: SampleBlock, dt_s: float, dseq: int) -> SampleBlock:
    return SampleBlock(b.role, b.seq + dseq, b.t_s + dt_s, b.acc, b.gyr)


def make_session(
    data_dir: Path,
    sets: list[dict[str, Any]],
    *,
    leg: str = "right",
    created: datetime | None = None,
    demo: bool = False,
    pauses: dict[int, list[tuple[float, float]]] | None = None,
    pain: dict[int, int] | None = None,
    rest_s: float = 2.0,
) -> tuple[str, list[MadeSet]]:
    """Record one session: each entry of `sets` is simulate() keyword arguments (with "exercise"), one set each.

    pauses: per set index, (start, end) in seconds after the set's start (samples keep flowing).
    """
    rec = Recorder.create(data_dir, leg, {r: {"profile": "dorsi"} for r in ROLES}, demo=demo, created=created)
    made, t0, seq0 = [], 0.0, 0
    for i, kw in enumerate(sets):
        kw = dict(kw)
        exercise = kw.pop("exercise")
        sim = simulate(exercise, side=leg, **kw)
        blocks = {r: _shift(sim.blocks[r], t0, seq0) for r in ROLES}
        start = t0
        end = max(float(b.t_s[-1]) for b in blocks.values()) + 0.01
        rec.start_set(exercise, start)
        for p0, p1 in (pauses or {}).get(i, []):
            rec.pause_set(start + p0)
            rec.resume_set(start + p1)
        for r in ROLES:
            rec.write(blocks[r])
        rec.end_set(end, pain=(pain or {}).get(i))
        made.append(MadeSet(exercise, sim, t0, start, end))
        t0 = end + rest_s
        seq0 += max(len(b) for b in blocks.values()) + 10
    rec.close()
    return rec.session_id, made

"""Demo history: planned weeks of sessions, recorded as real folders whose analysed samples show the plan."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboard import session_index
from dashboard.demo_history import DEMO_RATE_HZ, has_sessions, plan_history, seed_demo_history

END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_plan_covers_the_weeks_with_missed_days_and_a_weekly_test_of_the_other_leg() -> None:
    plans = plan_history(6, 0, END)
    right = [p for p in plans if p.leg == "right"]
    left = [p for p in plans if p.leg == "left"]
    assert len(left) == 6  # once a week
    first_day = (END - timedelta(days=42)).date()
    for w in range(6):
        days = {p.created.date() for p in right if 0 <= (p.created.date() - first_day).days - 7 * w < 7}
        assert 2 <= len(days) <= 7
    assert len(right) < 42  # some days are missed
    assert all(p.created < END.replace(hour=0) for p in plans)
    assert all(p.exercises[-1] == "knee_to_wall" and len(p.exercises) >= 2 for p in plans)
    # the stiff leg improves: its planned test angle rises about 9 deg over the weeks
    early = [math.degrees(p.ktw_rad) for p in right[:5]]
    late = [math.degrees(p.ktw_rad) for p in right[-5:]]
    assert sum(late) / 5 - sum(early) / 5 > 5.0
    assert plan_history(6, 0, END) == plans  # reproducible


def test_seeded_sessions_are_real_demo_recordings_whose_analysis_shows_the_plan(tmp_path: Path) -> None:
    assert not has_sessions(tmp_path)
    started = time.perf_counter()
    lines: list[str] = []
    report = seed_demo_history(tmp_path, weeks=1, seed=3, end=END, log=lines.append)
    elapsed = time.perf_counter() - started
    plans = plan_history(1, 3, END)
    assert len(report.session_ids) == len(plans) >= 3
    assert lines and lines[-1].startswith(f"demo history: {len(plans)}/{len(plans)} sessions")
    assert has_sessions(tmp_path)
    print(f"seeded {len(plans)} sessions in {elapsed:.1f} s")

    for sid, plan in zip(report.session_ids, plans, strict=True):
        folder = tmp_path / "sessions" / sid
        meta = json.loads((folder / "session.json").read_text())
        assert meta["demo"] is True and meta["leg"] == plan.leg
        assert datetime.fromisoformat(meta["created_utc"]) == plan.created.replace(microsecond=0)
        assert [s["exercise"] for s in meta["sets"]] == list(plan.exercises)
        assert all(s["start_s"] < s["end_s"] for s in meta["sets"])
        rows = (folder / "samples_shin.csv").read_text().splitlines()
        t_s = [float(line.split(",")[2]) for line in rows[1:3]]
        assert t_s[1] - t_s[0] == pytest.approx(1.0 / DEMO_RATE_HZ)
        assert len(rows) - 1 >= DEMO_RATE_HZ * meta["sets"][-1]["end_s"]

    session_index.sync(tmp_path)
    sets = session_index.set_rows(tmp_path)
    assert all(r.problem is None for r in sets), [r.problem for r in sets if r.problem]
    tests = {r.session_id: r for r in sets if r.exercise == "knee_to_wall"}
    for sid, plan in zip(report.session_ids, plans, strict=True):
        measured = tests[sid].knee_to_wall_rad
        assert measured is not None
        assert math.degrees(measured) == pytest.approx(math.degrees(plan.ktw_rad), abs=3.0)
    assert all(r.demo for r in sets)


def test_weeks_must_be_positive() -> None:
    with pytest.raises(ValueError, match="weeks"):
        plan_history(0, 0, END)

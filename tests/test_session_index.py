"""The SQLite session index: numbers per set from real recorded folders, caching, bad folders, rebuilds."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboard import session_index as si
from tests.session_factory import make_session


def _meta_path(data_dir: Path, sid: str) -> Path:
    return data_dir / "sessions" / sid / "session.json"


def _edit_meta(data_dir: Path, sid: str, edit) -> None:
    p = _meta_path(data_dir, sid)
    meta = json.loads(p.read_text())
    edit(meta)
    p.write_text(json.dumps(meta))


PAUSE_S = (16.15, 19.25)  # covers the third of the five simulated reps of seed 1, and no other


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A data dir with two real sessions: a left-leg mixed session and an older right-leg one."""
    data_dir = tmp_path_factory.mktemp("data")
    sid, made = make_session(
        data_dir,
        [
            {"exercise": "band_mobilisation", "reps": 5, "seed": 1},
            {"exercise": "seated_dorsiflexion_hold", "reps": 3, "seed": 3},
            {"exercise": "knee_to_wall", "seed": 2},
        ],
        leg="left",
        created=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        pauses={0: [PAUSE_S]},
        pain={0: 3},
    )
    old_sid, old_made = make_session(
        data_dir,
        [{"exercise": "band_mobilisation", "reps": 4, "seed": 7}],
        leg="right",
        created=datetime(2026, 10, 1, 18, 0, tzinfo=UTC),
        demo=True,
    )
    report = si.sync(data_dir)
    return data_dir, sid, made, old_sid, old_made, report


def test_sync_indexes_every_set_with_numbers_from_the_recording(recorded):
    data_dir, sid, made, old_sid, _, report = recorded
    assert sorted(report.added) == sorted([sid, old_sid]) and report.problems == [] and report.rebuilt
    assert (data_dir / "index.sqlite").is_file()
    sets = si.session_sets(data_dir, sid)
    assert [s.exercise for s in sets] == ["band_mobilisation", "seated_dorsiflexion_hold", "knee_to_wall"]
    band, hold, k2w = sets
    truth = made[0].sim.truth
    paused = [r for r in truth.reps if PAUSE_S[0] < r.start_s and r.end_s < PAUSE_S[1]]
    outside = [r for r in truth.reps if r.end_s < PAUSE_S[0] or r.start_s > PAUSE_S[1]]
    assert len(paused) == 1 and len(outside) == 4
    # the paused stretch is not analysed (as live): the rep inside it is not counted, the others are
    assert band.active_s == pytest.approx(made[0].end_s - made[0].start_s - (PAUSE_S[1] - PAUSE_S[0]), abs=1e-6)
    assert band.rep_count == 4 and band.holds_counted is None and band.circle_count is None
    assert band.pain == 3 and hold.pain is None and band.problem is None
    assert not band.target_met  # 5 of the guide's 30
    true_peak = max(r.peak_dorsiflexion_rad for r in outside)
    assert band.peak_dorsiflexion_rad == pytest.approx(true_peak, abs=math.radians(2.5))
    assert hold.holds_counted == 3 and hold.hold_count == 3 and hold.rep_count is None
    best = max(a.max_dorsiflexion_rad for a in made[2].sim.truth.attempts)
    assert k2w.knee_to_wall_rad == pytest.approx(best, abs=math.radians(2.0))
    # clinical rule: 1 cm per 3.6 deg
    assert k2w.knee_to_wall_m == pytest.approx(math.degrees(k2w.knee_to_wall_rad) / 3.6 / 100, abs=0.005)
    assert k2w.target_met  # all 3 attempts count
    row = si.session(data_dir, sid)
    assert row is not None and row.leg == "left" and not row.demo and row.set_count == 3
    assert row.exercises == ("band_mobilisation", "seated_dorsiflexion_hold", "knee_to_wall")
    assert row.rep_total == 4 and row.holds_counted_total == 3 and row.problem is None
    assert row.created_utc == "2026-11-20T09:30:00+00:00"
    assert row.duration_s == pytest.approx(made[-1].end_s, abs=0.05)
    assert row.summary.startswith("band mobilisation 4 reps (peak ")
    assert "seated dorsiflexion hold 3 holds" in row.summary and "knee to wall" in row.summary


def test_set_start_times_are_wall_clock_from_the_session_start(recorded):
    data_dir, sid, made, *_ = recorded
    sets = si.session_sets(data_dir, sid)
    created = datetime(2026, 11, 20, 9, 30, tzinfo=UTC).timestamp()
    for s, m in zip(sets, made, strict=True):
        assert datetime.fromisoformat(s.start_utc).timestamp() == pytest.approx(created + m.start_s, abs=1.0)


def test_queries_filter_and_order(recorded):
    data_dir, sid, _, old_sid, _, _ = recorded
    assert [r.session_id for r in si.list_sessions(data_dir)] == [sid, old_sid]  # newest first
    assert [r.session_id for r in si.list_sessions(data_dir, leg="right")] == [old_sid]
    assert [r.session_id for r in si.list_sessions(data_dir, exercise="knee_to_wall")] == [sid]
    assert [r.session_id for r in si.list_sessions(data_dir, demo=True)] == [old_sid]
    assert [r.session_id for r in si.list_sessions(data_dir, since_utc="2026-11-20")] == [sid]
    # a date alone as the upper bound includes that whole day
    assert [r.session_id for r in si.list_sessions(data_dir, until_utc="2026-10-01")] == [old_sid]
    assert si.list_sessions(data_dir, since_utc="2026-10-02", until_utc="2026-11-19") == []
    bands = si.set_rows(data_dir, exercise="band_mobilisation")
    assert [(r.session_id, r.rep_count) for r in bands] == [(old_sid, 4), (sid, 4)]  # oldest first
    assert [r.session_id for r in si.set_rows(data_dir, leg="left", exercise="band_mobilisation")] == [sid]
    left_band = si.session_sets(data_dir, sid)[0].peak_dorsiflexion_rad
    assert si.best_peak_dorsiflexion_rad(data_dir, "left", "band_mobilisation") == left_band
    assert si.best_peak_dorsiflexion_rad(data_dir, "left", "eccentric_drop") is None
    assert si.session(data_dir, "20990101T000000Z-0000") is None


def test_session_folder_accepts_only_ids(tmp_path):
    assert si.session_folder(tmp_path, "20261124T101500Z-3f9a") == tmp_path / "sessions" / "20261124T101500Z-3f9a"
    for bad in ("../etc", "a/b", "", "x y", "..", "/tmp/x", "id\x00"):
        with pytest.raises(ValueError, match="not a session id"):
            si.session_folder(tmp_path, bad)


def test_sync_is_incremental_and_follows_changes(tmp_path):
    sid_a, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 3, "seed": 4}])
    first = si.sync(tmp_path)
    assert first.added == [sid_a]
    again = si.sync(tmp_path)
    assert (again.added, again.updated, again.removed, again.rebuilt) == ([], [], [], False)
    # rating the pain afterwards changes session.json: the session is re-read
    _edit_meta(tmp_path, sid_a, lambda m: m["sets"][0].update(pain=6))
    os.utime(_meta_path(tmp_path, sid_a), ns=(1, 1))
    changed = si.sync(tmp_path)
    assert changed.updated == [sid_a] and si.session_sets(tmp_path, sid_a)[0].pain == 6
    sid_b, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 5}])
    assert si.sync(tmp_path).added == [sid_b]
    for f in (tmp_path / "sessions" / sid_a).iterdir():
        f.unlink()
    (tmp_path / "sessions" / sid_a).rmdir()
    gone = si.sync(tmp_path)
    assert gone.removed == [sid_a] and si.session(tmp_path, sid_a) is None
    assert si.session_sets(tmp_path, sid_a) == [] and [r.session_id for r in si.list_sessions(tmp_path)] == [sid_b]


def test_bad_folders_become_rows_with_a_problem(tmp_path):
    good, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 3, "seed": 8}])
    broken, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 9}])
    _meta_path(tmp_path, broken).write_text('{"format_version": 2, "sets": [')
    future, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 9}])
    _edit_meta(tmp_path, future, lambda m: m.update(format_version=7))
    # a second set of 1.5 s cannot contain a calibration
    short, made = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 3, "seed": 10}])
    _edit_meta(
        tmp_path,
        short,
        lambda m: m["sets"].append(
            {"exercise": "band_mobilisation", "start_s": 5.0, "end_s": 6.5, "pain": None, "pauses": []}
        ),
    )
    (tmp_path / "sessions" / ".import-tmp-x").mkdir()  # an import in progress is not a session
    (tmp_path / "sessions" / "not an id").mkdir()
    report = si.sync(tmp_path)
    assert sorted(report.added) == sorted([good, broken, future, short])
    assert any("not an id" in p for p in report.problems)
    rows = {r.session_id: r for r in si.list_sessions(tmp_path)}
    assert rows[good].problem is None
    assert "not valid JSON" in rows[broken].problem and rows[broken].set_count == 0
    assert "format version 7" in rows[future].problem and "newer dorsi" in rows[future].problem
    assert rows[future].created_utc.startswith(future[:4] + "-")  # dated from the id
    sets = si.session_sets(tmp_path, short)
    assert sets[0].problem is None and sets[0].rep_count == 3
    assert sets[1].problem.startswith("set 2: calibration failed: ") and sets[1].rep_count is None
    assert rows[short].problem == sets[1].problem and "not analysed" in rows[short].summary


def test_a_version_1_folder_without_pauses_is_indexed(tmp_path):
    sid, made = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 3, "seed": 12}])

    def to_v1(meta):
        meta["format_version"] = 1
        for st in meta["sets"]:
            del st["pauses"]

    _edit_meta(tmp_path, sid, to_v1)
    si.sync(tmp_path)
    (s,) = si.session_sets(tmp_path, sid)
    assert s.problem is None and s.rep_count == 3
    assert s.active_s == pytest.approx(made[0].end_s - made[0].start_s)


def test_corrupt_or_other_version_index_is_rebuilt(tmp_path):
    sid, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 13}])
    si.sync(tmp_path)
    db = tmp_path / "index.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    # readers rebuild a corrupt index on their own
    assert [r.session_id for r in si.list_sessions(tmp_path)] == [sid]
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA user_version = 99")
    report = si.sync(tmp_path)
    assert report.rebuilt and report.added == [sid]
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == si.SCHEMA_VERSION
    full = si.sync(tmp_path, full=True)
    assert full.rebuilt and full.added == [sid]


def test_a_crash_mid_sync_leaves_whole_sessions_only(tmp_path, monkeypatch):
    a, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 14}])
    b, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 3, "seed": 15}])
    real = si.summarise_folder
    first = min(a, b)

    def dies_on_the_second(folder):
        if folder.name != first:
            raise KeyboardInterrupt  # the process is stopped half way through the sync
        return real(folder)

    monkeypatch.setattr(si, "summarise_folder", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        si.sync(tmp_path)
    with sqlite3.connect(tmp_path / "index.sqlite") as c:
        assert c.execute("SELECT session_id FROM sessions").fetchall() == [(first,)]
        assert {r[0] for r in c.execute("SELECT session_id FROM sets")} == {first}
    monkeypatch.setattr(si, "summarise_folder", real)
    assert si.sync(tmp_path).added == [max(a, b)]


def test_reads_of_an_empty_data_dir_create_nothing(tmp_path):
    empty = tmp_path / "nothing"
    assert si.list_sessions(empty) == [] and si.set_rows(empty) == [] and si.session(empty, "x") is None
    assert not empty.exists()


def test_reindex_command_prints_what_it_did(tmp_path):
    sid, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 16}])
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "reindex", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 added" in proc.stdout and sid in proc.stdout and str(tmp_path / "index.sqlite") in proc.stdout
    assert si.session(tmp_path, sid) is not None
    missing = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "reindex", "--data-dir", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "no sessions folder" in missing.stderr


def test_a_session_folder_without_its_files_is_listed_with_a_problem_not_a_crash(tmp_path):
    (tmp_path / "sessions" / "20260101T000000Z-abcd").mkdir(parents=True)
    report = si.sync(tmp_path)
    (row,) = si.list_sessions(tmp_path)
    assert row.session_id == "20260101T000000Z-abcd" and "session.json" in (row.problem or "")
    assert any("20260101T000000Z-abcd" in p for p in report.problems)

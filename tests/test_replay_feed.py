"""Replay of a recorded session: the same events as the offline analysis (`dorsi analyze`), bit for bit."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dashboard.replay_feed import ReplayFeed, session_path
from processing.analysis import analyze, analyze_sets
from sensors.sessions import load_session, set_windows
from tests.session_factory import make_session


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data_dir = tmp_path_factory.mktemp("data")
    sid, _ = make_session(
        data_dir,
        [
            {"exercise": "band_mobilisation", "reps": 4, "seed": 3},
            {"exercise": "seated_dorsiflexion_hold", "reps": 2, "seed": 4},
        ],
        leg="left",
        pauses={0: [(14.0, 17.0)]},
    )
    return data_dir, sid


def _same(a: list, b: list) -> None:  # type: ignore[type-arg]
    assert [(e.kind, e.t_s) for e in a] == [(e.kind, e.t_s) for e in b]
    assert [e.data for e in a] == [e.data for e in b]


def test_a_set_replays_to_the_events_of_dorsi_analyze_bit_for_bit(recorded: tuple[Path, str]) -> None:
    data_dir, sid = recorded
    path = session_path(data_dir, sid)
    meta, blocks = load_session(path)
    hold = set_windows(meta)[1]  # a set without pauses
    feed = ReplayFeed(path, chunk_s=0.37)
    assert feed.side == "left"
    feed.seek(hold.start_s, hold.index)
    assert feed.snapshot(0)["exercise"] == "seated_dorsiflexion_hold"
    feed.advance_to(math.inf)
    assert feed.finished
    cli = analyze_sets(blocks, hold.exercise, "left", [[(hold.start_s, hold.end_s)]])  # what `dorsi analyze` runs
    _same(feed.events, cli.events)
    assert sum(1 for e in cli.events if e.kind == "hold") >= 2
    assert feed.snapshot(0)["progress"] == cli.progress[0]


def test_a_paused_set_replays_to_the_same_count_as_its_offline_analysis(recorded: tuple[Path, str]) -> None:
    data_dir, sid = recorded
    path = session_path(data_dir, sid)
    meta, blocks = load_session(path)
    w = set_windows(meta)[0]
    assert w.pauses_s, "the first set was paused"
    feed = ReplayFeed(path, chunk_s=0.37)
    feed.advance_to(math.inf)
    expected = analyze(w.blocks(blocks), w.exercise, "left")
    assert [e.kind for e in feed.events] == [e.kind for e in expected.events]
    assert feed.snapshot(0)["rep_count"] == expected.rep_count == 3  # 4 reps done, one of them while paused


def test_a_paused_set_replays_bit_for_bit(recorded: tuple[Path, str]) -> None:
    data_dir, sid = recorded
    path = session_path(data_dir, sid)
    meta, blocks = load_session(path)
    w = set_windows(meta)[0]
    (pause,) = w.pauses_s
    feed = ReplayFeed(path, chunk_s=0.37)
    feed.advance_to(math.inf)
    _same(feed.events, analyze(w.blocks(blocks), w.exercise, "left").events)
    assert not any(pause[0] < e.t_s < pause[1] for e in feed.events), "nothing is decided inside the pause"


def test_seek_back_and_forth_gives_the_same_events_and_speed_is_bounded(recorded: tuple[Path, str]) -> None:
    data_dir, sid = recorded
    feed = ReplayFeed(session_path(data_dir, sid))
    start, end = feed.set_span(0)
    feed.seek(start + 0.8 * (end - start))
    late = feed.snapshot(0)
    assert late["rep_count"] >= 2 and late["position_s"] == pytest.approx(start + 0.8 * (end - start))
    feed.seek(start + 5.0)  # backwards: processed again from the set's start
    assert feed.snapshot(0)["rep_count"] == 0
    feed.advance_to(end)
    assert feed.finished and feed.snapshot(0)["rep_count"] == 3
    with pytest.raises(ValueError):
        feed.set_speed(16.0)
    feed.set_speed(8.0)
    assert feed.snapshot(0)["speed"] == 8.0


def test_sessions_are_named_by_a_validated_id_only(recorded: tuple[Path, str]) -> None:
    data_dir, _ = recorded
    for bad in ("../etc", "a/b", "", "x" * 100, "..", "nosuch-session"):
        with pytest.raises(ValueError):
            session_path(data_dir, bad)

"""Whole-session view: pure figure builders, and the per-session analysis and its cache."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from dashboard.session_figures import (
    FLAG_TRACE,
    REP_TRACE,
    Mark,
    SessionMarks,
    Span,
    marks_in_view,
    rep_comb,
    session_figure,
    trace_values,
    y_range_deg,
)
from dashboard.session_view import ViewCache, analyse_session
from tests.session_factory import make_session

DEG = math.pi / 180.0


def _marks() -> SessionMarks:
    return SessionMarks(
        sets=(Span(0.0, 30.0, "Set 1: Ankle mobilisation with a band"), Span(40.0, 70.0, "Set 2: Eccentric toe drops")),
        reps=(
            Mark(10.0, 30 * DEG, "set 1 rep 1: peak 30 deg"),
            Mark(20.0, 35 * DEG, "set 1 rep 2: peak 35 deg"),
            Mark(50.0, 18 * DEG, "set 2 rep 1: peak 18 deg"),
        ),
        flagged=(Mark(20.0, 35 * DEG, "heel lifted"),),
        holds=(Span(48.0, 54.0, "hold 6 s"),),
        compensations=(Span(19.0, 21.0, "heel lift"),),
    )


def test_trace_values_in_degrees_with_gaps_as_none() -> None:
    x, y = trace_values([0.0, 0.0104, 1.5], [0.5, np.nan, -0.1])
    assert x == [0.0, 0.01, 1.5]
    assert y == [28.65, None, -5.73]  # 0.5 rad = 28.648 deg, -0.1 rad = -5.730 deg
    with pytest.raises(ValueError, match="differ"):
        trace_values([0.0], [0.0, 1.0])


def test_y_range_holds_the_extremes_and_a_minimum() -> None:
    assert y_range_deg(np.array([0.0, np.nan])) == (-10.0, 30.0)
    lo, hi = y_range_deg(np.array([-20 * DEG, 41.2 * DEG, np.nan]))
    assert lo == -25.0 and hi == 47.0  # floor(-20 - 5), ceil(41.2 + 5)


def test_rep_comb_has_one_tooth_per_rep_and_breaks_between_sets() -> None:
    m = _marks()
    x, y, text = rep_comb(m.reps, m.sets, top_deg=40.0, tooth_deg=3.0)
    assert x == [10.0, 10.0, 10.0, 20.0, 20.0, 20.0, None, 50.0, 50.0, 50.0]
    assert y == [40.0, 37.0, 40.0, 40.0, 37.0, 40.0, None, 40.0, 37.0, 40.0]
    assert text[7] == "set 2 rep 1: peak 18 deg"


def test_marks_in_view_filters_and_thins() -> None:
    marks = [Mark(float(t), 0.1, f"m{t}") for t in range(1000)]
    x, y, text = marks_in_view(marks, (100.0, 109.5))
    assert x == [float(t) for t in range(100, 110)] and text[0] == "m100"
    assert y[0] == round(0.1 / DEG, 2)
    x, _, _ = marks_in_view(marks, None, max_marks=50)
    assert len(x) == 50 and x[0] == 0.0 and x[-1] == 999.0 and len(set(x)) == 50
    with pytest.raises(ValueError):
        marks_in_view(marks, None, max_marks=0)


def test_session_figure_marks_everything_in_text() -> None:
    t = np.linspace(0.0, 70.0, 701)
    a = 0.5 * np.sin(t)
    a[300:400] = np.nan
    fig = session_figure(t, a, _marks(), y_range=(-10.0, 40.0), revision="session-x")
    data = fig.to_plotly_json()["data"]
    assert data[0]["mode"] == "lines" and len(data[0]["x"]) == 701
    assert data[0]["y"][350] is None and data[0]["y"][100] == round(math.degrees(0.5 * math.sin(t[100])), 2)
    # rep comb: three teeth, broken once between the sets
    assert sum(v is None for v in data[REP_TRACE]["x"]) == 1 and len(data[REP_TRACE]["x"]) == 10
    assert "tooth" in data[REP_TRACE]["name"]
    assert list(data[FLAG_TRACE]["text"]) == ["heel lifted"] and data[FLAG_TRACE]["mode"] == "markers+text"
    layout = fig.to_plotly_json()["layout"]
    labels = [s["label"]["text"] for s in layout["shapes"] if s.get("label")]
    assert labels == ["Set 1: Ankle mobilisation with a band", "Set 2: Eccentric toe drops", "hold 6 s", "heel lift"]
    assert layout["yaxis"]["range"] == [-10.0, 40.0] and layout["yaxis"]["fixedrange"] is True
    assert layout["uirevision"] == "session-x"
    with pytest.raises(ValueError):
        session_figure(t, a, _marks(), y_range=(5.0, 5.0))


@pytest.fixture(scope="module")
def two_set_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[int]]:
    data_dir = tmp_path_factory.mktemp("view") / "data"
    sid, made = make_session(
        data_dir,
        [
            {"exercise": "band_mobilisation", "reps": 4, "seed": 11, "heel_lifts": 1},
            {"exercise": "eccentric_drop", "reps": 3, "seed": 12},
        ],
    )
    return data_dir / "sessions" / sid, sid, [len(m.sim.truth.reps) for m in made]


def test_analyse_session_marks_each_simulated_rep(two_set_session: tuple[Path, str, list[int]]) -> None:
    folder, sid, true_reps = two_set_session
    view = analyse_session(folder, sid)
    assert view.problems == ()
    assert [s.text for s in view.marks.sets] == ["Set 1: Ankle mobilisation with a band", "Set 2: Eccentric toe drops"]
    assert true_reps == [4, 3]
    assert [m.text.split(" rep ")[0] for m in view.marks.reps] == ["set 1"] * 4 + ["set 2"] * 3
    assert len(view.marks.holds) == 3  # the hold at the top of each eccentric drop
    assert any(c.text == "heel lift" for c in view.marks.compensations)
    assert np.all(np.diff(view.t_s) > 0)
    # one NaN between the sets, where the rest was, so the line breaks
    gap = np.flatnonzero(np.isnan(view.dorsiflexion_rad) & (view.t_s > view.marks.sets[0].end_s - 1.0))
    assert gap.size >= 1 and view.marks.sets[0].end_s - 1.0 < view.t_s[gap[0]] < view.marks.sets[1].start_s + 1.0
    # each rep's mark is at its peak on the trace
    for m in view.marks.reps:
        k = int(np.argmin(np.abs(view.t_s - m.t_s)))
        assert view.dorsiflexion_rad[k] == pytest.approx(m.angle_rad)


def test_a_set_that_cannot_be_analysed_is_named(tmp_path: Path, two_set_session: tuple[Path, str, list[int]]) -> None:
    src, sid, _ = two_set_session
    folder = tmp_path / sid
    folder.mkdir()
    for f in src.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    meta = json.loads((folder / "session.json").read_text())
    meta["sets"][0]["exercise"] = "moonwalk"
    (folder / "session.json").write_text(json.dumps(meta))
    view = analyse_session(folder, sid)
    assert len(view.problems) == 1 and view.problems[0].startswith("set 1 (moonwalk): ")
    assert view.marks.sets[0].text == "Set 1: moonwalk (not analysed)"
    assert all(m.text.startswith("set 2") for m in view.marks.reps) and len(view.marks.reps) == 3


def test_view_cache_reuses_and_refreshes(tmp_path: Path, two_set_session: tuple[Path, str, list[int]]) -> None:
    folder, sid, _ = two_set_session
    cache = ViewCache(size=1)
    first = cache.get(folder, sid)
    assert cache.get(folder, sid) is first
    meta_path = folder / "session.json"
    st = meta_path.stat()
    os.utime(meta_path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the session changed on disk
    second = cache.get(folder, sid)
    assert second is not first and len(cache) == 1
    other_sid, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 5}])
    cache.get(tmp_path / "sessions" / other_sid, other_sid)
    assert len(cache) == 1  # bounded: the older session was dropped
    assert cache.get(folder, sid) is not second
    with pytest.raises(ValueError):
        ViewCache(size=0)

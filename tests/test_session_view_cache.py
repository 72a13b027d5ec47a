"""The whole-session view is kept on disk when the index analyses a session, and used only for the same files."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import session_index, session_view
from dashboard.session_view import ViewCache, analyse_session, view_file
from tests.session_factory import make_session


def test_sync_keeps_the_view_and_opening_it_does_not_analyse_again(tmp_path, monkeypatch):
    sid, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 3, "seed": 5}])
    folder = session_index.session_folder(tmp_path, sid)
    session_index.sync(tmp_path)
    assert view_file(folder).is_file()
    fresh = analyse_session(folder, sid)

    def no_analysis(*_a, **_k):
        raise AssertionError("analysed again although the kept view is current")

    monkeypatch.setattr(session_view, "analyse_session", no_analysis)
    kept = ViewCache().get(folder, sid)
    np.testing.assert_array_equal(kept.t_s, fresh.t_s)
    np.testing.assert_array_equal(kept.dorsiflexion_rad, fresh.dorsiflexion_rad)
    assert kept.marks == fresh.marks and len(kept.marks.reps) == 3


def test_a_changed_session_is_analysed_again(tmp_path, monkeypatch):
    sid, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 6}])
    folder = session_index.session_folder(tmp_path, sid)
    session_index.sync(tmp_path)
    with open(folder / "samples_shin.csv", "a") as f:  # the files change after the view was kept
        f.write("")
        f.write("\n")
    calls = []
    real = session_view.analyse_session
    monkeypatch.setattr(session_view, "analyse_session", lambda *a: calls.append(a) or real(*a))
    ViewCache().get(folder, sid)
    assert len(calls) == 1


@pytest.mark.parametrize("damage", [b"", b"not an npz"])
def test_a_damaged_view_file_is_ignored(tmp_path, damage):
    sid, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 7}])
    folder = session_index.session_folder(tmp_path, sid)
    session_index.sync(tmp_path)
    view_file(folder).write_bytes(damage)
    assert len(ViewCache().get(folder, sid).marks.reps) == 2

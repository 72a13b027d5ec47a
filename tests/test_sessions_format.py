"""Session folder format versions: v1 (sets without pauses) still opens; unknown or newer versions fail clearly."""

from __future__ import annotations

import json
import math

import pytest

from sensors.interchange import InputFileError
from sensors.recorder import READABLE_FORMAT_VERSIONS, SESSION_FORMAT_VERSION
from sensors.sessions import load_metadata, load_session, set_windows
from tests.session_factory import make_session


def _rewrite(folder, edit):
    p = folder / "session.json"
    meta = json.loads(p.read_text())
    edit(meta)
    p.write_text(json.dumps(meta))


@pytest.fixture
def folder(tmp_path):
    sid, _ = make_session(
        tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 41}], pauses={0: [(6.0, 7.5)]}
    )
    return tmp_path / "sessions" / sid


def test_current_version_is_written_and_readable(folder):
    meta = load_metadata(folder)
    assert meta["format_version"] == SESSION_FORMAT_VERSION == 2 and 1 in READABLE_FORMAT_VERSIONS
    (w,) = set_windows(meta)
    assert w.pauses_s == ((6.0, 7.5),)
    assert w.active_spans_s() == [(0.0, 6.0), (7.5, w.end_s)]


def test_version_1_folder_without_pauses_opens(folder):
    def to_v1(meta):
        meta["format_version"] = 1
        for st in meta["sets"]:
            del st["pauses"]

    _rewrite(folder, to_v1)
    meta, blocks = load_session(folder)
    (w,) = set_windows(meta)
    assert w.pauses_s == () and w.active_spans_s() == [(0.0, w.end_s)]
    assert len(w.blocks(blocks)["shin"]) == len(blocks["shin"])  # the whole recording is in the set


@pytest.mark.parametrize(
    ("version", "expect"),
    [
        (3, "written by a newer dorsi: update dorsi"),
        (0, "reads versions 1, 2"),
        ("2", "reads versions 1, 2"),
        (None, "None"),
    ],
)
def test_unknown_versions_fail_naming_the_folder_and_the_versions(folder, version, expect):
    _rewrite(folder, lambda m: m.update(format_version=version))
    with pytest.raises(InputFileError) as e:
        load_session(folder)
    msg = str(e.value)
    assert str(folder) in msg and f"session format version {version!r}" in msg and expect in msg


def test_an_open_set_after_a_crash_runs_to_the_end(folder):
    _rewrite(folder, lambda m: m["sets"][0].update(end_s=None))
    (w,) = set_windows(load_metadata(folder))
    assert math.isinf(w.end_s)

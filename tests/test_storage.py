"""Interchange CSV reading/writing and session folders, on real files."""

import json

import numpy as np
import pytest

from sensors.interchange import InputFileError, read_interchange, write_interchange
from sensors.recorder import Recorder
from sensors.samples import make_block
from sensors.sessions import load_session

HEADER = "t_s,sensor,ax,ay,az,gx,gy,gz\n"


def two_blocks(n=50):
    rng = np.random.default_rng(1)
    return {
        "shin": make_block("shin", np.arange(n), np.arange(n) * 0.01, rng.normal(size=(n, 3)), rng.normal(size=(n, 3))),
        "foot": make_block(
            "foot",
            np.arange(n),
            0.003 + np.arange(n) * 0.02,
            rng.normal(size=(n, 3)),
            rng.normal(size=(n, 3)),
        ),
    }


def test_interchange_round_trip(tmp_path):
    blocks = two_blocks()
    path = tmp_path / "x.csv"
    write_interchange(path, blocks)
    back = read_interchange(path)
    for role in ("shin", "foot"):
        np.testing.assert_allclose(back[role].t_s, blocks[role].t_s, atol=1e-6)
        np.testing.assert_allclose(back[role].acc, blocks[role].acc, rtol=1e-5)
        np.testing.assert_allclose(back[role].gyr, blocks[role].gyr, rtol=1e-5)
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER.strip()
    times = [float(line.split(",")[0]) for line in lines[1:]]
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("t_s,sensor,ax,ay,az,gx,gy\n0,shin,0,0,9.8,0,0\n", "missing column(s) gz"),
        (HEADER + "0,shin,0,0,9.8,0,0,0\n0,knee,0,0,9.8,0,0,0\n", "line 3, column sensor: 'knee'"),
        (HEADER + "0,shin,0,0,abc,0,0,0\n0,foot,0,0,9.8,0,0,0\n", "line 2, column az: 'abc'"),
        (HEADER + "0,shin,0,0,9.8,0,0,nan\n", "line 2, column gz"),
        (HEADER + "0,shin,0,0,9.8,0,0,0\n", "no rows for the foot sensor"),
        (HEADER + "0,shin,0,0,9.8,0,0,0\n0,foot,0,0,9.8,0,0,0\n0,shin,0,0,9.8,0,0,0\n", "line 4, column t_s"),
        (HEADER, "no samples"),
    ],
)
def test_interchange_errors_name_file_line_and_column(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputFileError) as e:
        read_interchange(path)
    assert str(path) in str(e.value)
    assert message in str(e.value)


def test_recorder_appends_and_a_torn_last_line_still_loads(tmp_path):
    rec = Recorder.create(tmp_path, leg="left", sensors={"shin": {"name": "dorsi-S1"}, "foot": {"name": "dorsi-F1"}})
    blocks = two_blocks(30)
    rec.start_set("band_mobilisation", 0.0)
    for role in ("shin", "foot"):
        rec.write(blocks[role])
    rec.mark_gap("foot", 0.2, 0.4)
    rec.flush()
    # a crash mid-line: the session still opens, the torn row is dropped
    with open(rec.path / "samples_shin.csv", "a") as f:
        f.write("30,0.3000,0.30")
    meta, loaded = load_session(rec.path)
    assert meta["leg"] == "left" and meta["sets"][0]["exercise"] == "band_mobilisation"
    assert meta["gaps"] == [{"sensor": "foot", "start_s": 0.2, "end_s": 0.4}]
    assert len(loaded["shin"]) == 30 and len(loaded["foot"]) == 30
    np.testing.assert_allclose(loaded["foot"].acc, blocks["foot"].acc, rtol=1e-5)
    rec.close(t_s=1.0)
    meta = json.loads((rec.path / "session.json").read_text())
    assert meta["sets"][0]["end_s"] == 1.0


def test_unwritable_data_dir_is_reported_before_recording(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match="cannot create the data directory"):
        Recorder.create(blocker, leg="right", sensors={})


def test_newer_session_format_fails_clearly(tmp_path):
    rec = Recorder.create(tmp_path, leg="right", sensors={})
    rec.close()
    meta = json.loads((rec.path / "session.json").read_text())
    meta["format_version"] = 99
    (rec.path / "session.json").write_text(json.dumps(meta))
    with pytest.raises(InputFileError, match="format version 99"):
        load_session(rec.path)


def test_shipped_sample_recordings_analyse_to_their_truth():
    from pathlib import Path

    from processing.analysis import analyze

    root = Path(__file__).resolve().parents[1] / "recordings"
    for name in ("band_mobilisation_right", "eccentric_drop_right"):
        truth = json.loads((root / f"{name}.truth.json").read_text())
        result = analyze(read_interchange(root / f"{name}.csv"), truth["exercise"], truth["side"])
        assert result.rep_count == len(truth["reps"])
        for rep, true in zip(result.reps, truth["reps"], strict=True):
            assert np.degrees(rep["peak_dorsiflexion_rad"]) == pytest.approx(true["peak_dorsiflexion_deg"], abs=2.0)


def test_a_row_cut_inside_its_last_number_is_dropped_not_misread(tmp_path):
    from sensors.sessions import load_samples

    rec = Recorder.create(tmp_path, leg="right", sensors={})
    rec.close()
    for role in ("shin", "foot"):
        with open(rec.path / f"samples_{role}.csv", "a") as f:
            f.write("0,0.0,0.0,0.1,0.2,9.81,0.01,0.02,0.03\n")
            f.write("1,0.01,0.01,0.1,0.2,9.81,0.01,0.02,0.0312")  # a kill while writing "0.03125\n"
    blocks = load_samples(rec.path)
    assert len(blocks["shin"]) == 1 and blocks["shin"].gyr[0, 2] == 0.03

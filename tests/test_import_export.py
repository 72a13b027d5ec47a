"""dorsi import / export: interchange CSV round trip, Xsens MT exports, OpenSim .sto orientations, clean failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dashboard import session_index as si
from dashboard.io.exporting import ExportError, export_csv, export_sto
from dashboard.io.importing import SessionImportError, import_interchange, import_xsens
from dashboard.io.sto import read_sto
from processing.orientation import up_from_quat
from sensors.sessions import load_session
from tests.session_factory import make_session

XSENS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "movingreality_xsens_pp01"


def dorsi(*args):
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *map(str, args)], capture_output=True, text=True, timeout=180
    )


def _session_entries(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "sessions").iterdir())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    sid, made = make_session(data_dir, [{"exercise": "band_mobilisation", "reps": 4, "seed": 21}], leg="left")
    return data_dir, sid, made


def test_csv_export_imports_back_to_the_same_samples_and_numbers(recorded, tmp_path):
    data_dir, sid, made = recorded
    out = tmp_path / "export.csv"
    proc = dorsi("export", sid, "--csv", out, "--data-dir", data_dir)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().splitlines()[0] == "t_s,sensor,ax,ay,az,gx,gy,gz"
    proc = dorsi(
        "import", out, "--leg", "left", "--exercise", "band_mobilisation", "--created", "2026-11-02T07:45:00Z",
        "--data-dir", data_dir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    new = proc.stdout.strip()
    assert new.startswith("20261102T074500Z-") and new != sid
    _, before = load_session(data_dir / "sessions" / sid)
    meta, after = load_session(data_dir / "sessions" / new)
    for role in ("shin", "foot"):
        assert np.array_equal(before[role].t_s, after[role].t_s)
        assert np.array_equal(before[role].acc, after[role].acc)
        assert np.array_equal(before[role].gyr, after[role].gyr)
    assert meta["leg"] == "left" and meta["created_utc"] == "2026-11-02T07:45:00+00:00"
    assert [s["exercise"] for s in meta["sets"]] == ["band_mobilisation"]
    assert "export.csv" in meta["notes"]
    si.sync(data_dir)
    (orig,) = si.session_sets(data_dir, sid)
    (back,) = si.session_sets(data_dir, new)
    assert back.rep_count == orig.rep_count == 4
    assert back.peak_dorsiflexion_rad == pytest.approx(orig.peak_dorsiflexion_rad, abs=1e-9)


def test_sto_export_has_the_opensense_layout_and_the_sensors_tilt(recorded, tmp_path):
    data_dir, sid, made = recorded
    out = tmp_path / "orientations.sto"
    export_sto(data_dir, sid, out)
    lines = out.read_text().splitlines()
    assert lines[:5] == ["DataRate=100.000000", "DataType=Quaternion", "version=3", "OpenSimVersion=4.5", "endheader"]
    assert lines[5] == "time\ttibia_l_imu\tcalcn_l_imu"  # OpenSense's <body>_imu names, left leg
    assert all(len(line.split("\t")) == 3 for line in lines[6:])
    header, t_s, quats = read_sto(out)
    assert np.allclose(np.diff(t_s), 1 / float(header["DataRate"]), atol=2e-6)
    _, blocks = load_session(data_dir / "sessions" / sid)
    for col, role in (("tibia_l_imu", "shin"), ("calcn_l_imu", "foot")):
        q = quats[col]
        assert q.shape == (len(t_s), 4) and np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-6)
        # during the still stance (first 3 s) earth-up in the sensor frame is the measured gravity direction
        still = (t_s > 0.5) & (t_s < 3.0)
        up = up_from_quat(q[still])
        b = blocks[role]
        acc = np.array([np.interp(t_s[still], b.t_s, b.acc[:, k]) for k in range(3)]).T
        acc /= np.linalg.norm(acc, axis=1, keepdims=True)
        angle = np.degrees(np.arccos(np.clip(np.sum(up * acc, axis=1), -1, 1)))
        assert np.median(angle) < 2.0


def test_export_errors(recorded, tmp_path):
    data_dir, sid, _ = recorded
    with pytest.raises(ExportError, match="no such session"):
        export_csv(data_dir, "20990101T000000Z-0000", tmp_path / "x.csv")
    with pytest.raises(ExportError, match="cannot write"):
        export_csv(data_dir, sid, tmp_path / "no" / "such" / "dir.csv")
    assert not (tmp_path / "x.csv").exists()
    proc = dorsi("export", sid, "--data-dir", data_dir)
    assert proc.returncode == 2 and "--csv OUT" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_interchange_file_is_refused_with_its_line_and_nothing_written(tmp_path):
    data_dir = tmp_path / "data"
    bad = tmp_path / "bad.csv"
    bad.write_text("t_s,sensor,ax,ay,az,gx,gy,gz\n0,shin,0,0,9.8,0,0,0\n0.01,foot,0,0,x,0,0,0\n")
    with pytest.raises(SessionImportError, match=r"bad\.csv, line 3, column az"):
        import_interchange(data_dir, bad, "right", "band_mobilisation")
    proc = dorsi("import", bad, "--leg", "right", "--exercise", "band_mobilisation", "--data-dir", data_dir)
    assert proc.returncode == 2 and "line 3, column az" in proc.stderr and "Traceback" not in proc.stderr
    assert not (data_dir / "sessions").exists() or _session_entries(data_dir) == []
    good = tmp_path / "good.csv"
    good.write_text("t_s,sensor,ax,ay,az,gx,gy,gz\n0,shin,0,0,9.8,0,0,0\n0.01,foot,0,0,9.8,0,0,0\n")
    for kwargs, match in (
        ({"leg": "middle", "exercise": "band_mobilisation"}, "leg must be"),
        ({"leg": "left", "exercise": "moonwalk"}, "unknown exercise 'moonwalk'"),
        ({"leg": "left", "exercise": "band_mobilisation", "created": "last tuesday"}, "not an ISO-8601"),
    ):
        with pytest.raises(SessionImportError, match=match):
            import_interchange(data_dir, good, **kwargs)
    assert not (data_dir / "sessions").exists() or _session_entries(data_dir) == []


def test_a_failure_while_writing_leaves_no_folder(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    good = tmp_path / "good.csv"
    good.write_text("t_s,sensor,ax,ay,az,gx,gy,gz\n0,shin,0,0,9.8,0,0,0\n0.01,foot,0,0,9.8,0,0,0\n")
    from sensors.recorder import Recorder

    def disk_full(self, block):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Recorder, "write", disk_full)
    with pytest.raises(SessionImportError, match="No space left on device"):
        import_interchange(data_dir, good, "left", "band_mobilisation")
    assert _session_entries(data_dir) == []  # not even the temporary folder


@pytest.mark.skipif(not XSENS.is_dir(), reason=f"{XSENS} is not next to the clone")
def test_xsens_pair_imports_as_a_session(tmp_path):
    spec = json.loads((XSENS / "sensorspec.json").read_text())
    shin = XSENS / f"MT_012000E0_007-000_{spec['leftshank']}"
    foot = XSENS / f"MT_012000E0_007-000_{spec['leftfoot']}"
    data_dir = tmp_path / "data"
    proc = dorsi(
        "import", "--shin", shin, "--foot", foot, "--leg", "left", "--exercise", "band_mobilisation",
        "--created", "2026-09-30", "--rate-hz", 100, "--data-dir", data_dir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sid = proc.stdout.strip()
    meta, blocks = load_session(data_dir / "sessions" / sid)
    assert meta["sensors"]["shin"]["device_id"] == spec["leftshank"].removesuffix(".txt")
    assert meta["sensors"]["foot"]["source"] == foot.name
    # 134 s of walking at 100 Hz (13452 lines minus the comment lines and header)
    data_lines = sum(1 for line in shin.read_text().splitlines()[1:] if line and not line.startswith("//"))
    assert abs(len(blocks["shin"]) - data_lines) <= 2
    assert blocks["shin"].t_s[-1] == pytest.approx(data_lines / 100.0, abs=1.0)
    gravity = np.linalg.norm(blocks["foot"].acc[:50], axis=1).mean()
    assert gravity == pytest.approx(9.81, abs=0.5)
    si.sync(data_dir)
    row = si.session(data_dir, sid)
    assert row is not None and row.created_utc == "2026-09-30T00:00:00+00:00" and row.leg == "left"
    # walking is not a band mobilisation set: the index says why instead of failing
    (s,) = si.session_sets(data_dir, sid)
    assert s.exercise == "band_mobilisation" and (s.problem is None or s.problem.startswith("set 1: "))


def test_xsens_files_swapped_for_a_csv_are_refused(tmp_path):
    data_dir = tmp_path / "data"
    notmt = tmp_path / "shin.txt"
    notmt.write_text("hello\n1,2,3\n")
    with pytest.raises(SessionImportError, match="shin.txt"):
        import_xsens(data_dir, notmt, notmt, "left", "band_mobilisation")
    assert not (data_dir / "sessions").exists() or _session_entries(data_dir) == []

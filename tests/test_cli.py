"""The `dorsi` command end to end: analyze on a generated CSV and on a session recorded over the BLE stack."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sensors.interchange import write_interchange
from sensors.simulator import simulate

DESIGN_KEYS = {
    "exercise",
    "side",
    "calibration",
    "rep_count",
    "reps",
    "holds",
    "circles",
    "compensations",
    "max_dorsiflexion_deg",
    "knee_to_wall_cm",
}


def dorsi(*args, check=True, timeout=240):
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"dorsi {args} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.mark.parametrize(
    ("exercise", "side", "seed"), [("band_mobilisation", "left", 11), ("eccentric_drop", "right", 12)]
)
def test_analyze_json_on_an_interchange_csv_matches_the_simulated_truth(tmp_path, exercise, side, seed):
    sim = simulate(exercise, reps=6, side=side, seed=seed)
    csv_path = tmp_path / "session.csv"
    write_interchange(csv_path, sim.blocks)
    angles_path = tmp_path / "angles.csv"
    out = dorsi("analyze", csv_path, "--exercise", exercise, "--side", side, "--json", "--angles-csv", angles_path)
    report = json.loads(out.stdout)
    assert report.keys() >= DESIGN_KEYS
    assert report["exercise"] == exercise and report["side"] == side
    assert report["calibration"]["start_s"] >= 0 and 3.0 <= report["calibration"]["end_s"] <= sim.truth.stance_end_s
    assert report["rep_count"] == len(sim.truth.reps) == len(report["reps"])
    for rep, truth in zip(report["reps"], sim.truth.reps, strict=True):
        assert set(rep) >= {"start_s", "end_s", "peak_dorsiflexion_deg", "flags"}
        assert rep["peak_dorsiflexion_deg"] == pytest.approx(math.degrees(truth.peak_dorsiflexion_rad), abs=2.0)
        assert truth.start_s - 0.6 <= rep["start_s"] < rep["end_s"] <= truth.end_s + 0.6
        if exercise == "eccentric_drop":
            assert rep["hold_s"] == pytest.approx(truth.hold_s, abs=0.5)
            assert rep["lower_s"] == pytest.approx(truth.lower_s, abs=0.5)
    true_max = math.degrees(max(r.peak_dorsiflexion_rad for r in sim.truth.reps))
    assert report["max_dorsiflexion_deg"] == pytest.approx(true_max, abs=2.0)
    lines = angles_path.read_text().splitlines()
    assert lines[0] == "t_s,dorsiflexion_deg,inversion_deg"
    t, d = np.genfromtxt(angles_path, delimiter=",", skip_header=1, usecols=(0, 1), unpack=True)
    truth_d = np.degrees(np.interp(t, sim.truth.t_s, sim.truth.dorsiflexion_rad))
    ok = np.isfinite(d)
    assert ok.mean() > 0.9
    assert np.sqrt(np.mean((d[ok] - truth_d[ok]) ** 2)) < 1.5


def test_analyze_errors_are_actionable(tmp_path):
    missing = dorsi("analyze", tmp_path / "nope.csv", "--exercise", "band_mobilisation", check=False)
    assert missing.returncode != 0 and "nope.csv: no such file" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("t_s,sensor,ax,ay,az,gx,gy,gz\n0,shin,0,0,9.8,0,0,0\n0.01,foot,0,0,x,0,0,0\n")
    proc = dorsi("analyze", bad, "--exercise", "band_mobilisation", check=False)
    assert proc.returncode != 0 and "line 3, column az" in proc.stderr and proc.stdout == ""
    proc = dorsi("analyze", bad, "--exercise", "moonwalk", check=False)
    assert proc.returncode != 0 and "unknown exercise 'moonwalk'" in proc.stderr


def test_analyze_refuses_a_recording_without_a_still_start(tmp_path):
    sim = simulate("band_mobilisation", reps=3, seed=5, fidget_at_s=1.5)
    csv_path = tmp_path / "fidget.csv"
    write_interchange(csv_path, sim.blocks)
    proc = dorsi("analyze", csv_path, "--exercise", "band_mobilisation", "--json", check=False)
    assert (
        proc.returncode != 0
        and "no neutral stance" in proc.stderr
        and "stand still" in proc.stderr
        and proc.stdout == ""
    )


def test_decode_prints_si_samples_and_names_malformed_parts():
    golden = "010202030001000040420f00102700000000021064009cff0000feef0100000000000000ff7f"
    out = json.loads(dorsi("decode", "--profile", "dorsi", golden).stdout)
    samples = out[0]["packets"][0]["samples"]
    assert [s["seq"] for s in samples] == [256, 257]
    assert samples[0]["acc_m_s2"][2] == pytest.approx(0.999912 * 9.80665, abs=1e-5)
    proc = dorsi("decode", "--profile", "dorsi", golden[:-4], check=False)
    assert proc.returncode == 1 and "needs 38 bytes" in json.loads(proc.stdout)[0]["malformed"][0]


@pytest.mark.ble
def test_record_emulated_over_ble_then_analyze_the_session(tmp_path):
    data = tmp_path / "data"
    proc = dorsi("record", "--emulated", "--data-dir", data, "--duration-s", 25, "--exercise", "band_mobilisation")
    summary = json.loads(proc.stdout.splitlines()[-1])
    session = Path(summary["path"])
    assert session.parent == data / "sessions"
    meta = json.loads((session / "session.json").read_text())
    assert meta["demo"] is True and meta["sets"][0]["exercise"] == "band_mobilisation"
    for role in ("shin", "foot"):
        assert summary["counters"][role]["lost_samples"] == 0
        rows = (session / f"samples_{role}.csv").read_text().splitlines()
        assert len(rows) - 1 == summary["samples"][role] > 20 * 100
        seq = np.array([int(r.split(",")[0]) for r in rows[1:]])
        assert np.all(np.diff(seq) == 1), "every sample recorded, none lost"
    # the demo routine: a 5 s stance, then band mobilisations (about 2.5 s each)
    report = json.loads(
        dorsi("analyze", summary["session_id"], "--data-dir", data, "--exercise", "band_mobilisation", "--json").stdout
    )
    assert report["side"] == "right"
    assert report["rep_count"] >= 4
    assert report["rep_count"] == summary["rep_count"], "the recording analyses to what was counted live"
    assert all(15 < r["peak_dorsiflexion_deg"] < 50 for r in report["reps"])


def test_decode_witmotion_capture():
    out = json.loads(dorsi("decode", "--profile", "witmotion", "5561fcffefff110800000000000098ff0d00f831").stdout)
    (sample,) = out[0]["samples"]
    assert sample["acc_m_s2"][2] == pytest.approx(1.0083 * 9.80665, abs=1e-3)
    assert sample["yaw_deg"] == pytest.approx(70.269, abs=1e-3)
    proc = dorsi("decode", "--profile", "witmotion", "0102035561", check=False)
    assert proc.returncode == 1 and json.loads(proc.stdout)[0]["malformed"]


def test_knee_to_wall_in_degrees_and_centimetres_with_and_without_the_persons_lengths(tmp_path):
    sim = simulate("knee_to_wall", reps=3, seed=31, heel_lifts=1)
    csv_path = tmp_path / "k2w.csv"
    write_interchange(csv_path, sim.blocks)
    rule = json.loads(dorsi("analyze", csv_path, "--exercise", "knee_to_wall", "--json").stdout)
    counted = [a for a in rule["attempts"] if a["counts"]]
    assert len(rule["attempts"]) == len(sim.truth.attempts)
    assert [a["heel_lifted"] for a in rule["attempts"]] == [t.heel_lifted for t in sim.truth.attempts]
    best_true_deg = max(math.degrees(t.max_dorsiflexion_rad) for t in sim.truth.attempts if not t.heel_lifted)
    best_deg = max(a["max_dorsiflexion_deg"] for a in counted)
    assert best_deg == pytest.approx(best_true_deg, abs=1.5)
    assert rule["knee_to_wall_cm"] == pytest.approx(best_deg / 3.6, abs=0.06)  # the clinical 3.6 deg per cm

    shin_m, foot_m = 0.42, 0.26
    geo = json.loads(
        dorsi(
            "analyze",
            csv_path,
            "--exercise",
            "knee_to_wall",
            "--json",
            "--shin-length-m",
            shin_m,
            "--foot-length-m",
            foot_m,
        ).stdout
    )
    th = math.radians(best_deg)
    # knee cap 4 cm in front of the shin axis at shin_m up it; toe tip 80 % of the foot in front of the ankle
    expected_cm = 100 * (shin_m * math.sin(th) + 0.04 * math.cos(th) - 0.8 * foot_m)
    assert geo["knee_to_wall_cm"] == pytest.approx(expected_cm, abs=0.1)

    wrong = dorsi("analyze", csv_path, "--exercise", "band_mobilisation", "--shin-length-m", 0.4, check=False)
    assert wrong.returncode == 2 and "knee_to_wall" in wrong.stderr
    half = dorsi("analyze", csv_path, "--exercise", "knee_to_wall", "--shin-length-m", 0.4, check=False)
    assert half.returncode == 2 and "give both" in half.stderr


def test_analyze_leaves_out_what_was_done_during_a_pause(tmp_path):
    from tests.session_factory import make_session

    # 4 reps in the set; the pause covers one of them (samples still recorded), as in the replay tests
    sid, _ = make_session(
        tmp_path, [{"exercise": "band_mobilisation", "reps": 4, "seed": 3}], leg="left", pauses={0: [(14.0, 17.0)]}
    )
    out = json.loads(dorsi("analyze", sid, "--data-dir", tmp_path, "--exercise", "band_mobilisation", "--json").stdout)
    assert out["rep_count"] == 3
    assert all(not (14.0 < r["end_s"] < 17.0) for r in out["reps"])


def test_replay_serves_the_dashboard_on_that_sessions_replay(tmp_path):
    import signal
    import urllib.request

    from tests.session_factory import make_session

    bad = dorsi("replay", "nope-1", "--data-dir", tmp_path, check=False)
    assert bad.returncode == 2 and "no session 'nope-1'" in bad.stderr
    sid, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 2, "seed": 4}])
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "replay", sid, "--data-dir", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = line.split()[2]
        assert url.startswith("http://127.0.0.1:") and url.endswith(f"/replay?session={sid}")
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


@pytest.mark.ble
def test_calibrate_sensors_over_ble_then_record_with_the_calibration(tmp_path):
    from sensors.simulator import demo_routine

    data = tmp_path / "data"
    before = dorsi("record", "--emulated", "--data-dir", data, "--duration-s", 2)
    assert "dorsi-S1: no accelerometer calibration yet" in before.stdout
    short = dorsi("calibrate-sensors", "--emulated", "--data-dir", data, "--duration-s", 8, check=False)
    assert short.returncode == 1 and "not calibrated:" in short.stderr and "of the 6 faces" in short.stderr
    assert not (data / "sensors").exists(), "nothing kept from a calibration that failed"

    done = dorsi("calibrate-sensors", "--emulated", "--data-dir", data)
    result = json.loads(done.stdout)
    assert "(enough)" in done.stderr
    routine = demo_routine(0)  # the emulated sensors' own errors
    for role in ("shin", "foot"):
        true = routine.motion(role).errors.acc_sensitivity
        matrix = np.asarray(result[role]["matrix"])
        skew = [np.linalg.svd(m, compute_uv=False) for m in (true, matrix @ true)]
        assert skew[1][0] / skew[1][-1] - 1 < 0.3 * (skew[0][0] / skew[0][-1] - 1)
        assert Path(result[role]["file"]).is_file()

    after = dorsi("record", "--emulated", "--data-dir", data, "--duration-s", 2)
    assert "no accelerometer calibration" not in after.stdout
    meta = json.loads((Path(json.loads(after.stdout.splitlines()[-1])["path"]) / "session.json").read_text())
    for role in ("shin", "foot"):
        assert meta["sensors"][role]["accelerometer_calibration"]["matrix"] == result[role]["matrix"]

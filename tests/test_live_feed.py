"""The live feed without a browser: a sensor dropping out mid-set over the Bumble link is reconnected and marked."""

import json
import time

import numpy as np
import pytest

from dashboard.live_feed import LiveFeed


def wait_for(feed, what, predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        snap = feed.snapshot(0)
        if predicate(snap):
            return snap
        time.sleep(0.1)
    pytest.fail(f"no {what} within {timeout_s} s: {snap['state']} {snap['message']} {snap['events']}")


@pytest.mark.ble
@pytest.mark.timeout(120)
def test_a_foot_drop_out_is_reconnected_marked_in_the_session_and_reps_go_on(tmp_path):
    feed = LiveFeed(tmp_path, side="right", emulated=True)
    try:
        feed.connect()
        wait_for(feed, "first rep", lambda s: s["rep_count"] >= 1, 60)
        feed.drop_out("foot", 2.0)
        wait_for(feed, "disconnect", lambda s: any(e["kind"] == "disconnected" for e in s["events"]), 10)
        snap = wait_for(feed, "gap", lambda s: any(e["kind"] == "gap" for e in s["events"]), 30)
        reps_after_gap = snap["rep_count"]
        wait_for(feed, "a rep after the gap", lambda s: s["rep_count"] > reps_after_gap, 30)
        path = feed.session_path
    finally:
        feed.stop()
    assert path is not None
    meta = json.loads((path / "session.json").read_text())
    (gap,) = meta["gaps"]
    assert gap["sensor"] == "foot" and 1.5 < gap["end_s"] - gap["start_s"] < 4.0
    seq = np.loadtxt(path / "samples_foot.csv", delimiter=",", skiprows=1, usecols=0)
    jumps = np.flatnonzero(np.diff(seq) != 1)
    assert len(jumps) == 1, "exactly one hole in the foot's samples: the drop-out"
    shin_seq = np.loadtxt(path / "samples_shin.csv", delimiter=",", skiprows=1, usecols=0)
    assert np.all(np.diff(shin_seq) == 1), "the shin kept streaming, nothing lost"


def test_a_sensor_reboot_is_marked_as_a_gap_in_the_recording(tmp_path):
    from sensors.ble_source import SourceEvent
    from sensors.recorder import Recorder

    feed = LiveFeed(tmp_path, side="right", emulated=True)
    feed._recorder = Recorder.create(tmp_path, "right", {})
    feed._on_source_event(SourceEvent("foot", "sensor_restarted", 42.5, {"name": "dorsi-F1", "last_sample_s": 40.0}))
    meta = json.loads((feed._recorder.path / "session.json").read_text())
    assert meta["gaps"] == [{"sensor": "foot", "start_s": 40.0, "end_s": 42.5}]
    assert "restarted" in feed.snapshot(0)["events"][-1]["text"]
    feed._recorder.close()


def test_the_live_pipeline_gets_each_sensors_calibrated_accelerometer(tmp_path):
    from sensors.accel_calibration import AccelCalibration
    from sensors.samples import make_block

    cal = AccelCalibration(np.diag([1.02, 0.99, 1.01]), np.array([0.1, -0.2, 0.05]), 0.001, 12)
    feed = LiveFeed(tmp_path, side="right", emulated=True)
    feed._restart_pipeline(False)
    seen = []
    step = feed._pipeline.step
    feed._pipeline.step = lambda block: (seen.append(block), step(block))[1]
    feed._accel_calibrations = {"shin": cal}
    acc = np.tile([0.3, -0.1, 9.7], (20, 1))
    for role in ("shin", "foot"):
        feed._on_block(make_block(role, np.arange(20), np.arange(20) / 100.0, acc, np.zeros((20, 3))))
    by_role = {b.role: b for b in seen}
    assert np.allclose(by_role["shin"].acc, cal.apply(acc))
    assert np.allclose(by_role["foot"].acc, acc)  # no calibration kept for it: as measured

"""Crash safety on real processes and real file systems: SIGKILL mid-recording, full or unwritable disks."""

from __future__ import annotations

import contextlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dashboard.live_feed import LiveFeed
from sensors.recorder import (
    INCOMPLETE_PREFIX,
    DataDirError,
    Recorder,
    RecordingWriteError,
    check_data_dir,
    raw_samples_file,
)
from sensors.samples import make_block
from sensors.sessions import load_session

ROOT = Path(__file__).resolve().parents[1]
MAX_LOSS_S = 1.0


class Recording:
    """A `dorsi record --emulated --heartbeat` subprocess whose output lines are timestamped as they come."""

    def __init__(self, data_dir: Path, *extra: str, preexec: object = None) -> None:
        cmd = [sys.executable, "-m", "dashboard.cli", "record", "--emulated", "--data-dir", str(data_dir)]
        self.proc = subprocess.Popen(
            [*cmd, "--heartbeat", *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=preexec,  # type: ignore[arg-type]
        )
        self.started = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout_s: float = 30.0) -> float:
        """Monotonic time the first line containing `text` arrived."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for t, line in list(self.lines):
                if text in line:
                    return t
            assert self.proc.poll() is None or self.lines, f"record ended early: {self.stderr()}"
            time.sleep(0.02)
        raise AssertionError(f"no line with {text!r} within {timeout_s} s; got {self.lines[-5:]}")

    def heartbeats(self) -> list[tuple[float, float]]:
        """(arrival monotonic time, session time t_s) of every heartbeat line."""
        return [(t, float(line.split("t_s=")[1])) for t, line in self.lines if line.startswith("heartbeat t_s=")]

    def kill(self) -> float:
        """SIGKILL now; returns the moment."""
        t = time.monotonic()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)
        return t

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read() if self.proc.poll() is not None else ""


def session_folders(data_dir: Path) -> list[Path]:
    root = data_dir / "sessions"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def dorsi(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout_s
    )


def assert_whole_rows(folder: Path) -> None:
    """Every line of the raw sample files is a complete row ending in a newline."""
    for role in ("shin", "foot"):
        data = (folder / raw_samples_file(role)).read_bytes()
        assert data.endswith(b"\n"), f"{role}: torn last row"
        assert {line.count(b",") for line in data.splitlines()} == {8}, f"{role}: a row with missing fields"


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_at_most_the_last_second(tmp_path: Path) -> None:
    seed = int(time.time())
    rng = random.Random(seed)
    # kill moments, s: after the process starts (before any session exists), and after streaming starts
    plans = [("spawn", rng.uniform(0.1, 0.8)), ("stream", 0.0), ("stream", rng.uniform(0.3, 1.5))]
    plans += [("stream", rng.uniform(2.0, 6.0)), ("stream", rng.uniform(6.0, 12.0))]
    data_dir = tmp_path / "data"
    report = []
    for where, delay_s in plans:
        before = set(session_folders(data_dir))
        rec = Recording(data_dir, "--rate-hz", "200")
        if where == "stream":
            rec.wait_for("recording session")
            rec.wait_for("heartbeat")
        time.sleep(delay_s)
        killed_at = rec.kill()
        new = [p for p in session_folders(data_dir) if p not in before]
        context = f"seed {seed}: kill {delay_s:.2f} s after {where}"
        if where == "spawn" and not new:
            report.append((where, delay_s, None))
            continue
        assert len(new) == 1, context
        folder = new[0]
        meta, blocks = load_session(folder)
        assert meta["sets"] and meta["sets"][0]["exercise"] == "band_mobilisation", context
        assert_whole_rows(folder)
        beats = rec.heartbeats()
        if beats:
            # session time at the kill: the last heartbeat's time, carried on by the wall time since it came
            beat_at, beat_t_s = beats[-1]
            t_at_kill_s = beat_t_s + (killed_at - beat_at)
            for role, block in blocks.items():
                assert np.all(np.diff(block.t_s) > 0), context
                # nothing on disk yet is fine only while the stream is younger than the allowed loss
                last_s = float(block.t_s[-1]) if len(block) else beats[0][1]
                lost_s = t_at_kill_s - last_s
                assert lost_s < MAX_LOSS_S, f"{context}: {role} lost the last {lost_s:.2f} s"
                report.append((where, delay_s, round(lost_s, 3)))
        result = dorsi("analyze", str(folder), "--exercise", "band_mobilisation", "--json")
        assert "Traceback" not in result.stderr, context
        assert result.returncode == 0 or ("cannot analyse" in result.stderr and str(folder) in result.stderr), (
            f"{context}: {result.stderr}"
        )
    print("SIGKILL runs (where, delay s, samples lost s):", report)
    # a later recording in the same data directory does not trip over the killed ones
    after = dorsi("record", "--emulated", "--data-dir", str(data_dir), "--duration-s", "1.5", timeout_s=60)
    assert after.returncode == 0, after.stderr
    folders = session_folders(data_dir)
    assert len(folders) == len({p.name for p in folders})
    for folder in folders:
        load_session(folder)


def test_a_stall_still_gets_the_written_rows_to_disk(tmp_path: Path) -> None:
    """No samples come for a while after a write: the rows reach the file on the timer, not on the next write."""
    rec = Recorder.create(tmp_path, "right", {})
    n = 37
    rec.write(make_block("shin", np.arange(n), np.arange(n) * 0.01, np.ones((n, 3)), np.zeros((n, 3))))
    deadline = time.monotonic() + 1.5
    path = rec.path / raw_samples_file("shin")
    while time.monotonic() < deadline and path.read_text().count("\n") < n + 1:
        time.sleep(0.05)
    waited_s = 1.5 - (deadline - time.monotonic())
    assert path.read_text().count("\n") == n + 1, "rows still buffered after 1.5 s without new samples"
    assert waited_s < 1.0
    rec.close()


def test_session_folder_appears_complete_or_not_at_all(tmp_path: Path) -> None:
    rec = Recorder.create(tmp_path, "left", {})
    names = [p.name for p in (tmp_path / "sessions").iterdir()]
    assert names == [rec.session_id]
    meta, blocks = load_session(rec.path)
    assert meta["leg"] == "left" and all(len(b) == 0 for b in blocks.values())
    rec.close()
    # a folder whose making was interrupted long ago is cleared by the next recording
    stale = tmp_path / "sessions" / (INCOMPLETE_PREFIX + "20200101T000000Z-0000")
    stale.mkdir()
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    Recorder.create(tmp_path, "left", {}).close()
    assert not stale.exists()


def test_data_dir_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = dorsi("record", "--emulated", "--data-dir", str(blocker / "data"), "--duration-s", "1", timeout_s=30)
    assert result.returncode == 2
    assert f"cannot create the data directory {blocker / 'data' / 'sessions'}" in result.stderr
    assert "Traceback" not in result.stderr and "connected" not in result.stdout


def test_too_little_free_space_is_refused_with_the_folder_named(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(DataDirError, match=rf"MB free on the disk of the data directory {tmp_path / 'sessions'}"):
        check_data_dir(tmp_path, min_free_bytes=free + 10**15)
    assert check_data_dir(tmp_path, min_free_bytes=1) == tmp_path / "sessions"


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *options: str) -> Iterator[Path]:
    """A real small file system at `path` (needs root: skips otherwise)."""
    path.mkdir(parents=True, exist_ok=True)
    opts = ",".join([f"size={size}", *options])
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)]).returncode:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_disk_and_read_only_disk_are_refused_before_recording(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "1m") as small:
        result = dorsi("record", "--emulated", "--data-dir", str(small), "--duration-s", "1", timeout_s=30)
        assert result.returncode == 2
        assert f"MB free on the disk of the data directory {small / 'sessions'}" in result.stderr
        assert "connected" not in result.stdout and not list((small / "sessions").iterdir())
        feed = LiveFeed(small)
        feed.connect()
        snap = feed.snapshot(0)
        feed.stop()
        assert snap["state"] == "error" and str(small / "sessions") in snap["message"]
    with tmpfs(tmp_path / "ro", "64m", "ro") as ro:
        result = dorsi("record", "--emulated", "--data-dir", str(ro), "--duration-s", "1", timeout_s=30)
        assert result.returncode == 2
        assert f"cannot create the data directory {ro / 'sessions'}" in result.stderr
        assert "Traceback" not in result.stderr


def _check_stopped_recording(result_stderr: str, data_dir: Path, why: str) -> None:
    assert "Traceback" not in result_stderr
    (folder,) = session_folders(data_dir)
    assert "recording stopped: could not write samples_" in result_stderr
    assert str(folder) in result_stderr and why in result_stderr
    meta, blocks = load_session(folder)
    assert_whole_rows(folder)
    assert meta["sets"][0]["exercise"] == "band_mobilisation"
    for block in blocks.values():
        assert len(block) > 200 and np.all(np.diff(block.t_s) > 0)


@pytest.mark.slow
def test_file_size_limit_mid_recording_stops_cleanly_and_keeps_the_rows(tmp_path: Path) -> None:
    limit = 150_000  # bytes per file: reached after about 4 s at 200 Hz

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    data_dir = tmp_path / "data"
    rec = Recording(data_dir, "--rate-hz", "200", "--duration-s", "30", preexec=limit_files)
    rec.proc.wait(60)
    rec._reader.join(5)
    assert rec.proc.returncode == 2
    _check_stopped_recording(rec.stderr(), data_dir, "the file grew beyond the size this system allows")
    for role in ("shin", "foot"):
        assert (session_folders(data_dir)[0] / raw_samples_file(role)).stat().st_size <= limit


@pytest.mark.slow
def test_disk_filling_up_mid_recording_stops_cleanly_and_keeps_the_rows(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "60m") as disk:
        rec = Recording(disk, "--rate-hz", "200", "--duration-s", "30")
        rec.wait_for("recording session")
        # another program fills the disk: about 150 kB stay free, 2 s of recording
        free = shutil.disk_usage(disk).free
        with open(disk / "filler", "wb") as f:
            f.write(b"\0" * (free - 150_000))
        rec.proc.wait(60)
        rec._reader.join(5)
        assert rec.proc.returncode == 2
        stderr = rec.stderr()
        _check_stopped_recording(stderr, disk, "the disk is full")
        (disk / "filler").unlink()
        folder = session_folders(disk)[0]
        analysed = dorsi("analyze", str(folder), "--exercise", "band_mobilisation")
        assert "Traceback" not in analysed.stderr


def test_write_error_in_process_stops_the_recorder_and_the_next_write_says_why(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        rec = Recorder.create(disk, "right", {})
        n = 100
        written = 0
        with pytest.raises(RecordingWriteError, match=r"the disk is full") as caught:
            for k in range(10_000):
                block = make_block(
                    "foot",
                    np.arange(k * n, (k + 1) * n),
                    np.arange(k * n, (k + 1) * n) * 0.005,
                    np.ones((n, 3)),
                    np.zeros((n, 3)),
                )
                rec.write(block)
                rec.flush()
                written += n
        assert str(rec.path) in str(caught.value)
        rec.close()  # does not raise again
        _meta, blocks = load_session(rec.path)
        assert_whole_rows(rec.path)
        assert 0 < len(blocks["foot"]) <= written
        np.testing.assert_array_equal(blocks["foot"].seq, np.arange(len(blocks["foot"])))

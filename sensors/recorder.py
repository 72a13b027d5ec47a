"""Session recorder: a folder per session, metadata JSON and raw samples flushed by a writer thread every 0.5 s."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sensors.samples import ROLES, Role, SampleBlock

log = logging.getLogger(__name__)

SESSION_FORMAT_VERSION = 2  # 2: sets have "pauses"; version 1 folders (no pauses) still open
READABLE_FORMAT_VERSIONS = (1, 2)
APP_VERSION = "0.1.0"
METADATA_FILE = "session.json"
RAW_COLUMNS = ("seq", "t_sensor_s", "t_s", "ax", "ay", "az", "gx", "gy", "gz")
FLUSH_INTERVAL_S = 0.5  # rows reach the disk at least this often, also while no samples come in
FLUSH_BYTES = 1 << 20  # and as soon as this much is pending (fast writers such as importers)
MIN_FREE_BYTES = 50 * 1024 * 1024  # about 10 min of two sensors at 200 Hz; checked before recording starts
INCOMPLETE_PREFIX = ".incomplete-"  # a session folder being made; renamed to its id once it is complete
STALE_INCOMPLETE_S = 60.0


class RecorderError(OSError):
    """The session could not be recorded; the message names the folder and says why, in words a person can act on."""


class DataDirError(RecorderError):
    """The data directory cannot take a recording (missing, not writable, or too little free space)."""


class RecordingWriteError(RecorderError):
    """Writing a recording failed part-way; what was written before is kept and readable."""


def raw_samples_file(role: Role) -> str:
    """File name of one sensor's raw samples inside a session folder."""
    return f"samples_{role}.csv"


def new_session_id(now: datetime | None = None) -> str:
    """A sortable, unique session id such as 20261124T101500Z-3f9a."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON so a crash leaves either the old or the new file, never half of one."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _why(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if error.errno == errno.EFBIG:
        return "the file grew beyond the size this system allows"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "it is not writable"
    return error.strerror or str(error)


def check_data_dir(data_dir: Path, min_free_bytes: int = MIN_FREE_BYTES) -> Path:
    """Check, before recording, that sessions can be written under data_dir; returns its sessions folder.

    Creates ``data_dir/sessions`` if needed, writes and removes a probe file in it, and checks the free space.

    Raises
    ------
    DataDirError
        Naming the folder and the problem: it cannot be created, is not writable, or has less than
        `min_free_bytes` free.
    """
    sessions = Path(data_dir) / "sessions"
    try:
        sessions.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataDirError(f"cannot create the data directory {sessions}: {_why(e)}") from e
    probe = sessions / f".write-test-{os.getpid()}-{secrets.token_hex(2)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"dorsi")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        raise DataDirError(f"cannot record in the data directory {sessions}: {_why(e)}") from e
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    free = shutil.disk_usage(sessions).free
    if free < min_free_bytes:
        raise DataDirError(
            f"only {free / 1e6:.1f} MB free on the disk of the data directory {sessions}; recording needs at "
            f"least {min_free_bytes / 1e6:.0f} MB (a session of two sensors at 200 Hz takes about 4 MB per minute): "
            "free some space or choose another folder with --data-dir"
        )
    return sessions


def _remove_stale_incomplete(sessions: Path) -> None:
    """Remove session folders whose making was interrupted (they hold no samples yet)."""
    now = time.time()
    for p in sessions.glob(INCOMPLETE_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > STALE_INCOMPLETE_S:
                shutil.rmtree(p)


@dataclass
class Recorder:
    """Appends every sample of a session to its folder; a crash loses at most the last FLUSH_INTERVAL_S or so.

    Rows are formatted by `write` and handed to the disk by a background thread every FLUSH_INTERVAL_S (so a
    stall in the stream still gets its last rows out), or by `flush`. The caller's thread never waits for the
    disk. A session folder appears complete (metadata and headers) or not at all.

    A write error (disk full, ...) stops the recording: the rows written so far stay, cut back to the last
    whole row, and the next `write`, `flush` or metadata change raises `RecordingWriteError` naming the folder.
    """

    path: Path
    metadata: dict[str, Any]
    samples_written: dict[Role, int] = field(default_factory=lambda: {r: 0 for r in ROLES})
    _fds: dict[Role, int] = field(default_factory=dict, repr=False)
    _good_bytes: dict[Role, int] = field(default_factory=dict, repr=False)
    _pending: dict[Role, list[str]] = field(default_factory=lambda: {r: [] for r in ROLES}, repr=False)
    _pending_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _io_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)
    _closing: bool = False
    _flusher: threading.Thread | None = field(default=None, repr=False)
    error: RecordingWriteError | None = None

    @property
    def session_id(self) -> str:
        """The session's id (its folder name)."""
        return str(self.metadata["session_id"])

    @classmethod
    def create(
        cls,
        data_dir: Path,
        leg: str,
        sensors: dict[str, dict[str, Any]],
        notes: str = "",
        demo: bool = False,
        created: datetime | None = None,
    ) -> Recorder:
        """Create a new session folder under data_dir/sessions and open its files for appending.

        `created` (UTC) dates a session recorded earlier, e.g. imported or seeded demo history; default now.
        Recording front ends check the free space (`check_data_dir`) before connecting.

        Raises
        ------
        ValueError
            For a leg other than "left" or "right".
        DataDirError
            When the folder cannot be made (the message names it and says why).
        """
        if leg not in ("left", "right"):
            raise ValueError(f"leg must be 'left' or 'right', got {leg!r}")
        sessions = check_data_dir(data_dir, min_free_bytes=0)
        _remove_stale_incomplete(sessions)
        created = created or datetime.now(UTC)
        session_id = new_session_id(created)
        path = sessions / session_id
        staging = sessions / (INCOMPLETE_PREFIX + session_id)
        metadata: dict[str, Any] = {
            "format_version": SESSION_FORMAT_VERSION,
            "app_version": APP_VERSION,
            "session_id": session_id,
            "created_utc": created.isoformat(timespec="seconds"),
            "leg": leg,
            "demo": demo,
            "sensors": sensors,
            "sets": [],
            "gaps": [],
            "notes": notes,
        }
        rec = cls(path, metadata)
        header = (",".join(RAW_COLUMNS) + "\n").encode()
        try:
            staging.mkdir()
            for role in ROLES:
                fd = os.open(staging / raw_samples_file(role), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                rec._fds[role] = fd
                _write_all(fd, header)
                rec._good_bytes[role] = len(header)
            write_json_atomic(staging / METADATA_FILE, metadata)
            os.rename(staging, path)
        except OSError as e:
            rec._close_fds()
            with contextlib.suppress(OSError):
                shutil.rmtree(staging)
            raise DataDirError(f"cannot create a session folder in {sessions}: {_why(e)}") from e
        rec._flusher = threading.Thread(target=rec._flush_loop, name=f"recorder-{session_id}", daemon=True)
        rec._flusher.start()
        return rec

    def save_metadata(self) -> None:
        """Rewrite session.json atomically (raises RecordingWriteError when that fails)."""
        try:
            write_json_atomic(self.path / METADATA_FILE, self.metadata)
        except OSError as e:
            self._fail(e, "session.json")
            raise self.error from e  # type: ignore[misc]

    def write(self, block: SampleBlock) -> None:
        """Queue one block for the disk (session-clock times, and the sensor's own timestamps when it has them).

        Raises
        ------
        RecordingWriteError
            Once a write has failed: the recording has stopped.
        RuntimeError
            After `close()`.
        """
        if self.error is not None:
            raise self.error
        if self._closing:
            raise RuntimeError(f"the recording {self.path} is closed; samples can no longer be added")
        if len(block) == 0:
            return
        t_sensor_s = block.t_s if block.t_sensor_s is None else block.t_sensor_s
        seq, t_sensor, t_s = block.seq.tolist(), t_sensor_s.tolist(), block.t_s.tolist()
        acc, gyr = block.acc.tolist(), block.gyr.tolist()
        # repr() round-trips float64 exactly: re-analysing a recording reproduces the live results bit for bit
        text = "".join(
            f"{int(seq[i])},{t_sensor[i]!r},{t_s[i]!r},{a[0]!r},{a[1]!r},{a[2]!r},{g[0]!r},{g[1]!r},{g[2]!r}\n"
            for i, a, g in zip(range(len(seq)), acc, gyr, strict=True)
        )
        with self._lock:
            self._pending[block.role].append(text)
            self._pending_bytes += len(text)
            self.samples_written[block.role] += len(block)
            big = self._pending_bytes >= FLUSH_BYTES
        if big:
            self._wake.set()

    def flush(self) -> None:
        """Push the queued samples to the disk now (raises RecordingWriteError when that fails)."""
        self._drain()
        if self.error is not None:
            raise self.error

    def _flush_loop(self) -> None:
        while not self._closing:
            self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            if self._closing:
                return
            self._drain()
            if self.error is not None:
                return

    def _drain(self) -> None:
        """Write out what is pending and fsync; on failure cut each file back to its last whole row."""
        with self._io_lock:
            if self.error is not None or not self._fds:
                return
            with self._lock:
                pending = {r: "".join(rows) for r, rows in self._pending.items() if rows}
                for rows in self._pending.values():
                    rows.clear()
                self._pending_bytes = 0
            role: Role | None = None
            try:
                for role in ROLES:
                    fd = self._fds[role]
                    if role in pending:
                        data = pending[role].encode()
                        _write_all(fd, data)
                        self._good_bytes[role] += len(data)
                    os.fsync(fd)
            except OSError as e:
                for r, fd in self._fds.items():
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, self._good_bytes[r])
                self._fail(e, raw_samples_file(role) if role is not None else "samples")

    def _fail(self, error: OSError, what: str) -> None:
        if self.error is None:
            self.error = RecordingWriteError(
                f"recording stopped: could not write {what} in {self.path}: {_why(error)}. "
                "The samples written until then are kept and the session opens."
            )
            self.error.__cause__ = error
            log.error("%s", self.error)

    def start_set(self, exercise: str, t_s: float) -> None:
        """Open a set of an exercise at session time t_s (closing an open one)."""
        if self.metadata["sets"] and self.metadata["sets"][-1]["end_s"] is None:
            self.end_set(t_s)
        self.metadata["sets"].append({"exercise": exercise, "start_s": t_s, "end_s": None, "pain": None, "pauses": []})
        self.save_metadata()

    def end_set(self, t_s: float, pain: int | None = None) -> None:
        """Close the open set, with an optional 0-10 pain rating."""
        if pain is not None and not 0 <= pain <= 10:
            raise ValueError(f"pain rating must be 0-10, got {pain}")
        st = self._open_set()
        if st is None:
            return
        if st["pauses"] and st["pauses"][-1][1] is None:
            st["pauses"][-1][1] = t_s
        st.update(end_s=t_s, pain=pain)
        self.save_metadata()

    def set_pain(self, set_index: int, pain: int | None) -> None:
        """Rate (or re-rate) the pain 0-10 of a set, which may already be closed; index 0 is the first set."""
        if pain is not None and not 0 <= pain <= 10:
            raise ValueError(f"pain rating must be 0-10, got {pain}")
        self.metadata["sets"][set_index]["pain"] = pain
        self.save_metadata()

    def pause_set(self, t_s: float) -> None:
        """Pause the open set at t_s: samples are still recorded, but the set's analysis skips them."""
        st = self._open_set()
        if st is not None and not (st["pauses"] and st["pauses"][-1][1] is None):
            st["pauses"].append([t_s, None])
            self.save_metadata()

    def resume_set(self, t_s: float) -> None:
        """End the open set's pause at t_s."""
        st = self._open_set()
        if st is not None and st["pauses"] and st["pauses"][-1][1] is None:
            st["pauses"][-1][1] = t_s
            self.save_metadata()

    def _open_set(self) -> dict[str, Any] | None:
        sets = self.metadata["sets"]
        return sets[-1] if sets and sets[-1]["end_s"] is None else None

    def mark_gap(self, role: Role, start_s: float, end_s: float) -> None:
        """Record a stretch of session time in which a sensor delivered nothing."""
        self.metadata["gaps"].append({"sensor": role, "start_s": start_s, "end_s": end_s})
        self.save_metadata()

    def close(self, t_s: float | None = None) -> None:
        """Write what is queued, close the open set and the files (idempotent).

        After a failed write it closes what it can and does not raise again; a new failure raises
        RecordingWriteError after everything is closed.
        """
        failed_before = self.error is not None
        self._closing = True
        self._wake.set()
        if self._flusher is not None and self._flusher is not threading.current_thread():
            self._flusher.join(10.0)
        self._drain()
        with contextlib.suppress(RecordingWriteError):
            if self.error is None:
                self._close_set(t_s)
                self.save_metadata()
        self._close_fds()
        if self.error is not None and not failed_before:
            raise self.error

    def _close_set(self, t_s: float | None) -> None:
        sets = self.metadata["sets"]
        if t_s is None or not sets:
            return
        st = sets[-1]
        if st["end_s"] is None:
            st["end_s"] = t_s
        if st["pauses"] and st["pauses"][-1][1] is None:
            st["pauses"][-1][1] = t_s

    def _close_fds(self) -> None:
        with self._io_lock:
            for fd in self._fds.values():
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._fds.clear()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]

"""Session recorder: a folder per session with metadata JSON and raw samples appended while streaming."""

from __future__ import annotations

import csv
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sensors.samples import ROLES, Role, SampleBlock

SESSION_FORMAT_VERSION = 2  # 2: sets have "pauses"; version 1 folders (no pauses) still open
READABLE_FORMAT_VERSIONS = (1, 2)
APP_VERSION = "0.1.0"
METADATA_FILE = "session.json"
RAW_COLUMNS = ("seq", "t_sensor_s", "t_s", "ax", "ay", "az", "gx", "gy", "gz")
FLUSH_INTERVAL_S = 0.5


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
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class Recorder:
    """Appends every sample of a session to its folder; at most the last FLUSH_INTERVAL_S is lost on a crash."""

    path: Path
    metadata: dict[str, Any]
    _files: dict[Role, IO[str]] = field(default_factory=dict)
    _writers: dict[Role, Any] = field(default_factory=dict)
    _last_flush: float = 0.0
    samples_written: dict[Role, int] = field(default_factory=lambda: {r: 0 for r in ROLES})

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
        """
        if leg not in ("left", "right"):
            raise ValueError(f"leg must be 'left' or 'right', got {leg!r}")
        sessions = Path(data_dir) / "sessions"
        try:
            sessions.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OSError(f"cannot create the data directory {sessions}: {e.strerror}") from e
        if not os.access(sessions, os.W_OK):
            raise PermissionError(f"the data directory {sessions} is not writable")
        created = created or datetime.now(UTC)
        session_id = new_session_id(created)
        path = sessions / session_id
        path.mkdir()
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
        for role in ROLES:
            f = open(path / raw_samples_file(role), "w", newline="", encoding="utf-8")  # noqa: SIM115
            w = csv.writer(f, lineterminator="\n")
            w.writerow(RAW_COLUMNS)
            f.flush()
            rec._files[role] = f
            rec._writers[role] = w
        rec.save_metadata()
        return rec

    def save_metadata(self) -> None:
        """Rewrite session.json atomically."""
        write_json_atomic(self.path / METADATA_FILE, self.metadata)

    def write(self, block: SampleBlock) -> None:
        """Append one block (session-clock times, and the sensor's own timestamps when the block has them)."""
        t_sensor_s = block.t_s if block.t_sensor_s is None else block.t_sensor_s
        w = self._writers[block.role]
        # repr() round-trips float64 exactly: re-analysing a recording reproduces the live results bit for bit
        for i in range(len(block)):
            w.writerow(
                (
                    int(block.seq[i]),
                    repr(float(t_sensor_s[i])),
                    repr(float(block.t_s[i])),
                    *(repr(float(x)) for x in block.acc[i]),
                    *(repr(float(x)) for x in block.gyr[i]),
                )
            )
        self.samples_written[block.role] += len(block)
        now = time.monotonic()
        if now - self._last_flush >= FLUSH_INTERVAL_S:
            self.flush()
            self._last_flush = now

    def flush(self) -> None:
        """Push buffered samples to the disk."""
        for f in self._files.values():
            f.flush()
            os.fsync(f.fileno())

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
        """Close the open set and the files."""
        if t_s is not None:
            self.end_set(t_s)
        for f in self._files.values():
            if not f.closed:
                f.flush()
                os.fsync(f.fileno())
                f.close()
        self.save_metadata()

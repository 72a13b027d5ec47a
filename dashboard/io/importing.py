"""Import recordings as new session folders: interchange CSV, or a pair of Xsens/Movella MT Manager exports."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from processing.exercises.registry import SPECS
from sensors.importers.units import check_blocks_units
from sensors.importers.xsens_mt import read_xsens_mt, synchronise
from sensors.interchange import InputFileError, read_interchange
from sensors.recorder import Recorder
from sensors.samples import ROLES, Role, SampleBlock

TMP_PREFIX = ".import-"  # temporary folders inside data_dir/sessions; the index skips dot folders
STALE_IMPORT_S = 3600.0


class SessionImportError(ValueError):
    """An import that was refused; the message names the file (and line) and the problem. Nothing was written."""


def import_interchange(
    data_dir: Path,
    path: Path,
    leg: str,
    exercise: str,
    *,
    created: datetime | str | None = None,
) -> str:
    """Make a session from an interchange CSV: the whole file is one set of `exercise`.

    Parameters
    ----------
    data_dir : the data directory (the session goes to data_dir/sessions/<id>).
    path : the CSV (t_s,sensor,ax,ay,az,gx,gy,gz[,mx,my,mz]; the magnetometer is not kept).
    leg : "left" or "right".
    exercise : the exercise recorded (processing.exercises.registry names).
    created : when it was recorded (datetime or ISO-8601 text, UTC if no zone given); default now.

    Returns
    -------
    The new session's id.

    Raises
    ------
    SessionImportError : bad arguments or file (names the file, line and column); nothing is left behind.
    """
    when = _check(leg, exercise, created)
    try:
        blocks = read_interchange(Path(path))
        check_blocks_units(Path(path), blocks, ("ax..az", "gx..gz"))
    except InputFileError as e:
        raise SessionImportError(str(e)) from e
    sensors: dict[str, dict[str, Any]] = {r: {"profile": "interchange", "source": Path(path).name} for r in ROLES}
    return import_blocks(data_dir, blocks, leg, exercise, when, sensors, f"imported from {Path(path).name}")


def import_xsens(
    data_dir: Path,
    shin_path: Path,
    foot_path: Path,
    leg: str,
    exercise: str,
    *,
    created: datetime | str | None = None,
    rate_hz: float | None = None,
) -> str:
    """Make a session from the MT Manager text exports of the shin and the foot sensor of one recording.

    Parameters are those of `import_interchange`, with the two files, and `rate_hz` for exports without
    SampleTimeFine and without an "Update Rate" header line.

    Returns
    -------
    The new session's id.

    Raises
    ------
    SessionImportError : as import_interchange, also when the two files are not one synchronised recording.
    """
    when = _check(leg, exercise, created)
    try:
        exports = synchronise(
            read_xsens_mt(Path(shin_path), "shin", rate_hz), read_xsens_mt(Path(foot_path), "foot", rate_hz)
        )
    except InputFileError as e:
        raise SessionImportError(str(e)) from e
    blocks = {r: e.block for r, e in exports.items()}
    sensors: dict[str, dict[str, Any]] = {
        r: {
            "profile": "xsens_mt_export",
            "source": e.path.name,
            "device_id": e.device_id,
            "rate_hz": e.rate_hz,
            "time_source": e.time_source,
        }
        for r, e in exports.items()
    }
    notes = f"imported from {Path(shin_path).name} (shin) and {Path(foot_path).name} (foot)"
    return import_blocks(data_dir, blocks, leg, exercise, when, sensors, notes)


def import_blocks(
    data_dir: Path,
    blocks: dict[Role, SampleBlock],
    leg: str,
    exercise: str,
    created: datetime,
    sensors: dict[str, dict[str, Any]],
    notes: str,
) -> str:
    """Write samples as a new session folder with one set; built in a temporary folder and renamed at the end.

    Lost samples (jumps in `seq`) are recorded as gaps. Returns the new session's id.
    """
    sessions = Path(data_dir) / "sessions"
    try:
        sessions.mkdir(parents=True, exist_ok=True)
        _remove_stale_imports(sessions)
        tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=sessions))
    except OSError as e:
        raise SessionImportError(f"cannot write to the data directory {sessions}: {e.strerror or e}") from e
    try:
        rec = Recorder.create(tmp, leg, sensors, notes=notes, created=created)
        start_s = min(float(b.t_s[0]) for b in blocks.values())
        end_s = max(float(b.t_s[-1]) for b in blocks.values())
        rec.start_set(exercise, start_s)
        for role in ROLES:
            rec.write(blocks[role])
            for t0, t1 in _gaps_s(blocks[role]):
                rec.metadata["gaps"].append({"sensor": role, "start_s": t0, "end_s": t1})
        rec.close(end_s + 1e-3)
        target = sessions / rec.session_id
        if target.exists():
            raise SessionImportError(f"{target}: a session with this id exists already; try again")
        os.rename(rec.path, target)
        return rec.session_id
    except OSError as e:
        raise SessionImportError(f"cannot write the session under {sessions}: {e.strerror or e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove_stale_imports(sessions: Path) -> None:
    """Temporary folders of imports killed half way (older than STALE_IMPORT_S) are removed."""
    now = time.time()
    for p in sessions.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > STALE_IMPORT_S:
                shutil.rmtree(p)


def _gaps_s(block: SampleBlock) -> list[tuple[float, float]]:
    """(start_s, end_s) between the samples around each jump of the sequence number."""
    jumps = np.flatnonzero(np.diff(block.seq) > 1)
    return [(float(block.t_s[i]), float(block.t_s[i + 1])) for i in jumps]


def _check(leg: str, exercise: str, created: datetime | str | None) -> datetime:
    if leg not in ("left", "right"):
        raise SessionImportError(f"leg must be 'left' or 'right', got {leg!r}")
    if exercise not in SPECS:
        raise SessionImportError(f"unknown exercise {exercise!r}; choose one of: {', '.join(SPECS)}")
    if created is None:
        return datetime.now(UTC)
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created.strip())
        except ValueError:
            raise SessionImportError(
                f"--created {created!r} is not an ISO-8601 date or time (e.g. 2026-11-24T10:15:00Z)"
            ) from None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return created.astimezone(UTC)

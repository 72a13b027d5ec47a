"""Export a session: its samples as an interchange CSV, its sensors' orientations as an OpenSim .sto file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dashboard.io.sto import write_sto
from dashboard.paths import resolve_session
from sensors.interchange import InputFileError, write_interchange
from sensors.samples import Role, SampleBlock
from sensors.sessions import load_session


class ExportError(ValueError):
    """An export that could not be done; the message says which session or file and why."""


def find_session(data_dir: Path, ref: str) -> Path:
    """A session folder from its id (or, on the command line, its folder).

    Raises
    ------
    ExportError : no such session.
    """
    folder = resolve_session(Path(data_dir), ref)
    if folder is None:
        raise ExportError(f"{ref}: no such session in {Path(data_dir) / 'sessions'} (and not a session folder)")
    return folder


def export_csv(data_dir: Path, ref: str, out: Path) -> None:
    """Write every sample of a session as an interchange CSV (exact numbers: it imports back identically)."""
    _export(data_dir, ref, out, lambda path, meta, blocks: write_interchange(path, blocks, exact=True))


def export_sto(data_dir: Path, ref: str, out: Path) -> None:
    """Write both sensors' orientations (vqf 6D) as an OpenSim orientations file for OpenSense."""
    _export(data_dir, ref, out, lambda path, meta, blocks: write_sto(path, blocks, str(meta.get("leg", "right"))))


def _export(
    data_dir: Path,
    ref: str,
    out: Path,
    write: Callable[[Path, dict[str, Any], dict[Role, SampleBlock]], None],
) -> None:
    """Load the session and write `out` through a temporary file, so a failure leaves no partial file."""
    folder = find_session(data_dir, ref)
    try:
        meta, blocks = load_session(folder)
    except InputFileError as e:
        raise ExportError(str(e)) from e
    empty = [r for r, b in blocks.items() if len(b) == 0]
    if empty:
        raise ExportError(f"{folder}: no samples of the {' and '.join(empty)} sensor; nothing to export")
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        write(tmp, meta, blocks)
        os.replace(tmp, out)
    except ValueError as e:
        raise ExportError(f"{folder}: {e}") from e
    except OSError as e:
        raise ExportError(f"cannot write {out}: {e.strerror or e}") from e
    finally:
        tmp.unlink(missing_ok=True)

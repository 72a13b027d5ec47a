"""Where dorsi keeps its data: --data-dir, else $DORSI_DATA_DIR, else the platform's user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory to use (not created here)."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("DORSI_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("dorsi", appauthor=False))


def resolve_session(data: Path, ref: str) -> Path | None:
    """A session folder given its path or its id in the data directory; None if neither exists."""
    p = Path(ref).expanduser()
    if (p / "session.json").is_file():
        return p
    q = data / "sessions" / ref
    if ref and "/" not in ref and (q / "session.json").is_file():
        return q
    return None

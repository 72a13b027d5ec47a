"""Where dorsi keeps its data (--data-dir, $DORSI_DATA_DIR, the user data folder), and what a session id may be."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

# Letters, digits and inner hyphens (e.g. 20261124T101500Z-3f9a): never a separator, dot, percent sign or space.
SESSION_ID_PATTERN = re.compile(r"[0-9A-Za-z](?:[0-9A-Za-z-]{0,62}[0-9A-Za-z])?")


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory to use (not created here)."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("DORSI_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("dorsi", appauthor=False))


def is_session_id(value: object) -> bool:
    """Whether `value` is a string shaped like a session id (safe as one folder name; not that it exists)."""
    return isinstance(value, str) and SESSION_ID_PATTERN.fullmatch(value) is not None


def validate_session_id(value: object) -> str:
    """Return `value` if it is a well-formed session id, else raise ValueError.

    The only way a request may name a session: 1 to 64 ASCII letters, digits and hyphens, starting and ending
    with a letter or digit. Paths (``a/b``, ``/etc``, ``..``), encoded paths (``%2e%2e``), dots, backslashes,
    spaces and non-ASCII letters are refused, so an id can never leave ``<data_dir>/sessions``.
    """
    if not is_session_id(value):
        shown = repr(value)[:80]
        raise ValueError(f"not a session id: {shown}; expected letters, digits and hyphens, e.g. 20261124T101500Z-3f9a")
    assert isinstance(value, str)
    return value


def resolve_session(data: Path, ref: str) -> Path | None:
    """A session folder given its path (command line only) or its id in the data directory; None if neither."""
    p = Path(ref).expanduser()
    if (p / "session.json").is_file():
        return p
    if not is_session_id(ref):
        return None
    q = data / "sessions" / ref
    if (q / "session.json").is_file():
        return q
    return None

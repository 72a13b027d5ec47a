"""Read recorded session folders back: metadata and raw samples, tolerant of a crash mid-write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sensors.interchange import InputFileError
from sensors.recorder import METADATA_FILE, RAW_COLUMNS, SESSION_FORMAT_VERSION, raw_samples_file
from sensors.samples import ROLES, Role, SampleBlock, make_block


def load_metadata(path: Path) -> dict[str, Any]:
    """Read and check a session's metadata."""
    meta_path = Path(path) / METADATA_FILE
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise InputFileError(f"{path}: not a dorsi session folder (no {METADATA_FILE})") from e
    except json.JSONDecodeError as e:
        raise InputFileError(f"{meta_path}, line {e.lineno}: not valid JSON ({e.msg})") from e
    version = meta.get("format_version")
    if version != SESSION_FORMAT_VERSION:
        raise InputFileError(
            f"{meta_path}: session format version {version!r}; this dorsi reads version {SESSION_FORMAT_VERSION}"
        )
    return meta


def load_samples(path: Path) -> dict[Role, SampleBlock]:
    """Raw samples of a session on the session clock. A torn last line (crash) is dropped."""
    blocks: dict[Role, SampleBlock] = {}
    for role in ROLES:
        f = Path(path) / raw_samples_file(role)
        if not f.is_file():
            raise InputFileError(f"{f}: missing raw samples of the {role} sensor")
        df = pd.read_csv(f, on_bad_lines="skip")
        if list(df.columns) != list(RAW_COLUMNS):
            raise InputFileError(f"{f}, line 1: header {list(df.columns)}, expected {list(RAW_COLUMNS)}")
        df = df.apply(pd.to_numeric, errors="coerce").dropna()
        blocks[role] = make_block(
            role,
            df["seq"].to_numpy(np.int64),
            df["t_s"].to_numpy(),
            df[["ax", "ay", "az"]].to_numpy(),
            df[["gx", "gy", "gz"]].to_numpy(),
        )
    return blocks


def load_session(path: Path) -> tuple[dict[str, Any], dict[Role, SampleBlock]]:
    """Metadata and raw samples of one session folder."""
    return load_metadata(path), load_samples(path)

"""Read recorded session folders back (metadata, raw samples, sets minus pauses), tolerant of a crash mid-write."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sensors.accel_calibration import AccelCalibration
from sensors.interchange import InputFileError
from sensors.recorder import (
    METADATA_FILE,
    RAW_COLUMNS,
    READABLE_FORMAT_VERSIONS,
    SESSION_FORMAT_VERSION,
    raw_samples_file,
)
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
    if version not in READABLE_FORMAT_VERSIONS:
        newer = isinstance(version, int) and version > SESSION_FORMAT_VERSION
        raise InputFileError(
            f"{meta_path}: session format version {version!r}; this dorsi reads versions "
            f"{', '.join(map(str, READABLE_FORMAT_VERSIONS))}"
            + (" (the folder was written by a newer dorsi: update dorsi)" if newer else "")
        )
    return meta


def load_samples(path: Path, metadata: dict[str, Any] | None = None) -> dict[Role, SampleBlock]:
    """Samples of a session on the session clock, each accelerometer calibrated as the session's metadata
    (read unless given) says it was when recording. A torn last line (crash) is dropped."""
    meta = load_metadata(path) if metadata is None else metadata
    blocks: dict[Role, SampleBlock] = {}
    for role in ROLES:
        f = Path(path) / raw_samples_file(role)
        if not f.is_file():
            raise InputFileError(f"{f}: missing raw samples of the {role} sensor")
        raw = f.read_bytes()
        whole = raw[: raw.rfind(b"\n") + 1]  # a row cut inside its last number would load as a wrong value
        try:
            df = pd.read_csv(io.BytesIO(whole), on_bad_lines="skip")
        except pd.errors.EmptyDataError as e:
            raise InputFileError(f"{f}: empty (no header line); the recording never started") from e
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
        sensor = (meta.get("sensors") or {}).get(role)
        kept = sensor.get("accelerometer_calibration") if isinstance(sensor, dict) else None
        if kept is not None:
            try:
                cal = AccelCalibration.from_json(kept, f"{Path(path) / METADATA_FILE}, sensors.{role}")
            except ValueError as e:
                raise InputFileError(
                    f"{e}; remove that accelerometer_calibration entry to read the samples uncalibrated"
                ) from e
            blocks[role] = cal.apply_block(blocks[role])
    return blocks


def load_session(path: Path) -> tuple[dict[str, Any], dict[Role, SampleBlock]]:
    """Metadata and raw samples of one session folder."""
    meta = load_metadata(path)
    return meta, load_samples(path, meta)


@dataclass(frozen=True)
class SetWindow:
    """One recorded set: its exercise and session-clock span, minus its pauses (end_s inf: never closed)."""

    index: int
    exercise: str
    start_s: float
    end_s: float
    pauses_s: tuple[tuple[float, float], ...]
    pain: int | None

    def active_spans_s(self) -> list[tuple[float, float]]:
        """The (start_s, end_s) spans of the set that were not paused, in order."""
        spans, t = [], self.start_s
        for p0, p1 in sorted(self.pauses_s):
            if p0 > t:
                spans.append((t, min(p0, self.end_s)))
            t = max(t, p1)
        if t < self.end_s:
            spans.append((t, self.end_s))
        return spans

    def blocks(self, blocks: dict[Role, SampleBlock]) -> dict[Role, SampleBlock]:
        """The samples the live pipeline saw during this set: inside it, outside its pauses."""
        spans = self.active_spans_s() or [(self.start_s, self.start_s)]
        return {r: SampleBlock.concat([b.window(a, z) for a, z in spans]) for r, b in blocks.items()}


def set_windows(meta: dict[str, Any]) -> list[SetWindow]:
    """The sets of a session's metadata; an open pause or set (a crash) runs to the end of the recording."""
    out = []
    for i, st in enumerate(meta.get("sets", [])):
        end = math.inf if st.get("end_s") is None else float(st["end_s"])
        pauses = tuple(
            (float(p0), end if p1 is None else float(p1))
            for p0, p1 in st.get("pauses", [])  # absent in v1 files
        )
        pain = st.get("pain")
        out.append(SetWindow(i, str(st["exercise"]), float(st["start_s"]), end, pauses, pain))
    return out

"""The interchange CSV (t_s,sensor,ax,ay,az,gx,gy,gz[,mx,my,mz]): read with line-precise errors, and write."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from sensors.samples import ROLES, Role, SampleBlock, make_block

REQUIRED_COLUMNS = ("t_s", "sensor", "ax", "ay", "az", "gx", "gy", "gz")
MAG_COLUMNS = ("mx", "my", "mz")
NUMERIC_COLUMNS = ("t_s", "ax", "ay", "az", "gx", "gy", "gz")


class InputFileError(ValueError):
    """A file that cannot be read as asked; the message names the file, the line and what was expected."""


def read_interchange(path: Path) -> dict[Role, SampleBlock]:
    """Read an interchange CSV into one block per sensor (sequence numbers are the row order per sensor).

    Raises InputFileError naming the file, line (1-based, header is line 1) and column of the first problem.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, nrows=0)
    except pd.errors.EmptyDataError as e:
        raise InputFileError(f"{path}: the file is empty; expected a header {','.join(REQUIRED_COLUMNS)}") from e
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: not a readable CSV file ({e})") from e
    columns = [str(c).strip() for c in df.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputFileError(
            f"{path}, line 1: missing column(s) {', '.join(missing)}; expected the header "
            f"{','.join(REQUIRED_COLUMNS)} (optional {','.join(MAG_COLUMNS)})"
        )
    has_mag = all(c in columns for c in MAG_COLUMNS)
    numeric_cols = list(NUMERIC_COLUMNS) + (list(MAG_COLUMNS) if has_mag else [])
    values = _read_columns(path, numeric_cols)
    sensor = values.pop("sensor")
    if len(sensor) == 0:
        raise InputFileError(f"{path}: no samples after the header")
    bad_sensor = ~np.isin(sensor, ROLES)
    if bad_sensor.any():
        i = int(np.argmax(bad_sensor))
        raise InputFileError(
            f"{path}, line {i + 2}, column sensor: {str(sensor[i])!r} is not a sensor role; expected 'shin' or 'foot'"
        )
    for col in numeric_cols:
        bad = ~np.isfinite(values[col])
        if bad.any():
            i = int(np.argmax(bad))
            raise InputFileError(
                f"{path}, line {i + 2}, column {col}: {float(values[col][i])!r} is not a finite number"
            )
    blocks: dict[Role, SampleBlock] = {}
    for role in ROLES:
        rows = np.flatnonzero(sensor == role)
        if len(rows) == 0:
            raise InputFileError(f"{path}: no rows for the {role} sensor; dorsi needs both shin and foot")
        t = values["t_s"][rows]
        back = np.flatnonzero(np.diff(t) <= 0)
        if len(back):
            i = rows[back[0] + 1]
            raise InputFileError(
                f"{path}, line {i + 2}, column t_s: time {t[back[0] + 1]} of the {role} sensor is not after "
                f"its previous sample ({t[back[0]]}); rows must be in time order without duplicates"
            )
        acc = np.column_stack([values[c][rows] for c in ("ax", "ay", "az")])
        gyr = np.column_stack([values[c][rows] for c in ("gx", "gy", "gz")])
        mag = np.column_stack([values[c][rows] for c in MAG_COLUMNS]) if has_mag else None
        blocks[role] = make_block(role, np.arange(len(rows)), t, acc, gyr, mag)
    return blocks


def _read_columns(path: Path, numeric_cols: list[str]) -> dict[str, np.ndarray]:
    """The sensor column as strings and the numeric ones as float64; names the first cell that is not a number."""
    usecols = ["sensor", *numeric_cols]
    try:
        df = pd.read_csv(
            path,
            usecols=lambda c: c.strip() in usecols,
            dtype={c: np.float64 for c in numeric_cols} | {"sensor": str},
            skipinitialspace=True,
            engine="c",
        )
        df.columns = [str(c).strip() for c in df.columns]
    except ValueError:
        # slow path, only to say which cell is wrong
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        df.columns = [str(c).strip() for c in df.columns]
        for col in numeric_cols:
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            bad = ~np.isfinite(v)
            if bad.any():
                i = int(np.argmax(bad))
                raise InputFileError(
                    f"{path}, line {i + 2}, column {col}: {df[col].iloc[i]!r} is not a finite number"
                ) from None
        raise
    out = {c: df[c].to_numpy(dtype=np.float64) for c in numeric_cols}
    out["sensor"] = df["sensor"].fillna("").str.strip().to_numpy(dtype=str)
    return out


def write_interchange(path: Path, blocks: dict[Role, SampleBlock]) -> None:
    """Write blocks as one interchange CSV, rows merged in time order."""
    rows = []
    for role, b in blocks.items():
        for i in range(len(b)):
            rows.append((float(b.t_s[i]), role, b.acc[i], b.gyr[i]))
    rows.sort(key=lambda r: r[0])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(REQUIRED_COLUMNS)
        for t, role, a, g in rows:
            w.writerow((f"{t:.6f}", role, *(f"{x:.6g}" for x in a), *(f"{x:.6g}" for x in g)))

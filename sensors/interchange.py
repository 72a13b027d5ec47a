"""The interchange CSV (t_s,sensor,ax,ay,az,gx,gy,gz[,mx,my,mz]): read with line-precise errors, and write."""

from __future__ import annotations

import csv
import io
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
    raw = _plain_text(path)
    try:
        return _parse(path, raw)
    except InputFileError:
        _check_fields(path, raw)  # a row with a field too many or too few is the clearer thing to name
        raise


def _parse(path: Path, raw: bytes) -> dict[Role, SampleBlock]:
    try:
        df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, skipinitialspace=True, nrows=0)
    except pd.errors.EmptyDataError as e:
        raise InputFileError(f"{path}: the file is empty; expected a header {','.join(REQUIRED_COLUMNS)}") from e
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: not a readable CSV file ({e})") from e
    header = {str(c).strip(): str(c) for c in df.columns}  # name -> the header's own text (spaces kept)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputFileError(
            f"{path}, line 1: missing column(s) {', '.join(missing)}; expected the header "
            f"{','.join(REQUIRED_COLUMNS)} (optional {','.join(MAG_COLUMNS)})"
        )
    has_mag = all(c in header for c in MAG_COLUMNS)
    numeric_cols = list(NUMERIC_COLUMNS) + (list(MAG_COLUMNS) if has_mag else [])
    values = _read_columns(path, raw, header, numeric_cols)
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


def _plain_text(path: Path) -> bytes:
    """The file's bytes, refusing what the CSV parser would misread or crash on: non-UTF-8 bytes, quotes or
    NULs, and blank lines inside the data (each named by its line). Searched in C, without copies: a one-hour
    recording is about 100 MB."""
    raw = path.read_bytes()
    if not raw.isascii():
        try:
            raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            raise InputFileError(
                f"{path}, line {line}: byte {raw[e.start]:#04x} is not UTF-8 text; expected a CSV of plain numbers"
            ) from None
    end = _content_end(raw)
    for bad, what in ((b'"', "a quote"), (b"\0", "a NUL character")):
        hit = raw.find(bad, 0, end)
        if hit >= 0:
            line = raw.count(b"\n", 0, hit) + 1
            raise InputFileError(f"{path}, line {line}: {what}; expected plain comma-separated values")
    blanks = [h for h in (raw.find(b"\n\n", 0, end), raw.find(b"\n\r\n", 0, end)) if h >= 0]
    if raw[:end].startswith((b"\n", b"\r\n")):
        blanks.append(-1)
    if blanks:
        line = raw.count(b"\n", 0, min(blanks) + 1) + 1
        raise InputFileError(f"{path}, line {line}: an empty line; expected a sample on every line")
    return raw


def _content_end(raw: bytes) -> int:
    """Length of raw without its trailing blank lines and spaces."""
    end = len(raw)
    while end and raw[end - 1] in b"\r\n\t ":
        end -= 1
    return end


def _check_fields(path: Path, raw: bytes) -> None:
    """Name the first row with another number of fields than the header (run only when reading failed)."""
    end = _content_end(raw)
    if end == 0:
        return
    data = np.frombuffer(raw, dtype=np.uint8, count=end)
    starts = np.concatenate(([0], np.flatnonzero(data == ord("\n")) + 1))
    fields = np.add.reduceat(data == ord(","), starts, dtype=np.int64) + 1
    wrong = np.flatnonzero(fields != fields[0])
    if wrong.size:
        i = int(wrong[0])
        raise InputFileError(f"{path}, line {i + 1}: {fields[i]} fields, but the header (line 1) has {fields[0]}")


def _read_columns(path: Path, raw: bytes, header: dict[str, str], numeric_cols: list[str]) -> dict[str, np.ndarray]:
    """The sensor column as strings and the numeric ones as float64; names the first cell that is not a number."""
    try:
        # every column is read (no usecols), so that a row with a field too many fails here, not silently
        dtypes = {header[c]: np.float64 for c in numeric_cols} | {header["sensor"]: "category"}
        df = pd.read_csv(io.BytesIO(raw), dtype=dtypes, skipinitialspace=True, engine="c")
        df.columns = [str(c).strip() for c in df.columns]
    except ValueError:
        # slow path, only to say which row or cell is wrong
        _check_fields(path, raw)
        df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, skipinitialspace=True)
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
    sensor = df["sensor"].cat  # a few distinct names: strip those, not every row's
    names = np.array([str(c).strip() for c in sensor.categories] + [""])
    out["sensor"] = names[sensor.codes.to_numpy()]  # code -1 (an empty cell) picks the trailing ""
    return out


def write_interchange(path: Path, blocks: dict[Role, SampleBlock], *, exact: bool = False) -> None:
    """Write blocks as one interchange CSV, rows merged in time order (a stable sort: ties keep role order).

    By default times are written to the microsecond and values to 6 significant digits (compact); with
    exact=True every number round-trips bit for bit and the magnetometer is written when every block has one.
    """
    if exact:
        _write_exact(path, blocks)
        return
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


def _write_exact(path: Path, blocks: dict[Role, SampleBlock]) -> None:
    with_mag = all(b.mag is not None for b in blocks.values())
    frames = []
    for role, b in blocks.items():
        cols: dict[str, object] = {"t_s": b.t_s, "sensor": role}
        cols |= {c: b.acc[:, k] for k, c in enumerate(("ax", "ay", "az"))}
        cols |= {c: b.gyr[:, k] for k, c in enumerate(("gx", "gy", "gz"))}
        if with_mag:
            assert b.mag is not None
            cols |= {c: b.mag[:, k] for k, c in enumerate(MAG_COLUMNS)}
        frames.append(pd.DataFrame(cols))
    df = pd.concat(frames, ignore_index=True).sort_values("t_s", kind="stable")
    # pandas writes floats with repr(): the shortest text that reads back to the same float64
    df.to_csv(path, index=False, lineterminator="\n")

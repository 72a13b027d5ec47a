"""Xsens/Movella MT Manager text exports (`//` comment lines, a delimited header) read into SampleBlocks.

What is read, per row (one packet of one sensor):
- PacketCounter (required): 16-bit, wraps from 65535 to 0; unwrapped into `SampleBlock.seq`.
- Acc_X..Z (required) m/s^2 and Gyr_X..Z (required) rad/s, sensor frame, as MT Manager exports them.
- Mag_X..Z (optional) passed through as given: MT Manager exports the magnetic field normalised to the field
  at its calibration (|m| about 1, arbitrary units), not in uT.
- SampleTimeFine (optional, used when it has values): the sensor clock in 1e-4 s ticks, 32-bit.
- Quat_q0..q3 (optional): Xsens' own filter, scalar first, sensor to earth (the export's coordinate system,
  usually ENU). Returned apart from the block, for validation only; dorsi never feeds them to processing.

Timestamps: SampleTimeFine when present; otherwise the unwrapped PacketCounter divided by the sample rate, which
comes from the caller (`rate_hz`) or the header's `// Update Rate: 100.0Hz` line (they must agree when both are
given). Repairs and refusals, each error naming file, line, column and what was expected (InputFileError):
- a row that repeats the previous row exactly (same counter, same values) is dropped and counted;
- a repeated counter with different values, or a counter that goes back (other than the 16-bit wrap), is
  refused: the rows are not one sensor's packets in order;
- a forward jump of the counter is a gap (lost packets): kept as a jump in `seq` and in `t_s`;
- empty, non-numeric, NaN and infinite cells in the columns read are refused (an optional column whose cells are
  all empty, like SampleTimeFine in many exports, counts as absent), and so is a row with more fields than the
  header;
- accelerations that cannot be m/s^2 (median magnitude not within 0.5-4 g, e.g. an export in g) and angular
  rates that cannot be rad/s (above 40 rad/s, e.g. deg/s) are refused (`sensors.importers.units`).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sensors.importers.units import check_units
from sensors.interchange import InputFileError
from sensors.samples import Role, SampleBlock, make_block

FloatArray = NDArray[np.float64]
TimeSource = Literal["PacketCounter", "SampleTimeFine"]

COUNTER_COLUMN = "PacketCounter"
TIME_FINE_COLUMN = "SampleTimeFine"
ACC_COLUMNS = ("Acc_X", "Acc_Y", "Acc_Z")
GYR_COLUMNS = ("Gyr_X", "Gyr_Y", "Gyr_Z")
MAG_COLUMNS = ("Mag_X", "Mag_Y", "Mag_Z")
QUAT_COLUMNS = ("Quat_q0", "Quat_q1", "Quat_q2", "Quat_q3")
REQUIRED_COLUMNS = (COUNTER_COLUMN, *ACC_COLUMNS, *GYR_COLUMNS)

COUNTER_MODULUS = 1 << 16
TIME_FINE_MODULUS = 1 << 32
TIME_FINE_TICK_S = 1e-4
RATE_TOLERANCE = 0.01

_RATE_LINE = re.compile(r"update\s*rate\s*:\s*([0-9]+(?:\.[0-9]*)?)\s*hz", re.IGNORECASE)
_DEVICE_LINE = re.compile(r"deviceid\s*:\s*(\S+)", re.IGNORECASE)
_EXPECTED = (
    "an MT Manager text export: '//' comment lines, then a header with "
    f"{COUNTER_COLUMN}, {', '.join(ACC_COLUMNS)}, {', '.join(GYR_COLUMNS)}"
)


@dataclass(frozen=True)
class XsensExport:
    """One sensor's MT Manager export.

    Attributes
    ----------
    path : the file read.
    block : the samples (seq = unwrapped PacketCounter; t_s in s on the sensor clock, or on the session clock
        after `synchronise`, with the sensor clock kept in `block.t_sensor_s`).
    rate_hz : sampling rate, Hz.
    time_source : what t_s was derived from.
    quat : (N, 4) Xsens' orientation, scalar first, sensor to earth, or None when not exported.
    device_id : the `// DeviceId:` of the header, or None.
    dropped_duplicates : rows dropped because they repeated the previous row exactly.
    """

    path: Path
    block: SampleBlock
    rate_hz: float
    time_source: TimeSource
    quat: FloatArray | None
    device_id: str | None
    dropped_duplicates: int


class _Table:
    """The data rows of an export, each with its 1-based line number in the file, parsed column by column.

    Numbers come from pandas' C parser (fast); a column's cells are split out as text only when it has a cell
    that is not a finite number, to say which one and why.
    """

    def __init__(
        self,
        path: Path,
        header_line: int,
        columns: list[str],
        sep: str | None,
        rows: list[str],
        line_no: NDArray[np.int64],
        comments: list[tuple[int, str]],
    ) -> None:
        self.path, self.header_line, self.columns, self.sep = path, header_line, columns, sep
        self.rows, self.line_no, self.comments = rows, line_no, comments
        self._parsed: dict[str, FloatArray] = self._parse_fast()
        self._text: dict[str, NDArray[np.str_]] = {}

    def has(self, column: str) -> bool:
        """Whether the header names the column."""
        return column in self.columns

    def text(self, column: str) -> NDArray[np.str_]:
        """The column's cells as stripped text, (N,); missing trailing cells are empty."""
        if column not in self._text:
            k = self.columns.index(column)
            split = [r.split(self.sep) for r in self.rows]
            self._text[column] = np.array([f[k].strip() if k < len(f) else "" for f in split], dtype=str)
        return self._text[column]

    def floats(self, column: str) -> FloatArray:
        """The column as float64, NaN where a cell is empty or not a number."""
        if column in self._parsed:
            return self._parsed[column]
        return pd.to_numeric(pd.Series(self.text(column)), errors="coerce").to_numpy(dtype=np.float64)

    def _parse_fast(self) -> dict[str, FloatArray]:
        wanted = [c for c in (*REQUIRED_COLUMNS, TIME_FINE_COLUMN, *MAG_COLUMNS, *QUAT_COLUMNS) if self.has(c)]
        try:
            df = pd.read_csv(
                io.StringIO("\n".join(self.rows)),
                sep=self.sep if self.sep is not None else r"\s+",
                header=None,
                usecols=[self.columns.index(c) for c in wanted],
                dtype=np.float64,
                skip_blank_lines=False,
            )
        except (ValueError, pd.errors.ParserError):
            return {}
        if len(df) != len(self.rows):
            return {}
        return {c: df[self.columns.index(c)].to_numpy(dtype=np.float64) for c in wanted}


def read_xsens_mt(path: Path, role: Role, rate_hz: float | None = None) -> XsensExport:
    """Read one MT Manager text export.

    Parameters
    ----------
    path : the exported .txt file.
    role : "shin" or "foot", the block's role.
    rate_hz : sampling rate, Hz; needed when the file has neither SampleTimeFine nor an `Update Rate` line.

    Returns
    -------
    XsensExport with the block and, when exported, Xsens' quaternions.

    Raises
    ------
    InputFileError naming the file, line (1-based) and column of the first problem.
    """
    path = Path(path)
    table = _read_table(path)
    numbers = {c: _numeric(table, c) for c in REQUIRED_COLUMNS}
    for group in (MAG_COLUMNS, QUAT_COLUMNS, (TIME_FINE_COLUMN,)):
        if _has_values(table, group):
            numbers |= {c: _numeric(table, c) for c in group}
    counter = numbers[COUNTER_COLUMN]
    _check_counter_values(table, counter)
    keep = _drop_repeated_rows(table, numbers)
    numbers = {c: v[keep] for c, v in numbers.items()}
    line_no = table.line_no[keep]
    seq = _unwrap(table, line_no, numbers[COUNTER_COLUMN].astype(np.int64), COUNTER_COLUMN, COUNTER_MODULUS)
    header_rate = _header_rate(table)
    rate, time_source, t_s = _timestamps(table, numbers, line_no, seq, rate_hz, header_rate)
    block = make_block(
        role,
        seq,
        t_s,
        _stack(numbers, ACC_COLUMNS),
        _stack(numbers, GYR_COLUMNS),
        _stack(numbers, MAG_COLUMNS) if MAG_COLUMNS[0] in numbers else None,
    )
    check_units(path, block, ("Acc_X..Acc_Z", "Gyr_X..Gyr_Z"))
    device = next((m.group(1) for _, c in table.comments if (m := _DEVICE_LINE.search(c))), None)
    return XsensExport(
        path=path,
        block=block,
        rate_hz=rate,
        time_source=time_source,
        quat=_stack(numbers, QUAT_COLUMNS) if QUAT_COLUMNS[0] in numbers else None,
        device_id=device,
        dropped_duplicates=int(len(keep) - keep.sum()),
    )


def read_xsens_pair(shin_path: Path, foot_path: Path, rate_hz: float | None = None) -> dict[Role, SampleBlock]:
    """Read the shin and foot exports of one recording onto one session clock (see `synchronise`).

    Returns
    -------
    {"shin": block, "foot": block}, t_s starting at 0 s for the sensor that started first.
    """
    exports = synchronise(read_xsens_mt(shin_path, "shin", rate_hz), read_xsens_mt(foot_path, "foot", rate_hz))
    return {role: e.block for role, e in exports.items()}


def synchronise(shin: XsensExport, foot: XsensExport) -> dict[Role, XsensExport]:
    """Check that two exports come from one synchronised recording and put them on one session clock.

    Xsens sensors recorded together (e.g. an Awinda station) share PacketCounter and SampleTimeFine. The two
    must have the same rate and time source and overlap in time; their counters are aligned across a 16-bit
    wrap (the foot's first packet is placed within half the counter range of the shin's). The session clock
    starts at 0 s at the earlier first sample; `block.t_sensor_s` keeps the sensor clock.

    Raises
    ------
    InputFileError naming both files when they are not synchronous.
    """
    where = f"{shin.path} and {foot.path}"
    if abs(shin.rate_hz - foot.rate_hz) > RATE_TOLERANCE * shin.rate_hz:
        raise InputFileError(
            f"{where}: sample rates differ ({shin.rate_hz:g} Hz and {foot.rate_hz:g} Hz); expected two sensors "
            "of one synchronised recording"
        )
    if shin.time_source != foot.time_source:
        raise InputFileError(
            f"{where}: one export has {TIME_FINE_COLUMN} and the other not; export both with the same settings"
        )
    s0, f0 = int(shin.block.seq[0]), int(foot.block.seq[0])
    shift = s0 + (f0 - s0 + COUNTER_MODULUS // 2) % COUNTER_MODULUS - COUNTER_MODULUS // 2 - f0
    foot_seq = foot.block.seq + shift
    foot_t = foot.block.t_s
    if foot.time_source == "PacketCounter":
        foot_t = foot_seq / foot.rate_hz
    else:
        span_s = TIME_FINE_MODULUS * TIME_FINE_TICK_S
        foot_t = foot_t + span_s * np.rint((shin.block.t_s[0] - foot_t[0]) / span_s)
    start_s, end_s = max(shin.block.t_s[0], foot_t[0]), min(shin.block.t_s[-1], foot_t[-1])
    if end_s <= start_s:
        raise InputFileError(
            f"{where}: not recorded together: the shin covers packets {int(shin.block.seq[0])}..."
            f"{int(shin.block.seq[-1])}, the foot {int(foot_seq[0])}...{int(foot_seq[-1])}, with no time in common"
        )
    _, i_shin, i_foot = np.intersect1d(shin.block.seq, foot_seq, assume_unique=True, return_indices=True)
    offset_s = np.abs(shin.block.t_s[i_shin] - foot_t[i_foot])
    if offset_s.size and float(offset_s.max()) > 0.5 / shin.rate_hz:
        k = int(np.argmax(offset_s))
        raise InputFileError(
            f"{where}: not synchronous: packet {int(shin.block.seq[i_shin[k]])} is at {shin.block.t_s[i_shin[k]]:.4f} "
            f"s in the shin and {foot_t[i_foot[k]]:.4f} s in the foot ({TIME_FINE_COLUMN}); expected the same time"
        )
    t0 = min(float(shin.block.t_s[0]), float(foot_t[0]))
    foot_block = replace(foot.block, seq=foot_seq, t_s=foot_t)
    return {
        "shin": replace(shin, block=shin.block.with_times(shin.block.t_s - t0)),
        "foot": replace(foot, block=foot_block.with_times(foot_t - t0)),
    }


def _read_table(path: Path) -> _Table:
    """Split the file into comment lines, header and data cells, remembering each row's line number."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputFileError(f"{path}: a binary file (an .mtb log?); expected {_EXPECTED} (MT Manager: File > Export)")
    lines = raw.decode("utf-8", errors="replace").splitlines()
    comments: list[tuple[int, str]] = []
    header_i = None
    for i, line in enumerate(lines):
        if line.lstrip().startswith("//"):
            comments.append((i + 1, line.lstrip()[2:]))
        elif line.strip():
            header_i = i
            break
    if header_i is None:
        raise InputFileError(f"{path}: the file has no header or data; expected {_EXPECTED}")
    header = lines[header_i]
    sep = next((s for s in ("\t", ",", ";") if s in header), None)
    columns = [c.strip() for c in header.split(sep)]
    while columns and not columns[-1]:
        columns.pop()
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputFileError(
            f"{path}, line {header_i + 1}: missing column(s) {', '.join(missing)}; expected {_EXPECTED} "
            "(tick Packet Counter, Acceleration and Rate of Turn in MT Manager's export settings)"
        )
    rows: list[str] = []
    line_no: list[int] = []
    for i in range(header_i + 1, len(lines)):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        n_fields = line.count(sep) + 1 if sep is not None else len(line.split())
        if n_fields > len(columns) and any(f.strip() for f in line.split(sep)[len(columns) :]):
            raise InputFileError(
                f"{path}, line {i + 1}: {n_fields} fields, but the header (line {header_i + 1}) names "
                f"{len(columns)} columns"
            )
        rows.append(line)
        line_no.append(i + 1)
    if not rows:
        raise InputFileError(f"{path}: no samples after the header (line {header_i + 1})")
    return _Table(path, header_i + 1, columns, sep, rows, np.asarray(line_no, dtype=np.int64), comments)


def _stack(numbers: dict[str, FloatArray], columns: tuple[str, ...]) -> FloatArray:
    """The columns side by side, (N, k)."""
    return np.column_stack([numbers[c] for c in columns])


def _has_values(table: _Table, group: tuple[str, ...]) -> bool:
    """Whether every column of the group is in the header and at least one of its cells is not empty."""
    if not all(table.has(c) for c in group):
        return False
    return any(bool(np.isfinite(table.floats(c)).any()) or bool((table.text(c) != "").any()) for c in group)


def _numeric(table: _Table, column: str) -> FloatArray:
    """The column as float64; the first empty, non-numeric or non-finite cell is an InputFileError."""
    values = table.floats(column)
    bad = ~np.isfinite(values)
    if not bad.any():
        return values
    text = table.text(column)
    if not (text != "").any():
        raise InputFileError(
            f"{table.path}, line {table.header_line}, column {column}: the column has no values; expected {_EXPECTED}"
        )
    values = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        cell = str(text[i])
        what = "an empty cell" if cell == "" else f"{cell!r} is not a finite number"
        raise InputFileError(f"{table.path}, line {table.line_no[i]}, column {column}: {what}; expected a number")
    return values


def _check_counter_values(table: _Table, counter: FloatArray) -> None:
    bad = (counter != np.round(counter)) | (counter < 0) | (counter >= COUNTER_MODULUS)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputFileError(
            f"{table.path}, line {table.line_no[i]}, column {COUNTER_COLUMN}: {str(table.text(COUNTER_COLUMN)[i])!r}; "
            f"expected an integer packet counter 0...{COUNTER_MODULUS - 1}"
        )


def _drop_repeated_rows(table: _Table, numbers: dict[str, FloatArray]) -> NDArray[np.bool_]:
    """Rows to keep: a row repeating the previous one exactly is dropped; same counter, other values refused."""
    counter = numbers[COUNTER_COLUMN]
    keep = np.ones(len(counter), dtype=bool)
    for i in np.flatnonzero(counter[1:] == counter[:-1]) + 1:
        differs = [c for c, v in numbers.items() if v[i] != v[i - 1]]
        if differs:
            raise InputFileError(
                f"{table.path}, line {table.line_no[i]}, column {COUNTER_COLUMN}: packet {int(counter[i])} repeats "
                f"the previous row's (line {table.line_no[i - 1]}) with other values in {', '.join(differs)}; "
                "expected each packet once"
            )
        keep[i] = False
    return keep


def _unwrap(
    table: _Table, line_no: NDArray[np.int64], raw: NDArray[np.int64], column: str, modulus: int
) -> NDArray[np.int64]:
    """Unwrap a counter that wraps at modulus; a step back of more than half the range is an InputFileError."""
    step = np.diff(raw) % modulus
    back = (step == 0) | (step >= modulus // 2)
    if back.any():
        i = int(np.argmax(back)) + 1
        raise InputFileError(
            f"{table.path}, line {line_no[i]}, column {column}: {int(raw[i])} does not follow the previous row's "
            f"{int(raw[i - 1])}; expected rows in packet order ({column} may wrap from {modulus - 1} to 0)"
        )
    return np.asarray(raw[0] + np.concatenate([[0], np.cumsum(step)]), dtype=np.int64)


def _header_rate(table: _Table) -> tuple[int, float] | None:
    """(line, rate_hz) of the header's `Update Rate: ... Hz` comment, if any."""
    for line, text in table.comments:
        m = _RATE_LINE.search(text)
        if m:
            return line, float(m.group(1))
    return None


def _timestamps(
    table: _Table,
    numbers: dict[str, FloatArray],
    line_no: NDArray[np.int64],
    seq: NDArray[np.int64],
    rate_hz: float | None,
    header_rate: tuple[int, float] | None,
) -> tuple[float, TimeSource, FloatArray]:
    """Sample rate (Hz), time source and t_s (s)."""
    path = table.path
    if rate_hz is not None and not (math.isfinite(rate_hz) and rate_hz > 0):
        raise ValueError(f"rate_hz must be a positive number, got {rate_hz!r}")
    if rate_hz is not None and header_rate is not None and abs(rate_hz - header_rate[1]) > RATE_TOLERANCE * rate_hz:
        raise InputFileError(
            f"{path}, line {header_rate[0]}: the header says {header_rate[1]:g} Hz but {rate_hz:g} Hz was asked for"
        )
    rate = rate_hz if rate_hz is not None else (header_rate[1] if header_rate is not None else None)
    if TIME_FINE_COLUMN in numbers:
        fine = numbers[TIME_FINE_COLUMN]
        bad = (fine != np.round(fine)) | (fine < 0) | (fine >= TIME_FINE_MODULUS)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputFileError(
                f"{path}, line {line_no[i]}, column {TIME_FINE_COLUMN}: {fine[i]:g}; expected an integer count of "
                "1e-4 s ticks (0...2^32-1)"
            )
        ticks = _unwrap(table, line_no, fine.astype(np.int64), TIME_FINE_COLUMN, TIME_FINE_MODULUS)
        t_s = ticks * TIME_FINE_TICK_S
        if len(t_s) < 2 and rate is None:
            raise InputFileError(f"{path}: one sample and no sample rate; pass rate_hz")
        if len(t_s) >= 2:
            period_s = float(np.median(np.diff(t_s) / np.diff(seq)))
            if rate is not None and abs(period_s * rate - 1.0) > 0.05:
                raise InputFileError(
                    f"{path}, column {TIME_FINE_COLUMN}: samples are {period_s:g} s apart, not the "
                    f"{1.0 / rate:g} s of {rate:g} Hz"
                )
            rate = rate if rate is not None else 1.0 / period_s
        assert rate is not None
        return rate, "SampleTimeFine", np.asarray(t_s, dtype=np.float64)
    if rate is None:
        raise InputFileError(
            f"{path}: no sample rate: the file has no {TIME_FINE_COLUMN} values and no '// Update Rate: ... Hz' "
            "header line; pass the rate the sensor recorded at (rate_hz)"
        )
    return rate, "PacketCounter", seq / rate

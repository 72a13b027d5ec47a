"""Importers fed malformed files (hypothesis): an error naming file, line and problem, or valid data; nothing else."""

from __future__ import annotations

import base64
import contextlib
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensors.importers.units import check_blocks_units
from sensors.importers.xsens_mt import read_xsens_mt, read_xsens_pair
from sensors.interchange import InputFileError, read_interchange
from sensors.samples import ROLES, SampleBlock

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
BAD_CELLS = ["", " ", "nan", "NaN", "inf", "-inf", "abc", "1e999", "0x10", "1,5", '"', "\u00e9", "--1"]
XSENS_HEADER = ["PacketCounter", "SampleTimeFine", "Acc_X", "Acc_Y", "Acc_Z", "Gyr_X", "Gyr_Y", "Gyr_Z", "Quat_q0"]
IC_HEADER = ["t_s", "sensor", "ax", "ay", "az", "gx", "gy", "gz"]


def _interchange_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        for role in ROLES:
            rows.append([f"{0.01 * i:.2f}", role, "0.3", f"{-0.1 * (i % 3):.1f}", "9.7", "0.01", f"{0.2 * i:.1f}", "0"])
    return rows


def _xsens_rows(n: int, start: int) -> list[list[str]]:
    return [
        [str((start + i) % 65536), "", "0.2", f"{0.1 * (i % 4):.1f}", "9.8", "0.1", "-0.05", f"{0.3 * i:.1f}", "1"]
        for i in range(n)
    ]


@st.composite
def mutated_table(draw: st.DrawFn, header: list[str], rows: list[list[str]]) -> tuple[list[list[str]], str]:
    """A table with a few random defects; returns the table and what was done (for the failure message)."""
    table = [list(header)] + [list(r) for r in rows]
    done = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                [
                    "cell",
                    "drop_column",
                    "swap",
                    "duplicate",
                    "delete_row",
                    "extra_field",
                    "short_row",
                    "units_g",
                    "units_deg",
                    "one_role",
                ]
            )
        )
        data = len(table) - 1
        if kind == "cell" and data:
            i, j = draw(st.integers(1, data)), draw(st.integers(0, len(table[0]) - 1))
            if j < len(table[i]):
                table[i][j] = draw(st.sampled_from(BAD_CELLS))
        elif kind == "drop_column":
            j = draw(st.integers(0, len(table[0]) - 1))
            table = [r[:j] + r[j + 1 :] for r in table]
        elif kind == "swap" and data >= 2:
            i, k = draw(st.integers(1, data)), draw(st.integers(1, data))
            table[i], table[k] = table[k], table[i]
        elif kind == "duplicate" and data:
            i = draw(st.integers(1, data))
            table.insert(i, list(table[i]))
        elif kind == "delete_row" and data:
            del table[draw(st.integers(1, data))]
        elif kind == "extra_field" and data:
            table[draw(st.integers(1, data))].append("1.0")
        elif kind == "short_row" and data:
            i = draw(st.integers(1, data))
            table[i] = table[i][: draw(st.integers(0, max(0, len(table[i]) - 1)))]
        elif kind == "units_g":
            # an export in g: |acc| about 1 where gravity alone is 9.8 m/s^2
            _scale_columns(table, ("ax", "ay", "az", "Acc_X", "Acc_Y", "Acc_Z"), lambda v: v / 9.80665)
        elif kind == "units_deg":
            # angular rates in deg/s of a movement reaching at least 60 deg/s (every exercise does)
            _scale_columns(table, ("gx", "gy", "gz", "Gyr_Z"), lambda v: math.degrees(v) + 60.0)
        elif kind == "one_role" and "sensor" in table[0]:
            j = table[0].index("sensor")
            gone = draw(st.sampled_from(ROLES))
            table = [table[0]] + [r for r in table[1:] if j >= len(r) or r[j] != gone]
        done.append(kind)
    return table, "+".join(done)


def _scale_columns(table: list[list[str]], names: tuple[str, ...], change: Callable[[float], float]) -> None:
    for j, name in enumerate(table[0]):
        if name in names:
            for r in table[1:]:
                if j < len(r):
                    with contextlib.suppress(ValueError):
                        r[j] = f"{change(float(r[j])):.6g}"


def _text(table: list[list[str]], sep: str, preamble: list[str] | None = None) -> str:
    return "\n".join([*(preamble or []), *(sep.join(r) for r in table)]) + "\n"


@st.composite
def damaged_bytes(draw: st.DrawFn, text: str) -> bytes:
    """The file truncated, spliced with random bytes, or concatenated with itself."""
    raw = text.encode()
    how = draw(st.sampled_from(["truncate", "insert", "concat", "empty", "whitespace"]))
    if how == "truncate":
        return raw[: draw(st.integers(0, len(raw)))]
    if how == "insert":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=12)) + raw[at:]
    if how == "concat":
        return raw + raw
    if how == "empty":
        return b""
    return b" \n\t\n"


def _assert_clear(error: InputFileError, path: Path, n_lines: int) -> None:
    """The message names the file first and, when it names a line, a line the file has."""
    message = str(error)
    assert message.startswith(str(path)), message
    assert "Traceback" not in message and len(message) < 800, message
    for line in re.findall(r"line (\d+)", message):
        assert 1 <= int(line) <= max(n_lines, 1), message


def _assert_valid(blocks: dict[str, SampleBlock]) -> None:
    assert set(blocks) == set(ROLES)
    for block in blocks.values():
        assert len(block) >= 1
        assert block.acc.shape == (len(block), 3) and block.gyr.shape == (len(block), 3)
        assert np.isfinite(block.t_s).all() and np.isfinite(block.acc).all() and np.isfinite(block.gyr).all()
        assert (np.diff(block.t_s) > 0).all(), "times strictly increasing per sensor"


def _read_interchange_checked(path: Path) -> dict[str, SampleBlock]:
    blocks = read_interchange(path)
    check_blocks_units(path, blocks, ("ax..az", "gx..gz"))
    return dict(blocks)


@FUZZ
@given(data=st.data(), n=st.integers(1, 12))
def test_interchange_malformed_tables(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, n: int) -> None:
    table, done = data.draw(mutated_table(IC_HEADER, _interchange_rows(n)))
    path = tmp_path_factory.mktemp("ic") / "session.csv"
    text = _text(table, ",")
    path.write_text(text)
    try:
        blocks = _read_interchange_checked(path)
    except InputFileError as e:
        _assert_clear(e, path, text.count("\n"))
        return
    _assert_valid(blocks)
    assert "units_g" not in done and "units_deg" not in done, f"{done}: wrong units accepted"


@FUZZ
@given(data=st.data(), n=st.integers(1, 12))
def test_interchange_damaged_bytes(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, n: int) -> None:
    raw = data.draw(damaged_bytes(_text([IC_HEADER, *_interchange_rows(n)], ",")))
    path = tmp_path_factory.mktemp("ic") / "session.csv"
    path.write_bytes(raw)
    try:
        blocks = _read_interchange_checked(path)
    except InputFileError as e:
        _assert_clear(e, path, raw.count(b"\n") + 1)
        return
    _assert_valid(blocks)


@FUZZ
@given(data=st.data(), n=st.integers(1, 12), start=st.sampled_from([0, 100, 65530]))
def test_xsens_malformed_tables(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, n: int, start: int
) -> None:
    table, done = data.draw(mutated_table(XSENS_HEADER, _xsens_rows(n, start)))
    path = tmp_path_factory.mktemp("mt") / "MT_shin.txt"
    text = _text(
        table, data.draw(st.sampled_from(["\t", ",", ";"])), ["// DeviceId: 00B47786", "// Update Rate: 100.0Hz"]
    )
    path.write_text(text)
    try:
        export = read_xsens_mt(path, "shin")
    except InputFileError as e:
        _assert_clear(e, path, text.count("\n"))
        return
    _assert_valid({"shin": export.block, "foot": export.block})
    assert "units_g" not in done and "units_deg" not in done, f"{done}: wrong units accepted"


@FUZZ
@given(data=st.data(), n=st.integers(1, 12))
def test_xsens_damaged_bytes(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, n: int) -> None:
    raw = data.draw(damaged_bytes(_text([XSENS_HEADER, *_xsens_rows(n, 7)], "\t", ["// Update Rate: 100.0Hz"])))
    path = tmp_path_factory.mktemp("mt") / "MT_foot.txt"
    path.write_bytes(raw)
    try:
        export = read_xsens_mt(path, "foot")
    except InputFileError as e:
        _assert_clear(e, path, raw.count(b"\n") + 1)
        return
    _assert_valid({"shin": export.block, "foot": export.block})


@FUZZ
@given(data=st.data(), n=st.integers(1, 8), offset=st.integers(-10, 10))
def test_xsens_pairs(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, n: int, offset: int) -> None:
    folder = tmp_path_factory.mktemp("pair")
    shin_table, _ = data.draw(mutated_table(XSENS_HEADER, _xsens_rows(n, 1000)))
    shin, foot = folder / "shin.txt", folder / "foot.txt"
    shin.write_text(_text(shin_table, "\t", ["// Update Rate: 100.0Hz"]))
    foot.write_text(_text([XSENS_HEADER, *_xsens_rows(n, 1000 + offset)], "\t", ["// Update Rate: 100.0Hz"]))
    try:
        blocks = read_xsens_pair(shin, foot)
    except InputFileError as e:
        message = str(e)
        assert message.startswith((str(shin), str(foot))), message
        return
    _assert_valid(dict(blocks))


def test_single_sensor_interchange_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shin_only.csv"
    path.write_text(_text([IC_HEADER, *[r for r in _interchange_rows(5) if r[1] == "shin"]], ","))
    with pytest.raises(InputFileError, match=r"shin_only\.csv: no rows for the foot sensor"):
        read_interchange(path)


def test_huge_interchange_file_is_read_in_bounded_time(tmp_path: Path) -> None:
    """An hour of two sensors at 100 Hz (720 000 rows, about 30 MB) reads in seconds, not minutes."""
    import time

    n = 360_000
    t = np.arange(n) * 0.01
    lines = ["t_s,sensor,ax,ay,az,gx,gy,gz"]
    body = "\n".join(f"{x:.2f},{r},0.1,0.2,9.8,0.01,0.02,0.03" for x in t for r in ROLES)
    path = tmp_path / "hour.csv"
    path.write_text("\n".join(lines) + "\n" + body + "\n")
    started = time.perf_counter()
    blocks = read_interchange(path)
    elapsed_s = time.perf_counter() - started
    assert len(blocks["shin"]) == n and len(blocks["foot"]) == n
    assert elapsed_s < 20.0


def _tree_digest(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def recorded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding one imported session and its index."""
    from dashboard.upload_import import Upload, import_uploads

    data = tmp_path_factory.mktemp("recorded") / "data"
    text = _text([IC_HEADER, *_interchange_rows(50)], ",")
    good = Upload("data:text/csv;base64," + base64.b64encode(text.encode()).decode(), "good.csv")
    import_uploads(data, "interchange", "left", "band_mobilisation", {"csv": good})
    return data


@settings(FUZZ, max_examples=60)
@given(data=st.data(), n=st.integers(1, 10), kind=st.sampled_from(["interchange", "xsens"]))
def test_refused_imports_change_nothing(recorded_data_dir: Path, data: st.DataObject, n: int, kind: str) -> None:
    """Malformed uploads through the Import page's path: refused with a message, the data directory unchanged byte
    for byte (sessions, index), no temporary folder left behind."""
    from dashboard.upload_import import Upload, UploadError, import_uploads

    def upload(raw: bytes, name: str) -> Upload:
        return Upload("data:text/plain;base64," + base64.b64encode(raw).decode(), name)

    if kind == "interchange":
        table, _ = data.draw(mutated_table(IC_HEADER, _interchange_rows(n)))
        files = {"csv": upload(data.draw(damaged_bytes(_text(table, ","))), "bad.csv")}
    else:
        table, _ = data.draw(mutated_table(XSENS_HEADER, _xsens_rows(n, 10)))
        shin = data.draw(damaged_bytes(_text(table, "\t", ["// Update Rate: 100.0Hz"])))
        foot = _text([XSENS_HEADER, *_xsens_rows(n, 10)], "\t", ["// Update Rate: 100.0Hz"]).encode()
        files = {"shin": upload(shin, "shin.txt"), "foot": upload(foot, "foot.txt")}
    before = _tree_digest(recorded_data_dir)
    try:
        session_id = import_uploads(recorded_data_dir, kind, "right", "eccentric_drop", files)
    except UploadError as e:
        assert str(e).startswith(("bad.csv", "shin.txt", "foot.txt", "choose")), str(e)
        assert str(recorded_data_dir) not in str(e)
        assert _tree_digest(recorded_data_dir) == before
    else:
        import shutil

        # accepted (the damage left a valid file): the new session is all that changed; remove it again
        after = _tree_digest(recorded_data_dir)
        assert {k: v for k, v in after.items() if k in before and not k.startswith("index")} == {
            k: v for k, v in before.items() if not k.startswith("index")
        }
        shutil.rmtree(recorded_data_dir / "sessions" / session_id)
        from dashboard.session_index import sync

        sync(recorded_data_dir)
    assert not [p for p in recorded_data_dir.iterdir() if p.name.startswith(".upload-")]
    assert not [p for p in (recorded_data_dir / "sessions").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("line", "damage", "message"),
    [
        (4, lambda row: row + b",7", r"line 4: 9 fields, but the header \(line 1\) has 8"),
        (5, lambda row: row.rsplit(b",", 1)[0], r"line 5: 7 fields, but the header \(line 1\) has 8"),
        (3, lambda row: b"\n" + row, r"line 3: an empty line"),
        (4, lambda row: row.replace(b"shin", b'"shin"').replace(b"foot", b'"foot"'), r"line 4: a quote"),
        (2, lambda row: row + b"\0", r"line 2: a NUL character"),
        (6, lambda row: row.replace(b"9.7", b"9\xff7"), r"line 6: byte 0xff is not UTF-8 text"),
    ],
)
def test_interchange_problems_are_named_by_their_line(
    tmp_path: Path, line: int, damage: Callable[[bytes], bytes], message: str
) -> None:
    lines = _text([IC_HEADER, *_interchange_rows(5)], ",").encode().split(b"\n")
    lines[line - 1] = damage(lines[line - 1])
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputFileError, match=rf"bad\.csv, {message}"):
        read_interchange(path)

"""The Xsens/Movella MT Manager text importer: small hand-written exports, every refusal, and the real files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sensors.importers.xsens_mt import read_xsens_mt, read_xsens_pair
from sensors.interchange import InputFileError

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
MOVINGREALITY = DATASETS / "movingreality_xsens_pp01"

COMMENTS = ["// General information:", "//  DeviceId: 00B4ABCD", "// Update Rate: 100.0Hz"]
HEADER = [
    "PacketCounter",
    "SampleTimeFine",
    "Acc_X",
    "Acc_Y",
    "Acc_Z",
    "Gyr_X",
    "Gyr_Y",
    "Gyr_Z",
    "Mag_X",
    "Mag_Y",
    "Mag_Z",
    "Quat_q0",
    "Quat_q1",
    "Quat_q2",
    "Quat_q3",
]


def row(counter: int | str, k: float = 0.0, fine: str = "", **override: str) -> list[str]:
    """One data row; values are simple functions of k so that each row differs; override replaces a cell."""
    values = {
        "PacketCounter": str(counter),
        "SampleTimeFine": fine,
        "Acc_X": f"{0.1 + k:.3f}",
        "Acc_Y": f"{-0.2 + k:.3f}",
        "Acc_Z": f"{9.8 + k:.3f}",
        "Gyr_X": f"{0.01 * k:.3f}",
        "Gyr_Y": f"{-0.02 * k:.3f}",
        "Gyr_Z": f"{0.5 + k:.3f}",
        "Mag_X": "0.9",
        "Mag_Y": "0.1",
        "Mag_Z": "-0.4",
        "Quat_q0": "1.0",
        "Quat_q1": "0.0",
        "Quat_q2": "0.0",
        "Quat_q3": "0.0",
    }
    values.update(override)
    return [values[c] for c in HEADER]


def write(
    path: Path,
    rows: list[list[str]],
    comments: list[str] | None = None,
    header: list[str] | None = None,
    sep: str = "\t",
    newline: str = "\n",
) -> Path:
    lines = list(COMMENTS if comments is None else comments)
    lines.append(sep.join(HEADER if header is None else header))
    lines += [sep.join(r) for r in rows]
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    return path


def test_reads_values_units_and_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", [row(100, 0.0), row(101, 1.0), row(102, 2.0)])
    e = read_xsens_mt(path, "foot")
    assert e.block.role == "foot"
    assert e.device_id == "00B4ABCD"
    assert e.rate_hz == 100.0
    assert e.time_source == "PacketCounter"
    assert e.block.seq.tolist() == [100, 101, 102]
    # counter / rate: packet 100 at 100 Hz is 1.00 s on the sensor clock
    assert np.allclose(e.block.t_s, [1.00, 1.01, 1.02])
    assert np.allclose(e.block.acc[2], [2.1, 1.8, 11.8])
    assert np.allclose(e.block.gyr[1], [0.01, -0.02, 1.5])
    assert e.block.mag is not None and np.allclose(e.block.mag[0], [0.9, 0.1, -0.4])
    assert e.quat is not None and e.quat.shape == (3, 4) and np.allclose(e.quat[:, 0], 1.0)
    assert e.dropped_duplicates == 0


def test_optional_columns_absent(tmp_path: Path) -> None:
    header = ["PacketCounter", "Acc_X", "Acc_Y", "Acc_Z", "Gyr_X", "Gyr_Y", "Gyr_Z"]
    rows = [["7", "0", "0", "9.8", "0.1", "0.2", "0.3"], ["8", "0", "0", "9.8", "0.1", "0.2", "0.3"]]
    e = read_xsens_mt(write(tmp_path / "a.txt", rows, comments=[], header=header), "shin", rate_hz=50.0)
    assert e.quat is None and e.block.mag is None and e.device_id is None
    assert np.allclose(e.block.t_s, [7 / 50.0, 8 / 50.0])


def test_rate_from_argument_when_the_header_has_none(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", [row(0), row(1, 1.0)], comments=["// Coordinate system: ENU"])
    with pytest.raises(InputFileError, match=r"a\.txt: no sample rate.*rate_hz"):
        read_xsens_mt(path, "shin")
    assert np.allclose(read_xsens_mt(path, "shin", rate_hz=60.0).block.t_s, [0.0, 1 / 60.0])


def test_rate_argument_contradicting_the_header_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", [row(0), row(1, 1.0)])
    with pytest.raises(InputFileError, match=r"a\.txt, line 3: the header says 100 Hz but 40 Hz"):
        read_xsens_mt(path, "shin", rate_hz=40.0)


def test_sample_time_fine_gives_the_timestamps_and_the_rate(tmp_path: Path) -> None:
    # 1e-4 s ticks 40 Hz apart (250 ticks), across the 32-bit wrap; no Update Rate line
    ticks = [2**32 - 500, 2**32 - 250, 0, 250]
    rows = [row(10 + i, float(i), fine=str(t)) for i, t in enumerate(ticks)]
    e = read_xsens_mt(write(tmp_path / "a.txt", rows, comments=[]), "shin")
    assert e.time_source == "SampleTimeFine"
    assert e.rate_hz == pytest.approx(40.0)
    assert np.allclose(np.diff(e.block.t_s), 0.025)
    assert e.block.t_s[0] == pytest.approx((2**32 - 500) * 1e-4)


def test_sample_time_fine_contradicting_the_rate_is_refused(tmp_path: Path) -> None:
    rows = [row(i, float(i), fine=str(250 * i)) for i in range(3)]  # 40 Hz ticks, header says 100 Hz
    with pytest.raises(InputFileError, match=r"column SampleTimeFine: samples are 0.025 s apart, not the 0.01 s"):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")


def test_sample_time_fine_going_back_is_refused(tmp_path: Path) -> None:
    rows = [row(i, float(i), fine=str(t)) for i, t in enumerate([1000, 1100, 1050])]
    with pytest.raises(InputFileError, match=r"line 7, column SampleTimeFine: 1050 does not follow .* 1100"):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")


def test_16_bit_counter_wrap_is_unwrapped(tmp_path: Path) -> None:
    rows = [row(c, float(i)) for i, c in enumerate([65534, 65535, 0, 1])]
    e = read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")
    assert e.block.seq.tolist() == [65534, 65535, 65536, 65537]
    assert np.allclose(np.diff(e.block.t_s), 0.01)


def test_lost_packets_stay_a_gap(tmp_path: Path) -> None:
    rows = [row(c, float(i)) for i, c in enumerate([10, 11, 14, 15])]
    e = read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")
    assert e.block.seq.tolist() == [10, 11, 14, 15]
    assert np.allclose(np.diff(e.block.t_s), [0.01, 0.03, 0.01])


def test_exact_duplicate_row_is_dropped(tmp_path: Path) -> None:
    rows = [row(5, 0.0), row(6, 1.0), row(6, 1.0), row(7, 2.0)]
    e = read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")
    assert e.dropped_duplicates == 1
    assert e.block.seq.tolist() == [5, 6, 7]
    assert np.allclose(e.block.acc[:, 2], [9.8, 10.8, 11.8])


def test_repeated_counter_with_other_values_is_refused(tmp_path: Path) -> None:
    rows = [row(5, 0.0), row(6, 1.0), row(6, 1.5), row(7, 2.0)]
    # header on line 4, rows on lines 5..8: the second packet 6 is line 7
    with pytest.raises(
        InputFileError, match=r"a\.txt, line 7, column PacketCounter: packet 6 repeats .*line 6.* Acc_X"
    ):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")


def test_counter_going_back_is_refused(tmp_path: Path) -> None:
    rows = [row(c, float(i)) for i, c in enumerate([20, 21, 19, 22])]
    with pytest.raises(InputFileError, match=r"line 7, column PacketCounter: 19 does not follow .* 21"):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")


def test_missing_acc_or_gyr_columns(tmp_path: Path) -> None:
    header = [c for c in HEADER if c not in ("Acc_Y", "Gyr_Z")]
    rows = [[c for h, c in zip(HEADER, row(1), strict=True) if h in header]]
    with pytest.raises(InputFileError, match=r"a\.txt, line 4: missing column\(s\) Acc_Y, Gyr_Z; expected"):
        read_xsens_mt(write(tmp_path / "a.txt", rows, header=header), "shin")


@pytest.mark.parametrize(
    ("cell", "what"),
    [("abc", "'abc' is not a finite number"), ("NaN", "'NaN' is not a finite number"), ("", "an empty cell")],
)
def test_bad_cells_are_named(tmp_path: Path, cell: str, what: str) -> None:
    rows = [row(1, 0.0), row(2, 1.0), row(3, 2.0, Gyr_Y=cell)]
    with pytest.raises(InputFileError, match=rf"a\.txt, line 7, column Gyr_Y: {what}; expected a number"):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")


def test_infinite_quaternion_is_refused(tmp_path: Path) -> None:
    rows = [row(1, 0.0), row(2, 1.0, Quat_q2="inf")]
    with pytest.raises(InputFileError, match=r"line 6, column Quat_q2: 'inf' is not a finite number"):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")


def test_non_integer_counter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"line 5, column PacketCounter: '1.5'; expected an integer"):
        read_xsens_mt(write(tmp_path / "a.txt", [row("1.5")]), "shin")


def test_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(InputFileError, match=r"empty\.txt: the file has no header or data; expected an MT Manager"):
        read_xsens_mt(empty, "shin")
    only_comments = tmp_path / "comments.txt"
    only_comments.write_text("\n".join(COMMENTS) + "\n")
    with pytest.raises(InputFileError, match=r"comments\.txt: the file has no header"):
        read_xsens_mt(only_comments, "shin")
    with pytest.raises(InputFileError, match=r"h\.txt: no samples after the header \(line 4\)"):
        read_xsens_mt(write(tmp_path / "h.txt", []), "shin")
    with pytest.raises(InputFileError, match=r"nope\.txt: no such file"):
        read_xsens_mt(tmp_path / "nope.txt", "shin")


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.mtb"
    path.write_bytes(b"\xfa\xff\x36\x00\x00\x10")
    with pytest.raises(InputFileError, match=r"log\.mtb: a binary file"):
        read_xsens_mt(path, "shin")


def test_too_many_fields_is_refused(tmp_path: Path) -> None:
    rows = [row(1), row(2, 1.0) + ["3.0"]]
    with pytest.raises(InputFileError, match=r"line 6: 16 fields, but the header \(line 4\) names 15 columns"):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")


def test_acceleration_in_g_is_refused(tmp_path: Path) -> None:
    # MT Manager exports m/s^2; a file in g has a median |acc| near 1, which gravity alone rules out
    rows = [row(i, Acc_X="0.01", Acc_Y="-0.02", Acc_Z="1.0") for i in range(5)]
    with pytest.raises(
        InputFileError, match=r"a\.txt, shin sensor, column Acc_X\.\.Acc_Z: the median .* 1, .*look like g"
    ):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "shin")


def test_angular_rate_in_deg_per_s_is_refused(tmp_path: Path) -> None:
    # 120 deg/s read as rad/s would be 120 rad/s: beyond any wearable gyroscope's 2000 deg/s (34.9 rad/s)
    rows = [row(i, float(i)) for i in range(3)] + [row(3, 1.0, Gyr_Z="120.0")]
    with pytest.raises(InputFileError, match=r"a\.txt, foot sensor, column Gyr_X\.\.Gyr_Z, sample 4: angular rate 120"):
        read_xsens_mt(write(tmp_path / "a.txt", rows), "foot")
    # 34 rad/s (1950 deg/s), a fast but possible rate, is kept
    ok = [row(i, float(i)) for i in range(3)] + [row(3, 1.0, Gyr_Z="34.0")]
    assert read_xsens_mt(write(tmp_path / "b.txt", ok), "foot").block.gyr[3, 2] == 34.0


def test_comma_separated_crlf_export_with_trailing_separators(tmp_path: Path) -> None:
    rows = [row(1, 0.0) + [""], row(2, 1.0) + [""]]
    path = write(tmp_path / "a.csv", rows, header=[*HEADER, ""], sep=",", newline="\r\n")
    e = read_xsens_mt(path, "shin")
    assert e.block.seq.tolist() == [1, 2]
    assert np.allclose(e.block.gyr[:, 2], [0.5, 1.5])


def test_pair_on_one_session_clock(tmp_path: Path) -> None:
    shin = write(tmp_path / "shin.txt", [row(c, float(c % 10)) for c in range(100, 110)])
    foot = write(tmp_path / "foot.txt", [row(c, float(c % 10)) for c in range(103, 112)])
    blocks = read_xsens_pair(shin, foot)
    assert blocks["shin"].role == "shin" and blocks["foot"].role == "foot"
    # the shin starts first: packet 100 is 0 s, the foot's packet 103 is 0.03 s
    assert blocks["shin"].t_s[0] == 0.0
    assert blocks["foot"].t_s[0] == pytest.approx(0.03)
    assert blocks["foot"].t_sensor_s is not None and blocks["foot"].t_sensor_s[0] == pytest.approx(1.03)


def test_pair_aligned_across_a_counter_wrap(tmp_path: Path) -> None:
    shin_counters = [65530 + i for i in range(6)] + list(range(4))  # 65530..65535, 0..3
    foot_counters = list(range(0, 4))  # the foot joined after the wrap
    shin = write(tmp_path / "shin.txt", [row(c, float(i)) for i, c in enumerate(shin_counters)])
    foot = write(tmp_path / "foot.txt", [row(c, float(i)) for i, c in enumerate(foot_counters)])
    blocks = read_xsens_pair(shin, foot)
    assert np.allclose(blocks["shin"].t_s[6:], blocks["foot"].t_s)
    assert blocks["foot"].seq.tolist() == [65536, 65537, 65538, 65539]


def test_pair_with_different_rates_is_refused(tmp_path: Path) -> None:
    shin = write(tmp_path / "shin.txt", [row(c, float(c)) for c in range(5)])
    foot = write(tmp_path / "foot.txt", [row(c, float(c)) for c in range(5)], comments=["// Update Rate: 60Hz"])
    with pytest.raises(InputFileError, match=r"shin\.txt and .*foot\.txt: sample rates differ \(100 Hz and 60 Hz\)"):
        read_xsens_pair(shin, foot)


def test_pair_without_common_time_is_refused(tmp_path: Path) -> None:
    shin = write(tmp_path / "shin.txt", [row(c, float(c)) for c in range(0, 5)])
    foot = write(tmp_path / "foot.txt", [row(c, float(c)) for c in range(10, 15)])
    with pytest.raises(InputFileError, match=r"not recorded together: the shin covers packets 0...4, the foot 10...14"):
        read_xsens_pair(shin, foot)


def test_pair_with_disagreeing_sample_time_fine_is_refused(tmp_path: Path) -> None:
    shin = write(tmp_path / "shin.txt", [row(c, float(c), fine=str(100 * c)) for c in range(5)])
    foot = write(tmp_path / "foot.txt", [row(c, float(c), fine=str(100 * c + 70)) for c in range(5)])
    pattern = r"not synchronous: packet \d is at 0\.0\d00 s in the shin and 0\.0\d70 s in the foot"
    with pytest.raises(InputFileError, match=pattern):
        read_xsens_pair(shin, foot)


def _real(name: str) -> Path:
    if not MOVINGREALITY.is_dir():
        pytest.skip(f"real datasets absent: no {MOVINGREALITY} (they live in ../shared/datasets next to the repo)")
    (path,) = MOVINGREALITY.glob(f"*{name}.txt")
    return path


def test_real_movingreality_exports() -> None:
    for device in ("00B47786", "00B4778E", "00B47793", "00B47795"):
        e = read_xsens_mt(_real(device), "shin", rate_hz=100.0)
        assert e.device_id == device
        # the dataset README: 13439 samples per sensor, continuous PacketCounter, 100 Hz, SampleTimeFine empty
        assert len(e.block) == 13439 and e.time_source == "PacketCounter"
        assert e.block.seq[0] == 33963 and e.block.seq[-1] == 33963 + 13438
        assert np.allclose(np.diff(e.block.t_s), 0.01)
        assert e.quat is not None and np.allclose(np.linalg.norm(e.quat, axis=1), 1.0, atol=1e-4)
        assert e.block.mag is not None and 0.7 < float(np.median(np.linalg.norm(e.block.mag, axis=1))) < 1.3
        # the median specific force of a walking trial is about 1 g; gyro in rad/s (deg/s would be ~57x larger)
        assert abs(float(np.median(np.linalg.norm(e.block.acc, axis=1))) - 9.81) < 0.3
        assert 3.0 < float(np.abs(e.block.gyr).max()) < 20.0


def test_real_movingreality_pair() -> None:
    blocks = read_xsens_pair(_real("00B47786"), _real("00B4778E"), rate_hz=100.0)
    assert blocks["shin"].t_s[0] == 0.0 and blocks["foot"].t_s[0] == 0.0
    assert np.array_equal(blocks["shin"].seq, blocks["foot"].seq)
    assert math.isclose(float(blocks["foot"].t_s[-1]), 134.38)

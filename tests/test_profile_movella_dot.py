"""Movella DOT profile against the payloads and frames in ../shared/vectors (values as that source states them)."""

import json
import math
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensors.profiles import movella_dot as dot
from sensors.profiles.base import Advertised
from sensors.profiles.registry import classify

# Custom mode 5 payloads a real DOT logged at 60 Hz, re-encoded little-endian (shared/vectors/README.md)
GOLDEN = [
    bytes.fromhex("86c9ee03491f713f6456bbbbf44223b9daf9ab3eb6af2fbd92efe1bd560f1e417bf78a3f4ea6ef3ef100333f"),
    bytes.fromhex("a10aef038682713fdc1abebb24528fb928c9a93ec1a65bbff4a0b6be971a2241328c29bf3cd07cbf353500c2"),
]
STATED = [
    {
        "t_us": 65980806,
        "q": (0.9418836, -0.0057171, -0.0001557, 0.3358906),
        "acc": (-0.0428922, -0.1103202, 9.8787441),
        "gyr_deg_s": (1.0856775, 0.4680657, 0.6992331),
    },
    {
        "t_us": 65997473,
        "q": (0.9433979, -0.0058015, -0.0002734, 0.3316128),
        "acc": (-0.8580132, -0.3566967, 10.1314917),
        "gyr_deg_s": (-0.6622955, -0.9875524, -32.0519600),
    },
]


@pytest.mark.parametrize("k", [0, 1])
def test_golden_payloads_decode_to_the_stated_values_in_si(k):
    payload, error = dot.decode_payload(GOLDEN[k])
    assert error is None and payload is not None
    want = STATED[k]
    assert payload.t_us == want["t_us"]
    assert payload.quaternion == pytest.approx(want["q"], abs=1e-7)
    assert payload.acc_m_s2 == pytest.approx(want["acc"], abs=1e-6)
    assert payload.gyr_rad_s == pytest.approx([math.radians(d) for d in want["gyr_deg_s"]], rel=1e-6)
    assert payload.padding_bytes == 0


def test_encoder_lays_out_what_the_decoder_reads_back_to_the_same_bytes():
    # the stated decimals are rounded, so re-encode the decoded float32 values: the bytes must come back
    for raw in GOLDEN:
        p, _error = dot.decode_payload(raw)
        assert dot.encode_custom_mode_5(p.t_us, np.array(p.quaternion), p.acc_m_s2, p.gyr_rad_s) == raw
    assert len(dot.encode_custom_mode_5(1, np.ones(4), np.ones(3), np.ones(3), padding_bytes=19)) == 63


def test_trailing_padding_is_tolerated_and_counted():
    payload, error = dot.decode_payload(GOLDEN[0] + bytes(4))
    assert error is None and payload.padding_bytes == 4
    assert payload.acc_m_s2[2] == pytest.approx(9.8787441, abs=1e-6)
    dec = dot.DotStreamDecoder("foot", 60)
    dec.feed(GOLDEN[0] + bytes(19))  # padded up to the 63-byte long payload
    assert dec.padded == 1 and dec.packets == 1 and dec.malformed == 0


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (GOLDEN[0][:43], "payload of 43 bytes, custom mode 5 needs 44"),
        (b"", "payload of 0 bytes"),
        (GOLDEN[0][:4] + struct.pack("<f", math.nan) + GOLDEN[0][8:], "NaN or infinite"),
    ],
)
def test_malformed_payloads_are_named_and_counted_not_raised(data, reason):
    payload, error = dot.decode_payload(data)
    assert payload is None and reason in error
    dec = dot.DotStreamDecoder("shin", 60)
    assert dec.feed(data) == [] and dec.malformed == 1


@given(st.binary(max_size=80))
def test_decoder_never_raises_on_random_bytes(data):
    dec = dot.DotStreamDecoder("shin", 60)
    for block in dec.feed(data, arrival_s=1.0):
        assert len(block) == 1


def _payload(t_us):
    return dot.encode_custom_mode_5(t_us % 2**32, (1, 0, 0, 0), (0, 0, 9.81), (0, 0, 0))


def test_samples_are_numbered_from_the_timestamps_and_gaps_show():
    dec = dot.DotStreamDecoder("foot", 60)
    blocks = [b for raw in GOLDEN for b in dec.feed(raw)]
    assert [int(b.seq[0]) for b in blocks] == [0, 1]
    assert [float(b.t_s[0]) for b in blocks] == pytest.approx([65.980806, 65.997473])
    # four payloads lost: the next one is 5 periods of 1/60 s after the last
    (after_gap,) = dec.feed(_payload(65997473 + 5 * 16667))
    assert int(after_gap.seq[0]) == 6


def test_the_u32_microsecond_clock_wraps_after_71_minutes():
    dec = dot.DotStreamDecoder("foot", 60)
    t0 = 2**32 - 20_000
    dec.feed(_payload(t0), arrival_s=100.0)
    (b,) = dec.feed(_payload(t0 + 16_667), arrival_s=100.017)
    assert float(b.t_s[0]) == pytest.approx((2**32 - 20_000 + 16_667) * 1e-6)
    assert int(b.seq[0]) == 1 and dec.restarts == 0
    # 10 min without data (out of range) and the clock wrapped again meanwhile: the arrivals account for it
    dec = dot.DotStreamDecoder("foot", 60)
    dec.feed(_payload(t0), arrival_s=100.0)
    (b,) = dec.feed(_payload(t0 + 600_000_000), arrival_s=700.0)
    assert int(b.seq[0]) == 36_000 and dec.restarts == 0


def test_a_clock_that_goes_back_otherwise_is_a_restart():
    dec = dot.DotStreamDecoder("shin", 60)
    dec.feed(_payload(3_000_000_000), arrival_s=50.0)
    dec.feed(_payload(3_000_016_667), arrival_s=50.017)
    ((block, restart),) = dec.feed_marking_restarts(_payload(2_000_000), arrival_s=53.0)
    assert restart == {"previous_seq": 1, "previous_t_us": 3_000_016_667, "seq": 0, "t_us": 2_000_000}
    assert int(block.seq[0]) == 0 and float(block.t_s[0]) == pytest.approx(2.0)
    assert dec.restarts == 1
    (after,) = dec.feed(_payload(2_016_667), arrival_s=53.017)
    assert int(after.seq[0]) == 1
    # without arrival times, only a short step across 2^32 counts as a wrap
    dec = dot.DotStreamDecoder("shin", 60)
    dec.feed(_payload(2**32 - 1_000))
    assert dec.feed_marking_restarts(_payload(15_667))[0][1] is None
    assert dec.feed_marking_restarts(_payload(5_000))[0][1] is not None


def test_a_repeated_timestamp_is_dropped_as_malformed():
    dec = dot.DotStreamDecoder("shin", 60)
    dec.feed(GOLDEN[0])
    assert dec.feed(GOLDEN[0]) == [] and dec.malformed == 1 and dec.restarts == 0


def test_commands():
    assert dot.cmd_measurement(True) == bytes.fromhex("01011a")
    assert dot.cmd_measurement(False) == bytes.fromhex("01001a")
    assert dot.parse_measurement(bytes.fromhex("01011a")) == (True, 0x1A)
    with pytest.raises(dot.DotProtocolError):
        dot.parse_measurement(bytes.fromhex("020100"))
    # device control: visit index 0x10 (output rate), the u16 rate at offset 24, everything else ignored
    want = bytearray(32)
    want[0] = 0x10
    want[24] = 30
    assert dot.cmd_output_rate(30) == bytes(want)
    assert dot.output_rate_of(bytes(want)) == 30
    with pytest.raises(dot.DotProtocolError):
        dot.cmd_output_rate(100)
    assert dot.parse_battery(bytes([64, 1])) == 64 and dot.parse_battery(b"") is None


def test_message_frames_match_the_specification_examples():
    assert dot.message_frame(0x02, bytes([0x08])) == bytes.fromhex("020108f5")  # GetSyncStatus
    assert dot.message_frame(0x02, bytes([0x02])) == bytes.fromhex("020102fb")  # StopSync
    assert dot.message_is_valid(bytes.fromhex("02025000ac"))  # its acknowledgement
    assert not dot.message_is_valid(bytes.fromhex("02025000ab"))


def test_rates_recognition_and_lookalikes():
    assert dot.PROFILE.rate_for(100) == 60 and dot.PROFILE.rate_for(13) == 12 and dot.PROFILE.rate_for(25) == 20
    assert classify(Advertised("Movella DOT", (), (0x0886,))).profile is dot.PROFILE
    assert classify(Advertised("knee dot 3", (), (0x0886,))).profile is dot.PROFILE  # a renamed device tag
    assert classify(Advertised(None, (dot.MEASUREMENT_SERVICE_UUID,))).profile is dot.PROFILE
    lookalike = classify(Advertised("Xsens DOT"))
    assert lookalike.profile is None and "0x0886" in lookalike.unsupported_reason


def test_cli_decodes_a_dot_payload_to_si_json():
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "decode", "--profile", "movella_dot", GOLDEN[1].hex(), "0102"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr  # the second argument is malformed
    first, second = json.loads(proc.stdout)
    (sample,) = first["samples"]
    assert sample["t_us"] == 65997473
    assert sample["gyr_rad_s"][2] == pytest.approx(math.radians(-32.05196), abs=1e-6)
    assert sample["acc_m_s2"][2] == pytest.approx(10.1314917, abs=1e-6)
    assert first["malformed"] == [] and "needs 44" in second["malformed"][0]

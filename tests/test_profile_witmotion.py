"""WitMotion decoder against the real captured bytes in ../shared/vectors (decoded values from that source)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensors.profiles import witmotion

G = 9.80665
# one 80-byte notification captured from a real module at rest (4 packets), from shared/vectors/README.md
CAPTURE = bytes.fromhex(
    "5561fcffefff110800000000000098ff0d00f831"
    "5561fdffecff0e0800000000000098ff0d00f831"
    "5561fdffecff0e0800000000000098ff0d00f831"
    "5561feffe9ff0f0800000000000098ff0d00f831"
)
REGISTER_REPLY = bytes.fromhex("55713a00680169007a0000000000000000000000")


def test_captured_notification_decodes_to_the_sources_values():
    result = witmotion.decode_notification(CAPTURE)
    assert len(result.samples) == 4 and result.malformed == [] and result.short_packets == 0
    s = result.samples[0]
    # source: acc (-0.0020, -0.0083, 1.0083) g, gyro 0, roll/pitch/yaw (-0.571, 0.071, 70.269) deg
    assert s.acc_m_s2 / G == pytest.approx([-0.0020, -0.0083, 1.0083], abs=6e-5)
    assert s.gyr_rad_s == pytest.approx([0, 0, 0])
    assert [math.degrees(a) for a in (s.roll_rad, s.pitch_rad, s.yaw_rad)] == pytest.approx(
        [-0.571, 0.071, 70.269], abs=1e-3
    )


def test_register_replies_are_skipped_and_kept_apart():
    result = witmotion.decode_notification(CAPTURE[:20] + REGISTER_REPLY + CAPTURE[20:40])
    assert len(result.samples) == 2 and result.register_replies == [REGISTER_REPLY]


def test_sixteen_byte_variant_and_garbage_do_not_crash():
    short = CAPTURE[:16]
    result = witmotion.decode_notification(short + CAPTURE[:20] + b"\x01\x02\x03" + CAPTURE[:20])
    assert result.short_packets == 1 and len(result.samples) == 3
    assert result.samples[0].yaw_rad is None
    assert result.samples[0].acc_m_s2[2] / G == pytest.approx(1.0083, abs=6e-5)
    assert len(result.malformed) == 1 and "start no packet" in result.malformed[0]


def test_rate_command_sequence():
    assert witmotion.cmd_set_rate(200) == [
        bytes.fromhex("ffaa6988b5"),
        bytes.fromhex("ffaa030b00"),
        bytes.fromhex("ffaa000000"),
    ]
    with pytest.raises(ValueError):
        witmotion.cmd_set_rate(60)


@given(st.binary(max_size=300))
def test_decoder_never_raises_on_random_bytes(data):
    result = witmotion.decode_notification(data)
    assert all(len(s.acc_m_s2) == 3 for s in result.samples)

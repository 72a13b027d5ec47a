"""Golden-bytes tests of the dorsi open profile v1 (values worked out by hand from firmware_notes)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensors.profiles import dorsi

# Two samples, layout from firmware_notes/gatt_profile.md: version 1, N=2, acc code 2 (+-8 g), gyro code 3
# (+-2000 dps), seq 256, t_first 1 000 000 us, interval 10 000 us.
GOLDEN = bytes.fromhex("010202030001000040420f00102700000000021064009cff0000feef0100000000000000ff7f")
G = 9.80665


def test_golden_packet_decodes_to_hand_computed_si_values():
    result = dorsi.decode_notification(GOLDEN)
    assert result.malformed == []
    (p,) = result.packets
    block = p.to_block("shin")
    assert block.seq.tolist() == [256, 257]
    assert block.t_s == pytest.approx([1.0, 1.01])
    # 4098 LSB x 0.244 mg = 0.999912 g
    assert block.acc[0] == pytest.approx([0, 0, 0.999912 * G])
    assert block.acc[1] == pytest.approx([-0.999912 * G, 0.000244 * G, 0])
    # 100 LSB x 70 mdps = 7 dps; 32767 LSB x 70 mdps = 2293.69 dps
    assert block.gyr[0] == pytest.approx([math.radians(7), math.radians(-7), 0])
    assert block.gyr[1][2] == pytest.approx(math.radians(2293.69))


def test_encoder_reproduces_the_golden_bytes():
    raw = np.array([[0, 0, 4098, 100, -100, 0], [-4098, 1, 0, 0, 0, 32767]])
    assert dorsi.encode_packet(256, 1_000_000, 10_000, raw, acc_code=2, gyro_code=3) == GOLDEN


def test_several_packets_in_one_notification_are_all_decoded():
    result = dorsi.decode_notification(GOLDEN * 3)
    assert len(result.packets) == 3 and result.malformed == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (GOLDEN[:10], "shorter than the 14-byte header"),
        (GOLDEN[:-1], "needs 38 bytes, 37 left"),
        (b"\x02" + GOLDEN[1:], "format version 2"),
        (GOLDEN[:1] + b"\x00" + GOLDEN[2:], "sample count 0"),
        (GOLDEN[:2] + b"\x07" + GOLDEN[3:], "range codes"),
    ],
)
def test_malformed_packets_are_named_not_raised(data, reason):
    result = dorsi.decode_notification(GOLDEN + data)
    assert len(result.packets) == 1
    assert len(result.malformed) == 1 and reason in result.malformed[0]


def test_stream_decoder_unwraps_the_32_bit_counters_and_counts_errors():
    dec = dorsi.StreamDecoder("foot")
    raw = np.zeros((2, 6), dtype=np.int16)
    first = dec.feed(dorsi.encode_packet(2**32 - 2, 2**32 - 20_000, 10_000, raw))[0]
    second = dec.feed(dorsi.encode_packet(0, 0, 10_000, raw))[0]
    assert second.seq[0] == first.seq[-1] + 1
    assert second.t_s[0] - first.t_s[-1] == pytest.approx(0.01)
    dec.feed(b"\x01\x02")
    assert dec.malformed == 1 and dec.packets == 2


def test_configuration_golden_bytes():
    data = bytes.fromhex("016400020301010203")
    cfg = dorsi.SensorConfig.decode(data)
    assert (cfg.rate_hz, cfg.acc_code, cfg.gyro_code, cfg.streaming, cfg.firmware_version) == (
        100,
        2,
        3,
        True,
        (1, 2, 3),
    )
    assert cfg.encode() == data


def test_commands():
    assert dorsi.cmd_set_rate(200) == bytes.fromhex("03c800")
    assert dorsi.parse_command(bytes.fromhex("03c800")).rate_hz == 200
    with pytest.raises(dorsi.ProfileError):
        dorsi.cmd_set_rate(60)
    with pytest.raises(dorsi.ProfileError):
        dorsi.parse_command(bytes.fromhex("033c00"))
    with pytest.raises(dorsi.ProfileError):
        dorsi.parse_command(b"")


def test_emulated_advertisement_fits_the_31_byte_legacy_payload():
    from sensors.ble.emulated_sensor import advertising_data

    adv = advertising_data("dorsi-S1")
    assert len(adv) <= 31
    assert b"dorsi-S1" in adv
    assert bytes.fromhex(dorsi.SERVICE_UUID.replace("-", ""))[::-1] in adv  # 128-bit UUIDs go little-endian
    with pytest.raises(ValueError):
        advertising_data("dorsi-S12")


def test_recognising_a_dorsi_advertisement():
    assert dorsi.is_dorsi_advertisement(None, [dorsi.SERVICE_UUID.upper()])
    assert dorsi.is_dorsi_advertisement("dorsi-A1", [])
    assert not dorsi.is_dorsi_advertisement("WT901BLE67", ["0000ffe5-0000-1000-8000-00805f9a34fb"])


@given(st.binary(max_size=600))
def test_decoder_never_raises_on_random_bytes(data):
    result = dorsi.decode_notification(data)
    for p in result.packets:
        assert 1 <= p.raw.shape[0] <= dorsi.MAX_SAMPLES_PER_PACKET


def _packet(seq, t_us, n=2, interval_us=10_000):
    return dorsi.encode_packet(seq, t_us, interval_us, np.zeros((n, 6), dtype=np.int16))


def test_stream_decoder_reports_a_reboot_after_long_uptime_instead_of_unwrapping():
    # 40 min of uptime at 200 Hz: the timestamp (2.4e9 us) is past 2^31, the old "wrap" threshold
    dec = dorsi.StreamDecoder("foot")
    marked = dec.feed_marking_restarts(_packet(480_000, 2_400_000_000, interval_us=5_000))
    assert marked[0][1] is None
    ((block, restart),) = dec.feed_marking_restarts(_packet(3, 15_000, interval_us=5_000))
    assert restart == {"previous_seq": 480_001, "previous_t_us": 2_400_005_000, "seq": 3, "t_us": 15_000}
    assert block.seq.tolist() == [3, 4]
    assert block.t_s == pytest.approx([0.015, 0.020])
    assert dec.restarts == 1
    # after the restart, counting (and unwrapping) goes on from the new values
    (after,) = dec.feed(_packet(5, 25_000, interval_us=5_000))
    assert after.seq.tolist() == [5, 6] and after.t_s[0] == pytest.approx(0.025)


def test_stream_decoder_reports_a_reboot_soon_after_power_up():
    dec = dorsi.StreamDecoder("shin")
    dec.feed(_packet(300, 3_000_000))
    ((block, restart),) = dec.feed_marking_restarts(_packet(0, 10_000))
    assert restart is not None and restart["previous_seq"] == 301
    assert block.seq.tolist() == [0, 1]
    # a repeated packet is not a wrap either: the numbering went back
    dec.feed(_packet(0, 10_000))
    assert dec.restarts == 2


def test_stream_decoder_wrap_needs_both_counters_near_the_top_and_back_near_zero():
    # sequence near the top and back near 0, timestamps carrying on: a sequence wrap
    dec = dorsi.StreamDecoder("foot")
    dec.feed(_packet(2**32 - 4, 5_000_000))
    ((block, restart),) = dec.feed_marking_restarts(_packet(1, 5_050_000))
    assert restart is None
    assert block.seq.tolist() == [2**32 + 1, 2**32 + 2]
    # timestamps wrap after a silence longer than the window: the sequence numbers account for it
    dec = dorsi.StreamDecoder("foot")
    dec.feed(_packet(1_000, 2**32 - 1_000_000))
    silence_samples = 60_000  # 10 min at 100 Hz
    t_after = (2**32 - 1_000_000 + 10_000 + silence_samples * 10_000) % 2**32
    ((block, restart),) = dec.feed_marking_restarts(_packet(1_002 + silence_samples, t_after))
    assert restart is None
    assert block.t_s[0] == pytest.approx((2**32 - 1_000_000 + 10_000 + silence_samples * 10_000) * 1e-6)
    # the timestamp goes back though it was not near the top: a restart, whatever the sequence numbers say
    dec = dorsi.StreamDecoder("foot")
    dec.feed(_packet(1_000, 3_000_000_000))
    assert dec.feed_marking_restarts(_packet(1_002, 20_000))[0][1] is not None


def test_profile_steps_rates_and_battery():
    assert [(s.uuid, s.data, s.response) for s in dorsi.PROFILE.configure(200)] == [
        (dorsi.CONTROL_UUID, bytes.fromhex("03c800"), True)
    ]
    assert [s.data for s in dorsi.PROFILE.start(200)] == [b"\x01"]
    assert [s.data for s in dorsi.PROFILE.stop()] == [b"\x02"]
    assert dorsi.PROFILE.rate_for(60) == 50 and dorsi.PROFILE.rate_for(150) == 100  # a tie goes to the lower
    assert dorsi.PROFILE.battery.parse(bytes([87])) == 87

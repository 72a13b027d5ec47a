"""WitMotion profile: the decoder against the real captured bytes in ../shared/vectors, commands, stream timing."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensors.profiles import witmotion
from sensors.samples import SampleBlock

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


# --- commands, register replies, battery ------------------------------------------------------------------------


def test_register_read_request_and_the_datasheet_reply():
    assert witmotion.cmd_read_register(0x3A) == bytes.fromhex("ffaa273a00")
    # datasheet: magnetic field registers from 0x3A -> Hx = 360, Hy = 105, Hz = 122
    assert witmotion.parse_register_reply(REGISTER_REPLY) == (0x3A, (360, 105, 122, 0, 0, 0, 0, 0))
    assert witmotion.register_reply(0x3A, [360, 105, 122]) == REGISTER_REPLY


@pytest.mark.parametrize(("volts", "pct"), [(3.39, 0), (3.40, 5), (3.85, 60), (3.87, 75), (3.96, 90), (4.10, 100)])
def test_battery_percent_follows_the_vendor_voltage_table(volts, pct):
    assert witmotion.battery_pct_from_volts(volts) == pct


def test_a_battery_reply_in_the_stream_sets_the_level_and_is_no_sample():
    dec = witmotion.WitStreamDecoder("shin", 100)
    (block,) = dec.feed(CAPTURE[:20] + witmotion.register_reply(0x64, [385]) + CAPTURE[20:40], arrival_s=1.0)
    assert len(block) == 2 and dec.battery_pct == 60 and dec.register_replies == 1
    assert witmotion.battery_from_notification(witmotion.register_reply(0x64, [397])) == 100
    assert witmotion.battery_from_notification(REGISTER_REPLY) is None


def test_encoder_reproduces_the_captured_notification():
    samples = witmotion.decode_notification(CAPTURE).samples
    acc = np.array([s.acc_m_s2 for s in samples])
    gyr = np.array([s.gyr_rad_s for s in samples])
    angles = np.array([[s.roll_rad, s.pitch_rad, s.yaw_rad] for s in samples])
    assert witmotion.encode_packets(acc, gyr, angles) == CAPTURE
    assert witmotion.encode_packets(acc[:1], gyr[:1], angles[:1], short=True) == CAPTURE[:16]


def test_profile_configures_the_rate_with_unlock_rate_save_without_response():
    steps = witmotion.PROFILE.configure(100)
    assert [s.data for s in steps] == [
        bytes.fromhex("ffaa6988b5"),
        bytes.fromhex("ffaa030900"),
        bytes.fromhex("ffaa000000"),
    ]
    assert all(s.uuid == witmotion.WRITE_UUID and not s.response and s.pause_s > 0 for s in steps)
    assert witmotion.PROFILE.start(100) == [] and witmotion.PROFILE.rate_for(60) == 50


def test_recognition_needs_the_name_and_the_ble5_service():
    from sensors.profiles.base import Advertised
    from sensors.profiles.registry import classify

    assert classify(Advertised("WT901BLE68", (witmotion.SERVICE_UUID,))).profile is witmotion.PROFILE
    old = classify(Advertised("WT901BLE68", ("0000ffe0-0000-1000-8000-00805f9b34fb",)))
    assert old.profile is None and old.may_be is None and "BLE 4.0" in old.unsupported_reason
    silent = classify(Advertised("WT9011DCL"))
    assert silent.profile is None and silent.may_be is witmotion.PROFILE
    assert classify(Advertised("Phone", (witmotion.SERVICE_UUID,))).profile is None


# --- the stream decoder: numbering and time from arrivals -----------------------------------------------------


def _notifications(indices, rate_hz, per_notification, latency_s, rng, jitter_s=0.0, rate_error=0.0):
    """(bytes, arrival_s) of notifications carrying the given true sample indices, in order."""
    out = []
    period_s = 1.0 / (rate_hz * (1.0 + rate_error))
    for i in range(0, len(indices), per_notification):
        chunk = indices[i : i + per_notification]
        arrival = chunk[-1] * period_s + latency_s + rng.uniform(0.0, jitter_s)
        out.append((CAPTURE[: 20 * len(chunk)], arrival))
    out.sort(key=lambda na: na[1])  # a late notification never overtakes: BLE keeps the order
    return out


def _feed(dec, notes):
    blocks = []
    last = -1.0
    for data, arrival in notes:
        last = max(last, arrival)
        blocks += dec.feed(data, arrival_s=last)
    return SampleBlock.concat(blocks)


def test_samples_are_numbered_and_timed_by_the_configured_rate():
    rng = np.random.default_rng(1)
    dec = witmotion.WitStreamDecoder("shin", 200)
    joined = _feed(dec, _notifications(np.arange(2000), 200, 4, 0.004, rng, jitter_s=0.02))
    assert joined.seq.tolist() == list(range(2000))
    assert joined.t_s == pytest.approx(np.arange(2000) / 200)
    assert dec.inferred_lost == 0 and dec.packets == 2000


@pytest.mark.parametrize("rate_error", [0.0, 0.01, -0.01])
def test_bursty_delivery_is_not_taken_for_loss_even_with_a_rate_error(rate_error):
    # 60 s at 100 Hz with up to 0.3 s of extra delay per notification, a sample clock 1 % off
    rng = np.random.default_rng(2)
    dec = witmotion.WitStreamDecoder("foot", 100)
    notes = _notifications(np.arange(6000), 100, 2, 0.005, rng, jitter_s=0.3, rate_error=rate_error)
    joined = _feed(dec, notes)
    assert dec.inferred_lost == 0
    assert np.all(np.diff(joined.seq) == 1)


def test_samples_lost_in_a_drop_out_are_estimated_from_the_arrivals():
    rng = np.random.default_rng(3)
    true_indices = np.r_[np.arange(1000), np.arange(1250, 2000)]  # 250 samples (2.5 s at 100 Hz) never arrive
    dec = witmotion.WitStreamDecoder("shin", 100)
    joined = _feed(dec, _notifications(true_indices, 100, 2, 0.005, rng, jitter_s=0.02))
    jumps = np.flatnonzero(np.diff(joined.seq) != 1)
    assert len(jumps) == 1
    lost = int(joined.seq[jumps[0] + 1] - joined.seq[jumps[0]] - 1)
    assert abs(lost - 250) <= 3 and dec.inferred_lost == lost


def test_a_rate_far_from_the_configured_one_is_measured_and_warned_about(caplog):
    rng = np.random.default_rng(4)
    dec = witmotion.WitStreamDecoder("shin", 100)
    _feed(dec, _notifications(np.arange(60), 10, 1, 0.005, rng))  # still at its 10 Hz power-up rate
    assert dec.measured_rate_hz == pytest.approx(10, rel=0.1)
    assert "not the 100 Hz" in caplog.text

"""Every stream decoder (dorsi, WitMotion, Movella DOT) on random, truncated and concatenated notifications."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.profiles import dorsi, witmotion
from sensors.profiles import movella_dot as dot
from sensors.profiles.registry import PROFILES


def dorsi_packet(k: int) -> tuple[bytes, int]:
    raw = np.full((2, 6), k % 1000, dtype=np.int16)
    return dorsi.encode_packet(2 * k, 1_000_000 + 20_000 * k, 10_000, raw), 2


def witmotion_packet(k: int) -> tuple[bytes, int]:
    acc = np.array([[0.0, 0.0, 9.81]])
    return witmotion.encode_packets(acc, np.zeros((1, 3)), np.zeros((1, 3))), 1


def dot_packet(k: int) -> tuple[bytes, int]:
    return dot.encode_custom_mode_5(1_000_000 + 16_667 * k, (1, 0, 0, 0), (0, 0, 9.81), (0, 0, 0)), 1


PACKETS = {"dorsi": dorsi_packet, "witmotion": witmotion_packet, "movella_dot": dot_packet}

# a notification: a few whole packets, maybe one cut short, maybe with random bytes before, between or after
notification = st.tuples(
    st.integers(0, 4),  # whole packets
    st.booleans(),  # then one truncated packet
    st.integers(1, 60),  # cut point into it
    st.binary(max_size=24),  # junk in front
    st.binary(max_size=24),  # junk at the end
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(PACKETS)), st.lists(notification, min_size=1, max_size=12))
def test_stream_decoders_survive_torn_concatenated_and_junk_notifications(name, notes):
    """No exception ever; every sample comes out whole and finite; the decoder's counters only grow."""
    profile = PROFILES[name]
    dec = profile.new_decoder("shin", profile.rate_for(60 if name == "movella_dot" else 100))
    k = 0
    for whole, torn, cut, junk_front, junk_end in notes:
        parts = [junk_front]
        for _ in range(whole):
            packet, _n = PACKETS[name](k)
            parts.append(packet)
            k += 1
        if torn:
            packet, _n = PACKETS[name](k)
            parts.append(packet[: min(cut, len(packet) - 1)])
            k += 1
        parts.append(junk_end)
        before = (dec.packets, dec.malformed)
        for block, _restart in dec.feed_marking_restarts(b"".join(parts), 1.0 + k):
            assert block.acc.shape == (len(block), 3) and block.gyr.shape == (len(block), 3)
            assert np.isfinite(block.acc).all() and np.isfinite(block.gyr).all() and np.isfinite(block.t_s).all()
        assert dec.packets >= before[0] and dec.malformed >= before[1]


@given(st.integers(1, 6), st.integers(0, 5))
def test_dorsi_concatenated_packets_all_decode_and_a_torn_one_is_counted(n_whole, cut):
    """Documented behaviour: packets back to back in one notification all decode; a torn tail is malformed."""
    dec = dorsi.StreamDecoder("foot")
    whole = b"".join(dorsi_packet(k)[0] for k in range(n_whole))
    torn = dorsi_packet(n_whole)[0][: 4 + cut]
    blocks = dec.feed(whole + torn)
    assert sum(len(b) for b in blocks) == 2 * n_whole
    assert np.concatenate([b.seq for b in blocks]).tolist() == list(range(2 * n_whole))
    assert dec.malformed == 1

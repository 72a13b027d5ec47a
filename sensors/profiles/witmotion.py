"""WitMotion WT901BLECL / WT9011DCL (BLE 5.0): UUIDs, commands, and the 0x55 0x61 packet stream decoder.

Layout and scale factors from ../shared/vectors/README.md (vendor documentation and captures): 20-byte packets
`55 61` + 9 int16 little-endian (ax ay az, gx gy gz, roll pitch yaw), no checksum; acc = raw / 32768 * 16 g,
gyro = raw / 32768 * 2000 deg/s, angle = raw / 32768 * 180 deg. `55 71` packets are register replies.
The module has no sample counter and no timestamp: times come from the sensor's configured rate.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)

PROFILE_NAME = "witmotion"
SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

HEADER = 0x55
FLAG_COMBINED = 0x61
FLAG_REGISTER = 0x71
PACKET_SIZE = 20
SHORT_PACKET_SIZE = 16  # seen from some firmwares: acc, gyro and roll only
STANDARD_GRAVITY_M_S2 = 9.80665
ACC_SCALE_M_S2_PER_LSB = 16.0 / 32768.0 * STANDARD_GRAVITY_M_S2
GYRO_SCALE_RAD_S_PER_LSB = 2000.0 / 32768.0 * math.pi / 180.0
ANGLE_SCALE_RAD_PER_LSB = 180.0 / 32768.0 * math.pi / 180.0

CMD_UNLOCK = bytes.fromhex("ffaa6988b5")
CMD_SAVE = bytes.fromhex("ffaa000000")
RATE_CODES = {10: 0x06, 50: 0x08, 100: 0x09, 200: 0x0B}


def cmd_set_rate(rate_hz: int) -> list[bytes]:
    """The writes that set the output rate: unlock, rate, save."""
    if rate_hz not in RATE_CODES:
        raise ValueError(f"WitMotion rate {rate_hz} Hz not supported; choose one of {sorted(RATE_CODES)}")
    return [CMD_UNLOCK, bytes([0xFF, 0xAA, 0x03, RATE_CODES[rate_hz], 0x00]), CMD_SAVE]


@dataclass
class WitSample:
    """One decoded combined packet, SI units; yaw is None in the 16-byte variant."""

    acc_m_s2: np.ndarray
    gyr_rad_s: np.ndarray
    roll_rad: float
    pitch_rad: float | None
    yaw_rad: float | None


@dataclass
class WitDecodeResult:
    """What one notification held."""

    samples: list[WitSample] = field(default_factory=list)
    register_replies: list[bytes] = field(default_factory=list)
    short_packets: int = 0
    malformed: list[str] = field(default_factory=list)


def _combined(raw: np.ndarray) -> WitSample:
    angles = raw[6:] * ANGLE_SCALE_RAD_PER_LSB
    return WitSample(
        raw[0:3] * ACC_SCALE_M_S2_PER_LSB,
        raw[3:6] * GYRO_SCALE_RAD_S_PER_LSB,
        float(angles[0]),
        float(angles[1]) if len(angles) > 1 else None,
        float(angles[2]) if len(angles) > 2 else None,
    )


def decode_notification(data: bytes) -> WitDecodeResult:
    """Decode a notification as a byte stream of packets; never raises on bad input.

    A combined packet is 20 bytes; one that is followed by the next header after 16 bytes, or that ends the
    notification at 16 bytes, is the short variant (counted, acc and gyro still used). Bytes that do not start
    a known packet are skipped up to the next 0x55 and reported as malformed.
    """
    out = WitDecodeResult()
    pos, n = 0, len(data)
    while pos < n:
        if data[pos] != HEADER or pos + 1 >= n:
            nxt = data.find(bytes([HEADER]), pos + 1)
            end = n if nxt < 0 else nxt
            out.malformed.append(f"offset {pos}: {end - pos} byte(s) that start no packet")
            pos = end
            continue
        flag = data[pos + 1]
        rest = n - pos
        short = rest == SHORT_PACKET_SIZE or (
            rest > SHORT_PACKET_SIZE + 1
            and rest != PACKET_SIZE
            and data[pos + SHORT_PACKET_SIZE] == HEADER
            and data[pos + SHORT_PACKET_SIZE + 1] in (FLAG_COMBINED, FLAG_REGISTER)
            and not (rest >= PACKET_SIZE + 2 and data[pos + PACKET_SIZE] == HEADER)
        )
        if flag == FLAG_COMBINED and short:
            raw = np.frombuffer(data, "<i2", 7, pos + 2).astype(np.float64)
            out.samples.append(_combined(raw))
            out.short_packets += 1
            pos += SHORT_PACKET_SIZE
        elif flag in (FLAG_COMBINED, FLAG_REGISTER) and rest >= PACKET_SIZE:
            if flag == FLAG_COMBINED:
                out.samples.append(_combined(np.frombuffer(data, "<i2", 9, pos + 2).astype(np.float64)))
            else:
                out.register_replies.append(bytes(data[pos : pos + PACKET_SIZE]))
            pos += PACKET_SIZE
        else:
            nxt = data.find(bytes([HEADER]), pos + 1)
            end = n if nxt < 0 else nxt
            out.malformed.append(f"offset {pos}: packet 55 {flag:02x} of {end - pos} byte(s), expected 55 61 or 55 71")
            pos = end
    for reason in out.malformed:
        log.warning("witmotion bytes rejected: %s", reason)
    return out

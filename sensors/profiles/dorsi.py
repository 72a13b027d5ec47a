"""The dorsi open GATT profile v1: UUIDs, commands, configuration, and the packet encoder/decoder.

The normative description is firmware_notes/gatt_profile.md; every constant here is cited from it.
"""

from __future__ import annotations

import logging
import math
import struct
from dataclasses import dataclass, field

import numpy as np

from sensors.profiles.base import Advertised, BatteryRead, DeviceProfile, GattWrite
from sensors.samples import Role, SampleBlock, make_block

log = logging.getLogger(__name__)

PROFILE_NAME = "dorsi"
FORMAT_VERSION = 1

SERVICE_UUID = "d0a51000-7c2e-4c9b-9f3e-5a1c6b2e8d40"
SAMPLES_UUID = "d0a51001-7c2e-4c9b-9f3e-5a1c6b2e8d40"
CONTROL_UUID = "d0a51002-7c2e-4c9b-9f3e-5a1c6b2e8d40"
CONFIG_UUID = "d0a51003-7c2e-4c9b-9f3e-5a1c6b2e8d40"
BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
DEVICE_INFO_SERVICE_UUID = "0000180a-0000-1000-8000-00805f9b34fb"
MANUFACTURER_NAME_UUID = "00002a29-0000-1000-8000-00805f9b34fb"
MODEL_NUMBER_UUID = "00002a24-0000-1000-8000-00805f9b34fb"
FIRMWARE_REVISION_UUID = "00002a26-0000-1000-8000-00805f9b34fb"

NAME_PREFIX = "dorsi-"
MAX_NAME_LENGTH = 8

HEADER = struct.Struct("<BBBBIIH")  # version, count, acc code, gyro code, seq, t_first_us, interval_us
HEADER_SIZE = HEADER.size  # 14
SAMPLE = struct.Struct("<6h")
SAMPLE_SIZE = SAMPLE.size  # 12
MAX_SAMPLES_PER_PACKET = 19  # (247 - 3 - 14) // 12 with the 247-byte MTU the central requests

STANDARD_GRAVITY_M_S2 = 9.80665
# LSM6DS3TR-C datasheet, table 3: linear acceleration sensitivity (mg/LSB) per full-scale code.
ACC_FULL_SCALE_G = {0: 2, 1: 4, 2: 8, 3: 16}
ACC_SENSITIVITY_MG_PER_LSB = {0: 0.061, 1: 0.122, 2: 0.244, 3: 0.488}
# LSM6DS3TR-C datasheet, table 3: angular rate sensitivity (mdps/LSB) per full-scale code.
GYRO_FULL_SCALE_DPS = {0: 250, 1: 500, 2: 1000, 3: 2000}
GYRO_SENSITIVITY_MDPS_PER_LSB = {0: 8.75, 1: 17.5, 2: 35.0, 3: 70.0}

SUPPORTED_RATES_HZ = (50, 100, 200)
DEFAULT_RATE_HZ = 100
DEFAULT_ACC_CODE = 2  # +-8 g
DEFAULT_GYRO_CODE = 3  # +-2000 dps

CMD_START = 0x01
CMD_STOP = 0x02
CMD_SET_RATE = 0x03
CMD_SET_RANGES = 0x04

CONFIG = struct.Struct("<BHBBBBBB")  # version, rate_hz, acc code, gyro code, streaming, fw major/minor/patch


class ProfileError(ValueError):
    """A command or configuration that the profile does not allow."""


def acc_scale_m_s2_per_lsb(acc_code: int) -> float:
    """Acceleration per LSB for a full-scale code, m/s^2."""
    return ACC_SENSITIVITY_MG_PER_LSB[acc_code] * 1e-3 * STANDARD_GRAVITY_M_S2


def gyro_scale_rad_s_per_lsb(gyro_code: int) -> float:
    """Angular rate per LSB for a full-scale code, rad/s."""
    return GYRO_SENSITIVITY_MDPS_PER_LSB[gyro_code] * 1e-3 * math.pi / 180.0


def is_dorsi_advertisement(name: str | None, service_uuids: list[str]) -> bool:
    """True when an advertisement is from a dorsi sensor (service UUID, or name prefix as a fallback)."""
    if SERVICE_UUID in (u.lower() for u in service_uuids):
        return True
    return bool(name) and str(name).startswith(NAME_PREFIX)


# --- commands -------------------------------------------------------------------------------------------------


def cmd_start() -> bytes:
    """Control command: start streaming."""
    return bytes([CMD_START])


def cmd_stop() -> bytes:
    """Control command: stop streaming."""
    return bytes([CMD_STOP])


def cmd_set_rate(rate_hz: int) -> bytes:
    """Control command: set the output rate (one of SUPPORTED_RATES_HZ)."""
    if rate_hz not in SUPPORTED_RATES_HZ:
        raise ProfileError(f"rate {rate_hz} Hz not supported; choose one of {SUPPORTED_RATES_HZ}")
    return struct.pack("<BH", CMD_SET_RATE, rate_hz)


def cmd_set_ranges(acc_code: int, gyro_code: int) -> bytes:
    """Control command: set accelerometer and gyroscope full-scale codes."""
    if acc_code not in ACC_FULL_SCALE_G or gyro_code not in GYRO_FULL_SCALE_DPS:
        raise ProfileError(f"range codes must be 0-3, got acc {acc_code}, gyro {gyro_code}")
    return bytes([CMD_SET_RANGES, acc_code, gyro_code])


@dataclass
class Command:
    """A parsed control command."""

    opcode: int
    rate_hz: int | None = None
    acc_code: int | None = None
    gyro_code: int | None = None


def parse_command(data: bytes) -> Command:
    """Parse a control write; raises ProfileError for anything malformed (the peripheral rejects it)."""
    if not data:
        raise ProfileError("empty control write")
    op = data[0]
    if op in (CMD_START, CMD_STOP) and len(data) == 1:
        return Command(op)
    if op == CMD_SET_RATE and len(data) == 3:
        rate = struct.unpack_from("<H", data, 1)[0]
        if rate not in SUPPORTED_RATES_HZ:
            raise ProfileError(f"unsupported rate {rate} Hz")
        return Command(op, rate_hz=rate)
    if op == CMD_SET_RANGES and len(data) == 3:
        if data[1] not in ACC_FULL_SCALE_G or data[2] not in GYRO_FULL_SCALE_DPS:
            raise ProfileError("range code out of 0-3")
        return Command(op, acc_code=data[1], gyro_code=data[2])
    raise ProfileError(f"malformed control write {data.hex()}")


# --- configuration --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SensorConfig:
    """The readable configuration characteristic."""

    rate_hz: int = DEFAULT_RATE_HZ
    acc_code: int = DEFAULT_ACC_CODE
    gyro_code: int = DEFAULT_GYRO_CODE
    streaming: bool = False
    firmware_version: tuple[int, int, int] = (1, 0, 0)

    def encode(self) -> bytes:
        """Bytes of the configuration characteristic."""
        return CONFIG.pack(
            FORMAT_VERSION,
            self.rate_hz,
            self.acc_code,
            self.gyro_code,
            int(self.streaming),
            *self.firmware_version,
        )

    @staticmethod
    def decode(data: bytes) -> SensorConfig:
        """Parse the configuration characteristic."""
        if len(data) < CONFIG.size:
            raise ProfileError(f"configuration is {len(data)} bytes, expected {CONFIG.size}")
        version, rate, acc, gyro, streaming, a, b, c = CONFIG.unpack_from(data)
        if version != FORMAT_VERSION:
            raise ProfileError(f"configuration format version {version}, this dorsi reads {FORMAT_VERSION}")
        return SensorConfig(rate, acc, gyro, bool(streaming), (a, b, c))


# --- sample packets -------------------------------------------------------------------------------------------


def encode_packet(
    seq: int,
    t_first_us: int,
    interval_us: int,
    raw: np.ndarray,
    acc_code: int = DEFAULT_ACC_CODE,
    gyro_code: int = DEFAULT_GYRO_CODE,
) -> bytes:
    """Encode one samples packet. raw: (N, 6) integers ax ay az gx gy gz in LSB (N <= 19)."""
    raw = np.asarray(raw)
    n = raw.shape[0]
    if not 1 <= n <= MAX_SAMPLES_PER_PACKET or raw.shape[1:] != (6,):
        raise ProfileError(f"a packet holds 1-{MAX_SAMPLES_PER_PACKET} samples of 6 values, got {raw.shape}")
    header = HEADER.pack(FORMAT_VERSION, n, acc_code, gyro_code, seq & 0xFFFFFFFF, t_first_us & 0xFFFFFFFF, interval_us)
    body: bytes = np.clip(raw, -32768, 32767).astype("<i2").tobytes()
    return header + body


def quantise(acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, acc_code: int, gyro_code: int) -> np.ndarray:
    """SI samples -> (N, 6) int16 LSB as the sensor would report them (rounded and saturated)."""
    raw = np.hstack(
        [
            np.asarray(acc_m_s2) / acc_scale_m_s2_per_lsb(acc_code),
            np.asarray(gyr_rad_s) / gyro_scale_rad_s_per_lsb(gyro_code),
        ]
    )
    return np.clip(np.rint(raw), -32768, 32767).astype(np.int16)


@dataclass
class DecodedPacket:
    """One decoded samples packet, still on the sensor clock (timestamps unwrapped by the caller)."""

    seq: int
    t_first_us: int
    interval_us: int
    acc_code: int
    gyro_code: int
    raw: np.ndarray  # (N, 6) int16

    def to_block(self, role: Role, seq_offset: int = 0, t_offset_us: int = 0) -> SampleBlock:
        """SI block; offsets undo counter wrap-around (added to seq and to the timestamps)."""
        n = self.raw.shape[0]
        k = np.arange(n)
        t_us = self.t_first_us + t_offset_us + k * self.interval_us
        return make_block(
            role,
            self.seq + seq_offset + k,
            t_us * 1e-6,
            self.raw[:, :3] * acc_scale_m_s2_per_lsb(self.acc_code),
            self.raw[:, 3:] * gyro_scale_rad_s_per_lsb(self.gyro_code),
        )


@dataclass
class DecodeResult:
    """Packets found in one notification, and what could not be decoded."""

    packets: list[DecodedPacket] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)


def decode_notification(data: bytes) -> DecodeResult:
    """Decode a notification as a byte stream of back-to-back packets.

    A malformed packet is reported in `malformed` (with the reason) and ends decoding of this notification:
    without a sync pattern the rest of the bytes cannot be trusted. Never raises on bad input.
    """
    out = DecodeResult()
    pos = 0
    while pos < len(data):
        rest = len(data) - pos
        if rest < HEADER_SIZE:
            out.malformed.append(f"offset {pos}: {rest} trailing bytes, shorter than the {HEADER_SIZE}-byte header")
            break
        version, n, acc_code, gyro_code, seq, t_us, interval_us = HEADER.unpack_from(data, pos)
        if version != FORMAT_VERSION:
            out.malformed.append(f"offset {pos}: format version {version}, expected {FORMAT_VERSION}")
            break
        if not 1 <= n <= MAX_SAMPLES_PER_PACKET:
            out.malformed.append(f"offset {pos}: sample count {n}, expected 1-{MAX_SAMPLES_PER_PACKET}")
            break
        if acc_code not in ACC_FULL_SCALE_G or gyro_code not in GYRO_FULL_SCALE_DPS:
            out.malformed.append(f"offset {pos}: range codes acc {acc_code} gyro {gyro_code}, expected 0-3")
            break
        if interval_us == 0:
            out.malformed.append(f"offset {pos}: sample interval 0 us")
            break
        size = HEADER_SIZE + n * SAMPLE_SIZE
        if rest < size:
            out.malformed.append(f"offset {pos}: packet of {n} samples needs {size} bytes, {rest} left")
            break
        raw = np.frombuffer(data, dtype="<i2", count=n * 6, offset=pos + HEADER_SIZE).reshape(n, 6)
        out.packets.append(DecodedPacket(seq, t_us, interval_us, acc_code, gyro_code, raw.astype(np.int16)))
        pos += size
    for reason in out.malformed:
        log.warning("dorsi packet rejected: %s", reason)
    return out


class StreamDecoder:
    """Stateful decoder for one sensor: unwraps the 32-bit counters, detects restarts, counts errors.

    Sequence numbers and timestamps are u32 and wrap at 2^32. A counter that goes back (or repeats) is a
    wrap-around only when its previous value was near the top of the u32 range and the new one near 0:
    at most `SEQ_WRAP_WINDOW` samples, or `TIME_WRAP_WINDOW_US`, forward across 2^32. A timestamp may also
    wrap after a longer silence when the sequence numbers continue and account for the time elapsed (within
    5 %, at least 1 s): both counters then tell the same story. Any other backwards jump of either counter
    means the sensor restarted (rebooted: both count again from near 0); the offsets are reset and the
    restart is reported with the packet that follows it (`feed_marking_restarts`, `restarts`).
    """

    SEQ_WRAP_WINDOW = 1 << 24  # samples: about 23 h at 200 Hz
    TIME_WRAP_WINDOW_US = 1 << 28  # about 4.5 min
    _U32 = 1 << 32

    def __init__(self, role: Role) -> None:
        self.role: Role = role
        self._seq_offset = 0
        self._t_offset_us = 0
        self._last_seq: int | None = None  # unwrapped sequence number of the last sample decoded
        self._last_t_us: int | None = None  # unwrapped timestamp of the last sample decoded
        self.packets = 0
        self.malformed = 0
        self.restarts = 0
        self.battery_pct: int | None = None  # read from the Battery service, not from the stream

    def feed(self, data: bytes) -> list[SampleBlock]:
        """Decode one notification into blocks (one per packet) on the unwrapped sensor clock."""
        return [block for block, _restart in self.feed_marking_restarts(data)]

    def feed_marking_restarts(
        self, data: bytes, arrival_s: float | None = None
    ) -> list[tuple[SampleBlock, dict[str, int] | None]]:
        """Like `feed`, each block paired with None, or the restart detail when the sensor restarted just
        before it: previous_seq and previous_t_us (last sample before, unwrapped), seq and t_us (first after).
        `arrival_s` is not needed: the packets carry their own timestamps.
        """
        result = decode_notification(data)
        self.malformed += len(result.malformed)
        out: list[tuple[SampleBlock, dict[str, int] | None]] = []
        for p in result.packets:
            restart = self._unwrap(p)
            n = p.raw.shape[0]
            self._last_seq = p.seq + self._seq_offset + n - 1
            self._last_t_us = p.t_first_us + self._t_offset_us + (n - 1) * p.interval_us
            self.packets += 1
            out.append((p.to_block(self.role, self._seq_offset, self._t_offset_us), restart))
        return out

    def _unwrap(self, p: DecodedPacket) -> dict[str, int] | None:
        """Update the offsets for packet `p`; returns the restart detail if the sensor restarted before it."""
        if self._last_seq is None or self._last_t_us is None:
            return None
        seq_back = p.seq + self._seq_offset <= self._last_seq
        t_back = p.t_first_us + self._t_offset_us <= self._last_t_us
        # forward distances across 2^32 from the last sample: 1 sample / 1 interval when nothing was lost
        seq_step = (p.seq - self._last_seq) % self._U32
        t_step = (p.t_first_us - self._last_t_us) % self._U32
        seq_wraps = seq_back and 1 <= seq_step <= self.SEQ_WRAP_WINDOW
        restarted = seq_back and not seq_wraps
        if t_back and not restarted:
            expected_us = seq_step * p.interval_us
            agrees = abs(t_step - expected_us) <= max(1_000_000, expected_us // 20)
            restarted = not (t_step >= 1 and (t_step <= self.TIME_WRAP_WINDOW_US or agrees))
        if restarted:
            detail = {
                "previous_seq": self._last_seq,
                "previous_t_us": self._last_t_us,
                "seq": p.seq,
                "t_us": p.t_first_us,
            }
            self._seq_offset = 0
            self._t_offset_us = 0
            self.restarts += 1
            log.info("%s sensor restarted: %s", self.role, detail)
            return detail
        if seq_wraps:
            self._seq_offset += self._U32
        if t_back:
            self._t_offset_us += self._U32
        return None


# --- the profile ----------------------------------------------------------------------------------------------


def _recognise(adv: Advertised) -> bool:
    return is_dorsi_advertisement(adv.name, list(adv.service_uuids))


def parse_battery_level(value: bytes) -> int | None:
    """Battery Level characteristic (0x2A19) -> percent, or None when empty."""
    return min(100, value[0]) if value else None


PROFILE = DeviceProfile(
    name=PROFILE_NAME,
    model="dorsi open sensor",
    rates_hz=SUPPORTED_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    service_uuid=SERVICE_UUID,
    notify_uuid=SAMPLES_UUID,
    recognise=_recognise,
    unsupported_reason=lambda _adv: None,
    configure=lambda rate_hz: [GattWrite(CONTROL_UUID, cmd_set_rate(rate_hz))],
    start=lambda _rate_hz: [GattWrite(CONTROL_UUID, cmd_start())],
    stop=lambda: [GattWrite(CONTROL_UUID, cmd_stop())],
    battery=BatteryRead(BATTERY_LEVEL_UUID, parse_battery_level),
    new_decoder=lambda role, _rate_hz: StreamDecoder(role),
    timing="sensor timestamps (us) and sample sequence numbers in every packet",
)

"""Movella (Xsens) DOT: recognition, measurement commands, output rate, battery, and the payload stream decoder.

From the Movella DOT BLE Service Specification (XD0506P) as summarised in ../shared/vectors/README.md: UUIDs
`1517xxxx-4947-11e9-8646-d663bd873d93`; start measurement by enabling notifications on a payload
characteristic, then writing `01 01 <mode>` to the measurement control characteristic (`01 00 <mode>` stops).
dorsi streams payload mode 0x1A, "custom mode 5", on the long payload characteristic: u32 timestamp (us), then
float32 little-endian quaternion w x y z, acceleration x y z (m/s^2, gravity included, sensor frame) and
angular velocity x y z (deg/s). Real devices may pad a payload with trailing bytes: any length >= 44 is taken.
The output rate is the u16 at offset 24 of the 32-byte device control characteristic, applied when bit 0x10
of its first byte (the "visit index") is set; streaming allows 1, 4, 10, 12, 15, 20, 30 and 60 Hz.
Battery: characteristic 15173001, level in percent then charging status. Devices advertise Movella's (Xsens)
Bluetooth company identifier 0x0886 in their manufacturer-specific data. Rates, quirks and sources:
firmware_notes/hardware.md.
"""

from __future__ import annotations

import logging
import math
import struct
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sensors.profiles.base import Advertised, BatteryRead, DeviceProfile, GattWrite
from sensors.samples import Role, SampleBlock, make_block

log = logging.getLogger(__name__)

PROFILE_NAME = "movella_dot"


def dot_uuid(short: int) -> str:
    """The full UUID of a DOT service or characteristic from its 16-bit part (e.g. 0x2001)."""
    return f"1517{short:04x}-4947-11e9-8646-d663bd873d93"


CONFIG_SERVICE_UUID = dot_uuid(0x1000)
DEVICE_INFO_UUID = dot_uuid(0x1001)
DEVICE_CONTROL_UUID = dot_uuid(0x1002)
DEVICE_REPORT_UUID = dot_uuid(0x1004)
MEASUREMENT_SERVICE_UUID = dot_uuid(0x2000)
CONTROL_UUID = dot_uuid(0x2001)
LONG_PAYLOAD_UUID = dot_uuid(0x2002)
MEDIUM_PAYLOAD_UUID = dot_uuid(0x2003)
SHORT_PAYLOAD_UUID = dot_uuid(0x2004)
BATTERY_SERVICE_UUID = dot_uuid(0x3000)
BATTERY_UUID = dot_uuid(0x3001)
MESSAGE_SERVICE_UUID = dot_uuid(0x7000)
MESSAGE_CONTROL_UUID = dot_uuid(0x7001)
MESSAGE_ACK_UUID = dot_uuid(0x7002)
MESSAGE_NOTIFY_UUID = dot_uuid(0x7003)

COMPANY_ID = 0x0886  # Xsens Technologies B.V., Bluetooth SIG company identifier
DEFAULT_NAMES = ("Xsens DOT", "Movella DOT")  # the device tag after power-up; users can change it

LONG_PAYLOAD_BYTES = 63
MEDIUM_PAYLOAD_BYTES = 40
SHORT_PAYLOAD_BYTES = 20

CONTROL_TYPE_MEASUREMENT = 0x01
ACTION_STOP = 0x00
ACTION_START = 0x01
PAYLOAD_CUSTOM_MODE_5 = 0x1A
CUSTOM_MODE_5 = struct.Struct("<I4f3f3f")  # t_us, quaternion w x y z, acc xyz m/s^2, gyr xyz deg/s
CUSTOM_MODE_5_BYTES = CUSTOM_MODE_5.size  # 44

STREAMING_RATES_HZ = (1, 4, 10, 12, 15, 20, 30, 60)
RECORDING_ONLY_RATES_HZ = (120,)
DEFAULT_RATE_HZ = 60

DEVICE_CONTROL_BYTES = 32
VISIT_IDENTIFY = 0x01
VISIT_POWER_OPTIONS = 0x02
VISIT_OUTPUT_RATE = 0x10
VISIT_FILTER_PROFILE = 0x20
OUTPUT_RATE_OFFSET = 24
DEVICE_TAG_LENGTH_OFFSET = 7
DEVICE_TAG_OFFSET = 8
DEVICE_TAG_MAX_BYTES = 16

_U32 = 1 << 32


class DotProtocolError(ValueError):
    """A command or value the DOT protocol does not allow."""


# --- commands -------------------------------------------------------------------------------------------------


def cmd_measurement(start: bool, payload_mode: int = PAYLOAD_CUSTOM_MODE_5) -> bytes:
    """Measurement control write: start or stop the payload mode."""
    return bytes([CONTROL_TYPE_MEASUREMENT, ACTION_START if start else ACTION_STOP, payload_mode])


def parse_measurement(data: bytes) -> tuple[bool, int]:
    """Measurement control value -> (measuring, payload mode); raises DotProtocolError if malformed."""
    if len(data) != 3 or data[0] != CONTROL_TYPE_MEASUREMENT or data[1] not in (ACTION_STOP, ACTION_START):
        raise DotProtocolError(f"malformed measurement control {bytes(data).hex()}")
    return data[1] == ACTION_START, data[2]


def cmd_output_rate(rate_hz: int) -> bytes:
    """Device control write that sets the output rate and nothing else (visit index 0x10)."""
    if rate_hz not in STREAMING_RATES_HZ + RECORDING_ONLY_RATES_HZ:
        raise DotProtocolError(f"DOT rate {rate_hz} Hz not supported; streaming allows {STREAMING_RATES_HZ}")
    out = bytearray(DEVICE_CONTROL_BYTES)
    out[0] = VISIT_OUTPUT_RATE
    struct.pack_into("<H", out, OUTPUT_RATE_OFFSET, rate_hz)
    return bytes(out)


def output_rate_of(device_control: bytes) -> int:
    """The output rate field of a device control value, Hz."""
    if len(device_control) < OUTPUT_RATE_OFFSET + 2:
        raise DotProtocolError(f"device control of {len(device_control)} bytes has no output rate")
    return int(struct.unpack_from("<H", device_control, OUTPUT_RATE_OFFSET)[0])


def parse_battery(value: bytes) -> int | None:
    """Battery characteristic -> percent (the charging status byte that follows is ignored), or None."""
    return min(100, value[0]) if value else None


def message_frame(mid: int, data: bytes) -> bytes:
    """A message-service frame `MID LEN DATA CHECKSUM`, the checksum making the byte sum 0 mod 256."""
    body = bytes([mid, len(data)]) + bytes(data)
    return body + bytes([(-sum(body)) & 0xFF])


def message_is_valid(frame: bytes) -> bool:
    """True when a message-service frame has a consistent length and checksum."""
    return len(frame) >= 3 and frame[1] == len(frame) - 3 and sum(frame) % 256 == 0


# --- payloads -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DotPayload:
    """One custom mode 5 payload in SI units (the quaternion as sent, scalar first)."""

    t_us: int
    quaternion: tuple[float, float, float, float]
    acc_m_s2: NDArray[np.float64]
    gyr_rad_s: NDArray[np.float64]
    padding_bytes: int


def encode_custom_mode_5(
    t_us: int,
    quaternion: NDArray[np.float64],
    acc_m_s2: NDArray[np.float64],
    gyr_rad_s: NDArray[np.float64],
    padding_bytes: int = 0,
) -> bytes:
    """One custom mode 5 payload (float32 values; angular rate sent in deg/s), plus trailing zero padding."""
    values = [*np.asarray(quaternion, dtype=np.float64), *np.asarray(acc_m_s2, dtype=np.float64)]
    values += [math.degrees(float(w)) for w in np.asarray(gyr_rad_s, dtype=np.float64)]
    return CUSTOM_MODE_5.pack(int(t_us) & 0xFFFFFFFF, *(float(v) for v in values)) + bytes(padding_bytes)


def decode_payload(data: bytes) -> tuple[DotPayload | None, str | None]:
    """One notification of custom mode 5 -> (payload, None), or (None, why it is malformed). Never raises."""
    if len(data) < CUSTOM_MODE_5_BYTES:
        return None, f"payload of {len(data)} bytes, custom mode 5 needs {CUSTOM_MODE_5_BYTES}"
    t_us, *floats = CUSTOM_MODE_5.unpack_from(data)
    values = np.array(floats, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        return None, "payload holds a NaN or infinite value"
    w, x, y, z = (float(v) for v in values[:4])
    return (
        DotPayload(int(t_us), (w, x, y, z), values[4:7], np.radians(values[7:10]), len(data) - CUSTOM_MODE_5_BYTES),
        None,
    )


class DotStreamDecoder:
    """Stateful decoder of one DOT: unwraps its u32 microsecond clock and numbers the samples from it.

    The payloads carry no sample counter. Sample numbers come from the timestamps: the first sample is 0 and
    every other is round(elapsed sensor time * rate_hz), so a jump is a gap. The u32 clock wraps every
    71.6 min. A timestamp that goes back is a wrap-around when the forward distance across 2^32 agrees with
    the time between arrivals (within 5 %, at least 1 s), or, without arrival times, is under
    `WRAP_WINDOW_US`; otherwise the DOT restarted: the restart is reported with its first sample and numbering
    starts again at 0. A payload repeating the previous timestamp is dropped as malformed.

    Parameters
    ----------
    role : the sensor's role.
    rate_hz : the output rate the DOT was set to, Hz.
    """

    WRAP_WINDOW_US = 60_000_000

    def __init__(self, role: Role, rate_hz: int) -> None:
        if rate_hz <= 0:
            raise ValueError(f"rate must be positive, got {rate_hz}")
        self.role: Role = role
        self.rate_hz = rate_hz
        self.packets = 0
        self.malformed = 0
        self.restarts = 0
        self.padded = 0
        self.battery_pct: int | None = None
        self._t_offset_us = 0
        self._origin_us: int | None = None  # unwrapped time of sample number 0
        self._last_raw_us: int | None = None
        self._last_t_us = 0  # unwrapped
        self._last_seq = 0
        self._last_arrival_s: float | None = None

    def feed(self, data: bytes, arrival_s: float | None = None) -> list[SampleBlock]:
        """Decode one notification into at most one block on the unwrapped sensor clock."""
        return [block for block, _restart in self.feed_marking_restarts(data, arrival_s)]

    def feed_marking_restarts(
        self, data: bytes, arrival_s: float | None = None
    ) -> list[tuple[SampleBlock, dict[str, int] | None]]:
        """Decode one notification; its block is paired with the restart detail when the DOT restarted."""
        payload, error = decode_payload(data)
        if payload is None:
            self._reject(str(error))
            return []
        if payload.padding_bytes:
            self.padded += 1
        restart: dict[str, int] | None = None
        raw = payload.t_us
        if self._last_raw_us is None or self._origin_us is None:
            self._origin_us = raw
        elif raw == self._last_raw_us:
            self._reject(f"timestamp {raw} us repeated")
            return []
        elif raw + self._t_offset_us <= self._last_t_us:
            if self._wrapped(raw, arrival_s):
                self._t_offset_us += _U32
            else:
                restart = {"previous_seq": self._last_seq, "previous_t_us": self._last_t_us, "seq": 0, "t_us": raw}
                self._t_offset_us = 0
                self._origin_us = raw
                self.restarts += 1
                log.info("%s DOT restarted: %s", self.role, restart)
        t_us = raw + self._t_offset_us
        seq = int(round((t_us - self._origin_us) * self.rate_hz * 1e-6))
        self._last_raw_us, self._last_t_us, self._last_seq = raw, t_us, seq
        self._last_arrival_s = arrival_s
        self.packets += 1
        block = make_block(self.role, [seq], [t_us * 1e-6], payload.acc_m_s2, payload.gyr_rad_s)
        return [(block, restart)]

    def _wrapped(self, raw_us: int, arrival_s: float | None) -> bool:
        assert self._last_raw_us is not None
        forward_us = (raw_us - self._last_raw_us) % _U32
        if arrival_s is None or self._last_arrival_s is None:
            return forward_us <= self.WRAP_WINDOW_US
        elapsed_us = (arrival_s - self._last_arrival_s) * 1e6
        return abs(forward_us - elapsed_us) <= max(1e6, 0.05 * elapsed_us)

    def _reject(self, reason: str) -> None:
        self.malformed += 1
        log.warning("movella_dot payload rejected: %s", reason)


# --- the profile ----------------------------------------------------------------------------------------------


def _recognise(adv: Advertised) -> bool:
    return (
        COMPANY_ID in adv.manufacturer_ids
        or adv.has_service(CONFIG_SERVICE_UUID)
        or adv.has_service(MEASUREMENT_SERVICE_UUID)
    )


def _unsupported_reason(adv: Advertised) -> str | None:
    name = (adv.name or "").lower()
    if _recognise(adv) or "dot" not in name or not ("xsens" in name or "movella" in name):
        return None
    return (
        f"named like a Movella DOT, but it advertises neither Movella's company identifier 0x{COMPANY_ID:04X} "
        "nor a DOT service"
    )


PROFILE = DeviceProfile(
    name=PROFILE_NAME,
    model="Movella DOT",
    rates_hz=STREAMING_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    service_uuid=MEASUREMENT_SERVICE_UUID,
    notify_uuid=LONG_PAYLOAD_UUID,
    recognise=_recognise,
    unsupported_reason=_unsupported_reason,
    configure=lambda rate_hz: [GattWrite(DEVICE_CONTROL_UUID, cmd_output_rate(rate_hz))],
    start=lambda _rate_hz: [GattWrite(CONTROL_UUID, cmd_measurement(True))],
    stop=lambda: [GattWrite(CONTROL_UUID, cmd_measurement(False))],
    battery=BatteryRead(BATTERY_UUID, parse_battery),
    new_decoder=lambda role, rate_hz: DotStreamDecoder(role, rate_hz),
    timing="sensor timestamps (u32 us); sample numbers derived from them",
)

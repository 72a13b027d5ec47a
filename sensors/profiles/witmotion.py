"""WitMotion WT901BLECL / WT9011DCL (BLE 5.0): recognition, commands, the 0x55 0x61 packet stream decoder.

Layout and scale factors from ../shared/vectors/README.md (vendor documentation and captures): 20-byte packets
`55 61` + 9 int16 little-endian (ax ay az, gx gy gz, roll pitch yaw), no checksum; acc = raw / 32768 * 16 g,
gyro = raw / 32768 * 2000 deg/s, angle = raw / 32768 * 180 deg. `55 71` packets are register replies
(`55 71 RegL RegH` + 8 int16). Commands (`FF AA` + 3 bytes) go to the write characteristic without response:
unlock, output rate (50/100/200 Hz; 10 Hz after power-up), save, read register.

The module has no sample counter and no timestamp. `WitStreamDecoder` numbers the samples as they arrive and
times sample k at k / rate on a "sample clock"; lost samples are inferred from arrival times (see there). The
module's own angle output is decoded (and shown by `dorsi decode`) but dorsi computes its angles itself.
Rates, quirks and sources: firmware_notes/hardware.md.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sensors.clock import ClockAligner
from sensors.profiles.base import Advertised, BatteryQuery, DeviceProfile, GattWrite
from sensors.samples import Role, SampleBlock, make_block

log = logging.getLogger(__name__)

PROFILE_NAME = "witmotion"
# Note "9a", not the Bluetooth base UUID's "9b": these are vendor UUIDs.
SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"
NAME_PREFIXES = ("WT",)

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
CMD_SET_RATE = 0x03
CMD_READ_REGISTER = 0x27
UNLOCK_VALID_S = 10.0
RATE_CODES = {10: 0x06, 50: 0x08, 100: 0x09, 200: 0x0B}
DEFAULT_RATE_HZ = 10
STREAMING_RATES_HZ = (50, 100, 200)  # the rates dorsi sets (10 Hz, the power-up rate, is too slow for it)
COMMAND_PAUSE_S = 0.1  # the module applies commands through its own MCU: leave it time between them

REG_RATE = 0x03
# Supply voltage in 0.01 V (public WitMotion BLE 5.0 integrations read it here; not verified on hardware).
REG_BATTERY_CENTIVOLT = 0x64
# Voltage (V) -> battery percent, the table WitMotion support gives for its Li-ion cells: the level of the
# highest threshold reached.
BATTERY_LEVELS_PCT = (
    (3.40, 5),
    (3.50, 10),
    (3.68, 15),
    (3.70, 20),
    (3.73, 30),
    (3.77, 40),
    (3.79, 50),
    (3.82, 60),
    (3.87, 75),
    (3.93, 90),
    (3.97, 100),
)


def cmd_set_rate(rate_hz: int) -> list[bytes]:
    """The writes that set the output rate: unlock, rate, save."""
    if rate_hz not in RATE_CODES:
        raise ValueError(f"WitMotion rate {rate_hz} Hz not supported; choose one of {sorted(RATE_CODES)}")
    return [CMD_UNLOCK, bytes([0xFF, 0xAA, CMD_SET_RATE, RATE_CODES[rate_hz], 0x00]), CMD_SAVE]


def cmd_read_register(register: int) -> bytes:
    """The write that asks for 8 registers from `register` on (answered by a 55 71 packet)."""
    if not 0 <= register <= 0xFF:
        raise ValueError(f"register {register} is not one byte")
    return bytes([0xFF, 0xAA, CMD_READ_REGISTER, register, 0x00])


def parse_command(data: bytes) -> tuple[int, int] | None:
    """A write to the module -> (command, argument low byte), or None when it is not `FF AA cmd lo hi`."""
    if len(data) != 5 or data[0] != 0xFF or data[1] != 0xAA:
        return None
    return data[2], data[3]


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


# --- register replies and battery -----------------------------------------------------------------------------


def register_reply(register: int, values: Sequence[int]) -> bytes:
    """Bytes of a register reply: `55 71 reg 00` and 8 int16 (missing values are 0)."""
    regs = [int(v) for v in values][:8] + [0] * max(0, 8 - len(values))
    return bytes([HEADER, FLAG_REGISTER, register & 0xFF, 0]) + np.array(regs, dtype="<i2").tobytes()


def parse_register_reply(packet: bytes) -> tuple[int, tuple[int, ...]]:
    """A 20-byte `55 71` packet -> (first register, its 8 int16 values)."""
    if len(packet) != PACKET_SIZE or packet[0] != HEADER or packet[1] != FLAG_REGISTER:
        raise ValueError(f"not a register reply: {packet.hex()}")
    register = packet[2] | (packet[3] << 8)
    return register, tuple(int(v) for v in np.frombuffer(packet, "<i2", 8, 4))


def battery_pct_from_volts(volts: float) -> int:
    """Battery percent from the module's supply voltage, by WitMotion's table (0 below 3.40 V)."""
    level = 0
    for threshold_v, pct in BATTERY_LEVELS_PCT:
        if volts >= threshold_v:
            level = pct
    return level


def battery_from_notification(data: bytes) -> int | None:
    """Battery percent from a notification holding the reply to a battery register read, else None."""
    for reply in decode_notification(data).register_replies:
        register, values = parse_register_reply(reply)
        if register == REG_BATTERY_CENTIVOLT:
            return battery_pct_from_volts(values[0] / 100.0)
    return None


# --- encoder (what a module sends; used by the emulated peripheral) ---------------------------------------------


def encode_packets(
    acc_m_s2: NDArray[np.float64],
    gyr_rad_s: NDArray[np.float64],
    angles_rad: NDArray[np.float64],
    short: bool = False,
) -> bytes:
    """Combined packets for N samples, back to back: acc (N, 3), gyr (N, 3), roll/pitch/yaw (N, 3).

    Values are rounded to the module's resolution and saturated at its int16 range; `short` drops pitch and
    yaw (the 16-byte variant of some firmwares).
    """
    raw = np.hstack(
        [
            np.asarray(acc_m_s2, dtype=np.float64) / ACC_SCALE_M_S2_PER_LSB,
            np.asarray(gyr_rad_s, dtype=np.float64) / GYRO_SCALE_RAD_S_PER_LSB,
            np.asarray(angles_rad, dtype=np.float64) / ANGLE_SCALE_RAD_PER_LSB,
        ]
    )
    raw = np.clip(np.rint(raw), -32768, 32767).astype("<i2")
    if short:
        raw = raw[:, :7]
    head = bytes([HEADER, FLAG_COMBINED])
    return b"".join(head + row.tobytes() for row in raw)


# --- stream decoder ---------------------------------------------------------------------------------------------


class WitStreamDecoder:
    """Stateful decoder of one WitMotion module: sample numbers and times from arrival and the configured rate.

    The packets carry neither a counter nor a timestamp. Sample k (counted from the first one received) is
    given the time k / rate_hz on its own "sample clock", which stands in for the module's clock; the source
    maps it onto the session clock like any sensor clock. Arrival times tell when samples went missing: the
    lower envelope of (sample time, arrival) is fitted as for a sensor clock (offset and a rate error up to
    `RATE_TOLERANCE_PPM`), and a notification whose last sample arrives more than `GAP_THRESHOLD_S` later than
    that envelope predicts cannot be only late: the samples that the module produced meanwhile were lost
    (a drop-out, a reconnection). Its samples are numbered on as if the lost ones had come, so the source
    reports a gap of round(lateness * rate) samples. So a gap is an estimate (to about one sample per
    second of gap per 1 % of rate error), and a stall of BLE delivery longer than the threshold that later
    delivers everything would be taken for a loss. Register replies are not samples: a battery reply sets
    `battery_pct`.

    Parameters
    ----------
    role : the sensor's role.
    rate_hz : the output rate the module was set to, Hz.
    """

    GAP_THRESHOLD_S = 0.5
    RATE_TOLERANCE_PPM = 20_000.0
    RATE_CHECK_AFTER_S = 3.0

    def __init__(self, role: Role, rate_hz: int) -> None:
        if rate_hz <= 0:
            raise ValueError(f"rate must be positive, got {rate_hz}")
        self.role: Role = role
        self.rate_hz = rate_hz
        self.packets = 0
        self.malformed = 0
        self.restarts = 0  # the module has no counters: a reboot cannot be seen
        self.short_packets = 0
        self.register_replies = 0
        self.battery_pct: int | None = None
        self.inferred_lost = 0
        self.measured_rate_hz: float | None = None
        self._next_k = 0
        self._envelope = ClockAligner(max_drift_ppm=self.RATE_TOLERANCE_PPM)
        self._first_arrival_s: float | None = None
        self._received = 0
        self._rate_checked = False

    def feed(self, data: bytes, arrival_s: float | None = None) -> list[SampleBlock]:
        """Decode one notification into at most one block (its samples, in order)."""
        return [block for block, _restart in self.feed_marking_restarts(data, arrival_s)]

    def feed_marking_restarts(
        self, data: bytes, arrival_s: float | None = None
    ) -> list[tuple[SampleBlock, dict[str, int] | None]]:
        """Decode one notification; restarts are never reported (see the class docstring).

        Without `arrival_s` no loss can be inferred: samples are numbered consecutively.
        """
        result = decode_notification(data)
        self.malformed += len(result.malformed)
        self.short_packets += result.short_packets
        self.register_replies += len(result.register_replies)
        for reply in result.register_replies:
            register, values = parse_register_reply(reply)
            if register == REG_BATTERY_CENTIVOLT:
                self.battery_pct = battery_pct_from_volts(values[0] / 100.0)
        n = len(result.samples)
        if n == 0:
            return []
        first = self._next_k
        if arrival_s is not None:
            first = self._skip_lost(first, n, arrival_s)
        k = np.arange(first, first + n)
        self._next_k = first + n
        self.packets += n
        block = make_block(
            self.role,
            k,
            k / self.rate_hz,
            np.array([s.acc_m_s2 for s in result.samples]),
            np.array([s.gyr_rad_s for s in result.samples]),
        )
        return [(block, None)]

    def _skip_lost(self, first: int, n: int, arrival_s: float) -> int:
        """Number of the first sample of a notification of n samples arriving at arrival_s."""
        last_t = (first + n - 1) / self.rate_hz
        if self._envelope.ready:
            expected_s = float(self._envelope.to_session(np.array([last_t]))[0])
            late_s = arrival_s - expected_s
            if late_s > self.GAP_THRESHOLD_S:
                lost = int(round(late_s * self.rate_hz))
                self.inferred_lost += lost
                log.info("%s WitMotion: %d samples lost (arrived %.2f s late)", self.role, lost, late_s)
                first += lost
                last_t = (first + n - 1) / self.rate_hz
        self._envelope.add(last_t, arrival_s)
        self._check_rate(n, arrival_s)
        return first

    def _check_rate(self, n: int, arrival_s: float) -> None:
        """Warn once when the samples come at a rate far from the configured one (a rate command not taken)."""
        if self._first_arrival_s is None:
            self._first_arrival_s = arrival_s
            return
        self._received += n
        span_s = arrival_s - self._first_arrival_s
        if self._rate_checked or span_s < self.RATE_CHECK_AFTER_S:
            return
        self._rate_checked = True
        self.measured_rate_hz = self._received / span_s
        if abs(self.measured_rate_hz / self.rate_hz - 1.0) > 0.2:
            log.warning(
                "%s WitMotion sends about %.0f Hz, not the %d Hz it was set to: its sample times are wrong "
                "(was the rate command refused? unlock, set the rate and save in the WitMotion app)",
                self.role,
                self.measured_rate_hz,
                self.rate_hz,
            )


# --- the profile ----------------------------------------------------------------------------------------------


def _looks_like_witmotion(adv: Advertised) -> bool:
    return bool(adv.name) and str(adv.name).upper().startswith(NAME_PREFIXES)


def _recognise(adv: Advertised) -> bool:
    return _looks_like_witmotion(adv) and adv.has_service(SERVICE_UUID)


def _unsupported_reason(adv: Advertised) -> str | None:
    if not _looks_like_witmotion(adv) or adv.has_service(SERVICE_UUID):
        return None
    if adv.service_uuids:
        shown = ", ".join(adv.service_uuids)
        return (
            f"a WitMotion-style name, but it advertises {shown} instead of the BLE 5.0 service "
            f"{SERVICE_UUID} (older WitMotion BLE 4.0 modules are not supported)"
        )
    return (
        f"a WitMotion-style name, but it does not advertise the BLE 5.0 service {SERVICE_UUID} "
        "(connect to it by name to check its services)"
    )


def _may_be(adv: Advertised) -> bool:
    return _looks_like_witmotion(adv) and not adv.service_uuids


def _configure(rate_hz: int) -> list[GattWrite]:
    return [GattWrite(WRITE_UUID, cmd, response=False, pause_s=COMMAND_PAUSE_S) for cmd in cmd_set_rate(rate_hz)]


PROFILE = DeviceProfile(
    name=PROFILE_NAME,
    model="WitMotion WT901BLECL / WT9011DCL",
    rates_hz=STREAMING_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    service_uuid=SERVICE_UUID,
    notify_uuid=NOTIFY_UUID,
    recognise=_recognise,
    unsupported_reason=_unsupported_reason,
    configure=_configure,
    start=lambda _rate_hz: [],  # it streams as soon as notifications are enabled
    stop=lambda: [],
    battery=BatteryQuery(
        GattWrite(WRITE_UUID, cmd_read_register(REG_BATTERY_CENTIVOLT), response=False), battery_from_notification
    ),
    new_decoder=lambda role, rate_hz: WitStreamDecoder(role, rate_hz),
    clock_max_drift_ppm=WitStreamDecoder.RATE_TOLERANCE_PPM,
    timing="arrival time and the configured rate (the module sends no timestamps or counters)",
    may_be=_may_be,
)

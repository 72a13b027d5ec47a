"""What every device profile provides: recognition, the GATT steps to configure/start/stop, and a stream decoder.

Profiles are pure: they describe GATT operations as data (`GattWrite`, `BatteryRead`, `BatteryQuery`) and turn
bytes into `SampleBlock`s; `sensors.ble_source` carries the operations out over bleak. One module per sensor
model (`dorsi`, `witmotion`, `movella_dot`) defines its `PROFILE`; `sensors.profiles.registry` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sensors.samples import Role, SampleBlock

# Restart detail keys (see StreamDecoder.feed_marking_restarts): previous_seq, previous_t_us, seq, t_us.
RestartDetail = dict[str, int]


@dataclass(frozen=True)
class Advertised:
    """What a scan saw of one device, as plain data.

    Attributes
    ----------
    name : advertised local name, or None.
    service_uuids : advertised service UUIDs, lower-case 128-bit strings.
    manufacturer_ids : Bluetooth SIG company identifiers of the manufacturer-specific data fields.
    """

    name: str | None = None
    service_uuids: tuple[str, ...] = ()
    manufacturer_ids: tuple[int, ...] = ()

    def has_service(self, uuid: str) -> bool:
        """True when `uuid` is among the advertised services (case-insensitive)."""
        return uuid.lower() in (u.lower() for u in self.service_uuids)


@dataclass(frozen=True)
class GattWrite:
    """One characteristic write of a configure/start/stop sequence.

    Attributes
    ----------
    uuid : characteristic UUID.
    data : bytes to write.
    response : write request (True) or write command without response (False).
    pause_s : time to leave the device before the next step, s (for devices that act on commands slowly).
    """

    uuid: str
    data: bytes
    response: bool = True
    pause_s: float = 0.0


@dataclass(frozen=True)
class BatteryRead:
    """The battery level is one characteristic read: `parse` turns its value into percent (or None)."""

    uuid: str
    parse: Callable[[bytes], int | None]


@dataclass(frozen=True)
class BatteryQuery:
    """The battery level comes back as a notification after a request write.

    The stream decoder recognises the reply and sets its `battery_pct`; `parse_reply` turns one notification
    into percent, or None when it is not the reply.
    """

    request: GattWrite
    parse_reply: Callable[[bytes], int | None]


class StreamDecoder(Protocol):
    """Stateful decoder of one sensor's notifications (one instance per sensor, kept across reconnects).

    Attributes
    ----------
    role : the sensor's role.
    packets : sample packets decoded so far.
    malformed : malformed parts rejected so far (each also logged with its reason).
    restarts : times the sensor was seen to restart (reboot) its counters.
    battery_pct : last battery level the stream reported, percent, or None.
    """

    role: Role
    packets: int
    malformed: int
    restarts: int
    battery_pct: int | None

    def feed_marking_restarts(
        self, data: bytes, arrival_s: float | None = None
    ) -> list[tuple[SampleBlock, RestartDetail | None]]:
        """Decode one notification into blocks on the sensor's clock, each paired with a restart detail or None.

        Parameters
        ----------
        data : the notification's bytes.
        arrival_s : when it arrived (any monotonic clock, s); needed by profiles without sensor timestamps.
        """
        ...


@dataclass(frozen=True, repr=False)
class DeviceProfile:
    """One supported sensor model.

    Attributes
    ----------
    name : profile name used on the command line and in recordings ("dorsi", "witmotion", "movella_dot").
    model : the sensor model in words.
    rates_hz : output rates it can stream at, Hz (ascending).
    default_rate_hz : its rate after power-up, Hz.
    service_uuid : the GATT service that identifies it once connected.
    notify_uuid : the characteristic that carries the samples.
    recognise : advertisement -> True when it is this model.
    unsupported_reason : advertisement -> why a device that looks like this model's family is not supported,
        or None.
    configure : rate_hz -> writes before subscribing (rate and ranges).
    start : rate_hz -> writes after subscribing that start the samples.
    stop : writes that stop the samples.
    battery : how to get the battery level, or None.
    new_decoder : (role, rate_hz) -> a fresh StreamDecoder.
    clock_max_drift_ppm : largest sensor-clock rate error the session-clock fit should allow, ppm.
    timing : where sample times come from, in words.
    may_be : advertisement -> True when it does not identify this model but may be it (for example no
        service list at all): connecting and looking at the GATT services settles it.
    """

    name: str
    model: str
    rates_hz: tuple[int, ...]
    default_rate_hz: int
    service_uuid: str
    notify_uuid: str
    recognise: Callable[[Advertised], bool]
    unsupported_reason: Callable[[Advertised], str | None]
    configure: Callable[[int], list[GattWrite]]
    start: Callable[[int], list[GattWrite]]
    stop: Callable[[], list[GattWrite]]
    battery: BatteryRead | BatteryQuery | None
    new_decoder: Callable[[Role, int], StreamDecoder]
    clock_max_drift_ppm: float = 500.0
    timing: str = field(default="sensor timestamps")
    may_be: Callable[[Advertised], bool] = field(default=lambda _adv: False)

    def __repr__(self) -> str:
        return f"DeviceProfile({self.name!r})"

    def rate_for(self, requested_hz: float) -> int:
        """The supported rate closest to `requested_hz` (the lower one on a tie), Hz."""
        return min(self.rates_hz, key=lambda r: (abs(r - requested_hz), r))

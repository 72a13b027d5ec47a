"""Live samples from two dorsi sensors over BLE (real or emulated): scan, connect, stream, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from sensors.clock import ClockAligner
from sensors.profiles import dorsi
from sensors.samples import ROLES, Role, SampleBlock

log = logging.getLogger(__name__)

EventKind = Literal["connected", "disconnected", "reconnected", "gap"]


class SensorNotFoundError(BleakError):
    """A sensor that was asked for did not advertise within the scan time."""


@dataclass(frozen=True)
class FoundSensor:
    """A sensor seen while scanning.

    Attributes
    ----------
    name : advertised name.
    address : Bluetooth address (a UUID on macOS).
    rssi : signal strength, dBm.
    profile : device profile name ("dorsi").
    device : bleak's handle, to connect without scanning again.
    """

    name: str
    address: str
    rssi: int
    profile: str
    device: BLEDevice | None = field(default=None, compare=False, repr=False)


@dataclass
class SensorCounters:
    """Live per-sensor counters (shown in the UI)."""

    packets: int = 0
    samples: int = 0
    lost_samples: int = 0
    seq_gaps: int = 0
    malformed: int = 0
    reconnects: int = 0
    connected: bool = False
    battery_pct: int | None = None
    rssi: int | None = None


@dataclass(frozen=True)
class SourceEvent:
    """Something that happened to a sensor link, on the session clock.

    kind: "connected", "disconnected", "reconnected", or "gap" (detail: start_s and end_s, the last sample
    before and the first after the gap on the session clock, and lost_samples).
    """

    role: Role
    kind: EventKind
    t_s: float
    detail: dict[str, Any] = field(default_factory=dict)


def _profile_of(name: str | None, adv: AdvertisementData) -> str | None:
    return dorsi.PROFILE_NAME if dorsi.is_dorsi_advertisement(name, list(adv.service_uuids)) else None


async def scan(timeout_s: float = 5.0, backend: type[BaseBleakScanner] | None = None) -> list[FoundSensor]:
    """Scan for `timeout_s` and return the supported sensors seen, strongest signal first."""
    scanner = BleakScanner(backend=backend)
    await scanner.start()
    try:
        await asyncio.sleep(timeout_s)
    finally:
        await scanner.stop()
    found = []
    for device, adv in scanner.discovered_devices_and_advertisement_data.values():
        name = adv.local_name or device.name
        profile = _profile_of(name, adv)
        if profile is not None:
            found.append(FoundSensor(name or device.address, device.address, adv.rssi, profile, device))
    return sorted(found, key=lambda f: -f.rssi)


class _Link:
    """State of one sensor: its client, queue, decoder, clock and counters."""

    def __init__(self, role: Role, wanted: str) -> None:
        self.role: Role = role
        self.wanted = wanted
        self.queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        self.decoder = dorsi.StreamDecoder(role)
        self.clock = ClockAligner()
        self.counters = SensorCounters()
        self.client: BleakClient | None = None
        self.device: BLEDevice | None = None
        self.last_seq: int | None = None
        self.last_t_s: float | None = None
        self.reconnect_task: asyncio.Task[None] | None = None
        self.unprocessable = 0

    def matches(self, device: BLEDevice, adv: AdvertisementData) -> bool:
        name = adv.local_name or device.name
        return self.wanted in (name, device.address) or self.wanted.upper() == device.address.upper()


class BleSource:
    """Samples of a shin and a foot sensor on one session clock, with reconnection and loss accounting.

    Parameters
    ----------
    shin, foot : advertised name (or address) of each sensor.
    rate_hz : output rate to request (one of dorsi.SUPPORTED_RATES_HZ).
    scanner_backend, client_backend : bleak backend classes; None for the platform's (real hardware).
    scan_timeout_s : how long to look for the sensors at start.
    connect_timeout_s : timeout of one connect (with service discovery).
    session_start_monotonic_s : ``time.monotonic()`` of session time 0; default: when `start()` runs.

    The session clock is the host's monotonic clock since the session start. Connects are never concurrent.
    """

    def __init__(
        self,
        shin: str,
        foot: str,
        rate_hz: int = dorsi.DEFAULT_RATE_HZ,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        *,
        scan_timeout_s: float = 10.0,
        connect_timeout_s: float = 10.0,
        session_start_monotonic_s: float | None = None,
    ) -> None:
        if rate_hz not in dorsi.SUPPORTED_RATES_HZ:
            raise ValueError(f"rate {rate_hz} Hz not supported; choose one of {dorsi.SUPPORTED_RATES_HZ}")
        self.rate_hz = rate_hz
        self.scanner_backend = scanner_backend
        self.client_backend = client_backend
        self.scan_timeout_s = scan_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._links: dict[Role, _Link] = {"shin": _Link("shin", shin), "foot": _Link("foot", foot)}
        self.counters: dict[Role, SensorCounters] = {r: self._links[r].counters for r in ROLES}
        self._out: asyncio.Queue[SampleBlock | SourceEvent | None] = asyncio.Queue()
        self._connect_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._fixed_t0 = session_start_monotonic_s is not None
        self._t0 = time.monotonic() if session_start_monotonic_s is None else session_start_monotonic_s
        self._stopping = False

    def now_s(self) -> float:
        """Session time now, s."""
        return time.monotonic() - self._t0

    @property
    def session_start_monotonic_s(self) -> float:
        """`time.monotonic()` at session time 0."""
        return self._t0

    def _emit(self, item: SampleBlock | SourceEvent) -> None:
        self._out.put_nowait(item)

    async def _find(self, links: list[_Link], timeout_s: float) -> None:
        """Scan until every link in `links` has a device, or the timeout; sets link.device and rssi."""
        done = asyncio.Event()

        def on_adv(device: BLEDevice, adv: AdvertisementData) -> None:
            for link in links:
                if link.device is None and link.matches(device, adv):
                    link.device = device
                    link.counters.rssi = adv.rssi
            if all(link.device is not None for link in links):
                done.set()

        scanner = BleakScanner(on_adv, backend=self.scanner_backend)
        await scanner.start()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout_s)
        finally:
            await scanner.stop()

    async def _connect(self, link: _Link) -> None:
        """Connect one sensor, request the rate, read the battery, subscribe, start streaming."""
        assert link.device is not None
        async with self._connect_lock:
            client = BleakClient(
                link.device,
                disconnected_callback=lambda _c: self._on_disconnected(link),
                timeout=self.connect_timeout_s,
                backend=self.client_backend,
            )
            await client.connect()
            try:
                await client.write_gatt_char(
                    dorsi.CONTROL_UUID, dorsi.cmd_set_rate(self.rate_hz), response=True
                )
                battery = await client.read_gatt_char(dorsi.BATTERY_LEVEL_UUID)
                link.counters.battery_pct = battery[0] if battery else None

                def on_notify(_char: object, data: bytearray) -> None:
                    link.queue.put_nowait((time.monotonic() - self._t0, bytes(data)))

                await client.start_notify(dorsi.SAMPLES_UUID, on_notify)
                await client.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_start(), response=True)
            except BaseException:
                with contextlib.suppress(BleakError, asyncio.CancelledError):
                    await client.disconnect()
                raise
            link.client = client
            link.counters.connected = True

    def _on_disconnected(self, link: _Link) -> None:
        link.counters.connected = False
        link.client = None
        if self._stopping:
            return
        self._emit(SourceEvent(link.role, "disconnected", self.now_s(), {"name": link.wanted}))
        log.warning("%s sensor %s disconnected; reconnecting", link.role, link.wanted)
        if link.reconnect_task is None or link.reconnect_task.done():
            link.reconnect_task = asyncio.get_running_loop().create_task(self._reconnect(link))

    async def _reconnect(self, link: _Link) -> None:
        """Scan for the sensor again and reconnect, until it is back or the source stops."""
        attempt = 0
        while not self._stopping:
            attempt += 1
            link.device = None
            try:
                await self._find([link], min(self.scan_timeout_s, 5.0))
                if link.device is None:
                    continue
                await self._connect(link)
            except (BleakError, TimeoutError) as error:
                log.info(
                    "%s sensor %s: reconnect attempt %d failed: %s", link.role, link.wanted, attempt, error
                )
                await asyncio.sleep(min(0.2 * attempt, 2.0))
                continue
            link.counters.reconnects += 1
            self._emit(
                SourceEvent(
                    link.role, "reconnected", self.now_s(), {"name": link.wanted, "attempts": attempt}
                )
            )
            return

    async def _consume(self, link: _Link) -> None:
        """Decode, check sequence numbers, align clocks and emit blocks for one sensor."""
        c = link.counters
        while True:
            arrival_s, data = await link.queue.get()
            try:
                blocks = link.decoder.feed(data)
                c.malformed = link.decoder.malformed + link.unprocessable
                if not blocks:
                    continue
                c.packets += len(blocks)
                link.clock.add(float(blocks[-1].t_s[-1]), arrival_s)
                for block in blocks:
                    self._accept(link, block)
            except Exception:  # one bad notification must never end the stream
                link.unprocessable += 1
                c.malformed = link.decoder.malformed + link.unprocessable
                log.exception("%s sensor: notification %s could not be processed", link.role, data.hex())

    def _accept(self, link: _Link, block: SampleBlock) -> None:
        c = link.counters
        first, last = int(block.seq[0]), int(block.seq[-1])
        if link.last_seq is not None and last <= link.last_seq:
            if link.last_seq - first < 1_000_000:
                return  # a repeat of samples already delivered
            link.last_seq = None  # sequence numbers restarted: the sensor rebooted
        t = link.clock.to_session(block.t_s)
        if link.last_seq is not None and first > link.last_seq + 1:
            lost = first - link.last_seq - 1
            c.lost_samples += lost
            c.seq_gaps += 1
            detail = {"start_s": link.last_t_s, "end_s": float(t[0]), "lost_samples": lost}
            self._emit(SourceEvent(link.role, "gap", float(t[0]), detail))
        c.samples += len(block)
        link.last_seq = last
        link.last_t_s = float(t[-1])
        self._emit(block.with_times(t))

    async def start(self) -> None:
        """Find both sensors and connect shin then foot; raises SensorNotFoundError naming a missing one."""
        if not self._fixed_t0:
            self._t0 = time.monotonic()
        links = [self._links[r] for r in ROLES]
        await self._find(links, self.scan_timeout_s)
        missing = [f"{link.role} sensor {link.wanted!r}" for link in links if link.device is None]
        if missing:
            raise SensorNotFoundError(
                f"{' and '.join(missing)} not found after scanning {self.scan_timeout_s:g} s: "
                "is it switched on, charged and in range?"
            )
        try:
            for link in links:
                await self._connect(link)
                self._emit(SourceEvent(link.role, "connected", self.now_s(), {"name": link.wanted}))
                self._tasks.append(asyncio.create_task(self._consume(link), name=f"consume-{link.role}"))
        except BaseException:
            await self.stop()
            raise

    async def stream(self) -> AsyncIterator[SampleBlock | SourceEvent]:
        """Yield SampleBlocks (session clock) and SourceEvents until `stop()`; starts the source if needed."""
        if not self._tasks:
            await self.start()
        try:
            while True:
                item = await self._out.get()
                if item is None:
                    return
                yield item
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop streaming, disconnect both sensors, end `stream()`."""
        if self._stopping:
            return
        self._stopping = True
        for link in self._links.values():
            if link.reconnect_task is not None:
                link.reconnect_task.cancel()
        for link in self._links.values():
            client, link.client = link.client, None
            if client is not None and client.is_connected:
                with contextlib.suppress(BleakError, TimeoutError):
                    await client.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_stop(), response=True)
                with contextlib.suppress(BleakError, TimeoutError):
                    await client.disconnect()
            link.counters.connected = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._out.put_nowait(None)

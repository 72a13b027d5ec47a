"""Live samples from two dorsi sensors over BLE (real or emulated): scan, connect, stream, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from sensors.clock import ClockAligner
from sensors.profiles import dorsi
from sensors.samples import ROLES, Role, SampleBlock

log = logging.getLogger(__name__)

EventKind = Literal["connected", "disconnected", "reconnected", "gap", "sensor_restarted"]
_T = TypeVar("_T")

CHECK_SENSOR = "switched on, charged, in range and not connected to another device (e.g. a phone app)?"


class SensorUnavailableError(BleakError):
    """A sensor could not be found, reached or set up; the message names it and what to check."""


class SensorNotFoundError(SensorUnavailableError):
    """A sensor that was asked for did not advertise within the scan time."""


class SensorConnectionError(SensorUnavailableError):
    """A sensor was found but connecting to it or setting it up failed (the cause is chained)."""


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
    restarts: int = 0
    connected: bool = False
    battery_pct: int | None = None
    rssi: int | None = None


@dataclass(frozen=True)
class SourceEvent:
    """Something that happened to a sensor link, on the session clock.

    kind: "connected", "disconnected", "reconnected", "gap" (detail: start_s and end_s, the last sample
    before and the first after the gap on the session clock, and lost_samples), or "sensor_restarted" (the
    sensor rebooted: its sequence numbers and clock started again; t_s is its first sample after the restart;
    detail: name, previous_seq and seq, previous_sensor_t_s and sensor_t_s, last_sample_s, the session time
    of the last sample before, or None). Samples lost across a restart cannot be counted: no gap is reported.
    """

    role: Role
    kind: EventKind
    t_s: float
    detail: dict[str, Any] = field(default_factory=dict)


def _profile_of(name: str | None, adv: AdvertisementData) -> str | None:
    return dorsi.PROFILE_NAME if dorsi.is_dorsi_advertisement(name, list(adv.service_uuids)) else None


async def _to_the_end(coro: Coroutine[Any, Any, _T]) -> _T:
    """Await `coro` even if the caller is cancelled meanwhile: then wait for it to end, and re-raise.

    For steps that must not be abandoned half-way because their effect would outlive them (a connect that
    the controller keeps pending and completes later, a scan start); the caller undoes them.
    """
    task = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved: the caller is cancelled and undoes the step
        raise


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

    def describe(self) -> str:
        return f"{self.role} sensor {self.wanted!r}"


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

    Errors: a sensor that cannot be found, reached or set up at start makes `start()` (and so `stream()`)
    raise a `SensorUnavailableError`, a `bleak.exc.BleakError` subclass whose message names the sensor and
    what to check: `SensorNotFoundError` (it did not advertise) or `SensorConnectionError` (connecting or
    setting it up failed, timeouts included; the cause is chained). Scanning itself failing (Bluetooth off or
    missing) also raises a BleakError: bleak's own, or a `SensorUnavailableError` wrapping anything else.
    So catching `BleakError` is enough to report a missing or unreachable sensor without a traceback. Once
    streaming, link losses are not errors: they show up as events and the source reconnects.

    `stop()` may be called at any moment, from another task, also while `start()` is still scanning or
    connecting: afterwards no connection and no task of the source is left, notifications already received
    are decoded and emitted, and `stream()` ends.
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
        self._start_task: asyncio.Task[None] | None = None
        self._stop_task: asyncio.Task[None] | None = None
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
        try:
            await _to_the_end(scanner.start())
            # asyncio.timeout, not wait_for: wait_for (3.11) may swallow a cancel that comes as `done` is set
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await done.wait()
        finally:
            await scanner.stop()

    async def _connect(self, link: _Link) -> None:
        """Connect one sensor, request the rate, read the battery, subscribe, start streaming.

        Cancelled half-way, it waits for a pending connect to end (bounded by the connect timeout) and
        disconnects: nothing it started outlives it.
        """
        assert link.device is not None
        async with self._connect_lock:
            client = BleakClient(
                link.device,
                disconnected_callback=lambda _c: self._on_disconnected(link, client),
                timeout=self.connect_timeout_s,
                backend=self.client_backend,
            )
            try:
                await _to_the_end(client.connect())
                await client.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_set_rate(self.rate_hz), response=True)
                battery = await client.read_gatt_char(dorsi.BATTERY_LEVEL_UUID)
                link.counters.battery_pct = battery[0] if battery else None

                def on_notify(_char: object, data: bytearray) -> None:
                    link.queue.put_nowait((time.monotonic() - self._t0, bytes(data)))

                await client.start_notify(dorsi.SAMPLES_UUID, on_notify)
                await client.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_start(), response=True)
            except BaseException:
                try:
                    await client.disconnect()
                except Exception as error:  # the original error matters more
                    log.info("%s: disconnect after a failed connect: %s", link.describe(), error)
                raise
            link.client = client
            link.counters.connected = True

    def _on_disconnected(self, link: _Link, client: BleakClient) -> None:
        if self._stopping or link.client is not client:
            return  # stopping, or a connect that failed half-way (its error is raised by _connect)
        link.counters.connected = False
        link.client = None
        self._emit(SourceEvent(link.role, "disconnected", self.now_s(), {"name": link.wanted}))
        log.warning("%s disconnected; reconnecting", link.describe())
        if link.reconnect_task is None or link.reconnect_task.done():
            link.reconnect_task = asyncio.get_running_loop().create_task(
                self._reconnect(link), name=f"reconnect-{link.role}"
            )

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
            except Exception as error:  # BleakError, TimeoutError, or whatever else the platform raises
                log.info("%s: reconnect attempt %d failed: %s", link.describe(), attempt, error)
                await asyncio.sleep(min(0.2 * attempt, 2.0))
                continue
            link.counters.reconnects += 1
            self._emit(SourceEvent(link.role, "reconnected", self.now_s(), {"name": link.wanted, "attempts": attempt}))
            return

    async def _consume(self, link: _Link) -> None:
        """Process one sensor's notifications as they arrive (until cancelled by `stop()`)."""
        while True:
            arrival_s, data = await link.queue.get()
            self._process(link, arrival_s, data)

    def _process(self, link: _Link, arrival_s: float, data: bytes) -> None:
        """Decode one notification, check sequence numbers, align clocks and emit its blocks."""
        c = link.counters
        try:
            marked = link.decoder.feed_marking_restarts(data)
            c.malformed = link.decoder.malformed + link.unprocessable
            if not marked:
                return
            c.packets += len(marked)
            # the blocks after a restart are on a new sensor clock: fit and map each run separately
            runs: list[tuple[dict[str, int] | None, list[SampleBlock]]] = []
            for block, restart in marked:
                if restart is not None or not runs:
                    runs.append((restart, [block]))
                else:
                    runs[-1][1].append(block)
            for restart, blocks in runs:
                if restart is not None:
                    link.clock.reset()
                link.clock.add(float(blocks[-1].t_s[-1]), arrival_s)
                for i, block in enumerate(blocks):
                    self._accept(link, block, restart if i == 0 else None)
        except Exception:  # one bad notification must never end the stream
            link.unprocessable += 1
            c.malformed = link.decoder.malformed + link.unprocessable
            log.exception("%s: notification %s could not be processed", link.describe(), data.hex())

    def _accept(self, link: _Link, block: SampleBlock, restart: dict[str, int] | None = None) -> None:
        """Emit one block on the session clock, with the restart or gap that precedes it."""
        c = link.counters
        first, last = int(block.seq[0]), int(block.seq[-1])
        t = link.clock.to_session(block.t_s)
        if restart is not None:
            c.restarts += 1
            detail = {
                "name": link.wanted,
                "previous_seq": restart["previous_seq"],
                "seq": restart["seq"],
                "previous_sensor_t_s": restart["previous_t_us"] * 1e-6,
                "sensor_t_s": restart["t_us"] * 1e-6,
                "last_sample_s": link.last_t_s,
            }
            log.warning("%s restarted (rebooted): %s", link.describe(), detail)
            self._emit(SourceEvent(link.role, "sensor_restarted", float(t[0]), detail))
            link.last_seq = None  # the numbering started again: no gap can be counted across it
        elif link.last_seq is not None and first > link.last_seq + 1:
            lost = first - link.last_seq - 1
            c.lost_samples += lost
            c.seq_gaps += 1
            gap = {"start_s": link.last_t_s, "end_s": float(t[0]), "lost_samples": lost}
            self._emit(SourceEvent(link.role, "gap", float(t[0]), gap))
        c.samples += len(block)
        link.last_seq = last
        link.last_t_s = float(t[-1])
        self._emit(block.with_times(t))

    async def start(self) -> None:
        """Find both sensors and connect shin then foot (see the class docstring for the errors raised).

        Returns early, without error, when `stop()` is called meanwhile. Calling it again waits for the
        first call's start.
        """
        if self._stopping:
            return
        if self._start_task is None:
            if not self._fixed_t0:
                self._t0 = time.monotonic()
            self._start_task = asyncio.get_running_loop().create_task(self._start(), name="ble-source-start")
        try:
            await self._start_task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._stopping and self._start_task.cancelled() and (current is None or not current.cancelling()):
                return  # stop() ended the start
            await self.stop()  # our caller was cancelled (e.g. Ctrl-C): leave nothing behind
            raise
        except BaseException:
            await self.stop()
            raise
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            # our caller was cancelled but the start had just ended (or swallowed the cancel): honour it
            await self.stop()
            raise asyncio.CancelledError

    async def _start(self) -> None:
        links = [self._links[r] for r in ROLES]
        try:
            await self._find(links, self.scan_timeout_s)
        except BleakError:
            raise
        except Exception as error:
            raise SensorUnavailableError(
                f"scanning for the sensors failed: {error}; is Bluetooth switched on and usable by this program?"
            ) from error
        missing = [link.describe() for link in links if link.device is None]
        if missing:
            raise SensorNotFoundError(
                f"{' and '.join(missing)} not found after scanning {self.scan_timeout_s:g} s: "
                f"{'are they' if len(missing) > 1 else 'is it'} {CHECK_SENSOR}"
            )
        for link in links:
            try:
                await self._connect(link)
            except Exception as error:
                raise SensorConnectionError(
                    f"could not connect to the {link.describe()} ({str(error) or type(error).__name__}): "
                    f"is it {CHECK_SENSOR}"
                ) from error
            self._emit(SourceEvent(link.role, "connected", self.now_s(), {"name": link.wanted}))
            self._tasks.append(asyncio.create_task(self._consume(link), name=f"consume-{link.role}"))

    async def stream(self) -> AsyncIterator[SampleBlock | SourceEvent]:
        """Yield SampleBlocks (session clock) and SourceEvents until `stop()`; starts the source if needed."""
        try:
            if self._start_task is None:
                await self.start()
            while True:
                item = await self._out.get()
                if item is None:
                    self._out.put_nowait(None)  # a later stream() ends at once too
                    return
                yield item
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop streaming, disconnect both sensors, end `stream()`; safe at any moment, idempotent.

        Interrupts a `start()` under way, waits for the source's tasks to end, then decodes and emits the
        notifications already received. Cancelling the caller does not interrupt the shutdown.
        """
        self._stopping = True
        if self._stop_task is None:
            self._stop_task = asyncio.get_running_loop().create_task(self._shutdown(), name="ble-source-stop")
        await asyncio.shield(self._stop_task)

    async def _shutdown(self) -> None:
        links = list(self._links.values())
        # 1. end the start and reconnections: each undoes its own half-made connection
        pending = [t for t in [self._start_task, *(link.reconnect_task for link in links)] if t is not None]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        for task in pending:
            if not task.cancelled():
                task.exception()  # retrieved here: start() raises the start's own error
        # 2. stop and disconnect the sensors that are connected
        for link in links:
            client, link.client = link.client, None
            if client is not None and client.is_connected:
                try:
                    await asyncio.wait_for(
                        client.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_stop(), response=True), 2.0
                    )
                except Exception as error:
                    log.info("%s: stop command failed: %s", link.describe(), error)
                try:
                    await client.disconnect()
                except Exception as error:
                    log.warning("%s: disconnect failed: %s", link.describe(), error)
            link.counters.connected = False
        # 3. end the consumers, then process what they had not taken yet: nothing received is lost
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        self._tasks.clear()
        for link in links:
            while not link.queue.empty():
                self._process(link, *link.queue.get_nowait())
        self._out.put_nowait(None)

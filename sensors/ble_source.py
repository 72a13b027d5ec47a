"""Live samples from a shin and a foot sensor over BLE (real or emulated): scan, connect, stream, reconnect.

Any supported model per role (dorsi, WitMotion, Movella DOT; `sensors.profiles.registry`), each at its own rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from sensors.clock import ClockAligner
from sensors.profiles import dorsi, registry
from sensors.profiles.base import Advertised, BatteryQuery, BatteryRead, DeviceProfile, GattWrite, StreamDecoder
from sensors.samples import ROLES, Role, SampleBlock

log = logging.getLogger(__name__)

EventKind = Literal["connected", "disconnected", "reconnected", "gap", "sensor_restarted"]
_T = TypeVar("_T")

CHECK_SENSOR = "switched on, charged, in range and not connected to another device (e.g. a phone app)?"
UNSUPPORTED_GRACE_S = 1.0  # how long to look for a supported device sharing the name of an unsupported one


class SensorUnavailableError(BleakError):
    """A sensor could not be found, reached or set up; the message names it and what to check."""


class SensorNotFoundError(SensorUnavailableError):
    """A sensor that was asked for did not advertise within the scan time."""


class SensorConnectionError(SensorUnavailableError):
    """A sensor was found but connecting to it or setting it up failed (the cause is chained)."""


class SensorNotSupportedError(SensorUnavailableError):
    """The device asked for is not a supported sensor (the message says what it looks like)."""


@dataclass(frozen=True)
class FoundSensor:
    """A sensor seen while scanning: a supported one, or an IMU-looking device that is not supported.

    Attributes
    ----------
    name : advertised name (the address when it advertises none).
    address : Bluetooth address (a UUID on macOS).
    rssi : signal strength, dBm.
    profile : device profile name ("dorsi", "witmotion", "movella_dot"), or None when not supported.
    device : bleak's handle, to connect without scanning again.
    model : the sensor model in words, or None when not supported.
    battery_pct : battery level, percent, when it was read (None: unknown).
    unsupported_reason : why a device that looks like an IMU is not supported, or None.
    """

    name: str
    address: str
    rssi: int
    profile: str | None
    device: BLEDevice | None = field(default=None, compare=False, repr=False)
    model: str | None = None
    battery_pct: int | None = None
    unsupported_reason: str | None = None

    @property
    def supported(self) -> bool:
        """True for a sensor dorsi can stream."""
        return self.profile is not None


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
    profile: str | None = None
    model: str | None = None
    rate_hz: int | None = None


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


def advertised(device: BLEDevice, adv: AdvertisementData) -> Advertised:
    """What an advertisement says about a device, as the profiles read it."""
    return Advertised(
        name=adv.local_name or device.name,
        service_uuids=tuple(u.lower() for u in adv.service_uuids),
        manufacturer_ids=tuple(adv.manufacturer_data),
    )


async def _write(client: BleakClient, step: GattWrite) -> None:
    await client.write_gatt_char(step.uuid, step.data, response=step.response)
    if step.pause_s:
        await asyncio.sleep(step.pause_s)


async def read_battery(client: BleakClient, profile: DeviceProfile, timeout_s: float = 1.0) -> int | None:
    """The battery level of a connected sensor, percent, or None when the profile has no cheap way to it.

    A `BatteryQuery` subscribes to the sample notifications for the reply (at most `timeout_s`) and
    unsubscribes again.
    """
    battery = profile.battery
    if isinstance(battery, BatteryRead):
        return battery.parse(bytes(await client.read_gatt_char(battery.uuid)))
    if not isinstance(battery, BatteryQuery):
        return None
    reply: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_notify(_char: object, data: bytearray) -> None:
        pct = battery.parse_reply(bytes(data))
        if pct is not None and not reply.done():
            reply.set_result(pct)

    await client.start_notify(profile.notify_uuid, on_notify)
    try:
        await _write(client, battery.request)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                return await reply
        return None
    finally:
        with contextlib.suppress(Exception):
            await client.stop_notify(profile.notify_uuid)


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


async def scan(
    timeout_s: float = 5.0,
    backend: type[BaseBleakScanner] | None = None,
    *,
    client_backend: type[BaseBleakClient] | None = None,
    probe: bool = False,
    include_unsupported: bool = False,
    connect_timeout_s: float = 5.0,
) -> list[FoundSensor]:
    """Scan for `timeout_s` and return the sensors seen: supported ones first, strongest signal first.

    Parameters
    ----------
    timeout_s : how long to listen, s.
    backend, client_backend : bleak backend classes; None for the platform's.
    probe : connect to each supported sensor, one after the other, to read its battery, and to devices whose
        advertisement does not say what they are but may be supported (a WitMotion-style name without a
        service list) to look at their GATT services. A sensor that cannot be reached keeps battery None.
    include_unsupported : also return IMU-looking devices that are not supported, with the reason.
    connect_timeout_s : timeout of one probe connect, s.

    Raises
    ------
    SensorUnavailableError
        When scanning itself fails (no Bluetooth adapter, Bluetooth off, no permission); the cause is chained.
    """
    try:
        scanner = BleakScanner(backend=backend)
        await scanner.start()
        try:
            await asyncio.sleep(timeout_s)
        finally:
            await scanner.stop()
    except Exception as error:
        detail = str(error) or type(error).__name__
        raise SensorUnavailableError(
            f"scanning failed ({detail}): is Bluetooth present, switched on and usable by this program?"
        ) from error
    found = []
    for device, adv in scanner.discovered_devices_and_advertisement_data.values():
        seen = advertised(device, adv)
        verdict = registry.classify(seen)
        profile, battery, reason = verdict.profile, None, verdict.unsupported_reason
        if probe and (profile is not None or verdict.may_be is not None):
            profile, battery = await _probe(device, profile, client_backend, connect_timeout_s)
            if profile is not None:
                reason = None
        if profile is None and (reason is None or not include_unsupported):
            continue
        found.append(
            FoundSensor(
                seen.name or device.address,
                device.address,
                adv.rssi,
                None if profile is None else profile.name,
                device,
                None if profile is None else profile.model,
                battery,
                reason,
            )
        )
    return sorted(found, key=lambda f: (not f.supported, -f.rssi, f.name))


async def _probe(
    device: BLEDevice, profile: DeviceProfile | None, client_backend: type[BaseBleakClient] | None, timeout_s: float
) -> tuple[DeviceProfile | None, int | None]:
    """Connect to a device found by a scan: its profile (from GATT when not known) and battery level."""
    client = BleakClient(device, timeout=timeout_s, backend=client_backend)
    try:
        await _to_the_end(client.connect())
        if profile is None:
            profile = registry.profile_for_services(s.uuid for s in client.services)
        if profile is None:
            return None, None
        return profile, await read_battery(client, profile)
    except Exception as error:  # the scan goes on: this sensor's battery stays unknown
        log.info("scan: could not probe %s: %s", device.address, error)
        return profile, None
    finally:
        with contextlib.suppress(Exception):
            await client.disconnect()


class _Link:
    """State of one sensor: its client, queue, profile, decoder, clock and counters."""

    def __init__(self, role: Role, wanted: str, requested_rate_hz: float) -> None:
        self.role: Role = role
        self.wanted = wanted
        self.requested_rate_hz = requested_rate_hz
        self.queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        self.profile: DeviceProfile | None = None
        self.rate_hz: int | None = None
        self.decoder: StreamDecoder | None = None
        self.clock = ClockAligner()
        self.counters = SensorCounters()
        self.client: BleakClient | None = None
        self.device: BLEDevice | None = None
        self.advertised: Advertised | None = None
        self.last_seq: int | None = None
        self.last_t_s: float | None = None
        self.reconnect_task: asyncio.Task[None] | None = None
        self.unprocessable = 0
        # a name that says the model (dorsi-...) sets it up at once; others once their advertisement is seen
        named = registry.classify(Advertised(name=wanted)).profile
        if named is not None:
            self.use(named)

    def use(self, profile: DeviceProfile) -> None:
        """Stream with `profile` at its rate closest to the requested one (decoder kept when unchanged)."""
        rate_hz = profile.rate_for(self.requested_rate_hz)
        if profile is self.profile and rate_hz == self.rate_hz and self.decoder is not None:
            return
        if rate_hz != self.requested_rate_hz:
            log.info(
                "%s: a %s streams at %d Hz (asked %g Hz)",
                self.describe(),
                profile.model,
                rate_hz,
                self.requested_rate_hz,
            )
        self.profile, self.rate_hz = profile, rate_hz
        self.decoder = profile.new_decoder(self.role, rate_hz)
        self.clock = ClockAligner(max_drift_ppm=profile.clock_max_drift_ppm)
        self.counters.profile, self.counters.model, self.counters.rate_hz = profile.name, profile.model, rate_hz

    def matches(self, device: BLEDevice, adv: AdvertisementData) -> bool:
        name = adv.local_name or device.name
        return self.wanted in (name, device.address) or self.wanted.upper() == device.address.upper()

    def describe(self) -> str:
        return f"{self.role} sensor {self.wanted!r}"


class BleSource:
    """Samples of a shin and a foot sensor on one session clock, with reconnection and loss accounting.

    Parameters
    ----------
    shin, foot : advertised name (or address) of each sensor, of any supported model (recognised from its
        advertisement, or from its GATT services once connected).
    rate_hz : output rate to request, Hz, for both sensors or per role. Each sensor streams at the rate its
        model supports closest to it (a DOT asked for 100 Hz streams at 60 Hz); `counters[role].rate_hz`
        says which.
    scanner_backend, client_backend : bleak backend classes; None for the platform's (real hardware).
    scan_timeout_s : how long to look for the sensors at start.
    connect_timeout_s : timeout of one connect (with service discovery).
    session_start_monotonic_s : ``clock()`` of session time 0; default: when `start()` runs.
    clock : the host clock arrival times are read from, s; default ``time.monotonic`` (what asyncio's loop
        time is too). A time-accelerated run passes its event loop's ``time``.

    The session clock is the host's monotonic clock since the session start. Connects are never concurrent.

    Errors: a sensor that cannot be found, reached or set up at start makes `start()` (and so `stream()`)
    raise a `SensorUnavailableError`, a `bleak.exc.BleakError` subclass whose message names the sensor and
    what to check: `SensorNotFoundError` (it did not advertise), `SensorNotSupportedError` (it is not a
    supported model) or `SensorConnectionError` (connecting or setting it up failed, timeouts included; the
    cause is chained). Scanning itself failing (Bluetooth off or missing) also raises a BleakError: bleak's
    own, or a `SensorUnavailableError` wrapping anything else.
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
        rate_hz: int | Mapping[Role, int] = dorsi.DEFAULT_RATE_HZ,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        *,
        scan_timeout_s: float = 10.0,
        connect_timeout_s: float = 10.0,
        session_start_monotonic_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        rates = {r: rate_hz for r in ROLES} if isinstance(rate_hz, int) else {r: rate_hz[r] for r in ROLES}
        if any(not r > 0 for r in rates.values()):
            raise ValueError(f"rates must be positive, got {rates}")
        self.rate_hz = rate_hz
        self.scanner_backend = scanner_backend
        self.client_backend = client_backend
        self.scan_timeout_s = scan_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._links: dict[Role, _Link] = {
            "shin": _Link("shin", shin, rates["shin"]),
            "foot": _Link("foot", foot, rates["foot"]),
        }
        self.counters: dict[Role, SensorCounters] = {r: self._links[r].counters for r in ROLES}
        self._out: asyncio.Queue[SampleBlock | SourceEvent | None] = asyncio.Queue()
        self._connect_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._start_task: asyncio.Task[None] | None = None
        self._stop_task: asyncio.Task[None] | None = None
        self._fixed_t0 = session_start_monotonic_s is not None
        self._clock = clock
        self._t0 = clock() if session_start_monotonic_s is None else session_start_monotonic_s
        self._stopping = False

    def now_s(self) -> float:
        """Session time now, s."""
        return self._clock() - self._t0

    @property
    def session_start_monotonic_s(self) -> float:
        """``clock()`` (default ``time.monotonic()``) at session time 0."""
        return self._t0

    def _emit(self, item: SampleBlock | SourceEvent) -> None:
        self._out.put_nowait(item)

    async def _find(self, links: list[_Link], timeout_s: float) -> None:
        """Scan until every link in `links` has a device, or the timeout; sets link.device and rssi.

        When several devices match a name (two DOTs left with their default tag "Movella DOT", one of them a
        look-alike), a device whose advertisement says it is not supported is taken only if no other match
        shows up within `UNSUPPORTED_GRACE_S`: then connecting reports why it is not supported.
        """
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        fallback_since: dict[Role, float] = {}  # links holding a device that looks unsupported, since when

        def settled() -> None:
            now = loop.time()
            if all(
                link.device is not None
                and (link.role not in fallback_since or now - fallback_since[link.role] >= UNSUPPORTED_GRACE_S)
                for link in links
            ):
                done.set()

        def on_adv(device: BLEDevice, adv: AdvertisementData) -> None:
            for link in links:
                keep_looking = link.device is None or link.role in fallback_since
                if not keep_looking or not link.matches(device, adv):
                    continue
                seen = advertised(device, adv)
                verdict = registry.classify(seen)
                unsupported = verdict.unsupported_reason is not None and verdict.may_be is None
                if unsupported and link.device is not None:
                    continue
                link.device, link.advertised, link.counters.rssi = device, seen, adv.rssi
                if unsupported:
                    fallback_since[link.role] = loop.time()
                    loop.call_later(UNSUPPORTED_GRACE_S, settled)
                else:
                    fallback_since.pop(link.role, None)
            settled()

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
        """Connect one sensor, identify its model, configure the rate, read the battery, subscribe, start.

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
                link.use(self._identify(link, client))
                profile, rate_hz = link.profile, link.rate_hz
                assert profile is not None and rate_hz is not None
                for step in profile.configure(rate_hz):
                    await _write(client, step)
                if isinstance(profile.battery, BatteryRead):
                    link.counters.battery_pct = await read_battery(client, profile)

                def on_notify(_char: object, data: bytearray) -> None:
                    link.queue.put_nowait((self._clock() - self._t0, bytes(data)))

                await client.start_notify(profile.notify_uuid, on_notify)
                for step in profile.start(rate_hz):
                    await _write(client, step)
                if isinstance(profile.battery, BatteryQuery):
                    await _write(client, profile.battery.request)  # the reply comes with the samples
            except BaseException:
                try:
                    await client.disconnect()
                except Exception as error:  # the original error matters more
                    log.info("%s: disconnect after a failed connect: %s", link.describe(), error)
                raise
            link.client = client
            link.counters.connected = True

    def _identify(self, link: _Link, client: BleakClient) -> DeviceProfile:
        """The model of a connected sensor: from its advertisement, else from its GATT services."""
        verdict = registry.classify(link.advertised or Advertised(name=link.wanted))
        profile = verdict.profile or registry.profile_for_services(s.uuid for s in client.services)
        if profile is None:
            what = verdict.unsupported_reason or "it serves none of the dorsi, WitMotion or Movella DOT services"
            raise SensorNotSupportedError(f"the {link.describe()} is not a supported sensor: {what}")
        return profile

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

    @property
    def rates_hz(self) -> dict[Role, int | None]:
        """Rate each sensor streams at, Hz (None before its model is known)."""
        return {role: link.rate_hz for role, link in self._links.items()}

    async def _consume(self, link: _Link) -> None:
        """Process one sensor's notifications as they arrive (until cancelled by `stop()`)."""
        while True:
            arrival_s, data = await link.queue.get()
            self._process(link, arrival_s, data)

    def _process(self, link: _Link, arrival_s: float, data: bytes) -> None:
        """Decode one notification, check sequence numbers, align clocks and emit its blocks."""
        c = link.counters
        try:
            if link.decoder is None:
                raise RuntimeError("a notification from a sensor whose model is not known yet")
            packets_before = link.decoder.packets
            marked = link.decoder.feed_marking_restarts(data, arrival_s)
            c.packets += link.decoder.packets - packets_before
            c.malformed = link.decoder.malformed + link.unprocessable
            if link.decoder.battery_pct is not None:
                c.battery_pct = link.decoder.battery_pct
            if not marked:
                return
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
            c.malformed = link.unprocessable + (0 if link.decoder is None else link.decoder.malformed)
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
                self._t0 = self._clock()
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
            except SensorNotSupportedError:
                raise
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
                    for step in [] if link.profile is None else link.profile.stop():
                        await asyncio.wait_for(_write(client, step), 2.0)
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

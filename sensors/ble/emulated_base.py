"""What every emulated sensor shares: a Bumble device on the virtual radio, an IMU ticking on its own clock.

A model (dorsi, WitMotion, Movella DOT) subclasses `EmulatedPeripheral` with its GATT table, its advertisement,
its commands and its byte format; the base samples the MotionSource on the sensor's clock (offset and drift
against true time), keeps the sample grid continuous across rate changes, batches due samples into
notifications, and models a sensor vanishing from the air.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field

import numpy as np
from bumble import att
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic
from numpy.typing import NDArray

from sensors.ble.virtual_radio import VirtualRadio
from sensors.motion import MotionSource

log = logging.getLogger(__name__)

LEGACY_ADVERTISING_BYTES = 31
_SIG_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"
FLAGS_LE_GENERAL_DISCOVERABLE_NO_BR_EDR = 0x06


@dataclass
class LossInjector:
    """Drops notifications on purpose: independently with `drop_probability`, or in bursts.

    Attributes
    ----------
    drop_probability : chance that one notification is dropped.
    burst_probability : chance that a burst of `burst_length` notifications starts at a notification.
    burst_length : notifications per burst.
    seed : random seed.
    dropped_notifications, dropped_samples : what was dropped so far.
    """

    drop_probability: float = 0.0
    burst_probability: float = 0.0
    burst_length: int = 5
    seed: int = 0
    dropped_notifications: int = 0
    dropped_samples: int = 0
    _burst_left: int = field(default=0, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    def should_drop(self, n_samples: int) -> bool:
        """Decide whether the next notification (of n_samples samples) is dropped, and count it."""
        if self._burst_left == 0 and self.burst_probability and self._rng.random() < self.burst_probability:
            self._burst_left = self.burst_length
        drop = self._burst_left > 0 or (self.drop_probability > 0 and self._rng.random() < self.drop_probability)
        if self._burst_left > 0:
            self._burst_left -= 1
        if drop:
            self.dropped_notifications += 1
            self.dropped_samples += n_samples
        return drop


def ad_uuid(uuid: str) -> tuple[AdvertisingData.Type, bytes]:
    """The advertising-data structure listing one service UUID: 16-bit form for Bluetooth-base UUIDs."""
    text = uuid.lower()
    if text.startswith("0000") and text.endswith(_SIG_BASE_SUFFIX):
        return (
            AdvertisingData.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
            UUID.from_16_bits(int(text[4:8], 16)).to_bytes(),
        )
    return AdvertisingData.Type.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, UUID(uuid).to_bytes()


def legacy_advertisement(
    name: str | None,
    service_uuids: tuple[str, ...] = (),
    manufacturer: tuple[int, bytes] | None = None,
) -> bytes:
    """Flags, complete local name, service UUIDs and manufacturer data; raises ValueError beyond 31 bytes.

    The virtual controller repeats the advertisement in place of a scan response, so everything a central
    needs must fit one 31-byte legacy advertisement.
    """
    fields: list[tuple[int, bytes]] = [(AdvertisingData.Type.FLAGS, bytes([FLAGS_LE_GENERAL_DISCOVERABLE_NO_BR_EDR]))]
    if name:
        fields.append((AdvertisingData.Type.COMPLETE_LOCAL_NAME, name.encode()))
    fields += [ad_uuid(u) for u in service_uuids]
    if manufacturer is not None:
        company_id, payload = manufacturer
        fields.append((AdvertisingData.Type.MANUFACTURER_SPECIFIC_DATA, company_id.to_bytes(2, "little") + payload))
    data = bytes(AdvertisingData(fields))
    if len(data) > LEGACY_ADVERTISING_BYTES:
        raise ValueError(f"advertisement of {len(data)} bytes exceeds {LEGACY_ADVERTISING_BYTES} (name {name!r})")
    return data


def tilt_quaternion(acc_m_s2: NDArray[np.float64]) -> NDArray[np.float64]:
    """(N, 4) scalar-first quaternions that turn each measured gravity direction to +z (heading 0).

    What an emulated sensor reports as its own orientation output: enough to be plausible at rest, not a
    fusion filter (dorsi does not use it).
    """
    a = np.asarray(acc_m_s2, dtype=np.float64).reshape(-1, 3)
    norm = np.linalg.norm(a, axis=1, keepdims=True)
    unit = np.divide(a, norm, out=np.tile([0.0, 0.0, 1.0], (len(a), 1)), where=norm > 0)
    # half-way vector method: q = [1 + u.z, u x z] normalised
    q = np.column_stack([1.0 + unit[:, 2], unit[:, 1], -unit[:, 0], np.zeros(len(a))])
    q_norm = np.linalg.norm(q, axis=1, keepdims=True)
    upside_down = q_norm[:, 0] < 1e-9
    q[upside_down] = [0.0, 1.0, 0.0, 0.0]
    q_norm[upside_down] = 1.0
    return np.asarray(q / q_norm, dtype=np.float64)


def tilt_angles_rad(acc_m_s2: NDArray[np.float64]) -> NDArray[np.float64]:
    """(N, 3) roll, pitch and yaw (0) from the measured gravity direction, rad."""
    a = np.asarray(acc_m_s2, dtype=np.float64).reshape(-1, 3)
    roll = np.arctan2(a[:, 1], a[:, 2])
    pitch = np.arctan2(-a[:, 0], np.hypot(a[:, 1], a[:, 2]))
    return np.column_stack([roll, pitch, np.zeros(len(a))])


class EmulatedPeripheral:
    """Base of the emulated sensors: one Bumble device advertising and streaming its MotionSource live.

    The IMU runs from `start()` on the sensor's own clock; sample numbers count samples since power-up and go
    on while not streaming or disconnected, so every loss shows as a sequence gap where the format carries
    one. Subclasses build the GATT table (setting `_samples_char`), and provide `advertising_data`, `rate_hz`,
    `streaming`, `_encode` and `_max_samples_per_notification`; they call `_changed()` whenever the rate or the
    streaming state changes.

    Parameters
    ----------
    radio : the virtual radio to live on.
    name : advertised name.
    motion : the IMU signal, sampled at true time `loop.time() - epoch_s`.
    clock_offset_s : sensor clock reading at true time 0, s.
    clock_drift_ppm : sensor clock rate error, parts per million (positive = runs fast).
    loss : optional LossInjector applied to sample notifications.
    epoch_s : loop time of the motion's t = 0; default the radio's epoch (all sensors of a radio in step).
    """

    notifications_per_s = 50  # samples per notification = rate / 50 (at least 1)
    model = "emulated sensor"

    def __init__(
        self,
        radio: VirtualRadio,
        name: str,
        motion: MotionSource,
        *,
        clock_offset_s: float = 0.0,
        clock_drift_ppm: float = 0.0,
        loss: LossInjector | None = None,
        epoch_s: float | None = None,
    ) -> None:
        self.radio = radio
        self.name = name
        self.motion = motion
        self.clock_offset_s = clock_offset_s
        self.clock_drift_ppm = clock_drift_ppm
        self.loss = loss
        self.epoch_s = radio.epoch_s if epoch_s is None else epoch_s
        self.device: Device = radio.new_device(name)
        self.address = self.device.random_address.to_string(False)
        self._loop = asyncio.get_running_loop()
        self._next_n = 0  # index of the next IMU sample since power-up
        self._anchor_n = 0
        self._anchor_sensor_s = 0.0
        self._pending: list[tuple[Characteristic[bytes], bytes]] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._version = 0
        self._samples_char: Characteristic[bytes] | None = None
        self.notifications_sent = 0
        self.samples_sent = 0
        self.last_sent_n = -1  # index (since power-up) of the last sample notified
        self.rejected_writes = 0

    # --- to be provided by a model --------------------------------------------------------------------------

    @property
    def advertising_data(self) -> bytes:
        """The legacy advertisement (at most 31 bytes)."""
        raise NotImplementedError

    @property
    def rate_hz(self) -> float:
        """Current output rate, Hz."""
        raise NotImplementedError

    @property
    def streaming(self) -> bool:
        """True while samples are to be sent."""
        raise NotImplementedError

    def _encode(
        self, first_n: int, sensor_s: NDArray[np.float64], acc: NDArray[np.float64], gyr: NDArray[np.float64]
    ) -> bytes:
        """One notification carrying samples first_n.. taken at sensor times sensor_s (s)."""
        raise NotImplementedError

    def _max_samples_per_notification(self, att_mtu: int) -> int:
        """How many samples fit one notification at this ATT MTU (0: none)."""
        raise NotImplementedError

    def _on_power_on(self) -> None:
        """Reset what a power cycle resets (called by `start`)."""

    def _on_disconnected(self) -> None:
        """Stop what a disconnection stops."""

    # --- shared -------------------------------------------------------------------------------------------------

    def true_time_s(self) -> float:
        """True time now, s since the epoch (the motion's time base)."""
        return self._loop.time() - self.epoch_s

    def sensor_time_s(self, true_s: float) -> float:
        """Sensor clock reading at a true time, s."""
        return self.clock_offset_s + true_s * (1.0 + self.clock_drift_ppm * 1e-6)

    def _true_from_sensor(self, sensor_s: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray((sensor_s - self.clock_offset_s) / (1.0 + self.clock_drift_ppm * 1e-6), dtype=np.float64)

    def _interval_s(self) -> float:
        return 1.0 / self.rate_hz

    def _sample_index_at(self, sensor_s: float) -> int:
        """Index of the first sample not yet taken at sensor time `sensor_s`."""
        return self._anchor_n + int(np.floor((sensor_s - self._anchor_sensor_s) / self._interval_s())) + 1

    def _reanchor(self, at_n: int | None = None) -> None:
        """Restart the sample grid at sample `at_n` (default: the next one not yet taken), keeping its time.

        Call it before the rate changes: samples from there on follow the new interval, so numbering stays
        continuous across rate changes.
        """
        if at_n is None:
            at_n = max(self._next_n, self._sample_index_at(self.sensor_time_s(self.true_time_s())))
        self._anchor_sensor_s = self._anchor_sensor_s + (at_n - self._anchor_n) * self._interval_s()
        self._anchor_n = at_n

    def _start_sampling_now(self) -> None:
        """Streaming starts: the first sample sent is the next one taken (no backlog)."""
        self._reanchor()
        self._next_n = self._anchor_n

    def _before_rate_change(self) -> None:
        """Keep the sample grid continuous: samples taken but not yet sent are re-timed at the new rate."""
        self._reanchor(self._next_n if self.streaming else None)

    def _after_rate_change(self) -> None:
        self._next_n = max(self._next_n, self._anchor_n)
        self._changed()

    def _changed(self) -> None:
        """The rate or the streaming state changed: end the batch under way and re-plan."""
        self._version += 1
        self._wake.set()

    def queue_notification(self, characteristic: Characteristic[bytes], data: bytes) -> None:
        """Send `data` on `characteristic` before the next samples (replies, injected faults)."""
        self._pending.append((characteristic, data))
        self._wake.set()

    def _subscribed(self, characteristic: Characteristic[bytes]) -> bool:
        """True when a connected central enabled notifications of `characteristic`."""
        for cccds in self.device.gatt_server.subscribers.values():
            value = cccds.get(characteristic.handle)
            if value and value[0] & 0x01:
                return True
        return False

    @staticmethod
    def _not_readable(_conn: Connection) -> bytes:
        raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED)

    @staticmethod
    def _not_writable(_conn: Connection, _value: bytes) -> None:
        raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)

    def _read_only(self, read: object) -> att.AttributeValue[bytes]:
        return att.AttributeValue(read=read, write=self._not_writable)  # type: ignore[arg-type]

    async def start(self) -> None:
        """Power on, start the IMU clock and advertise."""
        await self.device.power_on()
        self._anchor_n = 0
        self._anchor_sensor_s = self.sensor_time_s(self.true_time_s())
        self._next_n = 0
        self._pending.clear()
        self._on_power_on()
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)
        adv = self.advertising_data
        await self.device.start_advertising(advertising_data=adv, scan_response_data=adv, auto_restart=True)
        self._task = asyncio.create_task(self._stream(), name=f"emulated-{self.name}")
        self._task.add_done_callback(self._on_stream_done)

    def _on_stream_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: sampling stopped: %r", self.name, task.exception())

    def _on_connection(self, connection: Connection) -> None:
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, _reason: int) -> None:
        self._on_disconnected()
        self._changed()

    async def stop(self) -> None:
        """Stop streaming and power off."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.device.remove_listener(self.device.EVENT_CONNECTION, self._on_connection)
        await self.device.power_off()

    def vanish(self) -> None:
        """Disappear from the air at once (power loss, out of range): links drop on both sides."""
        self.radio.vanish(self.device)

    def reappear(self) -> None:
        """Come back in range and advertise again."""
        self.radio.reappear(self.device)

    @property
    def connected(self) -> bool:
        """True while a central is connected."""
        return bool(self.device.connections)

    def _max_batch(self) -> int:
        mtus = [c.att_mtu for c in self.device.connections.values()]
        return self._max_samples_per_notification(min(mtus)) if mtus else 0

    async def _stream(self) -> None:
        while True:
            version = self._version
            batch = max(1, int(self.rate_hz) // self.notifications_per_s)
            due = self._sample_index_at(self.sensor_time_s(self.true_time_s()))
            if not self.streaming:
                self._next_n = max(self._next_n, due)
            else:
                await self._send_pending()
                limit = self._max_batch()
                while limit > 0 and due - self._next_n >= batch and self._version == version:
                    await self._send_samples(self._next_n, min(limit, batch))
            next_sensor = self._anchor_sensor_s + (self._next_n + batch - 1 - self._anchor_n) * self._interval_s()
            wait_s = float(self._true_from_sensor(np.array([next_sensor]))[0]) - self.true_time_s()
            self._wake.clear()
            # asyncio.timeout, not wait_for: wait_for (3.11) swallows a cancel that comes as the event is set
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.001, min(wait_s, 0.1))):
                    await self._wake.wait()

    async def _send_pending(self) -> None:
        while self._pending:
            characteristic, data = self._pending.pop(0)
            await self.device.notify_subscribers(characteristic, data)

    async def _send_samples(self, first: int, count: int) -> None:
        assert self._samples_char is not None, "the model's GATT table sets _samples_char"
        n = np.arange(first, first + count)
        sensor_s = np.asarray(self._anchor_sensor_s + (n - self._anchor_n) * self._interval_s(), dtype=np.float64)
        self._next_n = first + count
        if self.loss is not None and self.loss.should_drop(count):
            return
        acc, gyr = self.motion.sample(self._true_from_sensor(sensor_s))
        await self.device.notify_subscribers(self._samples_char, self._encode(first, sensor_s, acc, gyr))
        self.notifications_sent += 1
        self.samples_sent += count
        self.last_sent_n = first + count - 1

"""An emulated dorsi sensor: a Bumble GATT server of the dorsi open profile, driven by a MotionSource."""

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
from bumble.gatt import Characteristic, Service

from sensors.ble.virtual_radio import VirtualRadio
from sensors.motion import MotionSource
from sensors.profiles import dorsi

log = logging.getLogger(__name__)

LEGACY_ADVERTISING_BYTES = 31
NOTIFICATIONS_PER_S = 50  # samples per notification = rate / 50: 4 at 200 Hz, 2 at 100 Hz, 1 at 50 Hz


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


def malformed_packet(kind: str = "version") -> bytes:
    """A samples notification that a receiver must reject: bad `version`, sample `count`, or `truncated`."""
    good = dorsi.encode_packet(0, 0, 10_000, np.zeros((2, 6), dtype=np.int16))
    if kind == "version":
        return bytes([99]) + good[1:]
    if kind == "count":
        return good[:1] + bytes([0]) + good[2:]
    if kind == "truncated":
        return good[:-5]
    raise ValueError(f"unknown malformed packet kind {kind!r}; choose version, count or truncated")


def advertising_data(name: str) -> bytes:
    """Flags, complete local name and the dorsi service UUID; asserts the 31-byte legacy limit."""
    if len(name) > dorsi.MAX_NAME_LENGTH:
        raise ValueError(f"sensor name {name!r} is longer than {dorsi.MAX_NAME_LENGTH} characters")
    data = bytes(
        AdvertisingData(
            [
                (AdvertisingData.Type.FLAGS, bytes([0x06])),
                (AdvertisingData.Type.COMPLETE_LOCAL_NAME, name.encode()),
                (
                    AdvertisingData.Type.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                    UUID(dorsi.SERVICE_UUID).to_bytes(),
                ),
            ]
        )
    )
    assert len(data) <= LEGACY_ADVERTISING_BYTES, f"advertisement of {len(data)} bytes exceeds 31"
    return data


class EmulatedSensor:
    """A dorsi sensor on a VirtualRadio: advertises, serves the profile, streams its MotionSource live.

    The IMU runs from `start()` on the sensor's own clock (offset and drift against true time); sequence
    numbers count samples since power-up and keep counting while not streaming or disconnected, so a
    receiver sees every loss as a sequence gap. Streaming stops when the central disconnects.

    Parameters
    ----------
    radio : the virtual radio to live on.
    name : advertised name, at most 8 characters (e.g. "dorsi-S1").
    motion : the IMU signal, sampled at true time `loop.time() - epoch_s`.
    battery_pct : Battery Level characteristic, percent.
    clock_offset_s : sensor clock reading at true time 0, s.
    clock_drift_ppm : sensor clock rate error, parts per million (positive = runs fast).
    loss : optional LossInjector applied to sample notifications.
    firmware_version : reported in the configuration and Device Information.
    epoch_s : loop time (``loop.time()``) of the motion's t = 0; default the radio's epoch, which keeps
        every sensor on one radio in step.
    """

    def __init__(
        self,
        radio: VirtualRadio,
        name: str,
        motion: MotionSource,
        *,
        battery_pct: int = 87,
        clock_offset_s: float = 0.0,
        clock_drift_ppm: float = 0.0,
        loss: LossInjector | None = None,
        firmware_version: tuple[int, int, int] = (1, 0, 0),
        epoch_s: float | None = None,
    ) -> None:
        self.radio = radio
        self.name = name
        self.motion = motion
        self.battery_pct = battery_pct
        self.clock_offset_s = clock_offset_s
        self.clock_drift_ppm = clock_drift_ppm
        self.loss = loss
        self.epoch_s = radio.epoch_s if epoch_s is None else epoch_s
        self.config = dorsi.SensorConfig(firmware_version=firmware_version)
        self._adv = advertising_data(name)
        self.device: Device = radio.new_device(name)
        self.address = self.device.random_address.to_string(False)
        self._loop = asyncio.get_running_loop()
        self._next_n = 0  # index of the next IMU sample since power-up
        self._anchor_n = 0
        self._anchor_sensor_s = 0.0
        self._pending_malformed: list[bytes] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.notifications_sent = 0
        self.samples_sent = 0
        self.malformed_sent = 0
        self.rejected_writes = 0
        self._build_gatt()

    def true_time_s(self) -> float:
        """True time now, s since the epoch (the motion's time base)."""
        return self._loop.time() - self.epoch_s

    def sensor_time_s(self, true_s: float) -> float:
        """Sensor clock reading at a true time, s."""
        return self.clock_offset_s + true_s * (1.0 + self.clock_drift_ppm * 1e-6)

    def _true_from_sensor(self, sensor_s: np.ndarray) -> np.ndarray:
        return (sensor_s - self.clock_offset_s) / (1.0 + self.clock_drift_ppm * 1e-6)

    def _interval_s(self) -> float:
        return 1.0 / self.config.rate_hz

    def _sample_index_at(self, sensor_s: float) -> int:
        """Index of the first sample not yet taken at sensor time `sensor_s`."""
        return self._anchor_n + int(np.floor((sensor_s - self._anchor_sensor_s) / self._interval_s())) + 1

    def _reanchor(self, at_n: int | None = None) -> None:
        """Restart the sample grid at sample `at_n` (default: the next one not yet taken), keeping its time.

        Samples from there on follow the (new) interval, so numbering stays continuous across rate changes.
        """
        if at_n is None:
            at_n = max(self._next_n, self._sample_index_at(self.sensor_time_s(self.true_time_s())))
        n = at_n
        self._anchor_sensor_s = self._anchor_sensor_s + (n - self._anchor_n) * self._interval_s()
        self._anchor_n = n

    def _build_gatt(self) -> None:
        def not_readable(_conn: Connection) -> bytes:
            raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED)

        def not_writable(_conn: Connection, _value: bytes) -> None:
            raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)

        def read_only(read: object) -> att.AttributeValue[bytes]:
            return att.AttributeValue(read=read, write=not_writable)  # type: ignore[arg-type]

        self._samples: Characteristic[bytes] = Characteristic(
            dorsi.SAMPLES_UUID,
            Characteristic.Properties.NOTIFY,
            Characteristic.Permissions(0),
            att.AttributeValue(read=not_readable, write=not_writable),
        )
        control: Characteristic[bytes] = Characteristic(
            dorsi.CONTROL_UUID,
            Characteristic.Properties.WRITE,
            Characteristic.Permissions.WRITEABLE,
            att.AttributeValue(read=not_readable, write=self._on_control_write),
        )
        config: Characteristic[bytes] = Characteristic(
            dorsi.CONFIG_UUID,
            Characteristic.Properties.READ,
            Characteristic.Permissions.READABLE,
            read_only(lambda _c: self.config.encode()),
        )
        battery: Characteristic[bytes] = Characteristic(
            dorsi.BATTERY_LEVEL_UUID,
            Characteristic.Properties.READ,
            Characteristic.Permissions.READABLE,
            read_only(lambda _c: bytes([max(0, min(100, int(self.battery_pct)))])),
        )
        fw = ".".join(str(v) for v in self.config.firmware_version)
        info = [
            (dorsi.MANUFACTURER_NAME_UUID, b"dorsi open hardware"),
            (dorsi.MODEL_NUMBER_UUID, b"dorsi emulated sensor"),
            (dorsi.FIRMWARE_REVISION_UUID, fw.encode()),
        ]
        self.device.add_services(
            [
                Service(dorsi.SERVICE_UUID, [self._samples, control, config]),
                Service(dorsi.BATTERY_SERVICE_UUID, [battery]),
                Service(
                    dorsi.DEVICE_INFO_SERVICE_UUID,
                    [
                        Characteristic(
                            u,
                            Characteristic.Properties.READ,
                            Characteristic.Permissions.READABLE,
                            read_only(lambda _c, v=v: v),
                        )
                        for u, v in info
                    ],
                ),
            ]
        )

    def _on_control_write(self, _connection: Connection, value: bytes) -> None:
        try:
            command = dorsi.parse_command(bytes(value))
        except dorsi.ProfileError as error:
            self.rejected_writes += 1
            log.info("%s: control write rejected: %s", self.name, error)
            raise att.ATT_Error(att.ErrorCode.VALUE_NOT_ALLOWED) from error
        cfg = self.config
        if command.opcode == dorsi.CMD_START:
            if not cfg.streaming:
                self._reanchor()
                self._next_n = self._anchor_n
            self.config = dorsi.SensorConfig(cfg.rate_hz, cfg.acc_code, cfg.gyro_code, True, cfg.firmware_version)
        elif command.opcode == dorsi.CMD_STOP:
            self.config = dorsi.SensorConfig(cfg.rate_hz, cfg.acc_code, cfg.gyro_code, False, cfg.firmware_version)
        elif command.opcode == dorsi.CMD_SET_RATE and command.rate_hz is not None:
            # while streaming, samples taken but not yet sent are re-timed at the new rate rather than lost
            self._reanchor(self._next_n if cfg.streaming else None)
            self.config = dorsi.SensorConfig(
                command.rate_hz, cfg.acc_code, cfg.gyro_code, cfg.streaming, cfg.firmware_version
            )
            self._next_n = max(self._next_n, self._anchor_n)
        elif command.opcode == dorsi.CMD_SET_RANGES and command.acc_code is not None and command.gyro_code is not None:
            self.config = dorsi.SensorConfig(
                cfg.rate_hz, command.acc_code, command.gyro_code, cfg.streaming, cfg.firmware_version
            )
        self._wake.set()

    async def start(self) -> None:
        """Power on, start the IMU clock and advertise."""
        await self.device.power_on()
        self._anchor_n = 0
        self._anchor_sensor_s = self.sensor_time_s(self.true_time_s())
        self._next_n = 0
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)
        await self.device.start_advertising(advertising_data=self._adv, scan_response_data=self._adv, auto_restart=True)
        self._task = asyncio.create_task(self._stream(), name=f"emulated-{self.name}")
        self._task.add_done_callback(self._on_stream_done)

    def _on_stream_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: sampling stopped: %r", self.name, task.exception())

    def _on_connection(self, connection: Connection) -> None:
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, _reason: int) -> None:
        cfg = self.config
        self.config = dorsi.SensorConfig(cfg.rate_hz, cfg.acc_code, cfg.gyro_code, False, cfg.firmware_version)

    async def stop(self) -> None:
        """Stop streaming and power off."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.device.power_off()

    def vanish(self) -> None:
        """Disappear from the air at once (power loss, out of range): links drop on both sides."""
        self.radio.vanish(self.device)

    def reappear(self) -> None:
        """Come back in range and advertise again."""
        self.radio.reappear(self.device)

    def inject_malformed(self, kind: str = "version") -> None:
        """Send one malformed samples notification with the next batch (see `malformed_packet`)."""
        self._pending_malformed.append(malformed_packet(kind))
        self._wake.set()

    @property
    def connected(self) -> bool:
        """True while a central is connected."""
        return bool(self.device.connections)

    def _max_samples_per_packet(self) -> int:
        mtus = [c.att_mtu for c in self.device.connections.values()]
        if not mtus:
            return 0
        fit = (min(mtus) - 3 - dorsi.HEADER_SIZE) // dorsi.SAMPLE_SIZE
        return max(0, min(fit, dorsi.MAX_SAMPLES_PER_PACKET))

    async def _stream(self) -> None:
        while True:
            cfg = self.config
            batch = max(1, cfg.rate_hz // NOTIFICATIONS_PER_S)
            now_sensor = self.sensor_time_s(self.true_time_s())
            due = self._sample_index_at(now_sensor)
            if not cfg.streaming:
                self._next_n = max(self._next_n, due)
            else:
                await self._send_malformed()
                limit = self._max_samples_per_packet()
                while limit > 0 and due - self._next_n >= batch and self.config is cfg:
                    await self._send_samples(self._next_n, min(limit, batch))
            next_sensor = self._anchor_sensor_s + (self._next_n + batch - 1 - self._anchor_n) * self._interval_s()
            wait_s = float(self._true_from_sensor(np.array([next_sensor]))[0]) - self.true_time_s()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.001, min(wait_s, 0.1)))

    async def _send_malformed(self) -> None:
        while self._pending_malformed:
            packet = self._pending_malformed.pop(0)
            await self.device.notify_subscribers(self._samples, packet)
            self.malformed_sent += 1

    async def _send_samples(self, first: int, count: int) -> None:
        cfg = self.config
        n = np.arange(first, first + count)
        sensor_s = self._anchor_sensor_s + (n - self._anchor_n) * self._interval_s()
        self._next_n = first + count
        if self.loss is not None and self.loss.should_drop(count):
            return
        acc, gyr = self.motion.sample(self._true_from_sensor(sensor_s))
        raw = dorsi.quantise(acc, gyr, cfg.acc_code, cfg.gyro_code)
        t_first_us = int(round(sensor_s[0] * 1e6))
        packet = dorsi.encode_packet(
            first, t_first_us, int(round(self._interval_s() * 1e6)), raw, cfg.acc_code, cfg.gyro_code
        )
        await self.device.notify_subscribers(self._samples, packet)
        self.notifications_sent += 1
        self.samples_sent += count

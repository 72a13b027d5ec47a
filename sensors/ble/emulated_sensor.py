"""An emulated dorsi sensor: a Bumble GATT server of the dorsi open profile, driven by a MotionSource."""

from __future__ import annotations

import logging

import numpy as np
from bumble import att
from bumble.device import Connection
from bumble.gatt import Characteristic, Service
from numpy.typing import NDArray

from sensors.ble.emulated_base import LEGACY_ADVERTISING_BYTES, EmulatedPeripheral, LossInjector, legacy_advertisement
from sensors.ble.virtual_radio import VirtualRadio
from sensors.motion import MotionSource
from sensors.profiles import dorsi

__all__ = ["LEGACY_ADVERTISING_BYTES", "EmulatedSensor", "LossInjector", "advertising_data", "malformed_packet"]

log = logging.getLogger(__name__)


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
    return legacy_advertisement(name, (dorsi.SERVICE_UUID,))


class EmulatedSensor(EmulatedPeripheral):
    """A dorsi sensor on a VirtualRadio: advertises, serves the profile, streams its MotionSource live.

    Streaming stops when the central disconnects. See `EmulatedPeripheral` for the clock and sample numbering.

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

    model = "dorsi open sensor (emulated)"

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
        self._adv = advertising_data(name)
        super().__init__(
            radio,
            name,
            motion,
            clock_offset_s=clock_offset_s,
            clock_drift_ppm=clock_drift_ppm,
            loss=loss,
            epoch_s=epoch_s,
        )
        self.battery_pct = battery_pct
        self._config = dorsi.SensorConfig(firmware_version=firmware_version)
        self.malformed_sent = 0
        self._build_gatt()

    @property
    def config(self) -> dorsi.SensorConfig:
        """The configuration characteristic's current value."""
        return self._config

    @config.setter
    def config(self, value: dorsi.SensorConfig) -> None:
        self._config = value
        self._changed()

    @property
    def advertising_data(self) -> bytes:
        """Flags, name and the dorsi service UUID."""
        return self._adv

    @property
    def rate_hz(self) -> float:
        """Current output rate, Hz."""
        return float(self._config.rate_hz)

    @property
    def streaming(self) -> bool:
        """True after a start command, until stop or disconnection."""
        return self._config.streaming

    def _build_gatt(self) -> None:
        self._samples: Characteristic[bytes] = Characteristic(
            dorsi.SAMPLES_UUID,
            Characteristic.Properties.NOTIFY,
            Characteristic.Permissions(0),
            att.AttributeValue(read=self._not_readable, write=self._not_writable),
        )
        self._samples_char = self._samples
        control: Characteristic[bytes] = Characteristic(
            dorsi.CONTROL_UUID,
            Characteristic.Properties.WRITE,
            Characteristic.Permissions.WRITEABLE,
            att.AttributeValue(read=self._not_readable, write=self._on_control_write),
        )
        config: Characteristic[bytes] = Characteristic(
            dorsi.CONFIG_UUID,
            Characteristic.Properties.READ,
            Characteristic.Permissions.READABLE,
            self._read_only(lambda _c: self._config.encode()),
        )
        battery: Characteristic[bytes] = Characteristic(
            dorsi.BATTERY_LEVEL_UUID,
            Characteristic.Properties.READ,
            Characteristic.Permissions.READABLE,
            self._read_only(lambda _c: bytes([max(0, min(100, int(self.battery_pct)))])),
        )
        fw = ".".join(str(v) for v in self._config.firmware_version)
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
                            self._read_only(lambda _c, v=v: v),
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
        cfg = self._config
        if command.opcode == dorsi.CMD_START:
            if not cfg.streaming:
                self._start_sampling_now()
            self.config = dorsi.SensorConfig(cfg.rate_hz, cfg.acc_code, cfg.gyro_code, True, cfg.firmware_version)
        elif command.opcode == dorsi.CMD_STOP:
            self.config = dorsi.SensorConfig(cfg.rate_hz, cfg.acc_code, cfg.gyro_code, False, cfg.firmware_version)
        elif command.opcode == dorsi.CMD_SET_RATE and command.rate_hz is not None:
            self._before_rate_change()
            self.config = dorsi.SensorConfig(
                command.rate_hz, cfg.acc_code, cfg.gyro_code, cfg.streaming, cfg.firmware_version
            )
            self._after_rate_change()
        elif command.opcode == dorsi.CMD_SET_RANGES and command.acc_code is not None and command.gyro_code is not None:
            self.config = dorsi.SensorConfig(
                cfg.rate_hz, command.acc_code, command.gyro_code, cfg.streaming, cfg.firmware_version
            )

    def _on_disconnected(self) -> None:
        cfg = self._config
        self._config = dorsi.SensorConfig(cfg.rate_hz, cfg.acc_code, cfg.gyro_code, False, cfg.firmware_version)

    def inject_malformed(self, kind: str = "version") -> None:
        """Send one malformed samples notification with the next batch (see `malformed_packet`)."""
        self.queue_notification(self._samples, malformed_packet(kind))
        self.malformed_sent += 1

    def _max_samples_per_notification(self, att_mtu: int) -> int:
        fit = (att_mtu - 3 - dorsi.HEADER_SIZE) // dorsi.SAMPLE_SIZE
        return max(0, min(fit, dorsi.MAX_SAMPLES_PER_PACKET))

    def _encode(
        self, first_n: int, sensor_s: NDArray[np.float64], acc: NDArray[np.float64], gyr: NDArray[np.float64]
    ) -> bytes:
        cfg = self._config
        raw = dorsi.quantise(acc, gyr, cfg.acc_code, cfg.gyro_code)
        return dorsi.encode_packet(
            first_n,
            int(round(sensor_s[0] * 1e6)),
            int(round(self._interval_s() * 1e6)),
            raw,
            cfg.acc_code,
            cfg.gyro_code,
        )

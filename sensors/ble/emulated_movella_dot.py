"""An emulated Movella DOT: its GATT services, output-rate and measurement commands, custom mode 5 payloads.

Services (UUIDs `1517xxxx-4947-11e9-8646-d663bd873d93`): configuration (device info 1001, device control 1002,
device report 1004), measurement (control 2001, long / medium / short payloads 2002-2004) and battery (3001:
level, charging). It streams only after `01 01 1A` is written to the measurement control characteristic
(custom mode 5 on the long payload characteristic; other payload modes are refused as not emulated), one
payload per notification, and stops on `01 00 1A` or disconnection. The output rate is set through the device
control characteristic (visit index bit 0x10). The message service (recording, synchronisation) is not
emulated. It advertises Flags, its device tag and Movella's manufacturer data (company 0x0886, its address).
Its quaternion output is the tilt of the measured gravity (heading 0): plausible at rest, not a fusion filter.
"""

from __future__ import annotations

import logging
import struct

import numpy as np
from bumble import att
from bumble.device import Connection
from bumble.gatt import Characteristic, Service
from numpy.typing import NDArray

from sensors.ble.emulated_base import EmulatedPeripheral, LossInjector, legacy_advertisement, tilt_quaternion
from sensors.ble.virtual_radio import VirtualRadio
from sensors.motion import MotionSource
from sensors.profiles import movella_dot as dot

log = logging.getLogger(__name__)

PRODUCT_CODE = b"XS-T02"
DEVICE_INFO_BYTES = 34


class EmulatedMovellaDot(EmulatedPeripheral):
    """A Movella DOT on a VirtualRadio.

    Parameters
    ----------
    radio : the virtual radio to live on.
    name : its device tag, advertised as its name (default "Movella DOT"; at most 16 bytes).
    motion : the IMU signal.
    battery_pct : battery level, percent.
    charging : charging status reported with the battery level.
    payload_padding_bytes : zero bytes appended to every payload, as some devices do.
    firmware_version : reported in the device info characteristic.
    clock_offset_s, clock_drift_ppm, loss, epoch_s : see `EmulatedPeripheral`.
    """

    notifications_per_s = 1_000  # one payload, one sample, per notification
    model = "Movella DOT (emulated)"

    def __init__(
        self,
        radio: VirtualRadio,
        name: str,
        motion: MotionSource,
        *,
        battery_pct: int = 92,
        charging: bool = False,
        payload_padding_bytes: int = 0,
        firmware_version: tuple[int, int, int] = (2, 6, 0),
        clock_offset_s: float = 0.0,
        clock_drift_ppm: float = 0.0,
        loss: LossInjector | None = None,
        epoch_s: float | None = None,
    ) -> None:
        tag = name.encode()
        if not 1 <= len(tag) <= dot.DEVICE_TAG_MAX_BYTES:
            raise ValueError(f"a DOT device tag has 1-{dot.DEVICE_TAG_MAX_BYTES} bytes, got {name!r}")
        super().__init__(
            radio,
            name,
            motion,
            clock_offset_s=clock_offset_s,
            clock_drift_ppm=clock_drift_ppm,
            loss=loss,
            epoch_s=epoch_s,
        )
        address_bytes = bytes(self.device.random_address)  # little-endian, as on the air
        self._adv = legacy_advertisement(name, (), (dot.COMPANY_ID, address_bytes))
        self.battery_pct = battery_pct
        self.charging = charging
        self.payload_padding_bytes = payload_padding_bytes
        self.firmware_version = firmware_version
        self._device_control = bytearray(dot.DEVICE_CONTROL_BYTES)
        self._device_control[dot.DEVICE_TAG_LENGTH_OFFSET] = len(tag)
        self._device_control[dot.DEVICE_TAG_OFFSET : dot.DEVICE_TAG_OFFSET + len(tag)] = tag
        struct.pack_into("<H", self._device_control, dot.OUTPUT_RATE_OFFSET, dot.DEFAULT_RATE_HZ)
        self._measuring = False
        self._payload_mode = dot.PAYLOAD_CUSTOM_MODE_5
        self._build_gatt(address_bytes)

    @property
    def advertising_data(self) -> bytes:
        """Flags, device tag and Movella's manufacturer data."""
        return self._adv

    @property
    def rate_hz(self) -> float:
        """Current output rate, Hz."""
        return float(dot.output_rate_of(bytes(self._device_control)))

    @property
    def streaming(self) -> bool:
        """True while measuring."""
        return self._measuring

    def _device_info(self, address_bytes: bytes) -> bytes:
        major, minor, revision = self.firmware_version
        info = address_bytes[:6] + bytes([major, minor, revision])
        info += struct.pack("<HBBBBB", 2024, 5, 17, 12, 0, 0)  # build date and time
        info += struct.pack("<IQ", 7_002_000, 0xD0_7D_00_00_12_34)  # SoftDevice version, serial number
        info += PRODUCT_CODE
        assert len(info) == DEVICE_INFO_BYTES
        return info

    def _build_gatt(self, address_bytes: bytes) -> None:
        def notify_only(uuid: str) -> Characteristic[bytes]:
            return Characteristic(
                uuid,
                Characteristic.Properties.NOTIFY,
                Characteristic.Permissions(0),
                att.AttributeValue(read=self._not_readable, write=self._not_writable),
            )

        info_bytes = self._device_info(address_bytes)
        device_info: Characteristic[bytes] = Characteristic(
            dot.DEVICE_INFO_UUID,
            Characteristic.Properties.READ,
            Characteristic.Permissions.READABLE,
            self._read_only(lambda _c: info_bytes),
        )
        device_control: Characteristic[bytes] = Characteristic(
            dot.DEVICE_CONTROL_UUID,
            Characteristic.Properties.READ | Characteristic.Properties.WRITE,
            Characteristic.Permissions.READABLE | Characteristic.Permissions.WRITEABLE,
            att.AttributeValue(read=lambda _c: bytes(self._device_control), write=self._on_device_control_write),
        )
        control: Characteristic[bytes] = Characteristic(
            dot.CONTROL_UUID,
            Characteristic.Properties.READ | Characteristic.Properties.WRITE,
            Characteristic.Permissions.READABLE | Characteristic.Permissions.WRITEABLE,
            att.AttributeValue(
                read=lambda _c: dot.cmd_measurement(self._measuring, self._payload_mode),
                write=self._on_measurement_write,
            ),
        )
        self._long = notify_only(dot.LONG_PAYLOAD_UUID)
        self._samples_char = self._long
        battery: Characteristic[bytes] = Characteristic(
            dot.BATTERY_UUID,
            Characteristic.Properties.READ | Characteristic.Properties.NOTIFY,
            Characteristic.Permissions.READABLE,
            self._read_only(lambda _c: bytes([max(0, min(100, int(self.battery_pct))), int(self.charging)])),
        )
        self.device.add_services(
            [
                Service(dot.CONFIG_SERVICE_UUID, [device_info, device_control, notify_only(dot.DEVICE_REPORT_UUID)]),
                Service(
                    dot.MEASUREMENT_SERVICE_UUID,
                    [control, self._long, notify_only(dot.MEDIUM_PAYLOAD_UUID), notify_only(dot.SHORT_PAYLOAD_UUID)],
                ),
                Service(dot.BATTERY_SERVICE_UUID, [battery]),
            ]
        )

    def _reject(self, reason: str, code: att.ErrorCode = att.ErrorCode.VALUE_NOT_ALLOWED) -> None:
        self.rejected_writes += 1
        log.info("%s: write rejected: %s", self.name, reason)
        raise att.ATT_Error(code)

    def _on_device_control_write(self, _connection: Connection, value: bytes) -> None:
        data = bytes(value)
        if len(data) != dot.DEVICE_CONTROL_BYTES:
            self._reject(
                f"device control of {len(data)} bytes, expected {dot.DEVICE_CONTROL_BYTES}",
                att.ErrorCode.INVALID_ATTRIBUTE_LENGTH,
            )
        if data[0] & dot.VISIT_OUTPUT_RATE:
            rate = dot.output_rate_of(data)
            if rate not in dot.STREAMING_RATES_HZ + dot.RECORDING_ONLY_RATES_HZ:
                self._reject(f"output rate {rate} Hz")
            self._before_rate_change()
            struct.pack_into("<H", self._device_control, dot.OUTPUT_RATE_OFFSET, rate)
            self._after_rate_change()
        if data[0] & dot.VISIT_FILTER_PROFILE:
            self._device_control[26] = data[26]

    def _on_measurement_write(self, _connection: Connection, value: bytes) -> None:
        try:
            start, mode = dot.parse_measurement(bytes(value))
        except dot.DotProtocolError as error:
            self._reject(str(error))
            return
        if mode != dot.PAYLOAD_CUSTOM_MODE_5:
            self._reject(f"payload mode 0x{mode:02X} is not emulated (custom mode 5, 0x1A, is)")
        if start and not self._measuring:
            self._start_sampling_now()
        self._measuring = start
        self._payload_mode = mode
        self._changed()

    def _on_disconnected(self) -> None:
        self._measuring = False

    def _max_samples_per_notification(self, att_mtu: int) -> int:
        return 1 if att_mtu - 3 >= dot.CUSTOM_MODE_5_BYTES + self.payload_padding_bytes else 0

    def _encode(
        self, first_n: int, sensor_s: NDArray[np.float64], acc: NDArray[np.float64], gyr: NDArray[np.float64]
    ) -> bytes:
        return dot.encode_custom_mode_5(
            int(round(sensor_s[0] * 1e6)),
            tilt_quaternion(acc)[0],
            acc[0],
            gyr[0],
            self.payload_padding_bytes,
        )

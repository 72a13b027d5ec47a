"""An emulated WitMotion WT901BLECL / WT9011DCL: its GATT layout, commands and 0x55 0x61 packets over Bumble.

GATT: one vendor service (ffe5, "9a" UUIDs) with a notify characteristic (ffe4) and a write-without-response
characteristic (ffe9), as on the BLE 5.0 modules. After power-up it outputs 10 Hz (or the rate last saved);
`FF AA 69 88 B5` unlocks commands for 10 s, `FF AA 03 RR 00` sets the rate (ignored while locked),
`FF AA 00 00 00` saves it, `FF AA 27 XX 00` asks for 8 registers from XX, answered by a 55 71 packet.
It streams to whoever enabled notifications (no start command), several packets per notification at high
rates (4 at 200 Hz, like the captured 80-byte notification). Its angle output is the tilt of the measured
gravity with yaw 0: plausible at rest, not a fusion filter.
"""

from __future__ import annotations

import logging

import numpy as np
from bumble import att
from bumble.device import Connection
from bumble.gatt import Characteristic, Service
from numpy.typing import NDArray

from sensors.ble.emulated_base import EmulatedPeripheral, LossInjector, legacy_advertisement, tilt_angles_rad
from sensors.ble.virtual_radio import VirtualRadio
from sensors.motion import MotionSource
from sensors.profiles import witmotion

log = logging.getLogger(__name__)

RATE_BY_CODE = {code: rate for rate, code in witmotion.RATE_CODES.items()}
FIRMWARE_VERSION_REGISTER = 0x2E


class EmulatedWitMotion(EmulatedPeripheral):
    """A WitMotion BLE 5.0 module on a VirtualRadio.

    Parameters
    ----------
    radio : the virtual radio to live on.
    name : advertised name starting with "WT", at most 8 characters so that Flags, name and the 128-bit
        service UUID fit the 31-byte advertisement (e.g. "WT901-S1").
    motion : the IMU signal.
    battery_v : supply voltage reported in register 0x64, V.
    saved_rate_hz : output rate after power-up, Hz (10 from the factory).
    short_packets : send the 16-byte packet variant (no pitch and yaw) of some firmwares.
    advertise_service : list the ffe5 service in the advertisement; without it the name may be up to 27
        characters (e.g. "WT901BLE68") and only the GATT table tells what it is.
    clock_offset_s, clock_drift_ppm, loss, epoch_s : see `EmulatedPeripheral` (drift here is the error of the
        module's sample rate).

    Attributes
    ----------
    ignored_commands : commands it ignored (locked, unknown or malformed), as a module silently does.
    """

    model = "WitMotion WT901BLECL (emulated)"

    def __init__(
        self,
        radio: VirtualRadio,
        name: str,
        motion: MotionSource,
        *,
        battery_v: float = 3.85,
        saved_rate_hz: int = witmotion.DEFAULT_RATE_HZ,
        short_packets: bool = False,
        advertise_service: bool = True,
        clock_offset_s: float = 0.0,
        clock_drift_ppm: float = 0.0,
        loss: LossInjector | None = None,
        epoch_s: float | None = None,
    ) -> None:
        if not name.upper().startswith(witmotion.NAME_PREFIXES):
            raise ValueError(f"a WitMotion module's name starts with WT, got {name!r}")
        self._adv = legacy_advertisement(name, (witmotion.SERVICE_UUID,) if advertise_service else ())
        super().__init__(
            radio,
            name,
            motion,
            clock_offset_s=clock_offset_s,
            clock_drift_ppm=clock_drift_ppm,
            loss=loss,
            epoch_s=epoch_s,
        )
        self.battery_v = battery_v
        self.saved_rate_hz = saved_rate_hz
        self.short_packets = short_packets
        self._rate_hz = saved_rate_hz
        self._unlocked_until_s = -1.0
        self.ignored_commands = 0
        self.commands_received: list[bytes] = []
        self._build_gatt()

    @property
    def advertising_data(self) -> bytes:
        """Flags, name and the ffe5 service UUID."""
        return self._adv

    @property
    def rate_hz(self) -> float:
        """Current output rate, Hz."""
        return float(self._rate_hz)

    @property
    def streaming(self) -> bool:
        """True while a central has notifications enabled."""
        return self._subscribed(self._notify)

    @property
    def unlocked(self) -> bool:
        """True within 10 s of the unlock command."""
        return self.true_time_s() < self._unlocked_until_s

    def _build_gatt(self) -> None:
        self._notify: Characteristic[bytes] = Characteristic(
            witmotion.NOTIFY_UUID,
            Characteristic.Properties.NOTIFY,
            Characteristic.Permissions(0),
            att.AttributeValue(read=self._not_readable, write=self._not_writable),
        )
        self._notify.on(self._notify.EVENT_SUBSCRIPTION, self._on_subscription)
        self._samples_char = self._notify
        write: Characteristic[bytes] = Characteristic(
            witmotion.WRITE_UUID,
            Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
            Characteristic.Permissions.WRITEABLE,
            att.AttributeValue(read=self._not_readable, write=self._on_write),
        )
        self.device.add_services([Service(witmotion.SERVICE_UUID, [write, self._notify])])

    def _on_subscription(self, _bearer: object, notify: bool, _indicate: bool) -> None:
        if notify:
            self._start_sampling_now()
        self._changed()

    def _on_power_on(self) -> None:
        self._rate_hz = self.saved_rate_hz
        self._unlocked_until_s = -1.0

    def _registers(self, first: int) -> list[int]:
        values = {
            witmotion.REG_RATE: witmotion.RATE_CODES.get(self._rate_hz, 0),
            FIRMWARE_VERSION_REGISTER: 0x0301,
            witmotion.REG_BATTERY_CENTIVOLT: int(round(self.battery_v * 100)),
        }
        return [values.get(first + i, 0) for i in range(8)]

    def _on_write(self, _connection: Connection, value: bytes) -> None:
        data = bytes(value)
        self.commands_received.append(data)
        parsed = witmotion.parse_command(data)
        if parsed is None:
            self.ignored_commands += 1
            log.info("%s: ignored write %s", self.name, data.hex())
            return
        command, argument = parsed
        if data == witmotion.CMD_UNLOCK:
            self._unlocked_until_s = self.true_time_s() + witmotion.UNLOCK_VALID_S
        elif command == witmotion.CMD_READ_REGISTER:
            self.queue_notification(self._notify, witmotion.register_reply(argument, self._registers(argument)))
        elif command == witmotion.CMD_SET_RATE and self.unlocked and argument in RATE_BY_CODE:
            self._before_rate_change()
            self._rate_hz = RATE_BY_CODE[argument]
            self._after_rate_change()
        elif data == witmotion.CMD_SAVE and self.unlocked:
            self.saved_rate_hz = self._rate_hz
        else:
            self.ignored_commands += 1
            log.info("%s: ignored command %s (unlocked: %s)", self.name, data.hex(), self.unlocked)

    def _max_samples_per_notification(self, att_mtu: int) -> int:
        return max(0, (att_mtu - 3) // witmotion.PACKET_SIZE)

    def _encode(
        self, first_n: int, sensor_s: NDArray[np.float64], acc: NDArray[np.float64], gyr: NDArray[np.float64]
    ) -> bytes:
        return witmotion.encode_packets(acc, gyr, tilt_angles_rad(acc), short=self.short_packets)

"""Other BLE devices in range, for scan tests: they advertise (and accept connections) but serve no sensor."""

from __future__ import annotations

from dataclasses import dataclass

from sensors.ble.emulated_base import legacy_advertisement
from sensors.ble.virtual_radio import VirtualRadio


@dataclass(frozen=True)
class BystanderSpec:
    """What a bystander advertises.

    Attributes
    ----------
    name : advertised name.
    service_uuids : advertised service UUIDs (16-bit ones given in their 128-bit form).
    manufacturer : (company identifier, payload) of manufacturer-specific data, or None.
    """

    name: str
    service_uuids: tuple[str, ...] = ()
    manufacturer: tuple[int, bytes] | None = None


# Devices a scan may meet: IMU-looking but not supported, and one that is no IMU at all.
BYSTANDERS: dict[str, BystanderSpec] = {
    # a WitMotion BLE 4.0 module (HM-10 style UART service ffe0)
    "witmotion_ble4": BystanderSpec("WT901BLE", ("0000ffe0-0000-1000-8000-00805f9b34fb",)),
    # the name of a DOT but none of its identifiers
    "dot_lookalike": BystanderSpec("Movella DOT"),
    "generic_imu": BystanderSpec("BLE-IMU9", ("6e400001-b5a3-f393-e0a9-e50e24dcca9e",)),
    "heart_rate": BystanderSpec("HRM-Pro", ("0000180d-0000-1000-8000-00805f9b34fb",)),
}


class EmulatedBystander:
    """A device on the virtual radio that only advertises `spec` (31-byte limit checked)."""

    def __init__(self, radio: VirtualRadio, spec: BystanderSpec) -> None:
        self.spec = spec
        self._adv = legacy_advertisement(spec.name, spec.service_uuids, spec.manufacturer)
        self.device = radio.new_device(spec.name)
        self.address = self.device.random_address.to_string(False)

    async def start(self) -> None:
        """Power on and advertise."""
        await self.device.power_on()
        await self.device.start_advertising(advertising_data=self._adv, scan_response_data=self._adv, auto_restart=True)

    async def stop(self) -> None:
        """Power off."""
        await self.device.power_off()

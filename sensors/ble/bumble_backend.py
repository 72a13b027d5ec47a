"""A bleak 3.x backend on Bumble: scanner and client classes bound to one VirtualRadio."""

from __future__ import annotations

import asyncio
import logging
import uuid as uuid_lib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att, core, hci
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Peer
from bumble.gatt_client import CharacteristicProxy

if TYPE_CHECKING:
    from sensors.ble.virtual_radio import VirtualRadio

log = logging.getLogger(__name__)

REQUESTED_MTU = 247
DEFAULT_ATT_MTU = 23
_T = TypeVar("_T")

_UUID_LIST_TYPES = (
    AdvertisingData.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.Type.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)


def bleak_uuid(value: core.UUID) -> str:
    """A Bumble UUID as bleak's normalised lower-case 128-bit string."""
    return str(uuid_lib.UUID(bytes=bytes(reversed(value.uuid_128_bytes))))


def advertisement_fields(
    advertisement: Advertisement,
) -> tuple[str | None, list[str], dict[int, bytes], int | None]:
    """Name, de-duplicated service UUIDs, manufacturer data and TX power of one advertisement.

    The virtual controller repeats the advertisement as scan response, and Bumble concatenates both, so every
    AD structure may appear twice.
    """
    data = advertisement.data
    name = data.get(AdvertisingData.Type.COMPLETE_LOCAL_NAME) or data.get(AdvertisingData.Type.SHORTENED_LOCAL_NAME)
    uuids: list[str] = []
    for ad_type in _UUID_LIST_TYPES:
        for uuid_list in data.get_all(ad_type):
            for u in uuid_list if isinstance(uuid_list, list) else []:
                s = bleak_uuid(u) if isinstance(u, core.UUID) else str(u).lower()
                if s not in uuids:
                    uuids.append(s)
    manufacturer: dict[int, bytes] = {}
    for company_id, payload in data.get_all(AdvertisingData.Type.MANUFACTURER_SPECIFIC_DATA):
        manufacturer[int(company_id)] = bytes(payload)
    tx_power = data.get(AdvertisingData.Type.TX_POWER_LEVEL)
    return (
        (None if name is None else str(name)),
        uuids,
        manufacturer,
        (None if tx_power is None else int(tx_power)),
    )


class BumbleScanner(BaseBleakScanner):
    """bleak scanner backend on the central device of a VirtualRadio."""

    radio: ClassVar[VirtualRadio]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._scanning = False

    async def start(self) -> None:
        """Start scanning (forgets previously seen devices)."""
        self.seen_devices = {}
        if self._scanning:
            return
        central = await self.radio.acquire_scanning()
        central.on(central.EVENT_ADVERTISEMENT, self._on_advertisement)
        self._scanning = True

    async def stop(self) -> None:
        """Stop scanning."""
        if not self._scanning:
            return
        self._scanning = False
        central = await self.radio.central()
        central.remove_listener(central.EVENT_ADVERTISEMENT, self._on_advertisement)
        await self.radio.release_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        name, uuids, manufacturer, tx_power = advertisement_fields(advertisement)
        if not self.is_allowed_uuid(uuids):
            return
        address = advertisement.address.to_string(False)
        adv = AdvertisementData(
            local_name=name,
            manufacturer_data=manufacturer,
            service_data={},
            service_uuids=uuids,
            tx_power=tx_power,
            rssi=int(advertisement.rssi),
            platform_data=(advertisement,),
        )
        device = self.create_or_update_device(address, address, name, advertisement.address, adv)
        self.call_detection_callbacks(device, adv)


class BumbleClient(BaseBleakClient):
    """bleak client backend on the central device of a VirtualRadio.

    Connects are serialised over the radio (Bumble allows one pending connect per device); each connect
    requests a 247-byte MTU and discovers all services before returning.
    """

    radio: ClassVar[VirtualRadio]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        if isinstance(address_or_ble_device, BLEDevice):
            self._name = address_or_ble_device.name or address_or_ble_device.address
            details = address_or_ble_device.details
        else:
            self._name = address_or_ble_device
            details = None
        self._peer_address = (
            details
            if isinstance(details, hci.Address)
            else hci.Address(self.address, hci.Address.RANDOM_DEVICE_ADDRESS)
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._disconnecting = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        """The advertised name, or the address."""
        return self._name

    @property
    def mtu_size(self) -> int:
        """The negotiated ATT MTU (23 when not connected)."""
        return self._connection.att_mtu if self._connection is not None else DEFAULT_ATT_MTU

    @property
    def is_connected(self) -> bool:
        """True while the link is up."""
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connect, exchange MTU and discover services; raises BleakError on timeout or failure."""
        if pair:
            log.info("bumble backend: pairing is not emulated; connecting without it")
        timeout = float(kwargs.get("timeout", self._timeout))
        async with self.radio.connect_lock:
            central = await self.radio.central()
            try:
                connection = await asyncio.wait_for(
                    central.connect_le(self._peer_address, own_address_type=hci.OwnAddressType.RANDOM, timeout=None),
                    timeout,
                )
            except TimeoutError:
                self.radio.clear_pending_connect()
                raise BleakDeviceNotFoundError(
                    self.address, f"device {self.address} not found: connect timed out after {timeout} s"
                ) from None
            except core.BaseBumbleError as error:
                self.radio.clear_pending_connect()
                raise BleakError(f"connect to {self.address} failed: {error}") from error
        self._connection = connection
        self._disconnecting = False
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        self._peer = Peer(connection)
        try:
            await asyncio.wait_for(self._setup(self._peer), timeout)
        except BaseException:
            await self.disconnect()
            raise

    async def _setup(self, peer: Peer) -> None:
        await self._gatt(peer.request_mtu(REQUESTED_MTU))
        collection = BleakGATTServiceCollection()
        for service in await self._gatt(peer.discover_services()):
            bleak_service = BleakGATTService(service, service.handle, bleak_uuid(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in await self._gatt(service.discover_characteristics()):
                properties = [
                    name for bit, name in CHARACTERISTIC_PROPERTIES.items() if characteristic.properties & bit
                ]
                bleak_characteristic = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    bleak_uuid(characteristic.uuid),
                    properties,
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_characteristic)
                for descriptor in await self._gatt(characteristic.discover_descriptors()):
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor, descriptor.handle, bleak_uuid(descriptor.type), bleak_characteristic
                        )
                    )
        self.services = collection

    def _on_disconnection(self, reason: int) -> None:
        solicited = self._disconnecting
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        log.info("bumble backend: %s disconnected (reason 0x%02X)", self.address, reason)
        if not solicited and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        """Disconnect (no-op when not connected); the disconnected callback is not called."""
        connection = self._connection
        if connection is None:
            return
        self._disconnecting = True
        try:
            await connection.disconnect()
        except core.BaseBumbleError as error:
            log.warning("bumble backend: disconnect from %s: %s", self.address, error)
        self._connection = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Pairing is not emulated (the dorsi profile needs none)."""
        log.info("bumble backend: pairing is not emulated")

    async def unpair(self) -> None:
        """Pairing is not emulated."""

    async def _gatt(self, request: Awaitable[_T]) -> _T:
        """Run one GATT request, translating Bumble's errors into bleak's."""
        if self._connection is None:
            if asyncio.iscoroutine(request):
                request.close()
            raise BleakError(f"not connected to {self.address}")
        try:
            return await request
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._connection is None and (task is None or task.cancelling() == 0):
                raise BleakError(f"{self.address} disconnected during a GATT request") from None
            raise
        except att.ATT_Error as error:
            raise BleakGATTProtocolError(error.error_code) from error
        except core.BaseBumbleError as error:
            raise BleakError(f"GATT request to {self.address} failed: {error}") from error

    def _proxy(self, characteristic: BleakGATTCharacteristic) -> CharacteristicProxy[bytes]:
        proxy = characteristic.obj
        assert isinstance(proxy, CharacteristicProxy)
        return proxy

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic value."""
        return bytearray(await self._gatt(self._proxy(characteristic).read_value()))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a descriptor value."""
        if self._peer is None:
            raise BleakError(f"not connected to {self.address}")
        return bytearray(await self._gatt(self._peer.read_value(descriptor.handle)))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool) -> None:
        """Write a characteristic value, with or without response."""
        await self._gatt(self._proxy(characteristic).write_value(bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        """Write a descriptor value (with response)."""
        if self._peer is None:
            raise BleakError(f"not connected to {self.address}")
        await self._gatt(self._peer.write_value(descriptor.handle, bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Subscribe to notifications (indications when the characteristic only indicates)."""

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        proxy = self._proxy(characteristic)
        self._subscribers[characteristic.handle] = on_value
        await self._gatt(proxy.subscribe(on_value, prefer_notify=True))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Unsubscribe from notifications."""
        on_value = self._subscribers.pop(characteristic.handle, None)
        await self._gatt(self._proxy(characteristic).unsubscribe(on_value))


def make_backends(radio: VirtualRadio) -> tuple[type[BumbleScanner], type[BumbleClient]]:
    """Scanner and client backend classes bound to `radio`, to pass as bleak's `backend=`."""
    scanner = type("BumbleScanner", (BumbleScanner,), {"radio": radio})
    client = type("BumbleClient", (BumbleClient,), {"radio": radio})
    return scanner, client

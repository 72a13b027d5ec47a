"""A virtual BLE radio: Bumble virtual controllers on one LocalLink, tuned for emulation, with faults."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING

from bumble import hci, ll
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink

from sensors.ble.bumble_backend import make_backends

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner

log = logging.getLogger(__name__)

_controller_log = logging.getLogger("bumble.controller")
_host_log = logging.getLogger("bumble.host")

# Enough for a 247-byte ATT MTU plus the 4-byte L2CAP header in one ACL packet (the LE data length maximum).
ACL_PACKET_LENGTH = 251
ADVERTISING_INTERVAL_MS = 20.0
CONNECTION_TIMEOUT_REASON = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR


class FastController(Controller):
    """A Bumble virtual controller that skips per-packet debug formatting and takes 251-byte ACL packets.

    A silenced controller neither sends nor hears anything on the link: the device is out of range.
    """

    le_acl_data_packet_length = ACL_PACKET_LENGTH
    acl_data_packet_length = ACL_PACKET_LENGTH
    silenced: bool = False

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _controller_log.isEnabledFor(logging.DEBUG):
            super().on_hci_packet(packet)
        elif isinstance(packet, hci.HCI_Command):
            self.on_hci_command_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        elif isinstance(packet, hci.HCI_Event):
            self.on_hci_event_packet(packet)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _controller_log.isEnabledFor(logging.DEBUG):
            super().send_hci_packet(packet)
        elif self.host:
            asyncio.get_running_loop().call_soon(self.host.on_packet, bytes(packet))

    def send_advertising_pdu(self, packet: ll.AdvertisingPdu) -> None:
        if not self.silenced:
            super().send_advertising_pdu(packet)

    def on_ll_advertising_pdu(self, packet: ll.AdvertisingPdu) -> None:
        if not self.silenced:
            super().on_ll_advertising_pdu(packet)


class FastHost(Host):
    """A Bumble host that skips per-packet debug formatting (Bumble formats packets even with logging off)."""

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _host_log.isEnabledFor(logging.DEBUG) or self.snooper:
            super().send_hci_packet(packet)
        elif self.hci_sink:
            self.hci_sink.on_packet(bytes(packet))

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _host_log.isEnabledFor(logging.DEBUG) or self.snooper:
            super().on_hci_packet(packet)
        elif isinstance(packet, hci.HCI_Event):
            self.on_hci_event_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        else:
            super().on_hci_packet(packet)


class VirtualRadio:
    """Bumble virtual controllers joined by one LocalLink, plus the bleak backends bound to it.

    Create it inside the running asyncio loop that will use it (Bumble objects bind to that loop).
    One central device is shared by every scanner and client of `scanner_backend` / `client_backend`;
    each emulated peripheral gets its own device from `new_device`. All addresses are random static.

    Parameters
    ----------
    advertising_interval_ms : advertising interval of the peripherals made here, ms.

    Attributes
    ----------
    epoch_s : loop time at creation: true time zero for every emulated sensor's motion.
    scanner_backend, client_backend : bleak backend classes bound to this radio (bleak's ``backend=``).
    """

    def __init__(self, advertising_interval_ms: float = ADVERTISING_INTERVAL_MS) -> None:
        loop = asyncio.get_running_loop()  # raises outside a running loop: the mistake to catch early
        self.epoch_s = loop.time()
        self.link = LocalLink()  # type: ignore[no-untyped-call]
        self.advertising_interval_ms = advertising_interval_ms
        self._addresses = itertools.count(1)
        self._central: Device | None = None
        self._central_ready = asyncio.Lock()
        self.connect_lock = asyncio.Lock()
        self._scanners = 0
        self.scanner_backend: type[BaseBleakScanner]
        self.client_backend: type[BaseBleakClient]
        self.scanner_backend, self.client_backend = make_backends(self)

    def new_address(self) -> hci.Address:
        """A fresh random static address (two top bits set)."""
        n = next(self._addresses)
        return hci.Address(f"C0:DE:00:00:{n >> 8:02X}:{n & 0xFF:02X}", hci.Address.RANDOM_DEVICE_ADDRESS)

    def new_device(self, name: str) -> Device:
        """A Bumble device on its own virtual controller on this link (not yet powered on)."""
        address = self.new_address()
        controller = FastController(name, link=self.link)
        host = FastHost(controller_source=controller, controller_sink=controller)
        device = Device(name=name, address=address, host=host)
        device.advertising_interval_min = self.advertising_interval_ms
        device.advertising_interval_max = self.advertising_interval_ms
        return device

    async def central(self) -> Device:
        """The powered-on central device that scanners and clients use."""
        async with self._central_ready:
            if self._central is None:
                device = self.new_device("dorsi-central")
                await device.power_on()
                self._central = device
            return self._central

    async def acquire_scanning(self) -> Device:
        """Start scanning on the central (reference counted); returns the central."""
        central = await self.central()
        self._scanners += 1
        if self._scanners == 1:
            await central.start_scanning(active=True, filter_duplicates=False)
        return central

    async def release_scanning(self) -> None:
        """Stop scanning when the last scanner lets go."""
        self._scanners = max(0, self._scanners - 1)
        if self._scanners == 0 and self._central is not None and self._central.is_scanning:
            await self._central.stop_scanning()

    def clear_pending_connect(self) -> None:
        """Forget a pending connect that timed out (the virtual controller never cancels one by itself)."""
        if self._central is not None:
            controller = self._controller_of(self._central)
            controller.pending_le_connection = None

    @staticmethod
    def _controller_of(device: Device) -> FastController:
        controller = device.host.hci_sink
        assert isinstance(controller, FastController)
        return controller

    def vanish(self, device: Device) -> None:
        """Make a peripheral disappear: drop its links on both sides (a supervision timeout) and go silent."""
        controller = self._controller_of(device)
        controller.silenced = True
        for connection in list(controller.le_connections.values()):
            for other in list(self.link.controllers):
                if other is controller:
                    continue
                peer_side = other.le_connections.get(connection.self_address)
                if peer_side is not None and peer_side.peer_address == connection.self_address:
                    other.on_le_disconnected(peer_side, CONNECTION_TIMEOUT_REASON)
            controller.on_le_disconnected(connection, CONNECTION_TIMEOUT_REASON)
        log.info("virtual radio: %s vanished", device.name)

    def reappear(self, device: Device) -> None:
        """Bring a vanished peripheral back in range (it advertises again if its host keeps advertising)."""
        self._controller_of(device).silenced = False
        log.info("virtual radio: %s reappeared", device.name)

    async def close(self) -> None:
        """Power off the central."""
        if self._central is not None:
            await self._central.power_off()
            self._central = None

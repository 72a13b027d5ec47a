"""Two emulated dorsi sensors (shin and foot) doing the scripted demo routine on a virtual radio."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from sensors.ble.emulated_sensor import EmulatedSensor
from sensors.ble.virtual_radio import VirtualRadio
from sensors.samples import ROLES, Role
from sensors.simulator import demo_routine

EMULATED_NAMES: dict[Role, str] = {"shin": "dorsi-S1", "foot": "dorsi-F1"}
EMULATED_BATTERY_PCT: dict[Role, int] = {"shin": 87, "foot": 64}
# Independent sensor clocks, as real ones: different start offsets and crystal drifts.
EMULATED_CLOCK_OFFSET_S: dict[Role, float] = {"shin": 12.5, "foot": 47.25}
EMULATED_CLOCK_DRIFT_PPM: dict[Role, float] = {"shin": 40.0, "foot": -25.0}
# The routine's opening stance (the calibration) starts this long after the sensors power on, so connecting
# does not eat into it.
LEAD_S = 2.0


@dataclass
class EmulatedRig:
    """Start inside the running asyncio loop: `async with EmulatedRig() as rig:`, then connect with its backends."""

    seed: int = 0
    side: Literal["left", "right"] = "right"
    radio: VirtualRadio | None = None
    sensors: dict[Role, EmulatedSensor] = field(default_factory=dict)

    async def __aenter__(self) -> EmulatedRig:
        self.radio = VirtualRadio()
        routine = demo_routine(self.seed, side=self.side)
        epoch_s = asyncio.get_running_loop().time() + LEAD_S
        for role in ROLES:
            sensor = EmulatedSensor(
                self.radio,
                EMULATED_NAMES[role],
                routine.motion(role),
                battery_pct=EMULATED_BATTERY_PCT[role],
                clock_offset_s=EMULATED_CLOCK_OFFSET_S[role],
                clock_drift_ppm=EMULATED_CLOCK_DRIFT_PPM[role],
                epoch_s=epoch_s,
            )
            await sensor.start()
            self.sensors[role] = sensor
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sensor in self.sensors.values():
            await asyncio.wait_for(sensor.stop(), 5.0)
        self.sensors = {}
        if self.radio is not None:
            await asyncio.wait_for(self.radio.close(), 5.0)

    @property
    def scanner_backend(self) -> type:
        """bleak scanner backend bound to the virtual radio."""
        assert self.radio is not None, "use EmulatedRig inside `async with`"
        return self.radio.scanner_backend

    @property
    def client_backend(self) -> type:
        """bleak client backend bound to the virtual radio."""
        assert self.radio is not None, "use EmulatedRig inside `async with`"
        return self.radio.client_backend

"""Two emulated sensors (shin and foot) doing the scripted demo routine on a virtual radio, of any supported model."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from sensors.ble.emulated_base import EmulatedPeripheral
from sensors.ble.emulated_bystander import BYSTANDERS, EmulatedBystander
from sensors.ble.emulated_movella_dot import EmulatedMovellaDot
from sensors.ble.emulated_sensor import EmulatedSensor
from sensors.ble.emulated_witmotion import EmulatedWitMotion
from sensors.ble.virtual_radio import VirtualRadio
from sensors.motion import MotionSource
from sensors.samples import ROLES, Role
from sensors.simulation.tumble import tumble_motion
from sensors.simulator import demo_routine

EMULATED_MODELS = ("dorsi", "witmotion", "movella_dot")
# Advertised names per model and role; dorsi's are the defaults everywhere.
NAMES_BY_MODEL: dict[str, dict[Role, str]] = {
    "dorsi": {"shin": "dorsi-S1", "foot": "dorsi-F1"},
    "witmotion": {"shin": "WT901-S1", "foot": "WT901-F1"},
    "movella_dot": {"shin": "DOT-S1", "foot": "DOT-F1"},
}
EMULATED_NAMES: dict[Role, str] = NAMES_BY_MODEL["dorsi"]
EMULATED_BATTERY_PCT: dict[Role, int] = {"shin": 87, "foot": 64}
EMULATED_BATTERY_V: dict[Role, float] = {"shin": 3.95, "foot": 3.80}  # WitMotion: 90 % and 50 %
# Independent sensor clocks, as real ones: different start offsets and crystal drifts.
EMULATED_CLOCK_OFFSET_S: dict[Role, float] = {"shin": 12.5, "foot": 47.25}
EMULATED_CLOCK_DRIFT_PPM: dict[Role, float] = {"shin": 40.0, "foot": -25.0}
# The routine's opening stance (the calibration) starts this long after the sensors power on, so connecting
# does not eat into it.
LEAD_S = 2.0
TUMBLE_TIMING_S = {"rest_s": 2.0, "turn_s": 1.0}  # brisk: 2 s still per position, as the instructions ask


def emulated_name(model: str, role: Role) -> str:
    """The advertised name of the emulated `model` sensor in `role`."""
    check_model(model)
    return NAMES_BY_MODEL[model][role]


def check_model(model: str) -> None:
    """Raise ValueError naming the choices when `model` cannot be emulated."""
    if model not in EMULATED_MODELS:
        raise ValueError(f"no emulated sensor model {model!r}; choose one of {', '.join(EMULATED_MODELS)}")


def make_emulated_sensor(
    radio: VirtualRadio, model: str, role: Role, motion: MotionSource, epoch_s: float | None = None
) -> EmulatedPeripheral:
    """An emulated sensor of `model` for `role`, with the rig's name, battery and clock for that role."""
    name = emulated_name(model, role)
    offset_s, drift_ppm = EMULATED_CLOCK_OFFSET_S[role], EMULATED_CLOCK_DRIFT_PPM[role]
    if model == "witmotion":
        return EmulatedWitMotion(
            radio,
            name,
            motion,
            battery_v=EMULATED_BATTERY_V[role],
            clock_offset_s=offset_s,
            clock_drift_ppm=drift_ppm,
            epoch_s=epoch_s,
        )
    sensor_type = EmulatedMovellaDot if model == "movella_dot" else EmulatedSensor
    return sensor_type(
        radio,
        name,
        motion,
        battery_pct=EMULATED_BATTERY_PCT[role],
        clock_offset_s=offset_s,
        clock_drift_ppm=drift_ppm,
        epoch_s=epoch_s,
    )


@dataclass
class EmulatedRig:
    """Start inside the running asyncio loop: `async with EmulatedRig() as rig:`, then connect with its backends.

    Attributes
    ----------
    seed, side : of the simulated demo routine.
    sensors : the emulated sensors (`EmulatedPeripheral`) per role, once entered.
    models : emulated model per role ("dorsi", "witmotion", "movella_dot"); dorsi for roles not given.
    bystanders : other devices to put on the radio, names from `sensors.ble.emulated_bystander.BYSTANDERS`.
    first : the exercise the demo routine starts with (after its stance and ankle pumps); None = the guide's order.
    tumble : instead of the routine, each sensor is laid on a table in a dozen positions, as for
        `dorsi calibrate-sensors` (the same sensor errors as in the routine of this seed).
    """

    seed: int = 0
    side: Literal["left", "right"] = "right"
    radio: VirtualRadio | None = None
    # EmulatedPeripheral values; typed Any so that users holding them as one model keep type-checking
    sensors: dict[Role, Any] = field(default_factory=dict)
    models: Mapping[Role, str] = field(default_factory=dict)
    bystanders: tuple[str, ...] = ()
    first: str | None = None
    tumble: bool = False
    _others: list[EmulatedBystander] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        for model in self.models.values():
            check_model(model)
        unknown = [b for b in self.bystanders if b not in BYSTANDERS]
        if unknown:
            raise ValueError(f"unknown bystanders {unknown}; choose from {', '.join(BYSTANDERS)}")

    def model(self, role: Role) -> str:
        """The emulated model in `role`."""
        return self.models.get(role, "dorsi")

    @property
    def names(self) -> dict[Role, str]:
        """Advertised name per role: what to pass to BleSource."""
        return {role: emulated_name(self.model(role), role) for role in ROLES}

    async def __aenter__(self) -> EmulatedRig:
        self.radio = VirtualRadio()
        routine = demo_routine(self.seed, side=self.side, first=self.first)
        epoch_s = asyncio.get_running_loop().time() + LEAD_S
        for role in ROLES:
            motion: MotionSource = routine.motion(role)
            if self.tumble:
                seed = 2 * self.seed + ROLES.index(role)
                motion = tumble_motion(routine.motion(role).errors, role, seed, **TUMBLE_TIMING_S)
            sensor = make_emulated_sensor(self.radio, self.model(role), role, motion, epoch_s)
            await sensor.start()
            self.sensors[role] = sensor
        for kind in self.bystanders:
            other = EmulatedBystander(self.radio, BYSTANDERS[kind])
            await other.start()
            self._others.append(other)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sensor in self.sensors.values():
            await asyncio.wait_for(sensor.stop(), 5.0)
        for other in self._others:
            await asyncio.wait_for(other.stop(), 5.0)
        self.sensors = {}
        self._others = []
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

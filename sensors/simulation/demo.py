"""The live demo's endless routine: every exercise of the guide in turn, each with its calibration protocol."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sensors.samples import ROLES, Role
from sensors.simulation.body import LegKinematics, random_mounting
from sensors.simulation.exercises import SPECS, SetOptions, enter, leave, protocol, run_set
from sensors.simulation.imu import ImuErrors, SensorMotion
from sensors.simulation.script import Script
from sensors.simulation.session import build_kinematics

DEMO_ORDER = (
    "ankle_circles",
    "calf_release",
    "achilles_release",
    "gastrocnemius_stretch",
    "soleus_stretch",
    "band_mobilisation",
    "seated_dorsiflexion_hold",
    "eccentric_drop",
    "nerve_flossing",
    "knee_to_wall",
)
# Reduced counts (units as in `simulate`) so that one cycle takes 10-15 minutes.
DEMO_UNITS = {
    "ankle_circles": 3,
    "calf_release": 2,
    "achilles_release": 2,
    "gastrocnemius_stretch": 2,
    "soleus_stretch": 2,
    "band_mobilisation": 10,
    "seated_dorsiflexion_hold": 3,
    "eccentric_drop": 5,
    "nerve_flossing": 6,
    "knee_to_wall": 3,
}
DEMO_HOLD_S = {
    "gastrocnemius_stretch": (30.0, 31.0),
    "soleus_stretch": (30.0, 31.0),
    "calf_release": (15.0, 18.0),
    "achilles_release": (15.0, 18.0),
}
DEMO_REST_S = (8.0, 10.0)
# The person turns to face the step, the bench or the wall after the pumps, and back afterwards.
DEMO_TURN_DEG = {"gastrocnemius_stretch": 180.0, "nerve_flossing": -90.0, "knee_to_wall": 90.0}


@dataclass
class DemoRoutine:
    """The demo's endless routine: a pair of MotionSources (iterate: ``shin, foot = demo_routine(seed)``).

    Attributes
    ----------
    shin, foot : the sensors' MotionSources (duration_s None: endless; the script repeats every period_s).
    period_s : length of one cycle of the script, s (the cycle starts at 0 with a stance).
    phases : (start_s, name) of each phase in the first cycle: "stance", an exercise's name (from the end of
        its stance: ankle pumps, getting into position, the set, getting back up) or "rest".
    kinematics : the leg motion both sensors follow.
    """

    shin: SensorMotion
    foot: SensorMotion
    period_s: float
    phases: list[tuple[float, str]] = field(default_factory=list)
    kinematics: LegKinematics | None = None

    def motion(self, role: Role) -> SensorMotion:
        """The MotionSource of one sensor."""
        return self.shin if role == "shin" else self.foot

    def __iter__(self) -> Iterator[SensorMotion]:
        return iter((self.shin, self.foot))

    def phase_at(self, t_s: float) -> str:
        """Name of the phase at true time t_s (s), the cycle repeating."""
        t = t_s % self.period_s
        name = self.phases[0][1]
        for start, phase in self.phases:
            if start > t:
                break
            name = phase
        return name


def demo_routine(seed: int = 0, side: Literal["left", "right"] = "right", first: str | None = None) -> DemoRoutine:
    """An endless scripted routine for the live demo, random mountings and sensor errors from the seed.

    Each exercise of DEMO_ORDER (the guide's routine without traction, which needs a helper) with the
    calibration protocol (4-5 s stance, two ankle pumps, a turn where needed), DEMO_UNITS units, back to
    standing, and 8-10 s of rest standing; one cycle is 10-15 minutes, then it repeats. `first` starts the
    cycle at that exercise (the order stays the same), e.g. the exercise the live page is set to.
    """
    order: tuple[str, ...] = DEMO_ORDER
    if first is not None:
        if first not in DEMO_ORDER:
            raise ValueError(f"{first!r} is not in the demo routine: {', '.join(DEMO_ORDER)}")
        k = DEMO_ORDER.index(first)
        order = DEMO_ORDER[k:] + DEMO_ORDER[:k]
    script_rng, sway_rng, sensor_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    side_sign = 1 if side == "right" else -1
    s = Script(side_sign)
    for name in order:
        spec = SPECS[name]
        turn = DEMO_TURN_DEG.get(name, 0.0)
        protocol(s, script_rng, name, float(script_rng.uniform(4.0, 5.0)), 2, turn)
        posture = enter(s, name, script_rng)
        options = SetOptions(spec.amplitude_deg, DEMO_HOLD_S.get(name, spec.hold_s), (2.0, 3.5))
        run_set(s, name, script_rng, DEMO_UNITS[name], options, posture)
        leave(s, name, script_rng, posture)
        if turn:
            s.move(float(script_rng.uniform(1.0, 3.0)), heading=s.last("heading") - np.radians(turn))
        s.phase("rest")
        s.hold(float(script_rng.uniform(*DEMO_REST_S)))
    kin = build_kinematics(s, sway_rng, side_sign, 0.15, cycle_s=(0.0, s.t_s))
    motions = [
        SensorMotion(
            kin, role, random_mounting(sensor_rng), ImuErrors.random(sensor_rng), int(sensor_rng.integers(2**31))
        )
        for role in ROLES
    ]
    return DemoRoutine(motions[0], motions[1], s.t_s, s.marks.phases, kin)

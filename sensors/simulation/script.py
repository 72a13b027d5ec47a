"""Script builder: moves the leg's channels phase by phase, hands the anchor over, and marks what happened when."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensors.simulation.body import CHANNELS, TOES_FROM_HEEL_M, Anchor, relative_points, segment_rotations
from sensors.simulation.trajectory import Oscillation, Piecewise

DEG = np.pi / 180.0


@dataclass
class RepMark:
    """Script times of one rep (or attempt), s; hold_s and lower_s: its top plateau and its way back, s."""

    start_s: float
    end_s: float
    hold_s: float = 0.0
    lower_s: float = 0.0


@dataclass
class CircleMark:
    """One ankle circle: direction and the phase trajectory that draws it (a circle = one turn of the phase)."""

    direction: str
    phase: Piecewise
    start_phase_rad: float
    end_phase_rad: float


@dataclass
class Marks:
    """What the script did, in script time; the ground truth is computed from these and the kinematics."""

    stance_start_s: float = 0.0
    stance_end_s: float = 0.0
    pumps_end_s: float = 0.0
    reps: list[RepMark] = field(default_factory=list)
    holds: list[tuple[float, float]] = field(default_factory=list)
    attempts: list[tuple[float, float]] = field(default_factory=list)
    circles: list[CircleMark] = field(default_factory=list)
    bouts: list[Piecewise] = field(default_factory=list)
    episodes: list[tuple[str, float, float]] = field(default_factory=list)
    phases: list[tuple[float, str]] = field(default_factory=list)


class Script:
    """Builds the leg's channels; every call appends to the end of the script (time `t_s`).

    Moves ramp the named channels to new values (the others hold); the foot's absolute pitch and roll are
    channels of their own, so a posture change that keeps the ankle angle moves both pitches alike.
    """

    def __init__(self, side_sign: int) -> None:
        self.t_s = 0.0
        self.side_sign = side_sign
        self.channels: dict[str, Piecewise] = {c: Piecewise() for c in CHANNELS}
        self.oscillations: dict[str, list[Oscillation]] = {c: [] for c in CHANNELS}
        self.anchors: list[Anchor] = [Anchor("toes", TOES_FROM_HEEL_M.copy(), Piecewise([0.0], [1.0]))]
        self.marks = Marks()

    def last(self, channel: str) -> float:
        """Scripted value of a channel at the end of the script so far."""
        return self.channels[channel].last

    @property
    def anchor(self) -> str:
        """The point anchored at the end of the script so far."""
        return self.anchors[-1].point

    def move(self, duration_s: float, blend_s: float | None = None, **targets: float) -> float:
        """Ramp the named channels to targets over duration_s (others hold); return the start time.

        blend_s : duration of the acceleration at each end of the ramp, s (default 35 % of the move).
        """
        start = self.t_s
        self.t_s += duration_s
        blend = 0.35 * duration_s if blend_s is None else blend_s
        for name, value in targets.items():
            self.channels[name].to(start, self.t_s, value, blend)
        return start

    def hold(self, duration_s: float) -> float:
        """Keep every channel still for duration_s; return the start time."""
        start = self.t_s
        self.t_s += duration_s
        return start

    def switch_anchor(self, point: str, blend_s: float = 0.5) -> None:
        """Hand the anchor over to another point of the leg during a still moment of blend_s (s)."""
        if point == self.anchor:
            return
        end_pose = {c: np.array([self._end_value(c)]) for c in CHANNELS}
        r_shin, r_foot = segment_rotations(end_pose)
        rel = {k: p[0] for k, p in relative_points(r_shin, r_foot).items()}
        base = np.array([self.last("base_x"), self.last("base_y"), self.last("base_z")])
        heel = base + sum((a.weight.last * (a.offset_m - rel[a.point]) for a in self.anchors), np.zeros(3))
        start = self.hold(blend_s)
        for a in self.anchors:
            if a.weight.last != 0.0:
                a.weight.to(start, self.t_s, 0.0, blend_s / 2.0)
        weight = Piecewise([start], [0.0])
        weight.append(self.t_s, 1.0, blend_s / 2.0)
        self.anchors.append(Anchor(point, heel + rel[point] - base, weight))

    def _end_value(self, channel: str) -> float:
        t = np.array([self.t_s])
        return float(self.last(channel) + sum(float(o.value(t)[0]) for o in self.oscillations[channel]))

    def oscillate(
        self,
        scales: dict[str, float],
        start_s: float,
        duration_s: float,
        frequency_hz: float,
        ramp_s: float = 1.0,
        offset_rad: float = 0.0,
    ) -> Piecewise:
        """Add an oscillation to channels (amplitude per channel in `scales`) from start_s for duration_s.

        Its envelope ramps up and down over ramp_s at each end. The script time is not advanced (hold for the
        oscillation's duration). Returns the envelope (0..1).
        """
        end = start_s + duration_s
        envelope = Piecewise([start_s], [0.0])
        envelope.append(start_s + ramp_s, 1.0, ramp_s / 2.0)
        envelope.append(end - ramp_s, 1.0, ramp_s / 2.0)
        envelope.append(end, 0.0, ramp_s / 2.0)
        phase = Piecewise([start_s], [0.0])
        phase.append(end, 2.0 * np.pi * frequency_hz * duration_s, 0.3)
        for name, scale in scales.items():
            self.oscillations[name].append(Oscillation(envelope, phase, offset_rad, scale))
        return envelope

    def phase(self, name: str) -> None:
        """Mark the start of a named phase (an exercise, "stance" or "rest") at the current time."""
        self.marks.phases.append((self.t_s, name))

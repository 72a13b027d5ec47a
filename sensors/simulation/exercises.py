"""The routine's exercises as scripts: the calibration protocol, getting into position, one set, getting out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sensors.simulation.script import CircleMark, RepMark, Script
from sensors.simulation.trajectory import Oscillation, Piecewise

DEG = np.pi / 180.0


@dataclass(frozen=True)
class ExerciseSpec:
    """What one exercise is (the shared exercise table).

    Attributes
    ----------
    name : DESIGN section 5 name.
    primary : the segment that moves ("shin" or "foot").
    shin_sign : direction of the shin's first >= 8 deg excursion after the stance (+1 forward, -1 back).
    foot_on_ground : heel lift and pronation are watched (and can be injected).
    target : the guide's count: reps, holds, circles per direction, attempts, or bouts of rolling.
    unit : what `target` (and simulate's `reps`) counts.
    amplitude_deg : default range of the movement's size per unit, deg (see `simulate`).
    hold_s : default range of the hold (the top of a rep, the time at the wall, a bout of rolling) per unit, s.
    """

    name: str
    primary: str
    shin_sign: int
    foot_on_ground: bool
    target: int
    unit: str
    amplitude_deg: tuple[float, float]
    hold_s: tuple[float, float] = (0.0, 0.0)


SPECS: dict[str, ExerciseSpec] = {
    s.name: s
    for s in (
        ExerciseSpec("band_mobilisation", "shin", +1, True, 30, "reps", (25.0, 40.0), (0.1, 0.3)),
        ExerciseSpec("nerve_flossing", "foot", -1, False, 20, "reps", (10.0, 20.0), (0.2, 0.5)),
        ExerciseSpec("eccentric_drop", "foot", -1, True, 30, "reps", (15.0, 25.0), (5.4, 6.5)),
        ExerciseSpec("gastrocnemius_stretch", "foot", +1, True, 3, "holds", (15.0, 25.0), (32.0, 40.0)),
        ExerciseSpec("soleus_stretch", "shin", +1, True, 3, "holds", (20.0, 35.0), (32.0, 40.0)),
        ExerciseSpec("seated_dorsiflexion_hold", "foot", +1, False, 20, "holds", (15.0, 25.0), (10.0, 12.0)),
        ExerciseSpec("traction", "shin", -1, False, 3, "holds", (0.0, 10.0), (30.0, 40.0)),
        ExerciseSpec("ankle_circles", "foot", +1, False, 20, "circles per direction", (15.0, 25.0)),
        ExerciseSpec("calf_release", "shin", -1, False, 3, "bouts", (3.0, 6.0), (15.0, 40.0)),
        ExerciseSpec("achilles_release", "foot", -1, False, 3, "bouts", (5.0, 10.0), (15.0, 40.0)),
        ExerciseSpec("knee_to_wall", "shin", +1, True, 3, "attempts", (30.0, 45.0), (1.0, 2.0)),
    )
}
EXERCISES = tuple(SPECS)
STANDING = ("band_mobilisation", "eccentric_drop", "gastrocnemius_stretch", "soleus_stretch", "knee_to_wall")


@dataclass
class SetOptions:
    """How one set is performed (ranges are drawn from uniformly per unit).

    Attributes
    ----------
    amplitude_deg : size of the movement per unit, deg (see `simulate`).
    hold_s : hold (the top of a rep, the time at the wall, a bout of rolling) per unit, s.
    lower_s : lowering time of eccentric drops, s.
    wiggles : small (2-5 deg) movements of the moving segment between units of rep exercises.
    heel_lifts, pronations : compensation episodes per set (foot-on-ground exercises).
    """

    amplitude_deg: tuple[float, float]
    hold_s: tuple[float, float]
    lower_s: tuple[float, float] = (2.6, 3.4)
    wiggles: int = 0
    heel_lifts: int = 0
    pronations: int = 0


@dataclass
class Posture:
    """Where an exercise's position leaves the leg: the shin's pitch and the ankle's resting dorsiflexion, rad."""

    shin_pitch_rad: float = 0.0
    rest_df_rad: float = 0.0


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def protocol(
    s: Script,
    rng: np.random.Generator,
    name: str,
    stance_s: float,
    pumps: int,
    turn_deg: float,
    fidget_at_s: float | None = None,
) -> None:
    """The calibration protocol: neutral stance, ankle pumps (heel raises about the toes), then a turn.

    Phases: "stance" from now, the exercise's name from the end of the stance (the pumps are part of it).
    """
    s.phase("stance")
    s.marks.stance_start_s = s.t_s
    if fidget_at_s is not None:
        s.hold(fidget_at_s)
        s.move(0.5, 0.15, shin_pitch=8.0 * DEG)
        s.move(0.5, 0.15, shin_pitch=0.0)
        s.marks.stance_start_s = s.t_s
        s.hold(max(stance_s - fidget_at_s - 1.0, 0.1))
    else:
        s.hold(stance_s)
    s.marks.stance_end_s = s.t_s
    s.phase(name)
    s.switch_anchor("toes")
    for i in range(pumps):
        s.move(_u(rng, 0.7, 1.1), foot_pitch=_u(rng, 12.0, 20.0) * DEG, shin_pitch=_u(rng, 0.0, 2.0) * DEG)
        s.hold(_u(rng, 0.2, 0.5))
        s.move(_u(rng, 0.7, 1.1), foot_pitch=0.0, shin_pitch=0.0)
        if i < pumps - 1:
            s.hold(_u(rng, 0.4, 0.8))
    s.marks.pumps_end_s = s.t_s
    s.hold(_u(rng, 0.5, 1.0))
    if turn_deg:
        s.move(_u(rng, 1.0, 3.0), heading=s.last("heading") + turn_deg * DEG)
        s.hold(_u(rng, 0.5, 1.0))


def _sit(s: Script, rng: np.random.Generator) -> None:
    """Sit down (or stand up): the knees go forward 10-20 deg first, then the shin is vertical again."""
    s.move(_u(rng, 1.0, 1.5), shin_pitch=_u(rng, 10.0, 20.0) * DEG, foot_pitch=0.0)
    s.move(_u(rng, 1.0, 1.5), shin_pitch=0.0)
    s.hold(_u(rng, 0.8, 1.5))


def _leg_out(
    s: Script, rng: np.random.Generator, shin_deg: tuple[float, float], knee_m: tuple[float, float]
) -> Posture:
    """From standing, put the leg out (on a bench or the floor), the ankle angle kept.

    The leg swings out about the knee (as when sitting down), then is lowered until the knee rests at knee_m
    (forward, up) from where it stood.
    """
    s.switch_anchor("knee")
    pitch = -_u(rng, *shin_deg) * DEG
    s.move(_u(rng, 1.5, 2.5), shin_pitch=pitch, foot_pitch=pitch, base_x=knee_m[0] / 2.0)
    s.move(_u(rng, 1.5, 2.5), base_x=knee_m[0], base_z=knee_m[1])
    s.hold(_u(rng, 1.0, 2.0))
    return Posture(pitch, 0.0)


def _stand_up(s: Script, rng: np.random.Generator, p: Posture) -> None:
    """From a leg-out posture back to the neutral stance (the reverse of `_leg_out`)."""
    if s.last("foot_pitch") != p.shin_pitch_rad:
        s.move(_u(rng, 1.0, 1.5), foot_pitch=p.shin_pitch_rad)
    s.move(_u(rng, 1.5, 2.5), base_x=s.last("base_x") / 2.0, base_z=0.0)
    s.move(_u(rng, 1.5, 2.5), shin_pitch=0.0, foot_pitch=0.0, base_x=0.0)
    s.hold(_u(rng, 0.8, 1.5))
    s.switch_anchor("toes")


def enter(s: Script, name: str, rng: np.random.Generator) -> Posture:
    """Get from the stance into the exercise's position; return that posture."""
    if name in ("band_mobilisation", "soleus_stretch", "knee_to_wall"):
        s.hold(_u(rng, 0.5, 1.5))
    elif name == "eccentric_drop":
        s.switch_anchor("heel")
        s.hold(_u(rng, 0.3, 1.0))
    elif name == "gastrocnemius_stretch":  # step up onto the step, knee forward first
        s.move(_u(rng, 0.7, 1.0), shin_pitch=_u(rng, 10.0, 15.0) * DEG, base_x=0.12, base_z=0.10)
        s.move(_u(rng, 0.7, 1.0), shin_pitch=0.0, base_x=0.25, base_z=0.17)
        s.hold(_u(rng, 1.0, 2.0))
    elif name in ("seated_dorsiflexion_hold", "ankle_circles"):
        s.switch_anchor("heel")
        _sit(s, rng)
        if name == "ankle_circles":  # lift the foot: the shin swings about the knee, the ankle relaxes
            s.switch_anchor("knee")
            pitch = -_u(rng, 5.0, 20.0) * DEG
            rest = -_u(rng, 0.0, 8.0) * DEG
            s.move(_u(rng, 1.0, 1.5), shin_pitch=pitch, foot_pitch=pitch - rest)
            s.hold(_u(rng, 0.8, 1.5))
            return Posture(pitch, rest)
    elif name == "nerve_flossing":
        return _leg_out(s, rng, (70.0, 85.0), (-0.15, 0.0))
    elif name == "traction":  # lie down, then the foot relaxes into plantarflexion
        p = _leg_out(s, rng, (87.0, 93.0), (-0.30, -0.42))
        p.rest_df_rad = -_u(rng, 15.0, 25.0) * DEG
        s.move(_u(rng, 1.0, 2.0), foot_pitch=p.shin_pitch_rad - p.rest_df_rad)
        s.hold(_u(rng, 2.0, 4.0))
        return p
    elif name == "calf_release":
        return _leg_out(s, rng, (80.0, 90.0), (-0.30, -0.32))
    elif name == "achilles_release":
        return _leg_out(s, rng, (70.0, 85.0), (-0.25, -0.30))
    return Posture()


def leave(s: Script, name: str, rng: np.random.Generator, p: Posture) -> None:
    """Get from the exercise's position back to the neutral stance (toes anchored, heading unchanged)."""
    if name in ("nerve_flossing", "traction", "calf_release", "achilles_release"):
        _stand_up(s, rng, p)
    elif name == "ankle_circles":
        s.move(_u(rng, 1.0, 1.5), shin_pitch=0.0, foot_pitch=0.0)
        s.hold(_u(rng, 0.5, 1.0))
        s.switch_anchor("heel")
        _sit(s, rng)
    elif name == "seated_dorsiflexion_hold":
        _sit(s, rng)
    elif name == "gastrocnemius_stretch":  # step down
        s.move(_u(rng, 0.7, 1.0), shin_pitch=_u(rng, 5.0, 10.0) * DEG, base_x=0.12, base_z=0.08)
        s.move(_u(rng, 0.7, 1.0), shin_pitch=0.0, base_x=0.0, base_z=0.0)
        s.hold(_u(rng, 0.5, 1.0))
    s.switch_anchor("toes")


def _pronation_target(s: Script, rng: np.random.Generator) -> float:
    """Foot roll of a pronation episode (the foot rolls inwards 6-12 deg), rad."""
    return -s.side_sign * _u(rng, 6.0, 12.0) * DEG


def _heel_raise(s: Script, rng: np.random.Generator) -> None:
    """A heel-lift episode from a flat foot: up onto the toes by 5-10 deg and down again."""
    anchor = s.anchor
    s.switch_anchor("toes", 0.4)
    start = s.move(_u(rng, 0.6, 1.0), foot_pitch=_u(rng, 5.0, 10.0) * DEG)
    s.hold(_u(rng, 0.8, 1.5))
    s.move(_u(rng, 0.6, 1.0), foot_pitch=0.0)
    s.marks.episodes.append(("heel_lift", start, s.t_s))
    s.hold(_u(rng, 0.4, 0.8))
    s.switch_anchor(anchor, 0.4)


def _pronate_during(s: Script, rng: np.random.Generator, duration_s: float) -> None:
    """Hold for duration_s (s), the foot rolling inwards 6-12 deg for part of it (the other channels keep still)."""
    roll = s.last("foot_roll")
    ramp = _u(rng, 0.6, 1.0)
    inside = _u(rng, 2.0, min(5.0, max(duration_s - 2 * ramp - 2.0, 2.0)))
    before = _u(rng, 0.5, max(duration_s - 2 * ramp - inside - 0.5, 0.5))
    s.hold(before)
    start = s.move(ramp, foot_roll=_pronation_target(s, rng))
    s.hold(inside)
    s.move(ramp, foot_roll=roll)
    s.marks.episodes.append(("pronation", start, s.t_s))
    s.hold(max(duration_s - before - inside - 2 * ramp, 0.1))


def _lunge_unit(
    s: Script, rng: np.random.Generator, peak: float, up_s: float, top_s: float, down_s: float, lift: bool, pron: bool
) -> None:
    """Shin forward to peak (rad) and back with the foot flat; optionally the heel lifts or the foot rolls in."""
    drift = _u(rng, -3.0, 3.0) * DEG
    roll = _pronation_target(s, rng) if pron else 0.0
    start = s.t_s
    if lift:
        s.move(up_s * 0.75, shin_pitch=peak * 0.85, shin_roll=drift, foot_roll=roll)
        lift_start = s.move(_u(rng, 0.4, 0.6), shin_pitch=peak, foot_pitch=_u(rng, 5.0, 10.0) * DEG)
        s.hold(top_s + _u(rng, 0.3, 0.8))
        s.move(down_s * 0.4, foot_pitch=0.0, shin_pitch=peak * 0.85)
        s.marks.episodes.append(("heel_lift", lift_start, s.t_s))
        s.move(down_s * 0.75, shin_pitch=0.0, shin_roll=0.0, foot_roll=0.0)
    else:
        s.move(up_s, shin_pitch=peak, shin_roll=drift, foot_roll=roll)
        s.hold(top_s)
        s.move(down_s, shin_pitch=0.0, shin_roll=0.0, foot_roll=0.0)
    if pron:
        s.marks.episodes.append(("pronation", start, s.t_s))


def _band_rep(s: Script, rng: np.random.Generator, o: SetOptions, lift: bool, pron: bool) -> None:
    peak = _u(rng, *o.amplitude_deg) * DEG
    up_s, top_s, down_s = _u(rng, 0.9, 1.3), _u(rng, *o.hold_s), _u(rng, 0.9, 1.3)
    start = s.t_s
    _lunge_unit(s, rng, peak, up_s, top_s, down_s, lift, pron)
    s.marks.reps.append(RepMark(start, s.t_s, top_s, down_s))
    s.hold(_u(rng, 0.2, 0.6))


def _knee_to_wall_attempt(s: Script, rng: np.random.Generator, o: SetOptions, lift: bool, pron: bool) -> None:
    peak = _u(rng, *o.amplitude_deg) * DEG
    up_s, wall_s, back_s = _u(rng, 1.5, 2.5), _u(rng, *o.hold_s), _u(rng, 1.2, 2.0)
    start = s.t_s
    _lunge_unit(s, rng, peak, up_s, wall_s, back_s, lift, pron)
    s.marks.reps.append(RepMark(start, s.t_s, wall_s, back_s))
    s.marks.attempts.append((start, s.t_s))
    s.hold(_u(rng, 3.0, 6.0))


def _drop_rep(s: Script, rng: np.random.Generator, o: SetOptions, lift: bool, pron: bool) -> None:
    peak = _u(rng, *o.amplitude_deg) * DEG
    supination = s.side_sign * _u(rng, 0.0, 3.0) * DEG
    lean = -_u(rng, 0.0, 2.0) * DEG
    lift_s, hold_s, lower_s = _u(rng, 0.8, 1.2), _u(rng, *o.hold_s), _u(rng, *o.lower_s)
    start = s.move(lift_s, foot_pitch=-peak, foot_roll=supination, shin_pitch=lean)
    hold_start = s.t_s
    if pron:
        _pronate_during(s, rng, hold_s)
    else:
        s.hold(hold_s)
    hold_end = s.t_s
    s.move(lower_s, foot_pitch=0.0, foot_roll=0.0, shin_pitch=0.0)
    s.marks.reps.append(RepMark(start, s.t_s, hold_end - hold_start, lower_s))
    s.marks.holds.append((hold_start, hold_end))
    s.hold(_u(rng, 1.0, 2.0))
    if lift:
        _heel_raise(s, rng)


def _flossing_rep(s: Script, rng: np.random.Generator, o: SetOptions, p: Posture) -> None:
    point, bend = _u(rng, 20.0, 30.0) * DEG, _u(rng, *o.amplitude_deg) * DEG
    top_s = _u(rng, *o.hold_s)
    start = s.move(_u(rng, 0.8, 1.5), foot_pitch=p.shin_pitch_rad + point)
    s.hold(_u(rng, 0.2, 0.5))
    s.move(_u(rng, 1.0, 2.0), foot_pitch=p.shin_pitch_rad - bend)
    s.hold(top_s)
    back_s = _u(rng, 0.8, 1.5)
    s.move(back_s, foot_pitch=p.shin_pitch_rad)
    s.marks.reps.append(RepMark(start, s.t_s, top_s, back_s))
    s.hold(_u(rng, 0.5, 1.5))


def _wiggle(s: Script, rng: np.random.Generator, channel: str, sign: float) -> None:
    """A small (2-5 deg) movement of one channel and back: not a rep."""
    base = s.last(channel)
    s.move(_u(rng, 0.4, 0.8), 0.15, **{channel: base + sign * _u(rng, 2.0, 5.0) * DEG})
    s.move(_u(rng, 0.4, 0.8), 0.15, **{channel: base})
    s.hold(_u(rng, 0.3, 0.8))


def _hold_unit(
    s: Script, rng: np.random.Generator, o: SetOptions, name: str, p: Posture, lift: bool, pron: bool
) -> None:
    """One hold of a stretch, a seated lift or traction: ramp in, plateau, ramp out, rest."""
    size = _u(rng, *o.amplitude_deg) * DEG
    hold_s = _u(rng, *o.hold_s)
    in_s, out_s = _u(rng, 1.5, 2.5), _u(rng, 1.5, 2.5)
    back: dict[str, float]
    if name == "soleus_stretch":
        into, back, rest = {"shin_pitch": size}, {"shin_pitch": 0.0}, (10.0, 20.0)
    elif name == "gastrocnemius_stretch":
        into = {"foot_pitch": -size, "shin_pitch": _u(rng, 0.0, 5.0) * DEG}
        back, rest = {"foot_pitch": 0.0, "shin_pitch": 0.0}, (10.0, 20.0)
        if lift:  # coming up onto the toes before dropping the heel
            _heel_raise(s, rng)
    elif name == "seated_dorsiflexion_hold":
        into, back, rest = {"foot_pitch": -size}, {"foot_pitch": 0.0}, (3.0, 5.0)
        in_s, out_s = _u(rng, 1.0, 1.5), _u(rng, 1.0, 1.5)
    else:  # traction: a helper pulls the relaxed foot into dorsiflexion
        into = {"foot_pitch": p.shin_pitch_rad - size}
        back, rest = {"foot_pitch": p.shin_pitch_rad - p.rest_df_rad}, (10.0, 20.0)
        in_s, out_s = _u(rng, 2.0, 3.0), _u(rng, 2.0, 3.0)
    if lift and name == "soleus_stretch":  # the heel comes up going into the lunge, then settles
        lift_start = s.move(in_s, shin_pitch=size, foot_pitch=_u(rng, 5.0, 10.0) * DEG)
        s.hold(_u(rng, 1.0, 2.0))
        s.move(_u(rng, 0.6, 1.0), foot_pitch=0.0)
        s.marks.episodes.append(("heel_lift", lift_start, s.t_s))
    else:
        s.move(in_s, **into)
    start = s.t_s
    if pron:
        _pronate_during(s, rng, hold_s)
    else:
        s.hold(hold_s)
    s.marks.holds.append((start, s.t_s))
    s.move(out_s, **back)
    s.hold(_u(rng, *rest))


def _rolling_bout(s: Script, rng: np.random.Generator, o: SetOptions, name: str) -> None:
    """One bout of rolling on the foam roller (calf) or the ball (Achilles), then a pause."""
    duration = _u(rng, *o.hold_s)
    start = s.t_s
    f1, f2 = _u(rng, 0.5, 1.0), _u(rng, 0.5, 1.0)
    if name == "calf_release":  # the leg rolls along the roller and about its long axis
        pitch = _u(rng, *o.amplitude_deg) * DEG
        along_m = _u(rng, 0.04, 0.08)
        env = s.oscillate({"shin_pitch": pitch, "foot_pitch": pitch, "base_x": along_m}, start, duration, f1)
        s.oscillate({"leg_twist": _u(rng, 10.0, 20.0) * DEG}, start, duration, f2, 1.0, _u(rng, 0.0, 2 * np.pi))
    else:  # the foot rolls on the ball; the leg moves a little with it
        leg = _u(rng, 0.5, 2.0) * DEG
        env = s.oscillate({"shin_pitch": leg, "foot_pitch": leg}, start, duration, f1)
        s.oscillate({"foot_pitch": _u(rng, *o.amplitude_deg) * DEG}, start, duration, f1, 1.0, _u(rng, 0.0, 1.0))
        roll = s.side_sign * _u(rng, 10.0, 15.0) * DEG
        s.oscillate({"foot_roll": roll}, start, duration, f2, 1.0, _u(rng, 0.0, 2 * np.pi))
    s.marks.bouts.append(env)
    s.hold(duration)
    s.hold(_u(rng, 5.0, 15.0))


def _circle_set(s: Script, rng: np.random.Generator, o: SetOptions, n: int, direction: str) -> None:
    """n ankle circles in one direction, with a quarter-turn spiral in and out of the resting position."""
    sign = 1.0 if direction == "inward" else -1.0
    period = _u(rng, 2.0, 4.0)
    amp_df, amp_inv = _u(rng, *o.amplitude_deg) * DEG, _u(rng, 10.0, 20.0) * DEG
    blend = 0.5
    start = s.t_s
    duration = (n + 0.5) * period + blend
    phase = Piecewise([start], [-sign * np.pi / 2.0])
    phase.append(start + duration, sign * (2.0 * np.pi * n + np.pi / 2.0), blend)
    t_full, t_last = phase_times(phase, np.array([0.0, sign * 2.0 * np.pi * n]))
    envelope = Piecewise([start], [0.0])
    envelope.append(t_full, 1.0, (t_full - start) / 2.0)
    envelope.append(t_last, 1.0, 0.0)
    envelope.append(start + duration, 0.0, (start + duration - t_last) / 2.0)
    s.oscillations["foot_pitch"].append(Oscillation(envelope, phase, 0.0, -amp_df))
    s.oscillations["foot_roll"].append(Oscillation(envelope, phase, -np.pi / 2.0, s.side_sign * amp_inv))
    s.marks.circles.append(CircleMark(direction, phase, 0.0, sign * 2.0 * np.pi * n))
    s.hold(duration)


def phase_times(phase: Piecewise, targets: np.ndarray) -> np.ndarray:
    """Times (s) at which a monotonic phase trajectory reaches the target phases (rad), to 1 ms."""
    t = np.arange(phase.t_s[0], phase.t_s[-1] + 1e-3, 1e-3)
    v = phase.value(t)
    if v[-1] < v[0]:
        return np.asarray(np.interp(-targets, -v, t))
    return np.asarray(np.interp(targets, v, t))


UnitScript = Callable[[Script, np.random.Generator, SetOptions, bool, bool], None]
_REP_UNITS: dict[str, tuple[UnitScript, str, float]] = {
    "band_mobilisation": (_band_rep, "shin_pitch", 1.0),
    "knee_to_wall": (_knee_to_wall_attempt, "shin_pitch", 1.0),
    "eccentric_drop": (_drop_rep, "foot_pitch", -1.0),
}


def run_set(s: Script, name: str, rng: np.random.Generator, n: int, o: SetOptions, p: Posture) -> None:
    """One set of n units (reps, holds, circles per direction, attempts or bouts) in the exercise's position."""
    spec = SPECS[name]
    if not spec.foot_on_ground and (o.heel_lifts or o.pronations):
        raise ValueError(f"{name}: heel lifts and pronations can only be injected with the foot on the ground")
    lifts = set(rng.choice(n, min(o.heel_lifts, n), replace=False).tolist()) if o.heel_lifts and n else set()
    prons = set(rng.choice(n, min(o.pronations, n), replace=False).tolist()) if o.pronations and n else set()
    wiggle_after = set(rng.choice(n, min(o.wiggles, n), replace=False).tolist()) if o.wiggles and n else set()
    if name == "ankle_circles":
        first = "inward" if rng.random() < 0.5 else "outward"
        _circle_set(s, rng, o, n, first)
        s.hold(_u(rng, 3.0, 6.0))
        _circle_set(s, rng, o, n, "outward" if first == "inward" else "inward")
        s.hold(_u(rng, 1.0, 2.0))
        return
    for i in range(n):
        if name in _REP_UNITS:
            unit, channel, sign = _REP_UNITS[name]
            unit(s, rng, o, i in lifts, i in prons)
        elif name == "nerve_flossing":
            _flossing_rep(s, rng, o, p)
            channel, sign = "foot_pitch", float(rng.choice([-1.0, 1.0]))
        elif name in ("calf_release", "achilles_release"):
            _rolling_bout(s, rng, o, name)
            continue
        else:
            _hold_unit(s, rng, o, name, p, i in lifts, i in prons)
            continue
        if i in wiggle_after:
            _wiggle(s, rng, channel, sign)

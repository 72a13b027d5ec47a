"""Scripted exercise sessions: kinematics, ground truth and quantised sensor blocks from a seed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sensors.profiles.dorsi import (
    DEFAULT_ACC_CODE,
    DEFAULT_GYRO_CODE,
    acc_scale_m_s2_per_lsb,
    gyro_scale_rad_s_per_lsb,
    quantise,
)
from sensors.samples import ROLES, Role, SampleBlock, make_block
from sensors.simulation.body import ImuErrors, LegKinematics, SensorMotion, random_mounting
from sensors.simulation.trajectory import Channel, Piecewise, Sway

FloatArray = NDArray[np.float64]
EXERCISES = ("band_mobilisation", "eccentric_drop")
CHANNELS = ("shin_pitch", "shin_roll", "foot_pitch", "foot_roll")
DEG = np.pi / 180.0


@dataclass
class RepTruth:
    """One generated rep: times in s, angles in rad; hold_s, lower_s: the scripted plateau and lowering."""

    start_s: float
    end_s: float
    peak_dorsiflexion_rad: float
    hold_s: float
    lower_s: float


@dataclass
class HoldTruth:
    """One generated hold at the top of a rep."""

    start_s: float
    end_s: float
    duration_s: float
    mean_dorsiflexion_rad: float


@dataclass
class Truth:
    """Ground truth of a session, sampled at the session rate.

    Attributes
    ----------
    t_s : (N,) s.
    dorsiflexion_rad, inversion_rad : (N,) rad, anatomical signs, zero in the neutral stance.
    reps, holds : what the script generated.
    stance_end_s : end of the opening neutral stance, s.
    """

    t_s: FloatArray
    dorsiflexion_rad: FloatArray
    inversion_rad: FloatArray
    reps: list[RepTruth]
    holds: list[HoldTruth]
    stance_end_s: float


class Script:
    """Builds the four angle channels phase by phase; each move ends all channels at a common time."""

    def __init__(self) -> None:
        self.t_s = 0.0
        self.channels: dict[str, Piecewise] = {c: Piecewise() for c in CHANNELS}
        self.reps: list[RepTruth] = []
        self.holds: list[HoldTruth] = []

    def current(self, channel: str) -> float:
        """Value of a channel at the end of the script so far, rad."""
        return self.channels[channel].values[-1]

    def move(self, duration_s: float, blend_s: float = 0.15, **targets: float) -> float:
        """Move the named channels to targets (rad) over duration_s (others hold); return the start time."""
        start = self.t_s
        self.t_s += duration_s
        for name, pw in self.channels.items():
            pw.append(self.t_s, targets.get(name, pw.values[-1]), blend_s)
        return start

    def hold(self, duration_s: float) -> float:
        """Keep every channel still for duration_s; return the start time."""
        return self.move(duration_s)


def _band_rep(s: Script, rng: np.random.Generator, amplitude_deg: tuple[float, float]) -> None:
    peak = rng.uniform(*amplitude_deg) * DEG
    knee_drift = rng.uniform(-3.0, 3.0) * DEG
    t_up, t_top, t_down, t_rest = (
        rng.uniform(0.9, 1.3),
        rng.uniform(0.1, 0.3),
        rng.uniform(0.9, 1.3),
        rng.uniform(0.2, 0.6),
    )
    start = s.move(t_up, 0.3, shin_pitch=peak, shin_roll=knee_drift)
    s.hold(t_top)
    s.move(t_down, 0.3, shin_pitch=0.0, shin_roll=0.0)
    s.reps.append(RepTruth(start, s.t_s, peak, t_top, t_down))
    s.hold(t_rest)


def _drop_rep(
    s: Script,
    rng: np.random.Generator,
    amplitude_deg: tuple[float, float],
    hold_s: tuple[float, float],
    lower_s: tuple[float, float],
    side_sign: int,
) -> None:
    peak = rng.uniform(*amplitude_deg) * DEG
    inversion = rng.uniform(0.0, 3.0) * DEG
    lean = -rng.uniform(0.0, 0.8) * DEG
    t_lift, t_hold, t_lower, t_rest = (
        rng.uniform(0.8, 1.2),
        rng.uniform(*hold_s),
        rng.uniform(*lower_s),
        rng.uniform(1.0, 2.0),
    )
    start = s.move(t_lift, 0.15, foot_pitch=-peak, foot_roll=side_sign * inversion, shin_pitch=lean)
    hold_start = s.hold(t_hold)
    s.move(t_lower, 0.15, foot_pitch=0.0, foot_roll=0.0, shin_pitch=0.0)
    s.reps.append(RepTruth(start, s.t_s, peak - lean, t_hold, t_lower))
    s.holds.append(HoldTruth(hold_start, hold_start + t_hold, t_hold, peak - lean))
    s.hold(t_rest)


def _wiggle(s: Script, rng: np.random.Generator, channel: str) -> None:
    amp = rng.uniform(2.0, 5.0) * DEG * (1.0 if channel == "shin_pitch" else -1.0)
    s.move(rng.uniform(0.4, 0.8), 0.15, **{channel: amp})
    s.move(rng.uniform(0.4, 0.8), 0.15, **{channel: 0.0})
    s.hold(rng.uniform(0.3, 0.8))


def _kinematics(s: Script, rng: np.random.Generator, side_sign: int, sway_deg: float, endless: bool) -> LegKinematics:
    chans = {
        name: Channel(pw, Sway.random(rng, sway_deg * DEG) if sway_deg > 0 else None) for name, pw in s.channels.items()
    }
    return LegKinematics(
        chans["shin_pitch"],
        chans["shin_roll"],
        chans["foot_pitch"],
        chans["foot_roll"],
        heading_rad=float(rng.uniform(0.0, 2.0 * np.pi)),
        side_sign=side_sign,
        duration_s=None if endless else s.t_s,
    )


@dataclass
class SimulatedSession:
    """A simulated recording: ground truth, sensor blocks on the true clock, and the models behind them.

    Attributes
    ----------
    exercise, side, rate_hz : what was simulated.
    truth : ground truth angles, reps and holds.
    blocks : per role, one SampleBlock of the whole session, quantised like a dorsi sensor.
    kinematics : the leg motion.
    mountings : per role, (3, 3) sensor -> segment rotation.
    errors : per role, the sensor error model.
    seed : the seed.
    """

    exercise: str
    side: Literal["left", "right"]
    rate_hz: dict[Role, float]
    truth: Truth
    blocks: dict[Role, SampleBlock]
    kinematics: LegKinematics
    mountings: dict[Role, FloatArray]
    errors: dict[Role, ImuErrors]
    seed: int

    def motion(self, role: Role, seed: int | None = None) -> SensorMotion:
        """A MotionSource for one sensor of this session (new noise drawn from seed)."""
        return SensorMotion(
            self.kinematics,
            role,
            self.mountings[role],
            self.errors[role],
            self.seed + 7 if seed is None else seed,
        )


def sample_block(
    motion: SensorMotion,
    role: Role,
    t_s: FloatArray,
    acc_code: int = DEFAULT_ACC_CODE,
    gyro_code: int = DEFAULT_GYRO_CODE,
) -> SampleBlock:
    """Sample a MotionSource at t_s (s) and quantise like a dorsi sensor; seq counts from 0."""
    acc, gyr = motion.sample(t_s)
    raw = quantise(acc, gyr, acc_code, gyro_code).astype(np.float64)
    return make_block(
        role,
        np.arange(len(t_s)),
        t_s,
        raw[:, :3] * acc_scale_m_s2_per_lsb(acc_code),
        raw[:, 3:] * gyro_scale_rad_s_per_lsb(gyro_code),
    )


def simulate(
    exercise: str,
    *,
    reps: int = 10,
    rate_hz: float = 100.0,
    side: Literal["left", "right"] = "right",
    seed: int = 0,
    stance_s: float = 4.0,
    foot_rate_hz: float | None = None,
    amplitude_deg: tuple[float, float] | None = None,
    hold_s: tuple[float, float] = (5.4, 6.5),
    lower_s: tuple[float, float] = (2.6, 3.4),
    wiggles: int = 0,
    fidget_at_s: float | None = None,
    sway_deg: float = 0.15,
    noise: bool = True,
    random_mounting_rotation: bool = True,
) -> SimulatedSession:
    """Simulate one exercise set of one leg, starting with the neutral stance.

    Parameters
    ----------
    exercise : "band_mobilisation" (standing lunge: shin tilts forward to 25-40 deg and back, foot flat) or
        "eccentric_drop" (forefoot lifted to 15-25 deg about the heel, held, lowered slowly; shin ~vertical).
    reps : number of reps.
    rate_hz : shin sensor rate, Hz; foot_rate_hz the foot's (default the same).
    side : "left" or "right".
    seed : seeds everything (script variation, mounting, sensor errors and noise).
    stance_s : opening neutral stance, s.
    amplitude_deg : range of the peak dorsiflexion per rep, deg (default per exercise).
    hold_s, lower_s : ranges of the hold and lowering durations of eccentric drops, s.
    wiggles : number of small (2-5 deg) movements inserted between reps; they are not reps.
    fidget_at_s : if set, a quick 8 deg shin movement this long into the stance (spoils calibration).
    sway_deg : postural sway of every angle, deg rms.
    noise : include sensor errors (bias, scale, noise).
    random_mounting_rotation : mount each sensor in a random rotation (else sensor frame = segment frame).

    Returns
    -------
    SimulatedSession
    """
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; simulated: {EXERCISES}")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    rng = np.random.default_rng(seed)
    side_sign = 1 if side == "right" else -1
    s = Script()
    if fidget_at_s is not None:
        s.hold(fidget_at_s)
        s.move(0.5, 0.15, shin_pitch=8.0 * DEG)
        s.move(0.5, 0.15, shin_pitch=0.0)
        s.hold(max(stance_s - fidget_at_s - 1.0, 0.1))
    else:
        s.hold(stance_s)
    stance_end = s.t_s
    wiggle_after = set(rng.choice(reps, size=min(wiggles, reps), replace=False).tolist()) if wiggles else set()
    for i in range(reps):
        if exercise == "band_mobilisation":
            _band_rep(s, rng, amplitude_deg or (25.0, 40.0))
        else:
            _drop_rep(s, rng, amplitude_deg or (15.0, 25.0), hold_s, lower_s, side_sign)
        if i in wiggle_after:
            _wiggle(s, rng, "shin_pitch" if exercise == "band_mobilisation" else "foot_pitch")
    s.hold(2.0)
    kin = _kinematics(s, rng, side_sign, sway_deg, endless=False)
    mountings = {r: random_mounting(rng) if random_mounting_rotation else np.eye(3) for r in ROLES}
    errors = {r: ImuErrors.random(rng, noise) for r in ROLES}
    rates: dict[Role, float] = {"shin": float(rate_hz), "foot": float(foot_rate_hz or rate_hz)}
    blocks: dict[Role, SampleBlock] = {}
    for k, role in enumerate(ROLES):
        period = 1.0 / rates[role]
        offset = rng.uniform(0.0, period) if k else 0.0
        t = np.asarray(offset + np.arange(int((kin.duration_s or 0.0) / period)) * period, dtype=np.float64)
        blocks[role] = sample_block(SensorMotion(kin, role, mountings[role], errors[role], seed * 2 + k), role, t)
    t_truth = np.arange(int(s.t_s * rate_hz)) / rate_hz
    df, inv = kin.angles(t_truth)
    for rep in s.reps:
        inside = (t_truth >= rep.start_s) & (t_truth <= rep.end_s)
        rep.peak_dorsiflexion_rad = float(np.max(df[inside]))
    for h in s.holds:
        inside = (t_truth >= h.start_s) & (t_truth <= h.end_s)
        h.mean_dorsiflexion_rad = float(np.mean(df[inside]))
    truth = Truth(t_truth, df, inv, s.reps, s.holds, stance_end)
    return SimulatedSession(exercise, side, rates, truth, blocks, kin, mountings, errors, seed)


@dataclass
class DemoRoutine:
    """The demo's endless routine: a pair of MotionSources (iterate: ``shin, foot = demo_routine(seed)``).

    Attributes
    ----------
    shin, foot : the sensors' MotionSources (duration_s None: endless; the script repeats every period_s).
    period_s : length of one cycle of the script, s.
    phases : (start_s, name) of each phase in the first cycle.
    """

    shin: SensorMotion
    foot: SensorMotion
    period_s: float
    phases: list[tuple[float, str]] = field(default_factory=list)

    def motion(self, role: Role) -> SensorMotion:
        """The MotionSource of one sensor."""
        return self.shin if role == "shin" else self.foot

    def __iter__(self) -> Iterator[SensorMotion]:
        return iter((self.shin, self.foot))


class _Periodic(Piecewise):
    """A Piecewise that repeats after its first stance (times beyond the end wrap into the cycle)."""

    def __init__(self, base: Piecewise, cycle_start_s: float) -> None:
        super().__init__(base.t_s, base.values, base.blend_s)
        self._arrays = None
        self.cycle_start_s = cycle_start_s

    def evaluate(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Value and derivatives at t_s (s); after the end the script repeats from cycle_start_s."""
        t = np.asarray(t_s, dtype=np.float64)
        period = self.t_s[-1] - self.cycle_start_s
        wrapped = np.where(t > self.t_s[-1], self.cycle_start_s + np.mod(t - self.cycle_start_s, period), t)
        return super().evaluate(wrapped)


def demo_routine(seed: int = 0, side: Literal["left", "right"] = "right") -> DemoRoutine:
    """An endless scripted routine for the live demo.

    5 s neutral stance (calibration), then cycles (about 15 min each) of: 30 band mobilisations, 30 s rest
    standing, 30 eccentric drops, 30 s rest standing, repeated forever. Random mounting rotations and
    sensor errors from the seed.
    """
    rng = np.random.default_rng(seed)
    side_sign = 1 if side == "right" else -1
    s = Script()
    s.hold(5.0)
    cycle_start = s.t_s
    phases: list[tuple[float, str]] = [(0.0, "stance")]
    for _ in range(2):
        phases.append((s.t_s, "band_mobilisation"))
        for _ in range(30):
            _band_rep(s, rng, (25.0, 40.0))
        phases.append((s.t_s, "rest"))
        s.hold(30.0)
        phases.append((s.t_s, "eccentric_drop"))
        for _ in range(30):
            _drop_rep(s, rng, (15.0, 25.0), (4.5, 6.5), (2.0, 3.5), side_sign)
        phases.append((s.t_s, "rest"))
        s.hold(30.0)
    for name in CHANNELS:
        s.channels[name] = _Periodic(s.channels[name], cycle_start)
    kin = _kinematics(s, rng, side_sign, 0.15, endless=True)
    motions = [
        SensorMotion(kin, role, random_mounting(rng), ImuErrors.random(rng), seed * 2 + k)
        for k, role in enumerate(ROLES)
    ]
    return DemoRoutine(motions[0], motions[1], s.t_s - cycle_start, phases)

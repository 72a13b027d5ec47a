"""Simulated recordings: one exercise (or a long session of sets) of one leg, its sensor blocks and its truth."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

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
from sensors.simulation.body import CHANNELS, LegKinematics, random_mounting
from sensors.simulation.exercises import EXERCISES, SPECS, SetOptions, enter, protocol, run_set
from sensors.simulation.imu import ErrorModel, ImuErrors, SensorMotion
from sensors.simulation.link import LinkModel, LinkTrace, align_to_session, sample_times, transmit
from sensors.simulation.script import Script
from sensors.simulation.trajectory import Channel, Sway
from sensors.simulation.truth import Truth, compute_truth
from sensors.simulation.tumble import tumble_motion

FloatArray = NDArray[np.float64]
DEG = np.pi / 180.0
SWAYING = ("shin_pitch", "shin_roll", "foot_pitch", "foot_roll")
REST_BETWEEN_SETS_S = (20.0, 60.0)


@dataclass
class SimulatedSession:
    """A simulated recording: ground truth, sensor blocks on the session clock, and the models behind them.

    Attributes
    ----------
    exercise, side, rate_hz : what was simulated (rates per sensor, Hz, nominal on the sensor's clock).
    truth : ground truth on the true clock.
    blocks : per role, one SampleBlock of the whole session as the app would record it: int16-quantised
        samples, seq with gaps where packets were lost, t_s on the session clock (ClockAligner) and the
        sensor's own timestamps in t_sensor_s (both the true time, and t_sensor_s None, without clocks).
    kinematics : the leg motion.
    mountings : per role, (3, 3) sensor -> segment rotation.
    errors : per role, the sensor error model.
    seed : the seed.
    case : every parameter of the session (those drawn at random included), JSON-serialisable.
    links : per role, what happened on the link (None without clocks and loss).
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
    case: dict[str, Any] = field(default_factory=dict)
    links: dict[Role, LinkTrace | None] = field(default_factory=dict)

    def motion(self, role: Role, seed: int | None = None) -> SensorMotion:
        """A MotionSource for one sensor of this session (same errors and bias walk, new noise drawn from seed)."""
        return SensorMotion(
            self.kinematics,
            role,
            self.mountings[role],
            self.errors[role],
            self.seed + 7 if seed is None else seed,
        )

    def calibration_tumble(self, role: Role) -> SampleBlock:
        """What `dorsi calibrate-sensors` records of this sensor: laid on a table in a dozen positions (the
        sensor's own errors; a tumble, noise and bias walk drawn from the seed), at its rate, quantised."""
        motion = tumble_motion(self.errors[role], role, self.seed * 2 + ROLES.index(role))
        assert motion.duration_s is not None
        return sample_block(motion, role, np.arange(int(motion.duration_s * self.rate_hz[role])) / self.rate_hz[role])

    @property
    def latency_s(self) -> float:
        """Median of (session clock - true time) over both sensors' samples, s (0 without clocks).

        The ClockAligner keeps the constant part of the BLE latency (about the 5 ms minimum delay) in t_s;
        subtract this to compare block times with the truth's true time to the millisecond.
        """
        lags = []
        for role, trace in self.links.items():
            block = self.blocks[role]
            if trace is not None and block.t_sensor_s is not None:
                lags.append(block.t_s - trace.model.true_time(block.t_sensor_s))
        return float(np.median(np.concatenate(lags))) if lags else 0.0

    def describe(self) -> str:
        """One line naming the case, to reproduce a failure."""
        keys = ("exercise", "side", "seed", "rate_hz", "duration_s", "turn_deg", "heel_lifts", "pronations", "wiggles")
        return ", ".join(f"{k}={self.case[k]}" for k in keys if k in self.case)


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


def build_kinematics(
    s: Script, rng: np.random.Generator, side_sign: int, sway_deg: float, cycle_s: tuple[float, float] | None = None
) -> LegKinematics:
    """The leg's kinematics from a finished script, with postural sway of sway_deg (rms) on every angle."""
    channels = {
        name: Channel(
            s.channels[name],
            Sway.random(rng, sway_deg * DEG) if sway_deg > 0 and name in SWAYING else None,
            s.oscillations[name],
        )
        for name in CHANNELS
    }
    return LegKinematics(
        channels,
        s.anchors,
        heading_rad=float(rng.uniform(0.0, 2.0 * np.pi)),
        side_sign=side_sign,
        duration_s=None if cycle_s is not None else s.t_s,
        cycle_s=cycle_s,
    )


def _record(
    role: Role,
    motion: SensorMotion,
    link: LinkModel,
    rate_hz: float,
    duration_s: float,
    model: ErrorModel,
    rng: np.random.Generator,
) -> tuple[SampleBlock, LinkTrace | None]:
    """One sensor's samples over the session, as the app would have recorded them."""
    if model.clocks:
        sensor_t, true_t = sample_times(link, rate_hz, duration_s)
    else:
        true_t = link.first_sample_s + np.arange(int((duration_s - link.first_sample_s) * rate_hz)) / rate_hz
        sensor_t = true_t
    trace = None
    seq = np.arange(len(true_t), dtype=np.int64)
    if model.clocks or model.packet_loss:
        keep, trace = transmit(link, true_t, rng, arrivals=model.clocks)
        seq, sensor_t, true_t = seq[keep], sensor_t[keep], true_t[keep]
    acc, gyr = motion.sample(true_t)
    if model.quantisation:
        raw = quantise(acc, gyr, DEFAULT_ACC_CODE, DEFAULT_GYRO_CODE).astype(np.float64)
        acc = raw[:, :3] * acc_scale_m_s2_per_lsb(DEFAULT_ACC_CODE)
        gyr = raw[:, 3:] * gyro_scale_rad_s_per_lsb(DEFAULT_GYRO_CODE)
    if model.clocks and trace is not None:
        t_s = align_to_session(sensor_t, trace.packet_first_seq, seq, trace.arrival_s)
        return SampleBlock(role, seq, t_s, acc, gyr, None, sensor_t), trace
    return SampleBlock(role, seq, true_t, acc, gyr), trace


def simulate(
    exercise: str,
    *,
    reps: int | None = None,
    rate_hz: float = 100.0,
    side: Literal["left", "right"] = "right",
    seed: int = 0,
    stance_s: float = 4.0,
    foot_rate_hz: float | None = None,
    amplitude_deg: tuple[float, float] | None = None,
    hold_s: tuple[float, float] | None = None,
    lower_s: tuple[float, float] = (2.6, 3.4),
    wiggles: int = 0,
    fidget_at_s: float | None = None,
    sway_deg: float = 0.15,
    noise: bool = True,
    random_mounting_rotation: bool = True,
    pumps: int = 2,
    turn_deg: float = 0.0,
    heel_lifts: int = 0,
    pronations: int = 0,
    duration_s: float | None = None,
    clocks: bool = True,
    packet_loss: bool = False,
    errors: ErrorModel | None = None,
) -> SimulatedSession:
    """Simulate one leg doing an exercise: the calibration protocol, then one set (or sets until duration_s).

    Every recording starts with the protocol: stance_s of neutral stance, `pumps` ankle pumps (heel raises of
    12-20 deg about the toes), an optional turn, then getting into the exercise's position (sitting down, the
    leg onto a bench or the floor, stepping onto a step, ...). What a unit is, per exercise (`EXERCISES`):

    - band_mobilisation: reps of a standing lunge, shin forward amplitude_deg (25-40) and back, foot flat.
    - nerve_flossing: reps on a bench (shin -70..-85 deg): point (df -20..-30), bend (df +amplitude_deg, 10-20),
      back.
    - eccentric_drop: reps: forefoot lifted amplitude_deg (15-25) about the heel, held hold_s, lowered over
      lower_s.
    - gastrocnemius_stretch: holds on a step edge, heel dropped amplitude_deg (15-25), shin leaning 0-5 deg.
    - soleus_stretch: holds of a bent-knee lunge, shin forward amplitude_deg (20-35).
    - seated_dorsiflexion_hold: holds seated, forefoot lifted amplitude_deg (15-25) for hold_s (10-12), rest 3-5 s.
    - traction: holds lying down, the relaxed foot (df -15..-25) pulled to df amplitude_deg (0-10) for hold_s.
    - ankle_circles: circles per direction, seated with the foot up (df amplitude_deg 15-25, inversion 10-20).
    - calf_release: bouts of 15-40 s on a foam roller (shin -80..-90 deg; leg pitch amplitude_deg 3-6 and roll
      10-20 deg at 0.5-1 Hz), pauses of 5-15 s.
    - achilles_release: bouts on a ball (shin -70..-85 deg; foot pitch amplitude_deg 5-10, roll 10-15 deg).
    - knee_to_wall: attempts, shin forward to amplitude_deg (30-45) at the wall for hold_s (1-2 s).

    Parameters
    ----------
    exercise : one of EXERCISES.
    reps : units per set: reps, holds, circles per direction, attempts or bouts (default the guide's target).
    rate_hz : shin sensor rate, Hz; foot_rate_hz the foot's (default the same).
    side : "left" or "right".
    seed : seeds everything (script variation, mounting, sensor errors, clocks, loss and noise).
    stance_s : opening neutral stance, s.
    amplitude_deg, hold_s : ranges per unit, deg and s (default per exercise, as above).
    lower_s : range of the lowering time of eccentric drops, s.
    wiggles : small (2-5 deg) movements of the moving segment between reps, per set; they are not reps.
    fidget_at_s : if set, a quick 8 deg shin movement this long into the stance (spoils calibration).
    sway_deg : postural sway of every angle, deg rms.
    noise : include IMU errors (bias with random walk, scale, misalignment, white noise).
    random_mounting_rotation : mount each sensor in a random rotation (else sensor frame = segment frame).
    pumps : ankle pumps after the stance (0 = none).
    turn_deg : heading change after the pumps (the person turns to face a wall, a step or a bench), deg.
    heel_lifts, pronations : compensation episodes per set (foot-on-ground exercises only).
    duration_s : if set, repeat the set with 20-60 s rests in position until this long, s.
    clocks : independent sensor clocks, BLE arrivals and ClockAligner session times.
    packet_loss : bursts of lost packets (a few per minute, 0.05-0.5 s, none during the stance).
    errors : full control of every error (overrides noise, clocks and packet_loss).

    Returns
    -------
    SimulatedSession
    """
    if exercise not in SPECS:
        raise ValueError(f"unknown exercise {exercise!r}; simulated: {EXERCISES}")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    spec = SPECS[exercise]
    n = spec.target if reps is None else int(reps)
    if n < 1:
        raise ValueError(f"reps must be at least 1, got {n}")
    model = errors or ErrorModel(
        bias=noise,
        bias_walk=noise,
        scale=noise,
        misalignment=noise,
        white_noise=noise,
        clocks=clocks,
        packet_loss=packet_loss,
    )
    script_rng, sway_rng, mount_rng, error_rng, link_rng, noise_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)
    )
    side_sign = 1 if side == "right" else -1
    options = SetOptions(
        amplitude_deg or spec.amplitude_deg, hold_s or spec.hold_s, lower_s, wiggles, heel_lifts, pronations
    )

    s = Script(side_sign)
    protocol(s, script_rng, exercise, stance_s, pumps, turn_deg, fidget_at_s)
    posture = enter(s, exercise, script_rng)
    set_start = s.t_s
    run_set(s, exercise, script_rng, n, options, posture)
    if duration_s is not None:
        set_s = 1.2 * (s.t_s - set_start)  # sets vary: leave room for a longer one
        while duration_s - s.t_s >= set_s + REST_BETWEEN_SETS_S[0]:
            s.phase("rest")
            s.hold(min(float(script_rng.uniform(*REST_BETWEEN_SETS_S)), duration_s - s.t_s - set_s))
            s.phase(exercise)
            start = s.t_s
            run_set(s, exercise, script_rng, n, options, posture)
            set_s = max(set_s, 1.2 * (s.t_s - start))
        s.hold(max(duration_s - s.t_s, 0.5))
    else:
        s.hold(2.0)
    kin = build_kinematics(s, sway_rng, side_sign, sway_deg)
    duration = s.t_s

    rates: dict[Role, float] = {"shin": float(rate_hz), "foot": float(foot_rate_hz or rate_hz)}
    mountings = {r: random_mounting(mount_rng) if random_mounting_rotation else np.eye(3) for r in ROLES}
    imu_errors = {r: ImuErrors.random(error_rng, model.imu, model) for r in ROLES}
    blocks: dict[Role, SampleBlock] = {}
    links: dict[Role, LinkTrace | None] = {}
    for k, role in enumerate(ROLES):
        link = LinkModel.random(
            link_rng,
            rates[role],
            max_drift_ppm=model.clock_drift_max_ppm,
            loss_bursts_per_min=model.loss_bursts_per_min if model.packet_loss else 0.0,
            loss_burst_s=model.loss_burst_s,
            loss_after_s=s.marks.stance_end_s,
        )
        if not model.clocks and k == 0:
            link = dataclasses.replace(link, first_sample_s=0.0)
        motion = SensorMotion(kin, role, mountings[role], imu_errors[role], int(noise_rng.integers(2**31)))
        blocks[role], links[role] = _record(role, motion, link, rates[role], duration, model, link_rng)

    truth_rate = max(rates.values())
    truth = compute_truth(kin, s.marks, np.arange(int(duration * truth_rate)) / truth_rate)
    case: dict[str, Any] = {
        "exercise": exercise,
        "side": side,
        "seed": seed,
        "reps": n,
        "rate_hz": dict(rates),
        "stance_s": stance_s,
        "pumps": pumps,
        "turn_deg": turn_deg,
        "heel_lifts": heel_lifts,
        "pronations": pronations,
        "wiggles": wiggles,
        "duration_s": round(duration, 3),
        "sway_deg": sway_deg,
        "amplitude_deg": list(options.amplitude_deg),
        "hold_s": list(options.hold_s),
        "errors": dataclasses.asdict(model),
        "sensors": {role: _sensor_summary(imu_errors[role], links[role], mountings[role]) for role in ROLES},
    }
    return SimulatedSession(exercise, side, rates, truth, blocks, kin, mountings, imu_errors, seed, case, links)


def _sensor_summary(e: ImuErrors, link: LinkTrace | None, mounting: FloatArray) -> dict[str, Any]:
    """The drawn error values of one sensor, rounded, for the case record."""
    out: dict[str, Any] = {
        "gyro_bias_deg_s": np.round(np.degrees(e.gyr_bias_rad_s), 3).tolist(),
        "gyro_sensitivity": np.round(e.gyr_sensitivity, 4).tolist(),
        "acc_sensitivity": np.round(e.acc_sensitivity, 4).tolist(),
        "mounting": np.round(mounting, 4).tolist(),
    }
    if link is not None:
        out.update(
            clock_offset_s=round(link.model.clock_offset_s, 6),
            clock_drift_ppm=round(link.model.clock_drift_ppm, 2),
            lost_packets=link.lost_packets,
            loss_bursts=[[round(a, 3), round(b, 3)] for a, b in link.loss_bursts],
        )
    return out

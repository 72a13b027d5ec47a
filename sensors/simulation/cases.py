"""Random validation cases: every dimension of the simulator suite drawn from a seed, reproducibly."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from sensors.simulation.exercises import EXERCISES, SPECS
from sensors.simulation.imu import ErrorModel
from sensors.simulation.session import SimulatedSession, simulate

RATES_HZ = (50.0, 100.0, 200.0)
LONG_DURATION_S = (1200.0, 1800.0)
REP_UNITS = ("reps", "attempts")


def draw_case(seed: int, *, long: bool = False, exercise: str | None = None) -> dict[str, Any]:
    """The keyword arguments of `simulate` for case `seed` (what random_case simulates)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x0D0751]))
    name = str(rng.choice(EXERCISES)) if exercise is None else exercise
    if name not in SPECS:
        raise ValueError(f"unknown exercise {name!r}; simulated: {EXERCISES}")
    spec = SPECS[name]
    side: Literal["left", "right"] = "left" if rng.random() < 0.5 else "right"
    rates = [float(r) for r in rng.choice(RATES_HZ, 2)]
    turn = 0.0 if rng.random() < 0.3 else float(rng.uniform(90.0, 180.0) * rng.choice([-1.0, 1.0]))
    on_ground = spec.foot_on_ground
    return {
        "exercise": name,
        "side": side,
        "seed": seed,
        "rate_hz": rates[0],
        "foot_rate_hz": rates[1],
        "stance_s": round(float(rng.uniform(3.5, 6.0)), 3),
        "pumps": int(rng.integers(1, 3)),
        "turn_deg": round(turn, 2),
        "sway_deg": round(float(rng.uniform(0.05, 0.3)), 3),
        "heel_lifts": int(rng.integers(0, 3)) if on_ground else 0,
        "pronations": int(rng.integers(0, 3)) if on_ground else 0,
        "wiggles": int(rng.integers(0, 4)) if spec.unit in REP_UNITS else 0,
        "duration_s": round(float(rng.uniform(*LONG_DURATION_S)), 1) if long else None,
        "errors": ErrorModel(packet_loss=True, loss_bursts_per_min=round(float(rng.uniform(1.0, 5.0)), 2)),
    }


def random_case(seed: int, *, long: bool = False, exercise: str | None = None) -> SimulatedSession:
    """A simulated session whose every dimension is drawn at random from the validation suite's list.

    Drawn from the seed: the exercise (unless given), the leg, each sensor's rate (50/100/200 Hz), the stance
    (3.5-6 s), one or two ankle pumps, a turn of 90-180 deg either way after calibration (70 % of cases), the
    sway, compensation episodes (0-2 heel lifts and 0-2 pronations per set, foot-on-ground exercises) and
    wiggles (0-3, rep exercises); and inside `simulate`, from the same seed: random mountings, gyro bias
    (up to 0.6 deg/s per axis) with a random walk, 1 % scale and misalignment errors, noise, int16
    quantisation, independent sensor clocks (offset, +-100 ppm) read through BLE-like arrivals and the
    ClockAligner, and bursts of lost packets (1-5 per minute). Each unit count is the guide's target;
    long=True repeats the set with rests for 20-30 minutes.

    The session's `case` records all of it (JSON-serialisable): `random_case(case["seed"], long=...)`
    reproduces it.
    """
    kwargs = draw_case(seed, long=long, exercise=exercise)
    session = simulate(**kwargs)
    session.case["random_case"] = {"seed": seed, "long": long, "exercise": exercise}
    session.case["errors"]["loss_bursts_per_min"] = kwargs["errors"].loss_bursts_per_min
    return session

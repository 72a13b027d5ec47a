"""Weeks of demo history: simulated sessions recorded as real session folders, raw samples and sets included."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np

from dashboard.guide import GUIDE_ORDER
from sensors.recorder import METADATA_FILE, Recorder
from sensors.samples import ROLES
from sensors.simulation.body import random_mounting
from sensors.simulation.demo import DEMO_TURN_DEG
from sensors.simulation.exercises import SPECS, SetOptions, enter, leave, protocol, run_set
from sensors.simulation.imu import ImuErrors, SensorMotion
from sensors.simulation.script import Script
from sensors.simulation.session import build_kinematics, sample_block

DEMO_RATE_HZ = 50.0
AFFECTED_LEG: Literal["left", "right"] = "right"
OTHER_LEG: Literal["left", "right"] = "left"
# Knee-to-wall dorsiflexion of the demo person, deg: the stiff leg improves from the first to the last day.
AFFECTED_KTW_DEG = (25.5, 34.5)
OTHER_KTW_DEG = 37.5
KTW_NOISE_DEG = 1.2
TRAINING_DAY_PROBABILITY = 0.7
# Units per set (reps, holds, circles per direction, bouts), fewer than the guide's so seeding stays fast.
DEMO_SET_UNITS = {
    "ankle_circles": 5,
    "calf_release": 2,
    "achilles_release": 2,
    "gastrocnemius_stretch": 3,
    "soleus_stretch": 3,
    "traction": 2,
    "band_mobilisation": 15,
    "seated_dorsiflexion_hold": 5,
    "eccentric_drop": 8,
    "nerve_flossing": 10,
    "knee_to_wall": 3,
}
DEMO_HOLD_S = {
    "gastrocnemius_stretch": (30.5, 32.0),
    "soleus_stretch": (30.5, 32.0),
    "traction": (30.5, 32.0),
    "calf_release": (30.0, 35.0),
    "achilles_release": (30.0, 35.0),
}
# Exercises whose size follows the ankle's range: their amplitude range shifts with the progress, deg.
PROGRESSING = ("band_mobilisation", "soleus_stretch", "gastrocnemius_stretch", "seated_dorsiflexion_hold")
PROGRESS_SHIFT_DEG = (-4.0, 3.0)
EXTRA_EXERCISES = tuple(n for n in GUIDE_ORDER if n != "knee_to_wall")
REST_BETWEEN_SETS_S = (10.0, 25.0)


@dataclass(frozen=True)
class PlannedSession:
    """One demo session to record: when, which leg, which exercises in order, and how far the person has come.

    Attributes
    ----------
    created : start of the session (UTC).
    leg : "left" or "right".
    exercises : the sets' exercises, in order (the knee-to-wall test last).
    ktw_rad : the person's true knee-to-wall dorsiflexion that day, rad.
    progress : 0 on the first day of the history, 1 on the last.
    seed : seeds the session's motion, mountings and sensor errors.
    """

    created: datetime
    leg: Literal["left", "right"]
    exercises: tuple[str, ...]
    ktw_rad: float
    progress: float
    seed: int


@dataclass(frozen=True)
class SeedReport:
    """What seeding wrote: the session ids (oldest first) and the time it took, s."""

    session_ids: tuple[str, ...]
    elapsed_s: float


def has_sessions(data_dir: Path) -> bool:
    """True when data_dir/sessions holds at least one session folder."""
    sessions = Path(data_dir) / "sessions"
    return sessions.is_dir() and any((p / METADATA_FILE).is_file() for p in sessions.iterdir())


def plan_history(weeks: int, seed: int, end: datetime) -> list[PlannedSession]:
    """The demo sessions of `weeks` weeks ending the day before `end`, oldest first.

    The stiff (right) leg trains on about 70 % of the days (never fewer than two days a week), each session two
    exercises of the guide in turn and the knee-to-wall test; the other leg is tested once a week.

    Parameters
    ----------
    weeks : number of weeks of history, at least 1.
    seed : seeds the plan (training days, exercises, noise on the test).
    end : the history stops the day before this moment (UTC).

    Returns
    -------
    list[PlannedSession]
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    rng = np.random.default_rng(seed)
    first_day = (end - timedelta(days=7 * weeks)).replace(hour=0, minute=0, second=0, microsecond=0)
    n_days = 7 * weeks
    trained = rng.random(n_days) < TRAINING_DAY_PROBABILITY
    for w in range(weeks):
        week = trained[7 * w : 7 * w + 7]
        while week.sum() < 2:
            week[int(rng.integers(7))] = True
    plans: list[PlannedSession] = []
    extra = 0
    lo, hi = AFFECTED_KTW_DEG
    for day in range(n_days):
        progress = day / max(n_days - 1, 1)
        date = first_day + timedelta(days=day)
        if trained[day]:
            pair = (EXTRA_EXERCISES[extra % len(EXTRA_EXERCISES)], EXTRA_EXERCISES[(extra + 1) % len(EXTRA_EXERCISES)])
            extra += 2
            ktw_deg = lo + (hi - lo) * progress + float(rng.normal(0.0, KTW_NOISE_DEG))
            at = date + timedelta(hours=7, minutes=int(rng.integers(0, 90)))
            plans.append(
                PlannedSession(
                    at, AFFECTED_LEG, (*pair, "knee_to_wall"), np.radians(ktw_deg), progress, int(rng.integers(2**31))
                )
            )
        if day % 7 == 3:
            ktw_deg = OTHER_KTW_DEG + float(rng.normal(0.0, KTW_NOISE_DEG))
            at = date + timedelta(hours=18, minutes=int(rng.integers(0, 60)))
            plans.append(
                PlannedSession(
                    at,
                    OTHER_LEG,
                    ("ankle_circles", "knee_to_wall"),
                    np.radians(ktw_deg),
                    progress,
                    int(rng.integers(2**31)),
                )
            )
    return plans


def _set_options(name: str, plan: PlannedSession) -> SetOptions:
    spec = SPECS[name]
    amplitude = spec.amplitude_deg
    if name == "knee_to_wall":
        deg = float(np.degrees(plan.ktw_rad))
        amplitude = (deg - 0.3, deg + 0.3)
    elif name in PROGRESSING:
        shift = PROGRESS_SHIFT_DEG[0] + (PROGRESS_SHIFT_DEG[1] - PROGRESS_SHIFT_DEG[0]) * plan.progress
        amplitude = (amplitude[0] + shift, amplitude[1] + shift)
    return SetOptions(amplitude, DEMO_HOLD_S.get(name, spec.hold_s), (2.4, 3.4))


def record_planned(data_dir: Path, plan: PlannedSession) -> str:
    """Simulate one planned session and record it with the Recorder as a demo session; returns its id.

    One script runs every set in turn (the calibration stance and ankle pumps, getting into position, the set,
    getting back up) with rests standing in between; both sensors keep one mounting for the whole session and
    stream at DEMO_RATE_HZ. Each set runs from the start of its stance to the end of getting back up.
    """
    script_rng, sway_rng, sensor_rng, pain_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(plan.seed).spawn(4)
    )
    s = Script(1 if plan.leg == "right" else -1)
    s.hold(float(script_rng.uniform(1.0, 3.0)))
    windows: list[tuple[str, float, float]] = []
    for name in plan.exercises:
        start_s = s.t_s
        turn = DEMO_TURN_DEG.get(name, 0.0)
        protocol(s, script_rng, name, float(script_rng.uniform(4.0, 5.0)), 2, turn)
        posture = enter(s, name, script_rng)
        run_set(s, name, script_rng, DEMO_SET_UNITS[name], _set_options(name, plan), posture)
        leave(s, name, script_rng, posture)
        if turn:
            s.move(float(script_rng.uniform(1.0, 3.0)), heading=s.last("heading") - np.radians(turn))
        windows.append((name, start_s, s.t_s))
        s.phase("rest")
        s.hold(float(script_rng.uniform(*REST_BETWEEN_SETS_S)))
    kin = build_kinematics(s, sway_rng, s.side_sign, 0.15)
    t_s = np.arange(int(s.t_s * DEMO_RATE_HZ)) / DEMO_RATE_HZ
    sensors: dict[str, dict[str, Any]] = {
        role: {"name": f"demo-{role}", "model": "simulated dorsi sensor", "profile": "dorsi", "rate_hz": DEMO_RATE_HZ}
        for role in ROLES
    }
    rec = Recorder.create(data_dir, plan.leg, sensors, notes="demo data (simulated)", demo=True, created=plan.created)
    try:
        for role in ROLES:
            motion = SensorMotion(
                kin, role, random_mounting(sensor_rng), ImuErrors.random(sensor_rng), int(sensor_rng.integers(2**31))
            )
            rec.write(sample_block(motion, role, t_s))
        for name, start_s, end_s in windows:
            rec.start_set(name, start_s)
            rec.end_set(min(end_s, float(t_s[-1])), pain=int(pain_rng.choice([0, 0, 0, 1, 1, 2])))
    finally:
        rec.close()
    return rec.session_id


def seed_demo_history(
    data_dir: Path,
    weeks: int = 6,
    seed: int = 0,
    *,
    end: datetime | None = None,
    log: Callable[[str], None] | None = None,
) -> SeedReport:
    """Write `weeks` weeks of demo sessions into data_dir/sessions, labelled demo, as real recordings.

    Parameters
    ----------
    data_dir : the (demo) data directory.
    weeks : weeks of history before `end`.
    seed : seeds everything; the same seed and end give the same samples.
    end : the history ends the day before this (default now, UTC).
    log : called with a progress line now and then (e.g. print).

    Returns
    -------
    SeedReport : the new session ids, oldest first, and the seconds it took.
    """
    started = time.perf_counter()
    plans = plan_history(weeks, seed, end or datetime.now(UTC))
    ids = []
    for k, plan in enumerate(plans, 1):
        ids.append(record_planned(Path(data_dir), plan))
        if log is not None and (k % 10 == 0 or k == len(plans)):
            log(f"demo history: {k}/{len(plans)} sessions recorded ({time.perf_counter() - started:.0f} s)")
    return SeedReport(tuple(ids), time.perf_counter() - started)

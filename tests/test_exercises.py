"""Exercise analysers on synthetic angle streams whose truth is known by construction.

Each stream is built here from scripted knots (piecewise-linear, corners rounded), postural sway and sensor
noise; counts, timings and flags are checked against the script, not against the analysers' own output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from processing.events import Event
from processing.exercises.base import AngleStream
from processing.exercises.knee_to_wall import KneeToWall, toe_to_wall_m
from processing.exercises.registry import SPECS, spec

RATE_HZ = 100.0
CORNER_S = 0.2


# ---------------------------------------------------------------------------------------------------------
# Synthetic streams


def grid(duration_s: float) -> np.ndarray:
    return np.arange(round(duration_s * RATE_HZ)) / RATE_HZ


def track(t: np.ndarray, knots: list[tuple[float, float]]) -> np.ndarray:
    """Piecewise-linear through the knots (t_s, deg), corners rounded by a centred CORNER_S moving average
    (which keeps every ramp's extension through its knots, so a plateau starts at its knot)."""
    kt, kv = zip(*knots, strict=True)
    y = np.interp(t, kt, kv)
    w = round(CORNER_S * RATE_HZ)
    padded = np.concatenate([np.full(w, y[0]), y, np.full(w, y[-1])])
    return np.convolve(padded, np.ones(w) / w, mode="same")[w:-w]


def eased_track(t: np.ndarray, knots: list[tuple[float, float]], blend: float = 0.3) -> np.ndarray:
    """Through the knots (t_s, deg), every move starting and ending at rest like a person's: its speed rises
    and falls as half a cosine over `blend` of its duration at each end. A move ends exactly at its knot."""
    y = np.full(len(t), float(knots[0][1]))
    for (t0, v0), (t1, v1) in zip(knots[:-1], knots[1:], strict=True):
        inside = (t >= t0) & (t < t1)
        y[t >= t1] = v1
        if v0 == v1 or not inside.any():
            continue
        fine = np.linspace(0.0, 1.0, 2001)
        edge = np.minimum(fine, 1.0 - fine) / blend
        speed = np.where(edge < 1.0, 0.5 * (1.0 - np.cos(math.pi * np.minimum(edge, 1.0))), 1.0)
        progress = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]))])
        y[inside] = v0 + (v1 - v0) * np.interp((t[inside] - t0) / (t1 - t0), fine, progress / progress[-1])
    return y


def sway(t: np.ndarray, rng: np.random.Generator, rms_deg: float) -> np.ndarray:
    amp = rng.uniform(0.5, 1.0, 3)
    amp *= rms_deg * math.sqrt(2.0) / np.sqrt(np.sum(amp**2))
    freq, phase = rng.uniform(0.15, 1.2, 3), rng.uniform(0.0, 2.0 * math.pi, 3)
    return np.sum(amp * np.sin(2.0 * math.pi * freq * t[:, None] + phase), axis=1)


def make_stream(
    t: np.ndarray,
    rng: np.random.Generator,
    shin_pitch_deg: np.ndarray,
    foot_pitch_deg: np.ndarray,
    shin_roll_deg: np.ndarray | None = None,
    foot_roll_deg: np.ndarray | None = None,
    noise_deg: float = 0.2,
    sway_deg: float = 0.5,
) -> AngleStream:
    """A right leg's AngleStream from its segments' tilts (deg), with sway on every tilt, white noise on the
    angles and gyro-like noise on the rates (differentiating the white noise would be unlike a gyro)."""
    zero = np.zeros_like(t)
    tilts = [
        np.radians(c + sway(t, rng, sway_deg))
        for c in (
            shin_pitch_deg,
            foot_pitch_deg,
            shin_roll_deg if shin_roll_deg is not None else zero,
            foot_roll_deg if foot_roll_deg is not None else zero,
        )
    ]

    def rate(pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
        return np.abs(
            np.hypot(np.gradient(pitch, t), np.gradient(roll, t)) + rng.normal(0.0, math.radians(0.7), len(t))
        )

    rates = rate(tilts[0], tilts[2]), rate(tilts[1], tilts[3])
    sp, fp, sr, fr = (x + rng.normal(0.0, math.radians(noise_deg), len(t)) for x in tilts)
    return AngleStream(t, sp - fp, fr - sr, sp, fp, -fr, *rates)


def feed(analyser: Any, stream: AngleStream, chunks: list[int] | None = None) -> list[Event]:
    """All events of a stream fed in the given chunk lengths (default: one chunk), then finish()."""
    events: list[Event] = []
    i = 0
    for n in chunks or [len(stream)]:
        events += analyser.step(stream.slice(i, i + n))
        i += n
    assert i >= len(stream)
    return events + analyser.finish()


def random_chunks(n: int, rng: np.random.Generator) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(rng.choice([0, 1, 2, 3, 7, 50, 173, 1000])))
    return sizes


def of(events: list[Event], kind: str) -> list[dict[str, Any]]:
    return [e.data for e in events if e.kind == kind]


@dataclass
class Scenario:
    stream: AngleStream
    truth: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Scripts per exercise (truth in degrees and seconds, from the knots)


def stance() -> list[tuple[float, float]]:
    return [(0.0, 0.0), (4.0, 0.0)]


def band_scenario(seed: int, reps: int = 30) -> Scenario:
    """Standing lunges 25-40 deg with 2-5 deg wiggles between some reps and a 5 deg shift of weight."""
    rng = np.random.default_rng(seed)
    knots, truth = stance(), []
    t0, rest = 6.0, 0.0
    knots.append((t0, rest))
    for r in range(reps):
        peak = rng.uniform(25.0, 40.0)
        up, top, down = rng.uniform(0.9, 1.3), rng.uniform(0.1, 0.3), rng.uniform(0.9, 1.3)
        knots += [(t0 + up, peak), (t0 + up + top, peak), (t0 + up + top + down, rest)]
        truth.append({"start_s": t0, "end_s": t0 + up + top + down, "peak_deg": peak})
        t0 += up + top + down
        if r % 4 == 1:
            wiggle = rng.uniform(2.0, 5.0) * rng.choice([-1.0, 1.0])
            knots += [(t0 + 0.3, rest), (t0 + 0.8, rest + wiggle), (t0 + 1.3, rest)]
            t0 += 1.3
        if r in (10, 20):
            rest = 5.0 if r == 10 else 0.0
            knots.append((t0 + 1.0, rest))
            t0 += 1.0
        t0 += rng.uniform(0.3, 0.8)
        knots.append((t0, rest))
    knots.append((t0 + 3.0, rest))
    t = grid(t0 + 3.0)
    return Scenario(make_stream(t, rng, track(t, knots), np.zeros_like(t), sway_deg=0.7), truth)


def nerve_scenario(seed: int, reps: int = 20) -> Scenario:
    """Standing for the stance and the calibration's ankle pump (toes down 15 deg), then the leg out on a
    bench (shin -80 deg), foot resting at -10 deg dorsiflexion; point to -20..-30, bend to +10..+20, back;
    wiggles at rest."""
    rng = np.random.default_rng(seed)
    rest = -10.0
    knots = [*stance(), (4.6, -15.0), (5.0, -15.0), (5.6, 0.0), (8.0, 0.0), (10.0, rest), (12.0, rest)]
    t0, truth = 12.0, []
    for r in range(reps):
        point, bend = rng.uniform(-30.0, -20.0), rng.uniform(10.0, 20.0)
        d1, h1, d2, h2, d3 = (
            rng.uniform(0.8, 1.5),
            rng.uniform(0.2, 1.0),
            rng.uniform(1.0, 2.0),
            rng.uniform(0.2, 1.0),
            rng.uniform(0.8, 1.5),
        )
        start = t0
        for dt, level in ((d1, point), (h1, point), (d2, bend), (h2, bend), (d3, rest)):
            t0 += dt
            knots.append((t0, level))
        truth.append({"start_s": start, "end_s": t0, "peak_deg": bend, "point_deg": point})
        if r % 4 == 1:
            knots += [(t0 + 0.4, rest + rng.uniform(2.0, 5.0) * rng.choice([-1.0, 1.0])), (t0 + 0.8, rest)]
            t0 += 0.8
        t0 += rng.uniform(0.3, 1.5)
        knots.append((t0, rest))
    knots.append((t0 + 3.0, rest))
    t = grid(t0 + 3.0)
    df = track(t, knots)
    shin = np.interp(t, [0.0, 8.0, 10.0], [0.0, 0.0, -80.0])  # standing, then the leg goes onto the bench
    df[(t >= 9.0) & (t < 9.1)] += 8.0  # a glitch while the leg swings up: not a bend
    return Scenario(make_stream(t, rng, shin, shin - df), truth)


def drop_scenario(seed: int, plan: list[tuple[float, float]] | None = None) -> Scenario:
    """Eccentric drops: forefoot up 15-25 deg in ~1 s, held hold_s, lowered over lower_s."""
    rng = np.random.default_rng(seed)
    plan = plan or [(rng.uniform(5.5, 6.5), rng.uniform(2.5, 3.5)) for _ in range(6)]
    knots, truth, t0 = [*stance(), (6.0, 0.0)], [], 6.0
    for hold, lower in plan:
        peak, lift = rng.uniform(15.0, 25.0), rng.uniform(0.8, 1.2)
        knots += [(t0 + lift, -peak), (t0 + lift + hold, -peak), (t0 + lift + hold + lower, 0.0)]
        truth.append({"hold_s": hold, "lower_s": lower, "peak_deg": peak, "start_s": t0})
        t0 += lift + hold + lower + rng.uniform(1.0, 2.0)
        knots.append((t0, 0.0))
    knots.append((t0 + 3.0, 0.0))
    t = grid(t0 + 3.0)
    return Scenario(make_stream(t, rng, np.zeros_like(t), eased_track(t, knots), sway_deg=0.3), truth)


@dataclass(frozen=True)
class HoldScript:
    """How an exercise's holds look: which segment moves, the base level, ranges (deg, s)."""

    moving: str  # "shin" (df = +shin) or "foot" (df = -foot)
    base_deg: float
    level_deg: tuple[float, float]
    hold_s: tuple[float, float]
    rest_s: tuple[float, float]
    ramp_s: tuple[float, float]
    count: int
    prelude: tuple[tuple[float, float], ...] = ()  # knots after the stance, in df deg (before the holds)


HOLD_SCRIPTS = {
    # heel dropped off a step (foot pitch -15..-25), shin leaning 0..5: after the calibration's ankle pump
    "gastrocnemius_stretch": HoldScript(
        "foot", 0.0, (15.0, 25.0), (24.0, 40.0), (5.0, 10.0), (1.0, 2.5), 4, ((4.6, -15.0), (5.0, -15.0), (5.6, 0.0))
    ),
    "soleus_stretch": HoldScript("shin", 0.0, (20.0, 35.0), (24.0, 40.0), (5.0, 10.0), (1.0, 2.5), 4),
    # sitting down first: the shin tilts 15 deg forward for a moment
    "seated_dorsiflexion_hold": HoldScript(
        "foot", 0.0, (15.0, 25.0), (7.0, 12.0), (3.0, 5.0), (0.6, 1.5), 12, ((5.0, 15.0), (6.0, 15.0), (7.0, 0.0))
    ),
    # lying down, the relaxed foot in plantarflexion, pulled up to 0..+10 deg by a helper
    # the calibration's ankle pump while standing, then lying down with the foot relaxed
    "traction": HoldScript(
        "shin", -20.0, (0.0, 10.0), (24.0, 40.0), (10.0, 20.0), (1.0, 3.0), 4, ((4.6, -15.0), (5.0, -15.0), (5.6, 0.0))
    ),
}


def hold_scenario(name: str, seed: int, sway_deg: float = 0.3) -> Scenario:
    script = HOLD_SCRIPTS[name]
    rng = np.random.default_rng(seed)
    knots = [*stance(), *script.prelude]
    t0 = knots[-1][0] + 2.0
    knots += [(t0 - 1.0, script.base_deg), (t0, script.base_deg)]
    truth = []
    for _ in range(script.count):
        level, hold = rng.uniform(*script.level_deg), rng.uniform(*script.hold_s)
        up, down = rng.uniform(*script.ramp_s), rng.uniform(*script.ramp_s)
        creep = rng.uniform(-1.0, 3.0)  # the tissue giving way during a hold
        knots += [(t0 + up, level), (t0 + up + hold, level + creep), (t0 + up + hold + down, script.base_deg)]
        truth.append({"start_s": t0 + up, "end_s": t0 + up + hold, "duration_s": hold, "mean_deg": level + creep / 2})
        t0 += up + hold + down + rng.uniform(*script.rest_s)
        knots.append((t0, script.base_deg))
    knots.append((t0 + 3.0, script.base_deg))
    t = grid(t0 + 3.0)
    df = eased_track(t, knots)
    shin, foot = (df, np.zeros_like(t)) if script.moving == "shin" else (np.zeros_like(t), -df)
    return Scenario(make_stream(t, rng, shin, foot, sway_deg=sway_deg), truth)


def circle_scenario(seed: int, plan: tuple[tuple[int, int], ...] = ((20, 1), (20, -1))) -> Scenario:
    """Seated ankle circles: from rest at the centre, out to the toes-up point, circles of df +-15..25 and
    inversion +-10..20 deg taking 2-4 s each, back to rest, a pause with a small wobble, the other way."""
    rng = np.random.default_rng(seed)
    centre = (-5.0, 2.0)
    t_knots = [0.0, 4.0, 5.5, 6.0]
    df_knots, inv_knots = [0.0, 0.0, centre[0], centre[0]], [0.0, 0.0, centre[1], centre[1]]
    circles, truth, t0 = [], [], 6.0
    for n, sign in plan:
        first_a = rng.uniform(15.0, 25.0)
        t_knots.append(t0 + 0.5)
        df_knots.append(centre[0] + first_a)
        inv_knots.append(centre[1])
        t0 += 0.5
        a_prev = first_a
        for _ in range(n):
            dur, b = rng.uniform(2.0, 4.0), rng.uniform(10.0, 20.0)
            a_next = rng.uniform(15.0, 25.0)
            circles.append((t0, dur, a_prev, a_next, b, sign))
            truth.append({"start_s": t0, "end_s": t0 + dur, "direction": "inward" if sign > 0 else "outward"})
            t0 += dur
            a_prev = a_next
        t_knots += [t0, t0 + 0.5, t0 + 3.0]
        df_knots += [centre[0] + a_prev, centre[0], centre[0]]
        inv_knots += [centre[1], centre[1], centre[1]]
        t0 += 3.0
    t = grid(t0 + 2.0)
    df, inv = np.interp(t, t_knots, df_knots), np.interp(t, t_knots, inv_knots)
    for start, dur, a0, a1, b, sign in circles:
        m = (t >= start) & (t < start + dur)
        frac = (t[m] - start) / dur
        a = a0 + (a1 - a0) * frac  # the size changes smoothly from one circle to the next
        df[m] = centre[0] + a * np.cos(2.0 * math.pi * frac)
        inv[m] = centre[1] + sign * b * np.sin(2.0 * math.pi * frac)
    wobble = rng.uniform(1.0, 2.5) * np.sin(2.0 * math.pi * 0.6 * t)
    rest = np.ones(len(t), bool)
    for start, dur, *_ in circles:
        rest &= (t < start - 0.6) | (t > start + dur + 0.6)
    df[rest & (t > 6.0)] += wobble[rest & (t > 6.0)]
    return Scenario(make_stream(t, rng, np.full_like(t, 5.0), 5.0 - df, None, inv, sway_deg=0.7), truth)


def release_scenario(seed: int, segment: str) -> Scenario:
    """After the stance, the ankle pumps and sitting down: rolling bouts of 15-40 s (0.5-1 Hz) with 5-15 s
    pauses and short fidgets, leg out on the floor."""
    rng = np.random.default_rng(seed)
    t = grid(150.0)
    pitch, roll = np.zeros_like(t), np.zeros_like(t)
    truth, t0 = [], 8.0
    while t0 < 110.0:
        dur, freq = rng.uniform(15.0, 40.0), rng.uniform(0.5, 1.0)
        m = (t >= t0) & (t < t0 + dur)
        phase = 2.0 * math.pi * freq * (t[m] - t0)
        pitch[m] = rng.uniform(4.0, 8.0) * np.sin(phase)
        roll[m] = rng.uniform(10.0, 15.0) * np.sin(phase)
        truth.append({"start_s": t0, "end_s": t0 + dur})
        t0 += dur + rng.uniform(5.0, 15.0)
        fidget = (t >= t0 - 3.0) & (t < t0 - 2.6)  # shifting on the floor for 0.4 s
        roll[fidget] += 4.0 * np.sin(2.0 * math.pi * 1.25 * (t[fidget] - t0))
    # the stance, two ankle pumps while standing (fast toes-down moves of the foot), sitting down on the floor
    shin = np.interp(t, [0.0, 5.0, 7.0], [0.0, 0.0, -85.0])
    pumps = track(t, [(0.0, 0.0), (4.0, 0.0), (4.4, 15.0), (4.8, 0.0), (5.2, 15.0), (5.6, 0.0), (8.0, 0.0)])
    if segment == "shin":
        s = make_stream(t, rng, shin + pitch, shin + pumps, roll, None, sway_deg=0.3)
    else:
        s = make_stream(t, rng, shin, shin + 5.0 + pitch + pumps, None, roll, sway_deg=0.3)
    return Scenario(s, truth)


def knee_to_wall_scenario(seed: int, lifts_deg: tuple[float, ...] = (0.0, 7.0, 0.0, 0.0)) -> Scenario:
    """Lunges to the wall (shin 30-45 deg, 1-2 s at the wall); some with the heel lifting at the top."""
    rng = np.random.default_rng(seed)
    shin, foot = stance(), stance()
    truth, t0 = [], 6.0
    for lift in lifts_deg:
        peak, at_wall = rng.uniform(30.0, 45.0), rng.uniform(1.0, 2.0)
        shin += [(t0, 0.0), (t0 + 1.5, peak), (t0 + 1.5 + at_wall, peak), (t0 + 3.0 + at_wall, 0.0)]
        if lift:
            foot += [(t0 + 1.2, 0.0), (t0 + 1.6, lift), (t0 + 1.4 + at_wall, lift), (t0 + 1.8 + at_wall, 0.0)]
        truth.append({"peak_deg": peak, "lift_deg": lift, "start_s": t0, "end_s": t0 + 3.0 + at_wall})
        t0 += 5.0 + at_wall + rng.uniform(1.0, 3.0)
    shin.append((t0 + 2.0, 0.0))
    foot.append((t0 + 2.0, 0.0))
    t = grid(t0 + 2.0)
    return Scenario(make_stream(t, rng, track(t, shin), track(t, foot), sway_deg=0.3), truth)


SCENARIOS: dict[str, Callable[[int], Scenario]] = {
    "ankle_circles": circle_scenario,
    "calf_release": lambda seed: release_scenario(seed, "shin"),
    "achilles_release": lambda seed: release_scenario(seed, "foot"),
    "gastrocnemius_stretch": lambda seed: hold_scenario("gastrocnemius_stretch", seed),
    "soleus_stretch": lambda seed: hold_scenario("soleus_stretch", seed),
    "traction": lambda seed: hold_scenario("traction", seed),
    "band_mobilisation": band_scenario,
    "seated_dorsiflexion_hold": lambda seed: hold_scenario("seated_dorsiflexion_hold", seed),
    "eccentric_drop": drop_scenario,
    "nerve_flossing": nerve_scenario,
    "knee_to_wall": knee_to_wall_scenario,
}
COUNTED_KIND = {
    "ankle_circles": "circle",
    "calf_release": "activity",
    "achilles_release": "activity",
    "gastrocnemius_stretch": "hold",
    "soleus_stretch": "hold",
    "traction": "hold",
    "band_mobilisation": "rep",
    "seated_dorsiflexion_hold": "hold",
    "eccentric_drop": "rep",
    "nerve_flossing": "rep",
    "knee_to_wall": "attempt",
}


# ---------------------------------------------------------------------------------------------------------
# Registry


def test_the_registry_lists_the_routine_in_the_guides_order_with_the_shared_table() -> None:
    assert list(SPECS) == [
        "ankle_circles",
        "calf_release",
        "achilles_release",
        "gastrocnemius_stretch",
        "soleus_stretch",
        "traction",
        "band_mobilisation",
        "seated_dorsiflexion_hold",
        "eccentric_drop",
        "nerve_flossing",
        "knee_to_wall",
    ]
    table = {  # primary, shin_sign, foot on ground, target, unit, hold_s (the shared exercise table)
        "band_mobilisation": ("shin", 1, True, 30, "reps", None),
        "nerve_flossing": ("foot", -1, False, 20, "reps", None),
        "eccentric_drop": ("foot", -1, True, 30, "reps", None),
        "gastrocnemius_stretch": ("foot", 1, True, 3, "holds", 30.0),
        "soleus_stretch": ("shin", 1, True, 3, "holds", 30.0),
        "seated_dorsiflexion_hold": ("foot", 1, False, 20, "holds", 10.0),
        "traction": ("shin", -1, False, 3, "holds", 30.0),
        "ankle_circles": ("foot", 1, False, 20, "circles", None),
        "calf_release": ("shin", -1, False, 60, "s", None),
        "achilles_release": ("foot", -1, False, 60, "s", None),
        "knee_to_wall": ("shin", 1, True, 3, "attempts", None),
    }
    for name, row in table.items():
        s = spec(name)
        assert s.name == name
        got = (s.primary_role, s.shin_first_excursion_sign, s.foot_on_ground, s.target_count, s.target_unit)
        assert (*got, s.target_hold_s) == row
        assert s.title and s.instruction.endswith(".") and len(s.instruction) < 220


def test_an_unknown_exercise_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: ankle_circles, calf_release.*knee_to_wall"):
        spec("toe_taps")


@pytest.mark.parametrize("name", list(SPECS))
def test_every_analyser_starts_at_zero_and_says_what_it_counts(name: str) -> None:
    s = spec(name)
    a, b = s.make(), s.make()
    assert a is not b
    p = a.progress()
    assert p["count"] == 0 and p["unit"] == s.target_unit
    assert p["target"] == (2 * s.target_count if name == "ankle_circles" else s.target_count)
    if s.target_unit == "holds":
        assert p["holding_s"] is None
    if s.target_unit == "s":
        assert p["active_s"] == 0.0
    json.dumps(p, allow_nan=False)


# ---------------------------------------------------------------------------------------------------------
# Rep counters


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_band_mobilisation_counts_every_lunge_and_no_wiggle(seed: int) -> None:
    sc = band_scenario(seed)
    a = spec("band_mobilisation").make()
    reps = of(feed(a, sc.stream), "rep")
    assert len(reps) == len(sc.truth) == 30 == a.progress()["count"]
    for rep, true in zip(reps, sc.truth, strict=True):
        assert abs(math.degrees(rep["peak_dorsiflexion_rad"]) - true["peak_deg"]) < 3.5  # sway 0.7 deg on 2 tilts
        assert abs(rep["start_s"] - true["start_s"]) < 0.5
        assert abs(rep["end_s"] - true["end_s"]) < 0.5
        assert rep["flags"] == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nerve_flossing_counts_reps_around_a_resting_level_that_is_not_the_stance(seed: int) -> None:
    sc = nerve_scenario(seed)
    a = spec("nerve_flossing").make()
    reps = of(feed(a, sc.stream), "rep")
    assert len(reps) == 20  # the calibration's ankle pump and the wiggles are not reps
    for rep, true in zip(reps, sc.truth, strict=True):
        assert abs(math.degrees(rep["peak_dorsiflexion_rad"]) - true["peak_deg"]) < 3.5
        assert abs(math.degrees(rep["min_dorsiflexion_rad"]) - true["point_deg"]) < 3.5
        assert true["start_s"] - 1.0 < rep["start_s"] < true["start_s"] + 1.0
        assert true["start_s"] < rep["end_s"] <= true["end_s"]


def test_a_rep_counter_needs_a_full_return() -> None:
    """Lunge forward, come back only halfway, lunge again, then return: one rep, not two."""
    t = grid(20.0)
    knots = [*stance(), (6.0, 0.0), (7.0, 35.0), (8.0, 20.0), (9.0, 36.0), (10.0, 0.0), (20.0, 0.0)]
    rng = np.random.default_rng(0)
    reps = of(feed(spec("band_mobilisation").make(), make_stream(t, rng, track(t, knots), np.zeros_like(t))), "rep")
    assert len(reps) == 1
    assert reps[0]["start_s"] == pytest.approx(6.0, abs=0.3) and reps[0]["end_s"] == pytest.approx(10.0, abs=0.3)


def test_eccentric_drops_report_hold_and_lowering_and_flag_the_bad_ones() -> None:
    plan = [(6.0, 3.0), (3.0, 3.0), (6.0, 1.0), (5.5, 2.6)]
    sc = drop_scenario(3, plan)
    reps = of(feed(spec("eccentric_drop").make(), sc.stream), "rep")
    assert len(reps) == 4
    for rep, true in zip(reps, sc.truth, strict=True):
        assert rep["hold_s"] == pytest.approx(true["hold_s"], abs=0.5)
        assert rep["lower_s"] == pytest.approx(true["lower_s"], abs=0.5)
        assert abs(math.degrees(rep["peak_dorsiflexion_rad"]) - true["peak_deg"]) < 3.0
    assert [r["flags"] for r in reps] == [[], ["hold_too_short"], ["lowered_too_fast"], []]


# ---------------------------------------------------------------------------------------------------------
# Holds


@pytest.mark.parametrize("name", list(HOLD_SCRIPTS))
@pytest.mark.parametrize("seed", [0, 1])
def test_holds_start_and_end_within_half_a_second_of_the_plateau(name: str, seed: int) -> None:
    sc = hold_scenario(name, seed)
    a = spec(name).make()
    target = spec(name).target_hold_s
    assert target is not None
    events = feed(a, sc.stream, random_chunks(len(sc.stream), np.random.default_rng(seed)))
    holds, started = of(events, "hold"), [e for e in events if e.kind == "hold_started"]
    assert len(holds) == len(started) == len(sc.truth)  # no deeper plateau here: one start per hold
    counted = 0
    for hold, begun, true in zip(holds, started, sc.truth, strict=True):
        assert abs(hold["start_s"] - true["start_s"]) <= 0.5
        assert abs(hold["end_s"] - true["end_s"]) <= 0.5
        assert hold["duration_s"] == pytest.approx(hold["end_s"] - hold["start_s"])
        assert abs(math.degrees(hold["mean_dorsiflexion_rad"]) - true["mean_deg"]) < 1.5
        assert begun.data["start_s"] == hold["start_s"]
        assert hold["start_s"] < begun.t_s < hold["start_s"] + 3.5  # the ring starts soon after the plateau
        counts = true["duration_s"] >= target + 0.5
        if abs(true["duration_s"] - target) > 0.5:
            assert hold["counts"] is counts
        counted += hold["counts"]
        assert hold["count"] == counted
    assert a.progress()["count"] == counted


def test_a_hold_starts_on_the_deeper_plateau_when_the_heel_comes_down_during_the_lean() -> None:
    """Leaning into a soleus stretch with the heel up: the ankle stops at 22 deg for 3.5 s, then the heel
    comes down and it reaches 32 deg: the hold starts there (a second hold_started says so)."""
    t = grid(60.0)
    shin = eased_track(t, [*stance(), (6.0, 0.0), (7.5, 32.0), (50.0, 32.0), (51.5, 0.0)])
    heel = eased_track(t, [*stance(), (6.5, 0.0), (7.0, 10.0), (10.5, 10.0), (11.0, 0.0)])
    rng = np.random.default_rng(8)
    events = feed(spec("soleus_stretch").make(), make_stream(t, rng, shin, heel, sway_deg=0.2))
    assert [e.kind for e in events] == ["hold_started", "hold_started", "hold"]
    hold = events[-1].data
    assert events[0].data["start_s"] == pytest.approx(7.5, abs=0.5)  # the ring started on the first plateau
    assert events[1].data["start_s"] == hold["start_s"] == pytest.approx(11.0, abs=0.5)
    assert hold["end_s"] == pytest.approx(50.0, abs=0.5)
    assert math.degrees(hold["mean_dorsiflexion_rad"]) == pytest.approx(32.0, abs=1.0)


def test_a_hold_shows_its_time_while_it_lasts_and_one_cut_by_the_end_is_reported() -> None:
    t = grid(30.0)
    knots = [*stance(), (6.0, 0.0), (7.0, 20.0), (30.0, 20.0)]
    a = spec("seated_dorsiflexion_hold").make()
    stream = make_stream(t, np.random.default_rng(1), np.zeros_like(t), -track(t, knots))
    events = a.step(stream.slice(0, 1500))
    assert [e.kind for e in events] == ["hold_started"]
    assert a.progress()["holding_s"] == pytest.approx(14.99 - 7.0, abs=0.4)
    events = a.step(stream.slice(1500, len(stream))) + a.finish()
    assert [e.kind for e in events] == ["hold"]
    assert events[0].data["flags"] == ["unfinished"] and events[0].data["counts"] is True
    assert events[0].data["end_s"] == pytest.approx(t[-1])
    assert a.progress()["holding_s"] is None


def with_lost_packets(stream: AngleStream, gaps_s: list[tuple[float, float]]) -> AngleStream:
    """The stream with every channel but the time NaN inside the gaps (lost packets), [start, end) in s."""
    lost = np.zeros(len(stream), dtype=bool)
    for start, end in gaps_s:
        lost |= (stream.t_s >= start) & (stream.t_s < end)
    channels = [np.where(lost, np.nan, c) for c in vars(stream).values()][1:]
    return AngleStream(stream.t_s, *channels)


def test_lost_packets_on_the_ramps_do_not_move_a_holds_edges() -> None:
    """Seated holds whose ramps (1 s up to 22 deg, 1 s down, eased) lose half a second of samples: in the
    middle of the way up, over its end, over the start of the way down. Each edge stays at its knot, and
    any chunking gives the same holds."""
    t = grid(80.0)
    knots = [*stance(), (6.0, 0.0), (7.0, 22.0), (20.0, 22.0), (21.0, 0.0), (30.0, 0.0), (31.0, 22.0)]
    knots += [(44.0, 22.0), (45.0, 0.0), (55.0, 0.0), (56.0, 22.0), (69.0, 22.0), (70.0, 0.0)]
    gaps = [(6.25, 6.75), (19.9, 20.4), (30.7, 31.2), (68.8, 69.3)]
    stream = make_stream(t, np.random.default_rng(3), np.zeros_like(t), -eased_track(t, knots), sway_deg=0.2)
    stream = with_lost_packets(stream, gaps)
    holds = of(feed(spec("seated_dorsiflexion_hold").make(), stream), "hold")
    edges = [edge for h in holds for edge in (h["start_s"], h["end_s"])]
    assert edges == pytest.approx([7.0, 20.0, 31.0, 44.0, 56.0, 69.0], abs=0.3)
    for seed in range(3):
        chunks = random_chunks(len(stream), np.random.default_rng(seed))
        assert of(feed(spec("seated_dorsiflexion_hold").make(), stream, chunks), "hold") == holds


def soleus_lean_with_the_heel_up(heel_down_s: float, gaps_s: list[tuple[float, float]]) -> AngleStream:
    """A soleus stretch (33 deg from 7.5 s to 50 s) leaned into with the heel 6 deg up (the ankle at 27 deg,
    past 80 % of the hold) until heel_down_s - 0.5, down at heel_down_s; packets lost in gaps_s."""
    t = grid(60.0)
    shin = eased_track(t, [*stance(), (6.0, 0.0), (7.5, 33.0), (50.0, 33.0), (51.5, 0.0)])
    heel = eased_track(t, [*stance(), (6.5, 0.0), (7.0, 6.0), (heel_down_s - 0.5, 6.0), (heel_down_s, 0.0)])
    return with_lost_packets(make_stream(t, np.random.default_rng(5), shin, heel, sway_deg=0.2), gaps_s)


def test_a_hold_starts_after_a_heel_down_that_comes_late_in_the_lean() -> None:
    """The heel comes down 0.8 s after the lean: one plateau window spans both levels; the hold starts at the
    end of the last rise."""
    holds = of(feed(spec("soleus_stretch").make(), soleus_lean_with_the_heel_up(8.8, [])), "hold")
    assert len(holds) == 1
    assert holds[0]["start_s"] == pytest.approx(8.8, abs=0.2)
    assert holds[0]["end_s"] == pytest.approx(50.0, abs=0.4)


def test_lost_packets_on_the_deeper_plateau_do_not_keep_the_start_on_the_heel_up_level() -> None:
    """The heel comes down 2.5 s after the lean, then short bursts of lost packets every 1.8 s: no window
    of the deeper plateau is complete, yet the hold moves its start there."""
    gaps = [(11.4, 11.6), (13.2, 13.4), (15.0, 15.2), (16.8, 17.0)]
    events = feed(spec("soleus_stretch").make(), soleus_lean_with_the_heel_up(10.5, gaps))
    assert [e.kind for e in events] == ["hold_started", "hold_started", "hold"]
    assert events[-1].data["start_s"] == pytest.approx(10.5, abs=0.4)


# ---------------------------------------------------------------------------------------------------------
# Circles


@pytest.mark.parametrize("seed", range(6))
def test_ankle_circles_are_counted_per_direction(seed: int) -> None:
    sc = circle_scenario(seed, ((20, 1), (20, -1)) if seed % 2 else ((20, -1), (20, 1)))
    a = spec("ankle_circles").make()
    circles = of(feed(a, sc.stream), "circle")
    p = a.progress()
    assert (p["inward"], p["outward"], p["count"], p["target"]) == (20, 20, 40, 40)
    assert [c["direction"] for c in circles] == [c["direction"] for c in sc.truth]
    for circle, true in zip(circles, sc.truth, strict=True):
        assert abs(circle["end_s"] - true["end_s"]) < 1.0
        assert 30.0 - 6.0 < math.degrees(circle["range_dorsiflexion_rad"]) < 50.0 + 6.0  # plus sway and noise
        assert 20.0 - 6.0 < math.degrees(circle["range_inversion_rad"]) < 40.0 + 6.0


def test_small_wobbles_and_small_circles_are_not_circles() -> None:
    t = grid(60.0)
    rng = np.random.default_rng(4)
    small = 3.0 * np.cos(2.0 * math.pi * t / 1.5), 3.0 * np.sin(2.0 * math.pi * t / 1.5)
    wobble = 2.5 * np.sin(2.0 * math.pi * 0.37 * t), 2.5 * np.sin(2.0 * math.pi * 0.71 * t + 1.0)
    df = np.where(t < 30.0, small[0], wobble[0])
    inv = np.where(t < 30.0, small[1], wobble[1])
    stream = make_stream(t, rng, np.full_like(t, 5.0), 5.0 - df, None, inv, sway_deg=0.7)
    assert of(feed(spec("ankle_circles").make(), stream), "circle") == []


# ---------------------------------------------------------------------------------------------------------
# Releases


@pytest.mark.parametrize("name", ["calf_release", "achilles_release"])
def test_releases_count_the_time_spent_rolling_and_not_the_pauses(name: str) -> None:
    sc = release_scenario(5, "shin" if name == "calf_release" else "foot")
    a = spec(name).make()
    events = feed(a, sc.stream, random_chunks(len(sc.stream), np.random.default_rng(2)))
    bouts = of(events, "activity")
    assert len(bouts) == len(of(events, "activity_started")) == len(sc.truth)
    for bout, true in zip(bouts, sc.truth, strict=True):
        assert abs(bout["start_s"] - true["start_s"]) < 0.5
        assert abs(bout["end_s"] - true["end_s"]) < 1.0
    true_active = sum(b["end_s"] - b["start_s"] for b in sc.truth)
    p = a.progress()
    assert p["active_s"] == pytest.approx(true_active, abs=2.0)
    assert p["done"] is (true_active > 60.0) and p["over_max"] is False
    reached = [e for e in events if e.kind == "target_reached"]
    assert len(reached) == 1
    cumulative, due = 0.0, None
    for b in sc.truth:
        if cumulative + b["end_s"] - b["start_s"] >= 60.0:
            due = b["start_s"] + 60.0 - cumulative
            break
        cumulative += b["end_s"] - b["start_s"]
    assert due is not None and 0.0 <= reached[0].t_s - due < 3.5  # the timer runs one window behind


def test_the_other_segment_does_not_count_as_rolling() -> None:
    """Achilles release reads the foot: a rolling shin with a still foot is not activity."""
    sc = release_scenario(6, "shin")
    assert of(feed(spec("achilles_release").make(), sc.stream), "activity") == []


# ---------------------------------------------------------------------------------------------------------
# Knee to wall


def test_toe_to_wall_by_the_clinical_rule_and_by_geometry() -> None:
    assert toe_to_wall_m(math.radians(40.0)) == pytest.approx(0.111, abs=0.001)
    assert toe_to_wall_m(math.radians(3.6)) == pytest.approx(0.01)
    # knee cap 0.45 m up the shin and 4 cm in front of it; toe tip 80 % of a 0.26 m foot ahead of the ankle
    expected = 0.45 * math.sin(math.radians(40.0)) + 0.04 * math.cos(math.radians(40.0)) - 0.8 * 0.26
    assert toe_to_wall_m(math.radians(40.0), 0.45, 0.26) == pytest.approx(expected)
    assert 0.10 < expected < 0.13  # the rule and the geometry agree for an average adult
    with pytest.raises(ValueError, match="both"):
        toe_to_wall_m(0.7, shin_length_m=0.45)
    with pytest.raises(ValueError, match="positive"):
        KneeToWall(shin_length_m=0.45, foot_length_m=0.0)


def test_knee_to_wall_attempts_with_the_heel_up_are_flagged_and_do_not_count() -> None:
    sc = knee_to_wall_scenario(3)
    a = spec("knee_to_wall").make()
    attempts = of(feed(a, sc.stream), "attempt")
    assert len(attempts) == 4
    for attempt, true in zip(attempts, sc.truth, strict=True):
        lifted = true["lift_deg"] > 0
        assert attempt["heel_lifted"] is lifted and attempt["counts"] is not lifted
        assert attempt["flags"] == (["heel_lifted"] if lifted else [])
        best = math.degrees(attempt["max_dorsiflexion_rad"])
        if lifted:
            assert best < true["peak_deg"] - 3.0  # only the part of the lunge before the heel came up
        else:
            assert abs(best - true["peak_deg"]) < 2.5
            assert attempt["toe_to_wall_m"] == pytest.approx(best / 3.6 / 100.0)
        assert abs(attempt["start_s"] - true["start_s"]) < 0.5 and abs(attempt["end_s"] - true["end_s"]) < 0.5
    p = a.progress()
    best_true = max(tr["peak_deg"] for tr in sc.truth if not tr["lift_deg"])
    assert p["count"] == 3 and p["attempts"] == 4
    assert math.degrees(p["best_dorsiflexion_rad"]) == pytest.approx(best_true, abs=2.5)


def test_knee_to_wall_uses_the_persons_lengths_when_given() -> None:
    sc = knee_to_wall_scenario(4, (0.0,))
    a = KneeToWall(shin_length_m=0.42, foot_length_m=0.25)
    (attempt,) = of(feed(a, sc.stream), "attempt")
    angle = attempt["max_dorsiflexion_rad"]
    expected = 0.42 * math.sin(angle) + 0.04 * math.cos(angle) - 0.8 * 0.25
    assert attempt["toe_to_wall_m"] == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------------------
# Streaming properties shared by every analyser


def comparable(events: list[Event]) -> list[tuple[str, float, str]]:
    return [(e.kind, e.t_s, json.dumps(e.data, sort_keys=True, allow_nan=False)) for e in events]


@pytest.mark.parametrize("name", list(SPECS))
def test_any_split_into_chunks_gives_identical_events(name: str) -> None:
    sc = SCENARIOS[name](11)
    whole = feed(spec(name).make(), sc.stream)
    assert of(whole, COUNTED_KIND[name])
    for seed in (1, 2):
        chunks = random_chunks(len(sc.stream), np.random.default_rng(seed))
        assert comparable(feed(spec(name).make(), sc.stream, chunks)) == comparable(whole)
    assert [e.t_s for e in whole] == sorted(e.t_s for e in whole)


def with_gaps(stream: AngleStream, rng: np.random.Generator, count: int = 25) -> AngleStream:
    """Short sensor gaps (0.1-0.3 s of NaN angles and rates) at random places after the stance."""
    fields = ("dorsiflexion_rad", "inversion_rad", "shin_pitch_rad", "foot_pitch_rad", "foot_pronation_rad")
    out = stream.slice(0, len(stream))
    arrays = {f: getattr(out, f).copy() for f in (*fields, "shin_rate_rad_s", "foot_rate_rad_s")}
    for start in rng.integers(int(5 * RATE_HZ), len(stream) - 50, count):
        stop = start + int(rng.integers(10, 31))
        for a in arrays.values():
            a[start:stop] = np.nan
    for f, a in arrays.items():
        setattr(out, f, a)
    return out


@pytest.mark.parametrize("name", list(SPECS))
def test_sensor_gaps_neither_create_nor_lose_anything(name: str) -> None:
    sc = SCENARIOS[name](12)
    kind = COUNTED_KIND[name]
    clean = of(feed(spec(name).make(), sc.stream), kind)
    gappy = of(feed(spec(name).make(), with_gaps(sc.stream, np.random.default_rng(3))), kind)
    assert len(gappy) == len(clean) > 0
    for a, b in zip(gappy, clean, strict=True):
        assert abs(a["start_s"] - b["start_s"]) < 0.6 and abs(a["end_s"] - b["end_s"]) < 0.6


@pytest.mark.parametrize("name", ["eccentric_drop", "band_mobilisation", "traction", "ankle_circles", "calf_release"])
def test_memory_stays_bounded_over_an_hour(name: str) -> None:
    """An hour of one posture held (the worst case: an excursion that never ends), fed one second at a time."""
    t = grid(3600.0)
    level = np.where(t < 5.0, 0.0, 20.0)
    stream = make_stream(t, np.random.default_rng(0), level, np.zeros_like(t), noise_deg=0.1, sway_deg=0.0)
    a = spec(name).make()
    most = 0
    for i in range(0, len(t), int(RATE_HZ)):
        a.step(stream.slice(i, i + int(RATE_HZ)))
        most = max(most, len(a._tail))
    assert most <= a.keep <= 120.0 * RATE_HZ
    assert len(json.dumps(a.progress())) < 500


def test_events_carry_plain_json_numbers() -> None:
    for name, make_scenario in SCENARIOS.items():
        for e in feed(spec(name).make(), make_scenario(13).stream):
            text = json.dumps(e.data, allow_nan=False)
            assert isinstance(e.t_s, float)
            assert "numpy" not in repr(json.loads(text))
            for value in e.data.values():
                assert not isinstance(value, np.generic), (name, e.kind, value)


@pytest.mark.parametrize("pauses_per_circle", [1, 2, 4])
def test_short_pauses_within_the_circles_lose_none(pauses_per_circle: int) -> None:
    """A person pausing 0.6 s (under the 1 s that counts as coming to rest) at points of each circle."""
    dt, steps = 0.01, 400
    phase: list[float | None] = [None] * 300
    for c in range(10):
        for k in range(steps):
            p = 2 * math.pi * (c + k / steps)
            phase.append(p)
            if k % (steps // pauses_per_circle) == steps // (2 * pauses_per_circle):
                phase += [p] * 60
    phase += [None] * 300
    t = np.arange(len(phase)) * dt
    df = np.array([0.0 if p is None else math.radians(15) * math.sin(p) for p in phase])
    inv = np.array([0.0 if p is None else math.radians(12) * math.cos(p) for p in phase])
    zero = np.zeros_like(t)
    analyser = spec("ankle_circles").make()
    events = feed(analyser, AngleStream(t, df, inv, zero, zero, zero, zero, zero), [7] * (len(t) // 7 + 1))
    assert len(of(events, "circle")) == 10

"""Ground truth of a simulated session, computed from the kinematics and the script's marks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sensors.simulation.body import LegKinematics
from sensors.simulation.exercises import phase_times
from sensors.simulation.script import Marks

FloatArray = NDArray[np.float64]
DEG = np.pi / 180.0
HEEL_DOWN_MAX_RAD = 2.0 * DEG  # the heel counts as down while the foot pitch stays below this
HEEL_LIFT_RAD = 4.0 * DEG  # foot pitch toes-down beyond the stance by more than this: the heel is lifted


@dataclass
class RepTruth:
    """One rep (or knee-to-wall attempt): times in s, angles in rad.

    hold_s : the plateau at the top (a drop's hold, a lunge's or flossing's pause, the time at the wall).
    lower_s : the way back down (a drop's lowering).
    """

    start_s: float
    end_s: float
    peak_dorsiflexion_rad: float
    hold_s: float
    lower_s: float


@dataclass
class HoldTruth:
    """One hold: from the end of the ramp into it to the start of the ramp out; mean dorsiflexion over it."""

    start_s: float
    end_s: float
    duration_s: float
    mean_dorsiflexion_rad: float


@dataclass
class CircleTruth:
    """One ankle circle (one turn of the phase angle), its direction and the ranges it covered, rad."""

    direction: str
    start_s: float
    end_s: float
    dorsiflexion_range_rad: tuple[float, float]
    inversion_range_rad: tuple[float, float]


@dataclass
class ActivityTruth:
    """One bout of rolling (calf or Achilles release): while the motion is above half its full amplitude."""

    start_s: float
    end_s: float


@dataclass
class AttemptTruth:
    """One knee-to-wall attempt; max_dorsiflexion_rad over the samples with the heel down (NaN if none)."""

    start_s: float
    end_s: float
    max_dorsiflexion_rad: float
    heel_lifted: bool


@dataclass
class CompensationTruth:
    """A heel-lift or pronation episode: while the true foot pitch / pronation is above half its peak."""

    kind: str
    start_s: float
    end_s: float
    peak_rad: float


@dataclass
class Truth:
    """Ground truth of a session, sampled on the true clock at the session's highest sensor rate.

    Attributes
    ----------
    t_s : (N,) true time, s (each block's t_s is on the session clock: within a few ms of this).
    dorsiflexion_rad, inversion_rad : (N,) ankle angles, anatomical signs, zero in the neutral stance.
    shin_pitch_rad : (N,) shin inclination, + = top forward.
    foot_pitch_rad : (N,) foot pitch relative to the ground, + = toes down / heel up.
    foot_pronation_rad : (N,) the foot rolled inwards relative to the ground, + = pronation.
    reps, holds, circles, activity, attempts, compensations : the events, in time order.
    stance_start_s, stance_end_s : the opening neutral stance (after a fidget, if any), s.
    pumps_end_s : end of the ankle pumps (the stance's end if there were none), s.
    phases : (start_s, name) of the session's phases ("stance", the exercise, "rest").
    """

    t_s: FloatArray
    dorsiflexion_rad: FloatArray
    inversion_rad: FloatArray
    reps: list[RepTruth]
    holds: list[HoldTruth]
    stance_end_s: float
    stance_start_s: float = 0.0
    pumps_end_s: float = 0.0
    shin_pitch_rad: FloatArray = field(default_factory=lambda: np.zeros(0))
    foot_pitch_rad: FloatArray = field(default_factory=lambda: np.zeros(0))
    foot_pronation_rad: FloatArray = field(default_factory=lambda: np.zeros(0))
    circles: list[CircleTruth] = field(default_factory=list)
    activity: list[ActivityTruth] = field(default_factory=list)
    attempts: list[AttemptTruth] = field(default_factory=list)
    compensations: list[CompensationTruth] = field(default_factory=list)
    phases: list[tuple[float, str]] = field(default_factory=list)


def _window(t: FloatArray, start_s: float, end_s: float) -> slice:
    i, j = np.searchsorted(t, [start_s, end_s], side="left")
    return slice(int(i), max(int(j), int(i) + 1))


def _above_half(t: FloatArray, x: FloatArray, w: slice) -> tuple[float, float, float]:
    """Start and end (s) of the run around the peak of x in window w where x > peak / 2, and the peak."""
    seg = x[w]
    k = int(np.argmax(seg))
    peak = float(seg[k])
    above = seg > peak / 2.0
    i = k
    while i > 0 and above[i - 1]:
        i -= 1
    j = k
    while j < len(seg) - 1 and above[j + 1]:
        j += 1
    ts, half = t[w], peak / 2.0

    def crossing(below: int, above_: int) -> float:
        """Time the signal crosses half the peak between two neighbouring samples (linear)."""
        if below < 0 or below >= len(seg):
            return float(ts[above_])
        return float(ts[below] + (half - seg[below]) / (seg[above_] - seg[below]) * (ts[above_] - ts[below]))

    return crossing(i - 1, i), crossing(j + 1, j), peak


def compute_truth(kin: LegKinematics, marks: Marks, t_s: FloatArray) -> Truth:
    """Ground truth on the grid t_s (true time, s) from the kinematics and what the script marked."""
    t = np.asarray(t_s, dtype=np.float64)
    v = kin.values(t, ("shin_pitch", "shin_roll", "foot_pitch", "foot_roll"))
    df = v["shin_pitch"] - v["foot_pitch"]
    inv = kin.side_sign * (v["foot_roll"] - v["shin_roll"])
    foot_pitch = v["foot_pitch"]
    pronation = -kin.side_sign * v["foot_roll"]
    reps = [
        RepTruth(r.start_s, r.end_s, float(np.max(df[_window(t, r.start_s, r.end_s)])), r.hold_s, r.lower_s)
        for r in marks.reps
    ]
    holds = []
    for start, end in marks.holds:
        holds.append(HoldTruth(start, end, end - start, float(np.mean(df[_window(t, start, end)]))))
    attempts = []
    for start, end in marks.attempts:
        w = _window(t, start, end)
        down = foot_pitch[w] < HEEL_DOWN_MAX_RAD
        best = float(np.max(df[w][down])) if np.any(down) else float("nan")
        attempts.append(AttemptTruth(start, end, best, bool(np.max(foot_pitch[w]) > HEEL_LIFT_RAD)))
    circles = []
    for c in marks.circles:
        n = int(round(abs(c.end_phase_rad - c.start_phase_rad) / (2.0 * np.pi)))
        step = 2.0 * np.pi * np.sign(c.end_phase_rad - c.start_phase_rad)
        bounds = phase_times(c.phase, c.start_phase_rad + step * np.arange(n + 1))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            w = _window(t, float(a), float(b))
            circles.append(
                CircleTruth(
                    c.direction,
                    float(a),
                    float(b),
                    (float(np.min(df[w])), float(np.max(df[w]))),
                    (float(np.min(inv[w])), float(np.max(inv[w]))),
                )
            )
    activity = []
    for env in marks.bouts:
        grid = np.arange(env.t_s[0], env.t_s[-1], 1e-3)
        on = grid[env.value(grid) >= 0.5]
        activity.append(ActivityTruth(float(on[0]), float(on[-1])))
    compensations = []
    for kind, start, end in marks.episodes:
        signal = foot_pitch if kind == "heel_lift" else pronation
        a, b, peak = _above_half(t, signal, _window(t, start, end))
        compensations.append(CompensationTruth(kind, a, b, peak))
    compensations.sort(key=lambda c: c.start_s)
    return Truth(
        t,
        df,
        inv,
        reps,
        holds,
        marks.stance_end_s,
        marks.stance_start_s,
        marks.pumps_end_s,
        v["shin_pitch"],
        foot_pitch,
        pronation,
        circles,
        activity,
        attempts,
        compensations,
        list(marks.phases),
    )

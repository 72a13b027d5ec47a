"""Knee-to-wall test: per attempt the maximum dorsiflexion with the heel down, and the toe-to-wall distance.

An attempt is an excursion of the dorsiflexion (the shin leaning forward towards the wall) of at least
`on_rad` from the stance and back (see processing.exercises._excursion). During it, the heel counts as down
while the foot's pitch is at most `heel_down_rad` toes-down, and as lifted when it stays above
`heel_lift_rad` for `min_lift_s`. An attempt with a lifted heel is flagged and does not count; its
max_dorsiflexion_rad is still the maximum of the samples with the heel down. The result of the test is the
best counting attempt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from processing.exercises._excursion import Excursion, ExcursionRule, ExcursionTracker, ramp_times
from processing.exercises._stream import StreamAnalyser
from processing.exercises.base import AngleStream

FloatArray = NDArray[np.float64]

CLINICAL_DEG_PER_CM = 3.6
HEEL_TO_ANKLE_FRACTION = 0.2
KNEE_FRONT_OFFSET_M = 0.04


def toe_to_wall_m(
    dorsiflexion_rad: float, shin_length_m: float | None = None, foot_length_m: float | None = None
) -> float:
    """Distance from the big toe to the wall when the knee touches it with the heel down, m.

    Without lengths: the clinical rule of thumb, 1 cm per 3.6 deg of dorsiflexion (40 deg: about 11.1 cm).

    With both lengths, geometrically, with the foot flat (so the shin's inclination from vertical equals the
    dorsiflexion) and these assumptions:
    - the knee touches the wall at the front of the knee cap: `shin_length_m` up the shin's axis from the
      ankle joint centre (measure from the tip of the outer ankle bone to the middle of the knee cap), and
      KNEE_FRONT_OFFSET_M (4 cm) in front of that axis;
    - the toe tip is on the floor, `foot_length_m` (back of the heel to the tip of the longest toe) times
      (1 - HEEL_TO_ANKLE_FRACTION) in front of the ankle joint centre (which lies above a point 20 % of the
      foot's length in front of the back of the heel);
    - the wall is vertical and the shin lies in the sagittal plane (no knee valgus, foot pointing at the wall).

    Parameters
    ----------
    dorsiflexion_rad : ankle dorsiflexion with the heel down, rad.
    shin_length_m, foot_length_m : the person's measurements, m; give both or neither.

    Returns
    -------
    float : toe-to-wall distance, m (negative: the knee cannot pass the toes).
    """
    if shin_length_m is None and foot_length_m is None:
        return math.degrees(dorsiflexion_rad) / CLINICAL_DEG_PER_CM / 100.0
    if shin_length_m is None or foot_length_m is None:
        raise ValueError("give both shin_length_m and foot_length_m for the geometric estimate, or neither")
    if shin_length_m <= 0.0 or foot_length_m <= 0.0:
        raise ValueError(f"lengths must be positive, got shin {shin_length_m} m and foot {foot_length_m} m")
    knee = shin_length_m * math.sin(dorsiflexion_rad) + KNEE_FRONT_OFFSET_M * math.cos(dorsiflexion_rad)
    return knee - (1.0 - HEEL_TO_ANKLE_FRACTION) * foot_length_m


@dataclass(frozen=True)
class KneeToWallRule:
    """What an attempt is and when the heel is down.

    Attributes
    ----------
    on_rad : lean that starts an attempt, rad.
    return_fraction : the attempt ends back below this fraction of its peak.
    heel_down_rad : foot pitch (toes down) up to which the heel is down, rad.
    heel_lift_rad, min_lift_s : a foot pitch above heel_lift_rad for min_lift_s is a heel lift (rad, s).
    lookback_s : history searched before the attempt's start, s.
    min_s : an attempt is at least on_rad beyond where it started for this long in all; a shorter one is a glitch
        (a filter restarting after a sensor gap mid-turn gave a 0.4 s spike of 10.7 deg), not a lean, s.
    """

    on_rad: float = math.radians(10.0)
    return_fraction: float = 0.3
    heel_down_rad: float = math.radians(2.0)
    heel_lift_rad: float = math.radians(4.0)
    min_lift_s: float = 0.3
    lookback_s: float = 3.0
    min_s: float = 0.3


class KneeToWall(StreamAnalyser):
    """Finds knee-to-wall attempts; emits "attempt" when the shin comes back from the wall.

    Event data: start_s, end_s, max_dorsiflexion_rad (heel down; None if the heel was never down),
    peak_dorsiflexion_rad (overall), heel_lifted, counts, toe_to_wall_m (None with max None), flags.

    Parameters
    ----------
    rule : what an attempt is.
    target : attempts to do.
    shin_length_m, foot_length_m : for the geometric toe-to-wall estimate (see toe_to_wall_m).
    """

    def __init__(
        self,
        rule: KneeToWallRule | None = None,
        target: int = 3,
        shin_length_m: float | None = None,
        foot_length_m: float | None = None,
    ) -> None:
        super().__init__()
        self.rule = r = rule or KneeToWallRule()
        self.target = target
        self.lengths = (shin_length_m, foot_length_m)
        toe_to_wall_m(0.0, shin_length_m, foot_length_m)  # rejects a single or non-positive length now
        self.attempts: list[dict[str, Any]] = []
        self._tracker = ExcursionTracker(ExcursionRule(r.on_rad, r.return_fraction, rearm_rad=0.5 * r.on_rad))
        self.history_s = self._tracker.rule.max_s + r.lookback_s + 5.0

    def _process(self, ext: AngleStream, first: int) -> list[Event]:
        events = []
        for exc in self._tracker.scan(self, ext.t_s, ext.dorsiflexion_rad, first):
            leaning = ext.dorsiflexion_rad[exc.trigger : exc.end + 1] >= exc.base_rad + self.rule.on_rad
            if np.count_nonzero(leaning) < self.samples(self.rule.min_s):
                continue
            data = self._attempt(ext, exc)
            self.attempts.append(data)
            events.append(Event("attempt", float(ext.t_s[exc.end]), data))
        return events

    def _attempt(self, ext: AngleStream, exc: Excursion) -> dict[str, Any]:
        r = self.rule
        t, df, pitch = ext.t_s, ext.dorsiflexion_rad, ext.foot_pitch_rad
        lo = max(self.lookback_start(exc.end), exc.rest, exc.trigger - self.samples(r.lookback_s))
        start_s, end_s = ramp_times(t, df, exc, lo)
        inside = slice(int(np.searchsorted(t, start_s)), exc.end + 1)
        heel_down = (pitch[inside] <= r.heel_down_rad) & np.isfinite(df[inside])
        best = float(np.max(df[inside][heel_down])) if heel_down.any() else None
        lifted = _longest_run(pitch[inside] > r.heel_lift_rad) >= self.samples(r.min_lift_s)
        counts = best is not None and not lifted
        return {
            "start_s": start_s,
            "end_s": end_s,
            "max_dorsiflexion_rad": best,
            "peak_dorsiflexion_rad": exc.peak_rad,
            "heel_lifted": lifted,
            "counts": counts,
            "toe_to_wall_m": None if best is None else toe_to_wall_m(best, *self.lengths),
            "flags": ["heel_lifted"] if lifted else [],
        }

    @property
    def best(self) -> dict[str, Any] | None:
        """The counting attempt with the largest dorsiflexion, or None."""
        counted = [a for a in self.attempts if a["counts"]]
        return max(counted, key=lambda a: float(a["max_dorsiflexion_rad"])) if counted else None

    def progress(self) -> dict[str, Any]:
        """Counting attempts toward the target, and the best one's dorsiflexion (rad) and toe-to-wall (m)."""
        best = self.best
        return {
            "count": sum(1 for a in self.attempts if a["counts"]),
            "target": self.target,
            "unit": "attempts",
            "attempts": len(self.attempts),
            "best_dorsiflexion_rad": None if best is None else best["max_dorsiflexion_rad"],
            "best_toe_to_wall_m": None if best is None else best["toe_to_wall_m"],
        }


def _longest_run(mask: NDArray[np.bool_]) -> int:
    """Length of the longest run of True in mask."""
    if not mask.any():
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return int(np.max(edges[1::2] - edges[::2]))


def knee_to_wall() -> KneeToWall:
    """A fresh knee-to-wall analyser (3 attempts, clinical toe-to-wall rule)."""
    return KneeToWall()

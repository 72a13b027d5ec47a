"""Offline analysis of a whole recording (the streaming pipeline run over it) and its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from processing.calibration import CalibrationError
from processing.events import Event, StepOutput
from processing.exercises.knee_to_wall import KneeToWall
from processing.pipeline import Pipeline
from sensors.samples import ROLES, Role, SampleBlock

FloatArray = NDArray[np.float64]
Side = Literal["left", "right"]


@dataclass
class Analysis:
    """Result of analysing a whole recording (or its sets, joined).

    Attributes
    ----------
    t_s : (N,) output grid, s.
    dorsiflexion_rad, inversion_rad : (N,) rad (NaN in gaps, and inversion where it cannot be measured).
    events : every event, in time order.
    calibration : (start_s, end_s) of the (first) neutral stance, or None.
    reps : the "rep" events' data, in order.
    holds : start_s, end_s, duration_s, mean_dorsiflexion_rad (and counts, flags) per hold.
    circles : the "circle" events' data (direction, start_s, end_s, ranges).
    attempts : the knee-to-wall "attempt" events' data.
    activity : the release exercises' "activity" bouts (start_s, end_s).
    compensations : kind ("heel_lift" | "pronation"), start_s, end_s per episode.
    progress : the analyser's final progress (count toward the target) per set.
    max_dorsiflexion_rad : largest dorsiflexion of the recording (NaN if none).
    exercise, side : what was analysed.
    """

    t_s: FloatArray
    dorsiflexion_rad: FloatArray
    inversion_rad: FloatArray
    events: list[Event]
    calibration: tuple[float, float] | None
    exercise: str = ""
    side: str = "right"
    progress: list[dict[str, Any]] = field(default_factory=list)

    def _data(self, kind: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.kind == kind]

    @property
    def reps(self) -> list[dict[str, Any]]:
        """The reps, in order."""
        return self._data("rep")

    @property
    def rep_count(self) -> int:
        """Number of reps."""
        return len(self.reps)

    @property
    def holds(self) -> list[dict[str, Any]]:
        """Holds: those of hold exercises, and the hold at the top of each eccentric drop."""
        holds = self._data("hold")
        for r in self.reps:
            if "hold_s" in r:
                holds.append(
                    {
                        "start_s": float(r["hold_start_s"]),
                        "end_s": float(r["hold_end_s"]),
                        "duration_s": float(r["hold_s"]),
                        "mean_dorsiflexion_rad": float(r["mean_hold_dorsiflexion_rad"]),
                    }
                )
        return holds

    @property
    def circles(self) -> list[dict[str, Any]]:
        """The ankle circles, in order."""
        return self._data("circle")

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """The knee-to-wall attempts, in order."""
        return self._data("attempt")

    @property
    def activity(self) -> list[dict[str, Any]]:
        """The active bouts of a release exercise."""
        return self._data("activity")

    @property
    def compensations(self) -> list[dict[str, Any]]:
        """Heel-lift and pronation episodes that ended within the recording."""
        return self._data("compensation")

    @property
    def max_dorsiflexion_rad(self) -> float:
        """Largest dorsiflexion of the recording (NaN if none)."""
        finite = self.dorsiflexion_rad[np.isfinite(self.dorsiflexion_rad)]
        return float(finite.max()) if finite.size else float("nan")

    @property
    def knee_to_wall_m(self) -> float | None:
        """Toe-to-wall distance of the best knee-to-wall attempt that counts, m (None if none)."""
        counted = [a for a in self.attempts if a.get("counts")]
        if not counted:
            return None
        return float(max(counted, key=lambda a: float(a["max_dorsiflexion_rad"]))["toe_to_wall_m"])


def concat_outputs(outputs: list[StepOutput]) -> StepOutput:
    """Join the outputs of consecutive steps into one."""
    return StepOutput(
        np.concatenate([np.zeros(0)] + [o.t_s for o in outputs]),
        np.concatenate([np.zeros(0)] + [o.dorsiflexion_rad for o in outputs]),
        np.concatenate([np.zeros(0)] + [o.inversion_rad for o in outputs]),
        [e for o in outputs for e in o.events],
    )


def analyze(
    blocks: dict[Role, SampleBlock],
    exercise: str,
    side: Side = "right",
    *,
    shin_length_m: float | None = None,
    foot_length_m: float | None = None,
) -> Analysis:
    """Analyse a whole recording with the streaming pipeline (one step per sensor, then finish).

    Parameters
    ----------
    blocks : per role, all samples of that sensor (session clock); both roles are required.
    exercise : one of processing.pipeline.EXERCISES.
    side : "left" or "right".
    shin_length_m, foot_length_m : for knee_to_wall, the person's lengths for the geometric toe-to-wall
        distance (see processing.exercises.knee_to_wall.toe_to_wall_m); both or neither.

    Raises
    ------
    CalibrationError : no >= 3 s neutral stance, or no movement to find the ankle's axis (the message says
        what to do). A stance found after a failed attempt is used, as the live pipeline does.
    """
    missing = [r for r in ROLES if r not in blocks or len(blocks[r]) == 0]
    if missing:
        raise ValueError(f"no samples of the {' and '.join(missing)} sensor; dorsi needs both shin and foot")
    lengths = shin_length_m is not None or foot_length_m is not None
    if lengths and exercise != "knee_to_wall":
        raise ValueError("shin and foot lengths are used only by the knee_to_wall test")
    custom = KneeToWall(shin_length_m=shin_length_m, foot_length_m=foot_length_m) if lengths else None
    pipe = Pipeline(exercise, side, analyser=custom)
    out = concat_outputs([pipe.step(blocks[r]) for r in ROLES] + [pipe.finish()])
    out.events.sort(key=lambda e: e.t_s)
    cal = pipe.calibration
    if cal is None:
        failed = [e for e in out.events if e.kind == "calibration_failed"]
        detail = failed[0].data["reason"] if failed else "the sensors never stood still for 3 s"
        raise CalibrationError(
            f"no neutral stance in the recording ({detail}); record again starting with "
            "3 s standing still, shin vertical and foot flat"
        )
    primary = pipe.spec.primary_role
    if not any(e.kind == "axis_found" and e.data.get("role") == primary for e in out.events):
        failed = [e.data["reason"] for e in out.events if e.kind == "calibration_failed" and e.t_s < cal.end_s]
        before = f"calibration failed first ({failed[0]}); " if failed else ""
        how = (
            "rise onto your toes once after the stance"
            if primary == "foot"
            else f"the shin did not move as in a {exercise} set (a tilt of at least 8 deg)"
        )
        raise CalibrationError(
            f"{before}the ankle's axis was never found after the stance at {cal.start_s:.1f}-{cal.end_s:.1f} s: "
            f"{how}; is this the right exercise?"
        )
    return Analysis(
        out.t_s,
        out.dorsiflexion_rad,
        out.inversion_rad,
        out.events,
        (cal.start_s, cal.end_s),
        exercise,
        side,
        [pipe.analyser.progress()],
    )


def analyze_sets(
    blocks: dict[Role, SampleBlock],
    exercise: str,
    side: Side,
    sets_s: list[list[tuple[float, float]]],
    **lengths_m: float | None,
) -> Analysis:
    """Analyse each set on its own, as the live view does (a new calibration per set), and join.

    Each set is given as its (start_s, end_s) spans: one span, or the parts between its pauses (the live
    pipeline was not fed during a pause). Raises CalibrationError naming the set that could not be calibrated.
    """
    parts = []
    for i, spans in enumerate(sets_s, 1):
        start_s, end_s = spans[0][0], spans[-1][1]
        window = {r: SampleBlock.concat([blocks[r].window(a, z) for a, z in spans]) for r in ROLES}
        try:
            parts.append(analyze(window, exercise, side, **lengths_m))
        except (CalibrationError, ValueError) as e:
            raise CalibrationError(f"set {i} ({start_s:.1f}-{end_s:.1f} s): {e}") from e
    if not parts:
        raise ValueError("no set to analyse")
    return Analysis(
        np.concatenate([p.t_s for p in parts]),
        np.concatenate([p.dorsiflexion_rad for p in parts]),
        np.concatenate([p.inversion_rad for p in parts]),
        [e for p in parts for e in p.events],
        parts[0].calibration,
        exercise,
        side,
        [pr for p in parts for pr in p.progress],
    )

"""The processing pipeline: blocks of either sensor in, ankle angles and events out (online == batch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from processing.angles import ankle_angles, segment_angles
from processing.calibration import Calibration, CalibrationDetector, CalibrationError, StillnessThresholds
from processing.events import Event, StepOutput
from processing.exercises import band_mobilisation, eccentric_drop
from processing.grid import GridMerger
from processing.hinge import HingeFinder
from processing.orientation import TiltTracker
from sensors.samples import ROLES, Role, SampleBlock

FloatArray = NDArray[np.float64]
Side = Literal["left", "right"]

EXERCISES: tuple[str, ...] = (band_mobilisation.NAME, eccentric_drop.NAME)

__all__ = [
    "EXERCISES",
    "Analysis",
    "CalibrationError",
    "Event",
    "Pipeline",
    "StepOutput",
    "analyze",
    "analyze_sets",
]


class _Analyser(Protocol):
    reps: list[dict[str, Any]]

    def step(self, t_s: FloatArray, dorsiflexion_rad: FloatArray) -> list[Event]: ...


def _exercise(name: str) -> tuple[Role, dict[str, int], _Analyser]:
    if name == band_mobilisation.NAME:
        band = band_mobilisation
        return band.PRIMARY_ROLE, band.FIRST_EXCURSION_SIGN, band.BandMobilisation()
    if name == eccentric_drop.NAME:
        drop = eccentric_drop
        return drop.PRIMARY_ROLE, drop.FIRST_EXCURSION_SIGN, drop.EccentricDrop()
    raise ValueError(f"unknown exercise {name!r}; supported: {', '.join(EXERCISES)}")


@dataclass
class _Track:
    """Post-calibration state of one sensor."""

    tracker: TiltTracker
    finder: HingeFinder
    up_ref: FloatArray
    retroactive: bool
    pending_t: list[FloatArray] = field(default_factory=list)
    pending_up: list[FloatArray] = field(default_factory=list)

    def angles(self, t_s: FloatArray, up: FloatArray) -> FloatArray:
        """(N, 2) pitch and roll, rad: zero before the axis applies (never, or before it was found)."""
        out = np.zeros((len(t_s), 2))
        axis = self.finder.axis
        if axis is None:
            return out
        applies = np.ones(len(t_s), bool) if self.retroactive else t_s >= (self.finder.found_t_s or 0.0)
        pitch, roll = segment_angles(up[applies], self.up_ref, axis)
        out[applies, 0], out[applies, 1] = pitch, roll
        return out


class Pipeline:
    """Streaming processing of one exercise set of one leg.

    Feed blocks of either sensor in any interleaving (each sensor's blocks in time order, session clock).
    Stages: calibration from the first >= 3 s both sensors stand still (vertical and gyro bias per sensor),
    vqf 6D inclination per sensor, hinge axis per segment from its first excursion (see processing.hinge),
    heading-free sagittal and frontal tilts relative to the stance, interpolation of both sensors onto a
    common grid (output_rate_hz; NaN inside gaps > max_gap_s), ankle angles, and the exercise's analyser.
    Every decision is taken at a sample defined by the data, so any split into blocks gives the same output.

    Parameters
    ----------
    exercise : one of EXERCISES.
    side : "left" or "right" (angles are anatomical on both legs).
    output_rate_hz : rate of the angle output, Hz.
    max_gap_s : grid points inside a sensor gap longer than this are NaN, s.
    stillness : calibration thresholds.

    Attributes
    ----------
    status : human text: "stand still: calibrating", "move your ankle to find its axis", "ready".
    rep_count : reps counted so far.
    calibration : the calibration once found.
    """

    def __init__(
        self,
        exercise: str,
        side: Side = "right",
        *,
        output_rate_hz: float = 100.0,
        max_gap_s: float = 0.1,
        stillness: StillnessThresholds | None = None,
    ) -> None:
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        self.exercise = exercise
        self.side: Side = side
        self._primary, self._signs, self._analyser = _exercise(exercise)
        self._detector = CalibrationDetector(stillness)
        self._merger = GridMerger(output_rate_hz, 2, max_gap_s)
        self._tracks: dict[Role, _Track] = {}
        self._last_t: dict[Role, float] = {r: -np.inf for r in ROLES}
        self._ready = False

    @property
    def calibration(self) -> Calibration | None:
        """The calibration, once the neutral stance has been found."""
        return self._detector.calibration

    @property
    def status(self) -> str:
        """What the person should do now, or "ready"."""
        if self.calibration is None:
            return "stand still: calibrating"
        if not self._ready:
            return "move your ankle to find its axis"
        return "ready"

    @property
    def rep_count(self) -> int:
        """Reps counted so far."""
        return len(self._analyser.reps)

    def step(self, block: SampleBlock) -> StepOutput:
        """Process one block of one sensor; return the angles and events this completes."""
        role = block.role
        fresh = block.t_s > self._last_t[role]
        t, acc, gyr = block.t_s[fresh], block.acc[fresh], block.gyr[fresh]
        if len(t) == 0:
            return StepOutput.empty()
        self._last_t[role] = float(t[-1])
        events: list[Event] = []
        if self.calibration is None:
            events += self._detector.feed(role, t, acc, gyr)
            if self.calibration is None:
                return StepOutput.empty(events)
            self._start_tracks(self.calibration)
            for r in ROLES:
                raw = self._detector.buffers[r].since(self.calibration.start_s)
                events += self._track_samples(r, raw.t_s, raw.acc, raw.gyr)
            self._detector.buffers = {}
        else:
            events += self._track_samples(role, t, acc, gyr)
        out = self._emit()
        out.events = sorted(events + out.events, key=lambda e: e.t_s)
        return out

    def finish(self) -> StepOutput:
        """End of the recording: nothing is pending beyond the last sample both sensors reached."""
        return StepOutput.empty()

    def _start_tracks(self, cal: Calibration) -> None:
        for r in ROLES:
            sc = cal.sensors[r]
            self._tracks[r] = _Track(
                TiltTracker(sc.rate_hz, sc.gyr_bias_rad_s),
                HingeFinder(sc.up, self._signs[r]),
                sc.up,
                retroactive=r == self._primary,
            )

    def _track_samples(self, role: Role, t: FloatArray, acc: FloatArray, gyr: FloatArray) -> list[Event]:
        tr = self._tracks[role]
        up, gyr_unbiased = tr.tracker.update(t, acc, gyr)
        events: list[Event] = []
        if tr.finder.update(t, up, gyr_unbiased) is not None:
            assert tr.finder.axis is not None and tr.finder.found_t_s is not None
            events.append(
                Event(
                    "axis_found",
                    tr.finder.found_t_s,
                    {"role": role, "axis": tuple(float(a) for a in tr.finder.axis)},
                )
            )
        if self._ready:
            self._merger.push(role, t, tr.angles(t, up))
            return events
        tr.pending_t.append(t)
        tr.pending_up.append(up)
        if self._tracks[self._primary].finder.axis is not None:
            self._ready = True
            for r, other in self._tracks.items():
                if other.pending_t:
                    pt, pu = np.concatenate(other.pending_t), np.concatenate(other.pending_up)
                    self._merger.push(r, pt, other.angles(pt, pu))
                other.pending_t, other.pending_up = [], []
        return events

    def _emit(self) -> StepOutput:
        t, vals = self._merger.pop()
        if len(t) == 0:
            return StepOutput.empty()
        shin, foot = vals["shin"], vals["foot"]
        df, inv = ankle_angles(shin[:, 0], shin[:, 1], foot[:, 0], foot[:, 1], self.side)
        return StepOutput(t, df, inv, self._analyser.step(t, df))


@dataclass
class Analysis:
    """Result of analysing a whole recording.

    Attributes
    ----------
    t_s : (N,) output grid, s.
    dorsiflexion_rad, inversion_rad : (N,) rad (NaN in gaps).
    events : every event, in time order.
    calibration : (start_s, end_s) of the neutral stance, or None.
    reps : the "rep" events' data, in order.
    holds : for exercises with holds: start_s, end_s, duration_s, mean_dorsiflexion_rad.
    max_dorsiflexion_rad : largest dorsiflexion of the recording (NaN if none).
    exercise, side : what was analysed.
    """

    t_s: FloatArray
    dorsiflexion_rad: FloatArray
    inversion_rad: FloatArray
    events: list[Event]
    calibration: tuple[float, float] | None
    reps: list[dict[str, Any]]
    holds: list[dict[str, float]]
    max_dorsiflexion_rad: float
    exercise: str = ""
    side: str = "right"

    @property
    def rep_count(self) -> int:
        """Number of reps."""
        return len(self.reps)


def analyze_sets(
    blocks: dict[Role, SampleBlock], exercise: str, side: Side, sets_s: list[tuple[float, float]]
) -> Analysis:
    """Analyse each set (start_s, end_s) on its own, as the live view does (a new calibration per set), and join.

    Raises CalibrationError naming the set that could not be calibrated.
    """
    parts = []
    for i, (start_s, end_s) in enumerate(sets_s, 1):
        window = {r: blocks[r].window(start_s, end_s) for r in ROLES}
        try:
            parts.append(analyze(window, exercise, side))
        except (CalibrationError, ValueError) as e:
            raise CalibrationError(f"set {i} ({start_s:.1f}-{end_s:.1f} s): {e}") from e
    if not parts:
        raise ValueError("no set to analyse")
    maxima = [p.max_dorsiflexion_rad for p in parts if np.isfinite(p.max_dorsiflexion_rad)]
    return Analysis(
        np.concatenate([p.t_s for p in parts]),
        np.concatenate([p.dorsiflexion_rad for p in parts]),
        np.concatenate([p.inversion_rad for p in parts]),
        [e for p in parts for e in p.events],
        parts[0].calibration,
        [r for p in parts for r in p.reps],
        [h for p in parts for h in p.holds],
        max(maxima) if maxima else float("nan"),
        exercise,
        side,
    )


def concat_outputs(outputs: list[StepOutput]) -> StepOutput:
    """Join the outputs of consecutive steps into one."""
    return StepOutput(
        np.concatenate([np.zeros(0)] + [o.t_s for o in outputs]),
        np.concatenate([np.zeros(0)] + [o.dorsiflexion_rad for o in outputs]),
        np.concatenate([np.zeros(0)] + [o.inversion_rad for o in outputs]),
        [e for o in outputs for e in o.events],
    )


def analyze(blocks: dict[Role, SampleBlock], exercise: str, side: Side = "right") -> Analysis:
    """Analyse a whole recording with the streaming pipeline (one step per sensor, then finish).

    Parameters
    ----------
    blocks : per role, all samples of that sensor (session clock); both roles are required.
    exercise : one of EXERCISES.
    side : "left" or "right".

    Raises
    ------
    CalibrationError : no >= 3 s neutral stance, or no movement to find the ankle's axis (the message says
        what to do). A stance found after a failed attempt is used, as the live pipeline does.
    """
    missing = [r for r in ROLES if r not in blocks or len(blocks[r]) == 0]
    if missing:
        raise ValueError(f"no samples of the {' and '.join(missing)} sensor; dorsi needs both shin and foot")
    pipe = Pipeline(exercise, side)
    out = concat_outputs([pipe.step(blocks[r]) for r in ROLES] + [pipe.finish()])
    cal = pipe.calibration
    if cal is None:
        failed = [e for e in out.events if e.kind == "calibration_failed"]
        detail = failed[0].data["reason"] if failed else "the sensors never stood still for 3 s"
        raise CalibrationError(
            f"no neutral stance in the recording ({detail}); record again starting with "
            "3 s standing still, shin vertical and foot flat"
        )
    primary = _exercise(exercise)[0]
    if not any(e.kind == "axis_found" and e.data.get("role") == primary for e in out.events):
        failed = [e.data["reason"] for e in out.events if e.kind == "calibration_failed" and e.t_s < cal.end_s]
        before = f"calibration failed first ({failed[0]}); " if failed else ""
        raise CalibrationError(
            f"{before}the ankle's axis was never found: after the stance at {cal.start_s:.1f}-{cal.end_s:.1f} s "
            f"the {primary} did not move as in a {exercise} set (a tilt of at least 8 deg); "
            "is this the right exercise?"
        )
    reps = [e.data for e in out.events if e.kind == "rep"]
    holds = [
        {
            "start_s": float(r["hold_start_s"]),
            "end_s": float(r["hold_end_s"]),
            "duration_s": float(r["hold_s"]),
            "mean_dorsiflexion_rad": float(r["mean_hold_dorsiflexion_rad"]),
        }
        for r in reps
        if "hold_s" in r
    ]
    finite = out.dorsiflexion_rad[np.isfinite(out.dorsiflexion_rad)]
    return Analysis(
        out.t_s,
        out.dorsiflexion_rad,
        out.inversion_rad,
        out.events,
        (cal.start_s, cal.end_s),
        reps,
        holds,
        float(finite.max()) if finite.size else float("nan"),
        exercise,
        side,
    )

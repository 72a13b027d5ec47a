"""The processing pipeline: blocks of either sensor in, ankle angles and events out (online == batch)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from processing.angles import ankle_angles, segment_angles
from processing.calibration import Calibration, CalibrationDetector, CalibrationError, StillnessThresholds
from processing.compensation import CompensationDetector
from processing.events import Event, StepOutput
from processing.exercises.base import Analyser, AngleStream, ExerciseSpec
from processing.exercises.registry import SPECS, spec
from processing.grid import GridMerger
from processing.hinge import HingeFinder
from processing.orientation import TiltTracker
from processing.posture import RestArming, SmallTiltAxis
from processing.segments import N_VALUES, SegmentTrack
from sensors.samples import ROLES, Role, SampleBlock

FloatArray = NDArray[np.float64]
Side = Literal["left", "right"]

EXERCISES: tuple[str, ...] = tuple(SPECS)
FOOT_FIRST_EXCURSION_SIGN = +1  # the ankle pump of the calibration protocol: rise onto the toes
FLAG_OF_COMPENSATION = {"heel_lift": "heel_lifted", "pronation": "foot_rolled_in"}
FLAGGED_KINDS = ("rep", "hold")
GAP_SETTLE_S = 5.0  # after a gap of GAP_SETTLE_FROM_S or more, the inclination takes this long to settle again
GAP_SETTLE_FROM_S = 0.2


def _settled(gap_start_s: float, gap_end_s: float) -> float:
    """When the angles are trustworthy again after a sensor gap: vqf bridges the gap with interpolated rates,
    and its accelerometer correction (time constant 3 s) removes what the bridge got wrong."""
    return gap_end_s + (GAP_SETTLE_S if gap_end_s - gap_start_s >= GAP_SETTLE_FROM_S else 0.0)


__all__ = ["EXERCISES", "CalibrationError", "Event", "Pipeline", "StepOutput"]


class Pipeline:
    """Streaming processing of one exercise set of one leg.

    Feed blocks of either sensor in any interleaving (each sensor's blocks in time order, session clock).
    Stages: calibration from the first >= 3 s both sensors stand still (vertical and gyro bias per sensor),
    vqf 6D inclination per sensor, hinge axis per segment from its first excursion (the foot's: the ankle
    pump, rising onto the toes; the shin's: the exercise's first movement; see processing.hinge), heading-free
    sagittal and frontal tilts relative to the stance, interpolation of both sensors onto a common grid
    (output_rate_hz; NaN inside gaps > max_gap_s), ankle angles, compensation detectors (heel lift, pronation)
    for exercises with the foot on the ground, and the exercise's analyser. Every decision is taken at a
    sample defined by the data, so any split into blocks gives the same output.

    Parameters
    ----------
    exercise : one of EXERCISES.
    side : "left" or "right" (angles are anatomical on both legs).
    output_rate_hz : rate of the angle output, Hz.
    max_gap_s : grid points inside a sensor gap longer than this are NaN, s.
    stillness : calibration thresholds.
    analyser : the exercise's analyser with non-default settings (default: the spec's).

    Attributes
    ----------
    spec : the exercise's spec (targets, instruction).
    analyser : the exercise's analyser (its progress() feeds the live view).
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
        analyser: Analyser | None = None,
    ) -> None:
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        self.exercise = exercise
        self.side: Side = side
        self.spec: ExerciseSpec = spec(exercise)
        self.analyser = analyser if analyser is not None else self.spec.make()
        self._detector = CalibrationDetector(stillness)
        self._merger = GridMerger(output_rate_hz, N_VALUES, max_gap_s)
        self._tracks: dict[Role, SegmentTrack] = {}
        self._last_t: dict[Role, float] = {r: -np.inf for r in ROLES}
        self._ready = False
        self._compensations = (
            [CompensationDetector("heel_lift"), CompensationDetector("pronation")] if self.spec.foot_on_ground else []
        )
        self._arming = RestArming()
        self._shin_lean: SmallTiltAxis | None = None
        self._held: list[tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]] = []  # see SmallTiltAxis
        self._episodes: list[tuple[float, dict[str, Any]]] = []
        self._gaps: list[list[float]] = []  # [start_s, end_s] of sensor gaps on the grid; end inf while open

    @property
    def calibration(self) -> Calibration | None:
        """The calibration, once the neutral stance has been found."""
        return self._detector.calibration

    @property
    def still_s(self) -> float:
        """How long both sensors have stood still so far in the current calibration attempt, s (0 once
        calibrated; the calibration needs `still_needed_s`): for the live countdown."""
        return self._detector.still_s

    @property
    def still_needed_s(self) -> float:
        """Stillness the calibration needs, s."""
        return self._detector.thresholds.still_s

    @property
    def status(self) -> str:
        """What the person should do now, or "ready"."""
        if self.calibration is None:
            return "stand still: calibrating"
        foot, primary = self._tracks["foot"].finder, self._tracks[self.spec.primary_role].finder
        if foot.axis is None and (self.spec.primary_role == "foot" or foot.excursion_t_s is None):
            return "rise onto your toes once and come back down (finds the foot's axis)"
        if primary.axis is None:
            return "start the exercise: its first movement finds the shin's axis"
        return "ready"

    @property
    def rep_count(self) -> int:
        """Reps, holds, circles or attempts counted so far toward the target."""
        return int(self.analyser.progress().get("count", 0))

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
        """End of the recording: release samples still held for an undecided axis (their angles stay zero), and
        let the analyser report what was still open (a hold or bout in progress, the last circle or drop)."""
        if not self._ready:
            return StepOutput.empty()
        for r, tr in self._tracks.items():
            if tr.pending_t:
                self._merger.push(r, *tr.release())
        out = self._emit(final=True)
        last = self.analyser.finish()
        self._flag(last)
        out.events = sorted(out.events + last, key=lambda e: e.t_s)
        return out

    def _start_tracks(self, cal: Calibration) -> None:
        signs = {"shin": self.spec.shin_first_excursion_sign, "foot": FOOT_FIRST_EXCURSION_SIGN}
        for r in ROLES:
            sc = cal.sensors[r]
            self._tracks[r] = SegmentTrack(
                TiltTracker(sc.rate_hz, sc.gyr_bias_rad_s),
                HingeFinder(sc.up, signs[r]),
                sc.up,
                retroactive=r == self.spec.primary_role,
            )
        self._shin_lean = SmallTiltAxis(cal.sensors["shin"].up, self.spec.shin_first_excursion_sign)

    def _track_samples(self, role: Role, t: FloatArray, acc: FloatArray, gyr: FloatArray) -> list[Event]:
        tr = self._tracks[role]
        up, rate, found = tr.update(t, acc, gyr)
        events: list[Event] = []
        if found:
            assert tr.finder.axis is not None and tr.finder.found_t_s is not None
            axis = tuple(float(a) for a in tr.finder.axis)
            events.append(Event("axis_found", tr.finder.found_t_s, {"role": role, "axis": axis}))
        if self._ready and not tr.deciding and not tr.pending_t:
            self._merger.push(role, t, tr.values(t, up, rate))
            return events
        tr.hold(t, up, rate)
        if self._tracks[self.spec.primary_role].finder.axis is not None:
            self._ready = True
            for r, other in self._tracks.items():
                if other.pending_t and not other.deciding:
                    self._merger.push(r, *other.release())
        return events

    def _emit(self, final: bool = False) -> StepOutput:
        t, vals = self._merger.pop()
        if len(t):
            shin, foot = vals["shin"], vals["foot"]
            self._arming.update(t, self._tracks["foot"].finder.found_t_s, foot[:, 0], foot[:, 1])
            rest = ~self._tracks["shin"].applies(t)
            if self._shin_lean is not None:
                if rest.any():
                    self._shin_lean.update(t[rest], shin[rest, 3:], foot[rest, 0], self._arming.armed_t_s)
                self._shin_lean.advance(float(t[-1]))
            self._held.append((t, shin, foot, rest))
        if not self._held:
            return StepOutput.empty()
        if len(self._held) == 1:  # the usual case: nothing was held back
            t, shin, foot, rest = self._held[0]
        else:
            t, shin, foot, rest = (np.concatenate(parts) for parts in zip(*self._held, strict=True))
        hold_from = None if final or self._shin_lean is None else self._shin_lean.holding_from_s
        cut = len(t) if hold_from is None else int(np.searchsorted(t, hold_from, side="left"))
        self._held = [(t[cut:], shin[cut:], foot[cut:], rest[cut:])] if cut < len(t) else []
        if cut == 0:
            return StepOutput.empty()
        t, shin, foot, rest = t[:cut], shin[:cut], foot[:cut], rest[:cut]
        self._add_shin_lean(t, shin, rest)
        df, inv = ankle_angles(shin[:, 0], shin[:, 1], foot[:, 0], foot[:, 1], self.side)
        side_sign = 1.0 if self.side == "right" else -1.0
        stream = AngleStream(t, df, inv, shin[:, 0], foot[:, 0], -side_sign * foot[:, 1], shin[:, 2], foot[:, 2])
        events: list[Event] = []
        started = self._arming.armed_t_s
        if started is not None and self._compensations:
            first = int(np.searchsorted(t, started, side="left"))
            for det in self._compensations:
                events += det.step(stream.slice(first, len(t)))
        for e in events:
            if e.kind == "compensation_started":
                self._episodes.append((e.t_s, {"kind": e.data["kind"], "start_s": e.data["start_s"]}))
            elif e.kind == "compensation":
                for _, ep in self._episodes:
                    if ep["kind"] == e.data["kind"] and ep["start_s"] == e.data["start_s"]:
                        ep["end_s"] = e.data["end_s"]
        self._note_gaps(t, df)
        exercise_events = self.analyser.step(stream)
        self._flag(exercise_events)
        return StepOutput(t, df, inv, sorted(events + exercise_events, key=lambda e: e.t_s))

    def _add_shin_lean(self, t: FloatArray, shin: FloatArray, rest: NDArray[np.bool_]) -> None:
        """Shin pitch and roll (in place) where its hinge axis does not apply (rest), from its small-lean axis."""
        lean, shin_tr = self._shin_lean, self._tracks["shin"]
        if lean is None or lean.since_s is None or not rest.any():
            return
        use = np.flatnonzero(rest & (t >= lean.since_s) & np.all(np.isfinite(shin[:, 3:]), axis=1))
        if not use.size:
            return
        up = shin[use, 3:] / np.linalg.norm(shin[use, 3:], axis=1)[:, None]
        for mask, axis in lean.axes_at(t[use]):
            rows = use[mask]
            shin[rows, 0], shin[rows, 1] = segment_angles(up[mask], shin_tr.up_ref, axis)

    def _note_gaps(self, t: FloatArray, df: FloatArray) -> None:
        missing = ~np.isfinite(df)
        if self._gaps and self._gaps[-1][1] == np.inf and not missing[0]:
            self._gaps[-1][1] = float(t[0])
        edges = np.flatnonzero(np.diff(missing.astype(np.int8)))
        if missing[0] and not (self._gaps and self._gaps[-1][1] == np.inf):
            self._gaps.append([float(t[0]), np.inf])
        for i in edges:
            if missing[i + 1]:
                self._gaps.append([float(t[i + 1]), np.inf])
            else:
                self._gaps[-1][1] = float(t[i + 1])

    def _flag(self, events: list[Event]) -> None:
        """Mark reps and holds during which a compensation was recognised (and had not ended before them), or
        during or just after which a sensor's data was missing ("data_gap": the peak or the hold may be off)."""
        for e in events:
            if e.kind not in FLAGGED_KINDS:
                continue
            # only what was known when the event was decided (e.t_s), so that any split gives the same flags
            start, end = float(e.data["start_s"]), min(float(e.data["end_s"]), e.t_s)
            flags = list(e.data.get("flags", []))
            if "data_gap" not in flags and any(g0 <= end and _settled(g0, g1) >= start for g0, g1 in self._gaps):
                flags.append("data_gap")
            for seen_t, ep in self._episodes:
                ended = ep.get("end_s")
                if seen_t <= end and (ended is None or ended >= start):
                    flag = FLAG_OF_COMPENSATION[ep["kind"]]
                    if flag not in flags:
                        flags.append(flag)
            e.data["flags"] = flags
        if events:
            horizon = events[-1].t_s - 600.0
            self._episodes = [(s, ep) for s, ep in self._episodes if ep.get("end_s") is None or ep["end_s"] > horizon]
            self._gaps = [g for g in self._gaps if g[1] > horizon]

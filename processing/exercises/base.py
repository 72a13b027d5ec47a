"""What every exercise analyser receives (AngleStream), what it must provide (Analyser), and its spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from sensors.samples import Role

FloatArray = NDArray[np.float64]


@dataclass
class AngleStream:
    """Consecutive samples of the common output grid, as handed to analysers (NaN inside sensor gaps).

    All angles are relative to the calibrated neutral stance (standing, shin vertical, foot flat), rad.

    Attributes
    ----------
    t_s : (N,) session time, s, uniformly spaced (the pipeline's output rate).
    dorsiflexion_rad : (N,) ankle dorsiflexion (+) / plantarflexion (-), foot relative to shin.
    inversion_rad : (N,) ankle inversion (+) / eversion (-), foot relative to shin, anatomical on both legs.
    shin_pitch_rad : (N,) shin tilt about the ankle axis, + = top of the shin forward (knee over the toes).
    foot_pitch_rad : (N,) foot tilt about the ankle axis, + = toes down / heel up, - = forefoot up.
    foot_pronation_rad : (N,) foot roll relative to the ground, + = rolling inwards (the arch drops, the
        sole turns outwards), on either leg.
    shin_rate_rad_s, foot_rate_rad_s : (N,) norm of each segment's bias-free angular rate, rad/s.
    """

    t_s: FloatArray
    dorsiflexion_rad: FloatArray
    inversion_rad: FloatArray
    shin_pitch_rad: FloatArray
    foot_pitch_rad: FloatArray
    foot_pronation_rad: FloatArray
    shin_rate_rad_s: FloatArray
    foot_rate_rad_s: FloatArray

    def __len__(self) -> int:
        return len(self.t_s)

    def slice(self, start: int, stop: int) -> AngleStream:
        """Samples start..stop-1."""
        return AngleStream(*(np.asarray(getattr(self, f))[start:stop] for f in _FIELDS))


_FIELDS = tuple(AngleStream.__dataclass_fields__)


class Analyser(Protocol):
    """An exercise analyser: rules over the angle stream, events the moment they happen.

    `step` is fed consecutive AngleStream chunks of any length (also empty); splitting the stream differently
    must give identical events (decide at samples defined by the data, never by chunk boundaries).
    """

    def step(self, angles: AngleStream) -> list[Event]:
        """Feed consecutive samples; return the events they complete, in time order."""
        ...

    def finish(self) -> list[Event]:
        """End of the set: the events of what is still open (a hold or an activity bout going on, the last
        ankle circle, an eccentric drop awaiting its report), so that a recording stopped mid-hold still
        reports it. Call once, after the last step."""
        ...

    def progress(self) -> dict[str, Any]:
        """Live state for the UI, JSON-friendly, SI units: at least "count" (reps, holds, circles or attempts
        done so far that count toward the target), "target" (int), "unit" ("reps", "holds", "circles", "s",
        "attempts"); hold exercises add "holding_s" (float, time held so far in the current hold, or None);
        timed exercises add "active_s"."""
        ...


Target = Literal["reps", "holds", "circles", "s", "attempts"]


@dataclass(frozen=True)
class ExerciseSpec:
    """One exercise of the routine.

    Attributes
    ----------
    name : DESIGN section 5 name.
    title : short human name.
    primary_role : the segment that moves in the exercise; output waits until its hinge axis is known.
    shin_first_excursion_sign : direction of the shin's first tilt of >= 8 deg after the stance and the ankle
        pumps (+1 = top of the shin forward, -1 = back, e.g. sitting with the leg out straight or lying down).
        The foot's first excursion is always the ankle pump (rise onto the toes: +1).
    foot_on_ground : heel lift and pronation are checked (weight-bearing or foot planted).
    target_count, target_unit : the guide's target (30 reps, 3 holds, 20 circles per direction, 60 s...).
    target_hold_s : minimum duration of each hold, s (hold exercises), else None.
    instruction : one sentence for the user.
    make : a fresh analyser.
    """

    name: str
    title: str
    primary_role: Role
    shin_first_excursion_sign: int
    foot_on_ground: bool
    target_count: int
    target_unit: Target
    target_hold_s: float | None
    instruction: str
    make: Callable[[], Analyser]

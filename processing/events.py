"""What the pipeline emits: events the moment they happen, and the angles of each step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass
class Event:
    """Something that happened at session time t_s (s).

    Kinds and their data (SI units):
    - "calibrated": start_s, end_s of the neutral stance used.
    - "calibration_failed": reason (text a person can act on), still_s (how long they stood still).
    - "axis_found": role, and axis (3-tuple, unit hinge axis in that sensor's frame, pointing to the
      person's left so that + rotation is dorsiflexion of the shin / plantarflexion of the foot).
    - "rep": start_s, end_s, peak_dorsiflexion_rad, flags (list of str), and for eccentric_drop hold_s,
      lower_s, hold_start_s, hold_end_s.
    """

    kind: str
    t_s: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepOutput:
    """Angles on the common output grid produced by one step, and the events that happened.

    Attributes
    ----------
    t_s : (N,) session time, s.
    dorsiflexion_rad, inversion_rad : (N,) rad, anatomical signs; NaN across sensor gaps.
    events : in time order.
    """

    t_s: FloatArray
    dorsiflexion_rad: FloatArray
    inversion_rad: FloatArray
    events: list[Event] = field(default_factory=list)

    @staticmethod
    def empty(events: list[Event] | None = None) -> StepOutput:
        """No angles (and maybe some events)."""
        return StepOutput(np.zeros(0), np.zeros(0), np.zeros(0), events or [])

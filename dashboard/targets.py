"""The guide's targets per exercise: the dorsiflexion band drawn on the live trace and the count in words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from processing.exercises.registry import SPECS, spec

DEG = math.pi / 180.0


@dataclass(frozen=True)
class Target:
    """What a set of one exercise aims for.

    Attributes
    ----------
    exercise : the exercise's name.
    band_rad : (lo, hi) dorsiflexion band to reach, rad, or None where the angle has no target (circles,
        releases, traction: the count or the time is what matters).
    count : the guide's count toward the target (reps, holds, circles in both directions, seconds, attempts).
    unit : "reps", "holds", "circles", "s" or "attempts".
    hold_s : minimum duration of each hold, s, for hold exercises, else None.
    """

    exercise: str
    band_rad: tuple[float, float] | None
    count: int
    unit: str
    hold_s: float | None

    @property
    def band_deg(self) -> tuple[float, float] | None:
        """The band in degrees (for the figure's labels), or None."""
        if self.band_rad is None:
            return None
        return (round(self.band_rad[0] / DEG, 6), round(self.band_rad[1] / DEG, 6))


# Dorsiflexion the guide's exercises aim for, deg: the stretches and mobilisations go as far as is comfortable;
# these bands are where a stiff ankle working well usually gets to (knee-to-wall: 8 cm is about 35 deg).
_BAND_DEG: dict[str, tuple[float, float]] = {
    "gastrocnemius_stretch": (15.0, 30.0),
    "soleus_stretch": (20.0, 35.0),
    "band_mobilisation": (30.0, 45.0),
    "seated_dorsiflexion_hold": (15.0, 30.0),
    "eccentric_drop": (15.0, 30.0),
    "nerve_flossing": (10.0, 25.0),
    "knee_to_wall": (35.0, 45.0),
}


def target(exercise: str) -> Target:
    """The target of one exercise.

    Parameters
    ----------
    exercise : a name of processing.exercises.registry.SPECS.

    Returns
    -------
    Target : its band (rad or None) and count; ankle circles count both directions (2 x 20).

    Raises
    ------
    ValueError : an unknown exercise.
    """
    s = spec(exercise)
    band = _BAND_DEG.get(exercise)
    count = 2 * s.target_count if s.target_unit == "circles" else s.target_count
    return Target(
        exercise,
        None if band is None else (band[0] * DEG, band[1] * DEG),
        count,
        s.target_unit,
        s.target_hold_s,
    )


def count_text(exercise: str, progress: dict[str, Any] | None) -> tuple[str, str]:
    """The counter toward the target as (big number, rest), e.g. ("12", "of 30 reps").

    Parameters
    ----------
    exercise : the exercise's name.
    progress : the analyser's progress() (count, target, and for circles inward/outward, for knee-to-wall the
        best attempt), or None before the set has one.

    Returns
    -------
    (str, str) : the number shown large and the words after it.
    """
    t = target(exercise)
    p = progress or {}
    count = int(p.get("count") or 0)
    if t.unit == "holds" and t.hold_s is not None:
        return str(count), f"of {t.count} holds of {t.hold_s:g} s"
    if t.unit == "circles":
        per = t.count // 2
        inward, outward = int(p.get("inward") or 0), int(p.get("outward") or 0)
        return str(count), f"of {t.count} circles ({min(inward, per)} inward, {min(outward, per)} outward of {per})"
    if t.unit == "s":
        return str(count), f"of {t.count} s rolling"
    if t.unit == "attempts":
        best = p.get("best_dorsiflexion_rad")
        rest = f"of {t.count} attempts"
        if best is not None and math.isfinite(float(best)):
            rest += f"; best {math.degrees(float(best)):.0f} deg"
            cm = p.get("best_toe_to_wall_m")
            if cm is not None and math.isfinite(float(cm)):
                rest += f", {100.0 * float(cm):.1f} cm"
        return str(count), rest
    return str(count), f"of {t.count} {t.unit}"


def all_targets() -> dict[str, Target]:
    """Every exercise's target, in the guide's order."""
    return {name: target(name) for name in SPECS}

"""The guide's daily routine as ordered steps, adapted to where the stiffness is felt (`routine_steps`)."""

from __future__ import annotations

from dataclasses import dataclass

from processing.exercises.base import ExerciseSpec
from processing.exercises.registry import SPECS

GUIDE_ORDER: tuple[str, ...] = tuple(SPECS)  # the registry lists the exercises in the guide's order
"""The full routine: warm-up, releases, stretches, mobilisations, strengthening, nerve flossing, then the test."""

STAGES: dict[str, str] = {
    "ankle_circles": "Warm-up",
    "calf_release": "Release",
    "achilles_release": "Release",
    "gastrocnemius_stretch": "Stretch",
    "soleus_stretch": "Stretch",
    "traction": "Mobilisation",
    "band_mobilisation": "Mobilisation",
    "seated_dorsiflexion_hold": "Strengthening",
    "eccentric_drop": "Strengthening",
    "nerve_flossing": "Nerve flossing",
    "knee_to_wall": "Test",
}
"""The guide's stage of each exercise."""


@dataclass(frozen=True)
class Stiffness:
    """Where the stiffness is felt, what it points to, and the exercises the routine puts first for it."""

    key: str
    label: str
    cause: str
    focus: tuple[str, ...]
    explanation: str


STIFFNESS: dict[str, Stiffness] = {
    s.key: s
    for s in (
        Stiffness(
            key="front",
            label="Front of the ankle",
            cause="the joint itself",
            focus=("traction", "band_mobilisation"),
            explanation="Stiffness felt at the front of the ankle usually comes from the joint itself, so the "
            "joint mobilisations (traction and the band mobilisation) come right after the warm-up, while you "
            "are fresh.",
        ),
        Stiffness(
            key="back_ankle",
            label="Back of the ankle",
            cause="the Achilles tendon",
            focus=("achilles_release", "soleus_stretch", "eccentric_drop"),
            explanation="Stiffness felt at the back of the ankle usually comes from the Achilles tendon, so the "
            "Achilles release, the lower calf (soleus) stretch and the eccentric toe drops come right after the "
            "warm-up.",
        ),
        Stiffness(
            key="calf",
            label="Back of the calf",
            cause="the calf muscles or the nerve",
            focus=("calf_release", "gastrocnemius_stretch", "nerve_flossing"),
            explanation="Stiffness felt in the back of the calf usually comes from the calf muscles or the nerve "
            "that runs through them, so the calf release, the straight-knee calf stretch and the nerve flossing "
            "come right after the warm-up.",
        ),
    )
}
"""The stiffness choices, by key ("front", "back_ankle", "calf")."""

FULL_EXPLANATION = (
    "Not sure where it is stiff? The full routine in the guide's order: warm-up, releases, stretches, "
    "mobilisations, strengthening and nerve flossing, then the knee-to-wall test."
)


@dataclass(frozen=True)
class RoutineStep:
    """One step of the routine: which exercise, its title, how to do it, and its target in words.

    `focus` is True for the steps moved forward for the chosen stiffness; `stage` is the guide's stage name.
    """

    exercise: str
    title: str
    instruction: str
    target_text: str
    stage: str = ""
    focus: bool = False


def target_text(spec: ExerciseSpec) -> str:
    """The guide's target of an exercise in words, e.g. "3 holds of 30 s" or "20 circles each way".

    Parameters
    ----------
    spec : the exercise's spec (target_count, target_unit, target_hold_s).

    Returns
    -------
    str : the target for people.
    """
    n, unit = spec.target_count, spec.target_unit
    if unit == "holds" and spec.target_hold_s is not None:
        return f"{n} holds of {spec.target_hold_s:g} s"
    if unit == "circles":
        return f"{n} circles each way"
    if unit == "s":
        return f"{n} s of rolling (1 to 3 minutes)"
    return f"{n} {unit}"


def _step(name: str, focus: bool) -> RoutineStep:
    s = SPECS[name]
    return RoutineStep(name, s.title, s.instruction, target_text(s), STAGES[name], focus)


def routine_steps(stiffness: str | None = None) -> list[RoutineStep]:
    """The routine's steps in order, adapted to where the stiffness is felt.

    Parameters
    ----------
    stiffness : "front" (front of the ankle: joint), "back_ankle" (back of the ankle: tendon), "calf" (back of
        the calf: muscles or nerve), or None for the guide's full order. With a stiffness, the warm-up stays first,
        the exercises that target it follow (marked `focus`), then the rest in the guide's order; the
        knee-to-wall test stays last.

    Returns
    -------
    list[RoutineStep] : every exercise of the guide once.

    Raises
    ------
    ValueError : an unknown stiffness.
    """
    if stiffness is None:
        return [_step(name, False) for name in GUIDE_ORDER]
    if stiffness not in STIFFNESS:
        raise ValueError(f"unknown stiffness {stiffness!r}; known: {', '.join(STIFFNESS)}")
    focus = STIFFNESS[stiffness].focus
    warm_up, test = GUIDE_ORDER[0], GUIDE_ORDER[-1]
    rest = [n for n in GUIDE_ORDER[1:-1] if n not in focus]
    return [
        _step(warm_up, False),
        *(_step(n, True) for n in focus),
        *(_step(n, False) for n in rest),
        _step(test, False),
    ]


def explanation(stiffness: str | None) -> str:
    """Why the routine is in this order, for the chosen stiffness (None: the full guide)."""
    return FULL_EXPLANATION if stiffness is None else STIFFNESS[stiffness].explanation


def parse_stiffness(value: str | None) -> str | None:
    """A stiffness key from a URL query value; anything unknown or empty means the full guide (None)."""
    return value if value in STIFFNESS else None

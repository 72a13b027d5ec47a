"""The guide's routine: its order, and the adaptation to where the stiffness is felt."""

from __future__ import annotations

import pytest

from dashboard.guide import routine_steps, target_text
from processing.exercises.registry import SPECS

FULL = [
    "ankle_circles", "calf_release", "achilles_release", "gastrocnemius_stretch", "soleus_stretch", "traction",
    "band_mobilisation", "seated_dorsiflexion_hold", "eccentric_drop", "nerve_flossing", "knee_to_wall",
]  # fmt: skip


def names(stiffness: str | None) -> list[str]:
    return [s.exercise for s in routine_steps(stiffness)]


def test_full_routine_is_the_guides_order_with_the_test_last() -> None:
    assert names(None) == FULL
    assert not any(s.focus for s in routine_steps(None))


@pytest.mark.parametrize(
    ("stiffness", "focus"),
    [
        ("front", ["traction", "band_mobilisation"]),
        ("back_ankle", ["achilles_release", "soleus_stretch", "eccentric_drop"]),
        ("calf", ["calf_release", "gastrocnemius_stretch", "nerve_flossing"]),
    ],
)
def test_stiffness_brings_its_exercises_forward_after_the_warm_up(stiffness: str, focus: list[str]) -> None:
    steps = routine_steps(stiffness)
    order = [s.exercise for s in steps]
    assert order[0] == "ankle_circles" and order[-1] == "knee_to_wall"
    assert order[1 : 1 + len(focus)] == focus
    assert [s.exercise for s in steps if s.focus] == focus
    assert sorted(order) == sorted(FULL)  # every exercise once
    rest = [n for n in FULL if n not in focus]
    assert [n for n in order if n not in focus] == rest  # the others keep the guide's order


def test_steps_carry_the_specs_title_instruction_and_target() -> None:
    by_name = {s.exercise: s for s in routine_steps(None)}
    assert by_name["gastrocnemius_stretch"].target_text == "3 holds of 30 s"
    assert by_name["ankle_circles"].target_text == "20 circles each way"
    assert by_name["band_mobilisation"].target_text == "30 reps"
    assert by_name["knee_to_wall"].target_text == "3 attempts"
    assert by_name["traction"].instruction == SPECS["traction"].instruction
    assert target_text(SPECS["calf_release"]).startswith("60 s")


def test_unknown_stiffness_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown stiffness"):
        routine_steps("knee")

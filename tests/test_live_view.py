"""The live view's texts: the counter in each exercise's unit, the calibration countdown, the hold ring."""

import math

from dashboard.live_view import calibration_text, hold_state
from dashboard.targets import all_targets, count_text, target


def test_every_exercise_has_a_target_and_the_counter_uses_its_unit():
    targets = all_targets()
    assert len(targets) == 11
    assert count_text("band_mobilisation", {"count": 12}) == ("12", "of 30 reps")
    assert count_text("gastrocnemius_stretch", {"count": 1}) == ("1", "of 3 holds of 30 s")
    assert count_text("seated_dorsiflexion_hold", None) == ("0", "of 20 holds of 10 s")
    number, rest = count_text("ankle_circles", {"count": 23, "inward": 20, "outward": 3})
    assert (number, rest) == ("23", "of 40 circles (20 inward, 3 outward of 20)")
    assert count_text("calf_release", {"count": 42}) == ("42", "of 60 s rolling")
    number, rest = count_text(
        "knee_to_wall", {"count": 2, "best_dorsiflexion_rad": math.radians(38.2), "best_toe_to_wall_m": 0.091}
    )
    assert (number, rest) == ("2", "of 3 attempts; best 38 deg, 9.1 cm")
    assert target("knee_to_wall").band_deg == (35.0, 45.0)
    assert target("ankle_circles").band_rad is None


def test_calibration_counts_down_then_says_calibrated_or_asks_to_stand_still():
    assert calibration_text({"calibration": {"phase": "stance", "still_s": 0.5, "needed_s": 3.0}}) == (
        "Stand still: 3 s left"
    )
    assert calibration_text({"calibration": {"phase": "stance", "still_s": 2.5, "needed_s": 3.0}}) == (
        "Stand still: 1 s left"
    )
    assert calibration_text({"calibration": {"phase": "stance", "still_s": 0.0, "moving": True}}).startswith(
        "Please stand still"
    )
    axes = calibration_text({"calibration": {"phase": "axes", "status": "rise onto your toes once"}})
    assert axes == "Calibrated. Now rise onto your toes once."
    assert calibration_text({"calibration": {"phase": "ready"}}).startswith("Calibrated")


def test_hold_ring_fills_while_holding_and_is_absent_for_reps():
    fill, label, said = hold_state("soleus_stretch", {"holding_s": 12.4})
    assert fill is not None and math.isclose(fill, 12.4 / 30.0)
    assert (label, said) == ("12 s", "Holding: 12 of 30 s")
    assert hold_state("soleus_stretch", {"holding_s": None, "last_hold_s": 31.0}) == (
        None,
        "0 s",
        "Not holding. Last hold 31 s.",
    )
    assert hold_state("band_mobilisation", {"count": 3}) is None
    fill, _, said = hold_state("calf_release", {"active_s": 30.0, "active": True})
    assert fill == 0.5 and said == "Rolling: 30 of 60 s"

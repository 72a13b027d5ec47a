"""Simulated cases in which `dorsi validate` found a fault, each replayed through the whole pipeline (the seed
reproduces the case; the comment says what went wrong before the fix)."""

from __future__ import annotations

import pytest

from dashboard.validation.simulated import evaluate
from sensors.simulator import random_case


@pytest.mark.parametrize(
    "seed",
    [
        # the circles' centre still held the ankle pump of a few seconds before: the resting foot sat in a
        # region, the set's first move counted as a quarter, and the spiral out became a 21st circle
        9088,
        313146,
        # three packet-loss bursts within 1.5 s: the samples between them were taken for a still foot (the
        # speed was measured against a NaN), the foot seemed to stall and a whole circle was lost (39 of 40)
        313135,
    ],
)
def test_ankle_circles_are_counted_exactly(seed: int) -> None:
    result = evaluate(random_case(seed, exercise="ankle_circles"))
    assert result.count_measured == result.count_true == 40


@pytest.mark.parametrize(
    ("seed", "exercise"),
    [
        # the shin's small lean was not known yet at the first lift's peak (its axis was decided 0.5 s after the
        # foot passed -8 deg), so that peak lacked the lean: 1.73 and 1.50 deg high
        (313154, "eccentric_drop"),
        (291957, "eccentric_drop"),
        # leans of 0.2-0.6 deg at the first lifts stayed under the 0.7 deg needed to decide the axis; a later rep
        # leaning 1.8 deg was measured with the shin upright: 1.63 deg
        (313176, "eccentric_drop"),
        # a filter restarted after a 0.32 s gap mid-turn took its settling tilt for gyro bias (0.44 deg/s): the
        # shin stayed 1.8 deg off for the first reps, fading over 40 s
        (313152, "band_mobilisation"),
    ],
)
def test_every_rep_peak_is_within_a_degree(seed: int, exercise: str) -> None:
    result = evaluate(random_case(seed, exercise=exercise))
    assert result.count_measured == result.count_true
    assert max(result.peak_errors_deg) < 1.0


def test_a_glitch_after_a_gap_mid_turn_is_not_a_knee_to_wall_attempt() -> None:
    # the turn to the wall overlapped a 0.35 s shin gap; the restarted filter read the turn's sideways
    # acceleration as a 10.7 deg lean for 0.4 s, counted as a fourth attempt
    result = evaluate(random_case(14313, exercise="knee_to_wall"))
    assert result.count_measured == result.count_true == 3

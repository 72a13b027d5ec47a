"""Random validation cases (reproducible, covering every dimension) and the demo's endless routine."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sensors.accel_calibration import fit_block
from sensors.simulator import DEMO_ORDER, EXERCISES, SPECS, demo_routine, draw_case, random_case


def test_a_random_case_is_reproducible_from_its_seed_and_described() -> None:
    a, b = random_case(12), random_case(12)
    for role in ("shin", "foot"):
        assert np.array_equal(a.blocks[role].acc, b.blocks[role].acc)
        assert np.array_equal(a.blocks[role].t_s, b.blocks[role].t_s)
    assert json.dumps(a.case) == json.dumps(b.case)  # serialisable, and the same
    assert a.case["random_case"] == {"seed": 12, "long": False, "exercise": None}
    assert a.exercise in a.describe() and "seed=12" in a.describe()
    c = random_case(13)
    assert json.dumps(c.case) != json.dumps(a.case)


def test_the_calibration_tumble_is_of_the_same_sensors() -> None:
    case = random_case(12)
    for role in ("shin", "foot"):
        tumble = case.calibration_tumble(role)
        assert len(tumble) == pytest.approx(60.0 * case.rate_hz[role], rel=0.01)
        lying = np.abs(tumble.acc).max(axis=0)
        assert np.all(lying > 9.5), "the sensor lay on faces that put each axis along gravity"
        fitted = fit_block(tumble).matrix @ case.errors[role].acc_sensitivity  # undoes this sensor's errors
        singular = np.linalg.svd(fitted, compute_uv=False)
        assert singular[0] / singular[-1] < 1.003


def test_random_cases_cover_every_dimension_across_seeds() -> None:
    cases = [draw_case(seed) for seed in range(300)]
    assert {c["exercise"] for c in cases} == set(EXERCISES)
    assert {c["side"] for c in cases} == {"left", "right"}
    assert {c["rate_hz"] for c in cases} == {c["foot_rate_hz"] for c in cases} == {50.0, 100.0, 200.0}
    turns = np.array([c["turn_deg"] for c in cases])
    assert (turns == 0).any() and (turns >= 90).any() and (turns <= -90).any() and np.all(np.abs(turns) <= 180)
    for c in cases:
        on_ground = SPECS[c["exercise"]].foot_on_ground
        assert on_ground or c["heel_lifts"] == c["pronations"] == 0
        assert c["errors"].clocks and c["errors"].packet_loss
    assert any(c["heel_lifts"] for c in cases) and any(c["pronations"] for c in cases)
    assert any(c["wiggles"] for c in cases)
    assert {c["pumps"] for c in cases} == {1, 2}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_a_random_case_of_every_exercise_has_errors_and_its_truth(exercise: str) -> None:
    s = random_case(100 + EXERCISES.index(exercise), exercise=exercise)
    assert s.exercise == exercise
    spec = SPECS[exercise]
    tr = s.truth
    units = {
        "reps": len(tr.reps),
        "attempts": len(tr.attempts),
        "holds": len(tr.holds),
        "bouts": len(tr.activity),
        "circles per direction": len(tr.circles) // 2,
    }[spec.unit]
    assert units == spec.target
    assert len(tr.compensations) == s.case["heel_lifts"] + s.case["pronations"]
    for role in ("shin", "foot"):
        b = s.blocks[role]
        assert b.t_sensor_s is not None and abs(b.t_sensor_s[0] - b.t_s[0]) > 0.5  # its own clock
        assert s.case["sensors"][role]["clock_drift_ppm"] != 0.0
        assert np.any(s.errors[role].gyr_bias_rad_s != 0.0)
        assert len(b) == pytest.approx(tr.t_s[-1] * s.rate_hz[role], rel=0.05)


def test_a_long_random_case_lasts_twenty_to_thirty_minutes() -> None:
    s = random_case(3, long=True, exercise="knee_to_wall")
    assert 1200.0 <= s.truth.t_s[-1] <= 1800.0
    assert len(s.truth.attempts) >= 10 * SPECS["knee_to_wall"].target
    lost = sum(s.case["sensors"][r]["lost_packets"] for r in ("shin", "foot"))
    assert lost > 0


def test_demo_routine_is_endless_starts_still_and_cycles_through_the_guide() -> None:
    demo = demo_routine(3)
    shin, foot = demo
    assert shin.duration_s is None and foot.duration_s is None
    assert 600.0 <= demo.period_s <= 900.0
    t = np.arange(0.0, 3.0, 0.01)
    for m in (shin, foot):
        acc, gyr = m.ideal(t)
        assert np.allclose(np.linalg.norm(acc, axis=1), 9.81, atol=0.02)
        assert np.max(np.abs(gyr)) < 0.05
        end = demo.period_s
        acc, gyr = m.ideal(np.array([end - 1e-3, end + 1e-3, 3 * end + 1e-3]))
        assert np.allclose(acc[0], acc[1], atol=0.02) and np.allclose(gyr[0], gyr[1], atol=0.01)  # smooth wrap
        assert np.allclose(acc[1], acc[2], atol=0.25)  # the same posture a cycle later, up to sway
    names = [name for _, name in demo.phases]
    exercises = [n for n in names if n not in ("stance", "rest")]
    assert exercises == list(DEMO_ORDER) and "traction" not in exercises
    for k, name in enumerate(names):
        if name in DEMO_ORDER:
            assert names[k - 1] == "stance" and names[k + 1] == "rest"
            assert 4.0 <= demo.phases[k][0] - demo.phases[k - 1][0] <= 5.0  # 4-5 s of stance before each
    assert demo.phase_at(demo.phases[3][0] + 1.0 + demo.period_s) == names[3]


def test_the_demo_can_start_at_any_exercise() -> None:
    demo = demo_routine(1, side="left", first="band_mobilisation")
    exercises = [n for _, n in demo.phases if n not in ("stance", "rest")]
    k = DEMO_ORDER.index("band_mobilisation")
    assert exercises == list(DEMO_ORDER[k:] + DEMO_ORDER[:k])
    with pytest.raises(ValueError, match="not in the demo"):
        demo_routine(1, first="traction")

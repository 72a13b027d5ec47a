"""The measurement targets on a fresh random simulator suite (every exercise, every error source), as CI runs it."""

from __future__ import annotations

import os
import secrets

import pytest

from dashboard.validation.simulated import TARGETS, describe_failures, run_suite, summarise
from processing.exercises.registry import SPECS

N_EXERCISES = len(SPECS)
BASE_SEED = int(os.environ.get("DORSI_VALIDATION_SEED", secrets.randbelow(10**6)))


@pytest.fixture(scope="module")
def suite():
    seeds = [BASE_SEED + i for i in range(2 * N_EXERCISES)]
    results = run_suite(seeds, [BASE_SEED + len(seeds)])
    figures = summarise(results)
    print(f"\nvalidation base seed {BASE_SEED} (reproduce: DORSI_VALIDATION_SEED={BASE_SEED})")
    for line in describe_failures(results, figures):
        print(line)
    return results, figures


def test_the_suite_covers_every_exercise_and_a_long_session(suite):
    results, _ = suite
    assert {r.exercise for r in results} >= set(SPECS)
    assert max(r.duration_s for r in results) >= 20 * 60


def test_every_case_calibrates_and_analyses(suite):
    results, figures = suite
    assert figures["failed_cases"] == 0, [r.error for r in results if r.error]


@pytest.mark.parametrize("target", ["rmse_median_deg", "rmse_worst_deg", "drift_deg_per_min"])
def test_dorsiflexion_accuracy(suite, target):
    _, figures = suite
    assert figures[target] <= TARGETS[target], f"seed {BASE_SEED}: {target} = {figures[target]:.3f}"


def test_compensations_are_found_without_false_alarms(suite):
    _, figures = suite
    assert figures["compensation_found_fraction"] >= TARGETS["compensation_found_fraction"], BASE_SEED
    assert figures["false_alerts_per_set"] <= TARGETS["false_alerts_per_set"], BASE_SEED

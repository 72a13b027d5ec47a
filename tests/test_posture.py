"""The shin's small-lean axis in foot exercises: found from the lean that goes with the lifts, not from sway."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from processing.angles import segment_angles
from processing.posture import SmallTiltAxis

RATE_HZ = 100.0
LIFT_RAD = math.radians(20.0)
MOUNTING = Rotation.from_euler("xyz", [70.0, -20.0, 130.0], degrees=True)  # shin sensor strapped on at an odd angle


def _lifts(leans_deg: list[float], sway_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grid times, the shin's true lean (rad), up in the shin sensor's frame, and the foot pitch of lifts that
    each carry the shin back by leans_deg[k], with a sideways sway of sway_deg at 0.7 Hz all along."""
    t_parts, fp_parts = [], []
    t0 = 0.0
    for _ in leans_deg:
        tau = np.arange(0.0, 9.0, 1.0 / RATE_HZ)
        shape = np.clip(np.minimum(tau, 6.0 - tau), 0.0, 1.0)  # up in 1 s, held, down in 1 s, rest 3 s
        t_parts.append(t0 + tau)
        fp_parts.append(-LIFT_RAD * shape)
        t0 += 9.0
    t, fp = np.concatenate(t_parts), np.concatenate(fp_parts)
    lean = np.concatenate([-math.radians(d) * (f / -LIFT_RAD) for d, f in zip(leans_deg, fp_parts, strict=True)])
    sway = math.radians(sway_deg) * np.sin(2.0 * math.pi * 0.7 * t + 0.4)
    # person frame: x forward, y left (the hinge axis), z up
    shin = Rotation.from_rotvec(np.column_stack([sway, lean, np.zeros_like(t)]))
    up = (shin * MOUNTING).inv().apply([0.0, 0.0, 1.0])
    return t, lean, up, fp


def _feed(leans_deg: list[float], sway_deg: float, chunks: list[int]) -> tuple[SmallTiltAxis, np.ndarray]:
    t, _, up, fp = _lifts(leans_deg, sway_deg)
    finder = SmallTiltAxis(up[0], sign=-1)
    pitch = np.full(len(t), np.nan)
    bounds = np.cumsum([0, *chunks])
    done = 0  # rows before this have been released, as the pipeline does (held while the first axis may come)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        finder.update(t[lo:hi], up[lo:hi], fp[lo:hi], armed_t_s=0.0)
        hold = finder.holding_from_s
        cut = hi if hold is None or hi == len(t) else int(np.searchsorted(t, hold, side="left"))
        for mask, axis in finder.axes_at(t[done:cut]) if finder.since_s is not None and cut > done else []:
            rows = np.arange(done, cut)[mask]
            pitch[rows] = segment_angles(up[rows], up[0], axis)[0]
        done = max(done, cut)
    return finder, pitch


def test_a_sideways_sway_in_the_first_small_lean_does_not_set_the_axis() -> None:
    leans = [0.8, 2.0, 1.5, 2.0, 1.0, 2.0]
    t, lean, _, _ = _lifts(leans, sway_deg=0.5)
    finder, pitch = _feed(leans, 0.5, [len(t)])
    true_axis = MOUNTING.inv().apply([0.0, 1.0, 0.0])
    assert finder.axis is not None
    assert math.degrees(math.acos(float(finder.axis @ true_axis))) < 5.0
    last_hold = (t >= 45.0 + 1.5) & (t <= 45.0 + 4.5)
    assert np.max(np.abs(pitch[last_hold] - lean[last_hold])) < math.radians(0.6)  # the sway is still in it


def test_no_axis_while_the_lean_stays_under_its_threshold() -> None:
    t, _, _, _ = _lifts([0.3, 0.3, 0.3], sway_deg=0.1)
    finder, pitch = _feed([0.3, 0.3, 0.3], 0.1, [len(t)])
    assert finder.axis is None and finder.since_s is None
    assert np.all(np.isnan(pitch))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_angles_do_not_depend_on_how_the_stream_was_split(seed: int) -> None:
    leans = [0.8, 2.0, 1.5, 2.0]
    n = len(_lifts(leans, 0.5)[0])
    rng = np.random.default_rng(seed)
    chunks: list[int] = []
    while sum(chunks) < n:
        # many one-sample pieces: a BLAS matrix product rounds those differently from long ones
        chunks.append(min(int(rng.choice([1, 1, 2, 3, 50, 400])), n - sum(chunks)))
    _, whole = _feed(leans, 0.5, [n])
    _, split = _feed(leans, 0.5, chunks)
    assert np.isfinite(whole).sum() > n // 2
    np.testing.assert_array_equal(whole, split)


@pytest.mark.parametrize("piece", [1, 7, 100_000])
def test_the_first_lift_carries_its_lean_from_its_start(piece: int) -> None:
    leans = [1.5, 1.5]
    t, lean, _, fp = _lifts(leans, sway_deg=0.1)
    _, pitch = _feed(leans, 0.1, [piece] * (len(t) // piece) + ([len(t) % piece] if len(t) % piece else []))
    first_lift = (t < 9.0) & (fp < -math.radians(2.0))
    assert np.all(np.isfinite(pitch[first_lift]))  # the axis is decided 0.5 s into the lift, yet applies all of it
    assert np.max(np.abs(pitch[first_lift] - lean[first_lift])) < math.radians(0.3)

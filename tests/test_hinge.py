"""The hinge axis: found from a real excursion, not from a filter's glitch after a gap, and pointing the right way."""

from __future__ import annotations

import math

import numpy as np

from processing.hinge import HingeFinder

RATE_HZ = 100.0


def _feed(pitch_seen: np.ndarray, rate: np.ndarray, sign: int, chunk: int = 37) -> HingeFinder:
    """A segment tilting about +y (the person's left), seen by a filter as pitch_seen; fed in chunks."""
    up = np.stack([-np.sin(pitch_seen), np.zeros_like(pitch_seen), np.cos(pitch_seen)], axis=1)
    gyr = np.stack([np.zeros_like(rate), rate, np.zeros_like(rate)], axis=1)
    t = np.arange(len(up)) / RATE_HZ
    finder = HingeFinder(np.array([0.0, 0.0, 1.0]), first_excursion_sign=sign)
    for lo in range(0, len(t), chunk):
        finder.update(t[lo : lo + chunk], up[lo : lo + chunk], gyr[lo : lo + chunk])
    return finder


def _glitch(t: np.ndarray, start_s: float, size_deg: float, decay_s: float = 0.3) -> np.ndarray:
    """What a filter restarted mid-movement adds: size_deg at once, gone linearly within decay_s."""
    inside = (t >= start_s) & (t < start_s + decay_s)
    return inside * math.radians(size_deg) * (1.0 - (t - start_s) / decay_s)


def test_a_glitch_the_wrong_way_just_before_the_movement_does_not_flip_the_axis() -> None:
    t = np.arange(0, 600) / RATE_HZ
    pitch = np.clip((t - 2.2) / 1.0, 0.0, 1.0) * math.radians(12.0)  # forward 12 deg from 2.2 s to 3.2 s
    finder = _feed(pitch - _glitch(t, 2.0, 12.0), np.gradient(pitch, t), sign=+1)
    assert finder.excursion_t_s is not None and finder.excursion_t_s > 2.3  # the real movement, not the glitch
    assert finder.axis is not None
    np.testing.assert_allclose(finder.axis, [0.0, 1.0, 0.0], atol=1e-6)


def test_a_glitch_while_nothing_moves_is_not_an_excursion() -> None:
    t = np.arange(0, 600) / RATE_HZ
    finder = _feed(_glitch(t, 2.0, 12.0), np.zeros_like(t), sign=-1)
    assert finder.excursion_t_s is None and finder.axis is None and finder.pending_since_s is None


def test_a_held_excursion_back_gives_the_axis_for_a_backward_first_movement() -> None:
    t = np.arange(0, 600) / RATE_HZ
    pitch = -np.clip((t - 1.0) / 2.0, 0.0, 1.0) * math.radians(80.0)  # lying back, as in the releases
    finder = _feed(pitch, np.gradient(pitch, t), sign=-1, chunk=1)
    assert finder.excursion_t_s is not None and abs(finder.excursion_t_s - 1.2) < 0.02
    assert finder.axis is not None
    np.testing.assert_allclose(finder.axis, [0.0, 1.0, 0.0], atol=1e-6)


def test_the_direction_comes_from_the_tilt_that_follows_not_the_first_tilted_sample() -> None:
    """A slow glitch the wrong way (beyond 8 deg for 0.45 s: it persists) while the real movement begins: the
    first tilted samples point back, the next 1.5 s mostly forward."""
    t = np.arange(0, 600) / RATE_HZ
    pitch = np.clip((t - 2.4) / 1.0, 0.0, 1.0) * math.radians(20.0)
    finder = _feed(pitch - _glitch(t, 2.0, 12.0, decay_s=2.0), np.gradient(pitch, t), sign=+1)
    assert finder.excursion_t_s is not None and abs(finder.excursion_t_s - 2.0) < 0.02
    assert finder.axis is not None
    np.testing.assert_allclose(finder.axis, [0.0, 1.0, 0.0], atol=1e-6)


def test_tilted_samples_either_side_of_a_gap_do_not_add_up_to_an_excursion() -> None:
    """Two restarts after gaps, each glitching 12 deg for less than persist_s: nothing moved."""
    t = np.concatenate([np.arange(0, 200), np.arange(235, 500)]) / RATE_HZ  # a 0.35 s gap at 2 s
    seen = _glitch(t, 1.97, 12.0, decay_s=0.08) + _glitch(t, 2.35, 12.0, decay_s=0.08)
    up = np.stack([-np.sin(seen), np.zeros_like(t), np.cos(seen)], axis=1)
    finder = HingeFinder(np.array([0.0, 0.0, 1.0]), first_excursion_sign=-1)
    finder.update(t, up, np.zeros((len(t), 3)))
    assert finder.excursion_t_s is None and finder.axis is None

"""The inclination filter gives the same output however the samples are split, long gaps included."""

from __future__ import annotations

import numpy as np
import pytest

from processing.orientation import TiltTracker


def _motion(t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A sensor rocking about x: gravity seen in the sensor frame, and the rate."""
    angle = 0.5 * np.sin(2.0 * np.pi * 0.5 * t_s)
    rate = 0.5 * 2.0 * np.pi * 0.5 * np.cos(2.0 * np.pi * 0.5 * t_s)
    acc = 9.81 * np.stack([np.zeros_like(angle), np.sin(angle), np.cos(angle)], axis=1)
    gyr = np.stack([rate, np.zeros_like(rate), np.zeros_like(rate)], axis=1)
    return acc, gyr


@pytest.mark.parametrize("gap_s", [0.1, 3.0])  # bridged, and long enough to restart the filter
def test_split_at_a_gap_equals_one_call(gap_s: float) -> None:
    rate_hz = 100.0
    before = np.arange(0, 500) / rate_hz
    after = before[-1] + gap_s + np.arange(0, 500) / rate_hz
    t = np.concatenate([before, after])
    acc, gyr = _motion(t)
    whole = TiltTracker(rate_hz, np.zeros(3)).update(t, acc, gyr)[0]
    split = TiltTracker(rate_hz, np.zeros(3))
    first = split.update(before, acc[:500], gyr[:500])[0]
    second = split.update(after, acc[500:], gyr[500:])[0]  # the gap falls exactly between the two calls
    np.testing.assert_array_equal(np.concatenate([first, second]), whole)

"""ClockAligner against a synthetic sensor clock with drift and bursty, always-late BLE arrivals."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.clock import ClockAligner, lower_hull

MIN_DELAY_S = 0.004


def synthetic_arrivals(
    rng: np.random.Generator, duration_s: float, drift_ppm: float, offset_s: float, rate_hz: float = 50.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True times, sensor times and arrival times of notifications.

    Delay = 4 ms minimum + exponential jitter (mean 3 ms) + bursts: now and then the link stalls for
    50-400 ms and everything queued arrives at once when it recovers.
    """
    true_t = np.arange(0.0, duration_s, 1.0 / rate_hz)
    sensor_t = offset_s + true_t * (1 + drift_ppm * 1e-6)
    arrival = true_t + MIN_DELAY_S + rng.exponential(0.003, true_t.size)
    i = 0
    while i < true_t.size:
        if rng.random() < 0.01:
            stall_s = rng.uniform(0.05, 0.4)
            release = true_t[i] + stall_s
            j = i
            while j < true_t.size and true_t[j] < release:
                arrival[j] = max(arrival[j], release + rng.exponential(0.001))
                j += 1
            i = j
        i += 1
    return true_t, sensor_t, np.maximum.accumulate(arrival)


@pytest.mark.parametrize("drift_ppm", [-100.0, -37.0, 0.0, 55.0, 100.0])
def test_alignment_error_bounded_under_drift_and_bursts(drift_ppm: float) -> None:
    rng = np.random.default_rng(int(drift_ppm) + 1000)
    true_t, sensor_t, arrival = synthetic_arrivals(rng, 300.0, drift_ppm, offset_s=1234.5)
    aligner = ClockAligner()
    errors = []
    for k in range(true_t.size):
        aligner.add(sensor_t[k], arrival[k])
        if true_t[k] > 10.0 and k % 50 == 0:
            mapped = aligner.to_session(sensor_t[k : k + 1])[0]
            errors.append(mapped - (true_t[k] + MIN_DELAY_S))
    err = np.abs(np.array(errors))
    # the earliest arrivals sit within a fraction of a millisecond of the minimum delay
    assert err.max() < 0.002, f"max alignment error {err.max() * 1e3:.2f} ms"
    assert np.median(err) < 0.001
    assert aligner.drift_ppm == pytest.approx(drift_ppm, abs=3.0)


def test_bursts_do_not_pull_the_fit_late() -> None:
    rng = np.random.default_rng(7)
    true_t, sensor_t, arrival = synthetic_arrivals(rng, 120.0, 80.0, offset_s=0.0)
    # a long stall near the end: 2 s of data arrives all at once
    stall = (true_t > 100) & (true_t < 102)
    arrival[stall] = 102.05
    aligner = ClockAligner()
    for s, a in zip(sensor_t, arrival, strict=True):
        aligner.add(s, a)
    mapped = aligner.to_session(sensor_t[stall])
    assert np.abs(mapped - (true_t[stall] + MIN_DELAY_S)).max() < 0.002


def test_output_is_monotonic_across_refits() -> None:
    rng = np.random.default_rng(3)
    true_t, sensor_t, arrival = synthetic_arrivals(rng, 60.0, -100.0, offset_s=5.0)
    aligner = ClockAligner()
    out = []
    for k in range(0, true_t.size, 4):
        for j in range(k, min(k + 4, true_t.size)):
            aligner.add(sensor_t[j], arrival[j])
        out.append(aligner.to_session(sensor_t[k : k + 4]))
    t = np.concatenate(out)
    assert np.all(np.diff(t) > 0)


def test_first_observation_maps_exactly_and_before_that_raises() -> None:
    aligner = ClockAligner()
    with pytest.raises(RuntimeError, match="no observations"):
        aligner.to_session([0.0])
    aligner.add(100.0, 3.0)
    assert aligner.to_session([100.0, 100.01]) == pytest.approx([3.0, 3.01])
    assert aligner.drift_ppm == 0.0


def test_sensor_reboot_resets_the_fit() -> None:
    aligner = ClockAligner()
    for k in range(100):
        aligner.add(1000.0 + k * 0.02, 1.0 + k * 0.02)
    aligner.add(0.5, 3.5)
    assert aligner.resets == 1
    assert aligner.to_session([0.5])[0] == pytest.approx(3.5)


def test_lower_hull_drops_points_above() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y = np.array([0.0, 5.0, -1.0, 4.0, 0.0])
    assert lower_hull(x, y) == [0, 2, 4]

"""Server-side decimation: extremes kept, gaps kept as gaps, zoom windows, bounds."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.decimate import decimate, decimate_indices, window_indices


def _no_bridged_gap(y: np.ndarray, idx: np.ndarray) -> bool:
    """Whether every NaN stretch of y that lies between two chosen points is marked by a chosen NaN."""
    nan_before = np.concatenate(([0], np.cumsum(np.isnan(y))))
    for i, j in zip(idx[:-1], idx[1:], strict=True):
        if np.isfinite(y[i]) and np.isfinite(y[j]) and nan_before[j] - nan_before[i + 1] > 0:
            return False
    return True


def test_short_traces_come_back_whole() -> None:
    x = np.arange(50, dtype=float)
    y = np.sin(x)
    assert decimate_indices(x, y, 100).tolist() == list(range(50))


def test_narrow_extremes_survive_decimation_of_a_long_trace() -> None:
    rng = np.random.default_rng(1)
    x = np.arange(360_000) / 100.0  # 1 hour at 100 Hz
    y = 0.1 * rng.standard_normal(x.size)
    y[123_457] = 5.0  # a one-sample spike up ...
    y[301_001] = -4.0  # ... and one down: both must be drawn
    idx = decimate_indices(x, y, 2000)
    assert 1800 <= idx.size <= 2010
    assert 123_457 in idx and 301_001 in idx
    assert np.all(np.diff(idx) > 0)
    xs, ys = decimate(x, y, 2000)
    assert ys.max() == 5.0 and ys.min() == -4.0 and xs[0] == 0.0 and xs[-1] == x[-1]


def test_nan_gaps_stay_gaps() -> None:
    x = np.arange(100_000) / 200.0
    y = np.sin(x)
    y[40_000:41_000] = np.nan  # a 5 s sensor gap
    y[70_000:70_003] = np.nan  # a 15 ms one, much shorter than a decimation bin
    idx = decimate_indices(x, y, 1000)
    assert idx.size <= 1000 + 10
    chosen_nan = idx[np.isnan(y[idx])]
    assert any(40_000 <= i < 41_000 for i in chosen_nan)
    assert any(70_000 <= i < 70_003 for i in chosen_nan)
    assert _no_bridged_gap(y, idx)
    # the edges of the gap are kept, so the line stops where the data stop
    assert 39_999 in idx and 41_000 in idx


def test_many_gaps_stay_bounded_and_unbridged() -> None:
    x = np.arange(200_000) / 200.0
    y = np.cos(x / 3.0)
    y[::50] = np.nan  # 4000 runs: more than the points wanted
    idx = decimate_indices(x, y, 2000)
    assert 1000 <= idx.size <= 4000
    assert _no_bridged_gap(y, idx)


def test_zoom_window_is_decimated_with_one_neighbour_each_side() -> None:
    x = np.arange(720_000) / 200.0
    y = np.sin(x)
    lo, hi = 1000.0, 1100.0  # 100 s = 20 000 samples
    start, stop = window_indices(x, (hi, lo))  # either order
    assert x[start] < lo <= x[start + 1] and x[stop - 2] <= hi < x[stop - 1]
    idx = decimate_indices(x, y, 2000, (lo, hi))
    assert idx[0] == start and idx[-1] == stop - 1
    assert 1800 <= idx.size <= 2010
    # denser than the whole view: about 20 points per second instead of 0.55
    assert idx.size / (hi - lo) > 10 * decimate_indices(x, y, 2000).size / x[-1]
    small = decimate_indices(x, y, 2000, (1000.0, 1001.0))
    assert small.tolist() == list(range(199_999, 200_202))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        decimate_indices(np.arange(10.0), np.arange(9.0))
    with pytest.raises(ValueError, match="n_out"):
        decimate_indices(np.arange(10.0), np.arange(10.0), 3)
    assert decimate_indices(np.zeros(0), np.zeros(0)).size == 0
    assert decimate_indices(np.arange(10.0), np.full(10, np.nan), 4).size <= 4

"""Server-side decimation of long traces for drawing (tsdownsample's MinMaxLTTB), gaps kept as NaN."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from tsdownsample import MinMaxLTTBDownsampler

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DEFAULT_POINTS = 2000
# MinMaxLTTB needs at least this many output points per run (its LTTB stage asserts n_out >= 3).
_MIN_RUN_POINTS = 4

_DOWNSAMPLER = MinMaxLTTBDownsampler()  # type: ignore[no-untyped-call]


def _finite_runs(y: FloatArray) -> list[tuple[int, int]]:
    """Return the [start, stop) index ranges of consecutive finite values of y."""
    finite = np.isfinite(y)
    edges = np.flatnonzero(np.diff(np.concatenate(([False], finite, [False])).astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def window_indices(x: FloatArray, x_range: tuple[float, float] | None) -> tuple[int, int]:
    """Return the [start, stop) indices of the points inside x_range, plus one neighbour on each side.

    The neighbours let the drawn line run to the edges of the view instead of stopping at the last point inside.

    Parameters
    ----------
    x : (N,) increasing values.
    x_range : (lo, hi) or None for everything.

    Returns
    -------
    (start, stop) : int
    """
    if x_range is None:
        return 0, len(x)
    lo, hi = sorted(x_range)
    start = max(int(np.searchsorted(x, lo, side="left")) - 1, 0)
    stop = min(int(np.searchsorted(x, hi, side="right")) + 1, len(x))
    return start, max(start, stop)


def decimate_indices(
    x: FloatArray,
    y: FloatArray,
    n_out: int = DEFAULT_POINTS,
    x_range: tuple[float, float] | None = None,
) -> IntArray:
    """Choose about `n_out` points of (x, y) inside x_range that keep the trace's shape (MinMaxLTTB).

    Each run of finite values is decimated on its own, with a share of `n_out` proportional to its length, and
    the first NaN after each run is kept, so that a gap in the data stays a gap in the drawn line.

    Parameters
    ----------
    x : (N,) increasing values (e.g. time, s).
    y : (N,) values; NaN marks a gap.
    n_out : int
        Points wanted (>= 4); the result may hold a few more (gap markers and a minimum per run).
    x_range : (lo, hi) or None
        Decimate only the points inside (and one neighbour each side); None: everything.

    Returns
    -------
    (M,) int64 indices into x and y, increasing.
    """
    x = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    y = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in length: {x.shape} vs {y.shape}")
    if n_out < _MIN_RUN_POINTS:
        raise ValueError(f"n_out must be >= {_MIN_RUN_POINTS}, got {n_out}")
    start, stop = window_indices(x, x_range)
    if stop - start <= n_out:
        return np.arange(start, stop, dtype=np.int64)
    runs = _finite_runs(y[start:stop])
    if len(runs) * _MIN_RUN_POINTS * 2 > n_out:
        return _decimate_ragged(x[start:stop], y[start:stop], n_out) + start
    finite_total = sum(b - a for a, b in runs)
    chosen: list[IntArray] = []
    for a, b in runs:
        length = b - a
        share = max(_MIN_RUN_POINTS, round(n_out * length / finite_total))
        if length <= share:
            idx = np.arange(a, b, dtype=np.int64)
        else:
            idx = _DOWNSAMPLER.downsample(x[start + a : start + b], y[start + a : start + b], n_out=share)
            idx = np.asarray(idx, dtype=np.int64) + a
        chosen.append(idx)
        if b < stop - start:
            chosen.append(np.array([b], dtype=np.int64))  # the NaN that ends this run: the gap stays a gap
    if not chosen:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(chosen)) + start


def _decimate_ragged(x: FloatArray, y: FloatArray, n_out: int) -> IntArray:
    """Decimate the finite points together, then mark each gap between two chosen points with one NaN.

    For data with too many gaps to share `n_out` among them; a short gap may then look up to a bin wider.
    """
    finite = np.isfinite(y)
    f_idx = np.flatnonzero(finite).astype(np.int64)
    if f_idx.size <= n_out:
        chosen = f_idx
    else:
        chosen = f_idx[np.asarray(_DOWNSAMPLER.downsample(x[f_idx], y[f_idx], n_out=n_out), dtype=np.int64)]
    nan_idx = np.flatnonzero(~finite).astype(np.int64)
    if chosen.size == 0 or nan_idx.size == 0:
        return chosen
    # the first NaN after each chosen point, kept if it comes before the next chosen point
    first_nan = nan_idx[np.minimum(np.searchsorted(nan_idx, chosen), nan_idx.size - 1)]
    next_chosen = np.append(chosen[1:], len(y))
    markers = first_nan[(first_nan > chosen) & (first_nan < next_chosen)]
    return np.unique(np.concatenate([chosen, markers]))


def decimate(
    x: FloatArray,
    y: FloatArray,
    n_out: int = DEFAULT_POINTS,
    x_range: tuple[float, float] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Return the decimated (x, y) of `decimate_indices` (same parameters)."""
    idx = decimate_indices(x, y, n_out, x_range)
    return np.asarray(x, dtype=np.float64)[idx], np.asarray(y, dtype=np.float64)[idx]

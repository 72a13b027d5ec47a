"""Streaming machinery shared by the analysers: the grid step, a bounded tail of past samples, exact sums.

Every analyser derives from `StreamAnalyser`. Its `_process` sees the new samples appended to a tail of past
samples (`ext`, new samples from index `first`); a decision at sample i may look back at most `keep` samples
(`lookback_start(i)`), so the tail always holds what any decision needs and any split of the stream into
chunks gives identical events. Memory stays bounded by `history_s` however long the set.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from processing.events import Event
from processing.exercises.base import AngleStream

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_FIELDS = tuple(f.name for f in dataclasses.fields(AngleStream))
_EXACT_SCALE = 1e9  # exact sums in units of 1e-9 (rad or s): int64 holds 9e9 such units, far beyond any set


def empty_stream() -> AngleStream:
    """An AngleStream without samples."""
    return AngleStream(*(np.zeros(0) for _ in _FIELDS))


def concat_streams(a: AngleStream, b: AngleStream) -> AngleStream:
    """Samples of a followed by those of b."""
    if len(a) == 0:
        return b
    if len(b) == 0:
        return a
    return AngleStream(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in _FIELDS))


class StreamAnalyser:
    """Base of the exercise analysers: learns the grid step, keeps a bounded tail, calls `_process`.

    Subclasses set `history_s` (how far back any decision may look, s) and implement `_process` and
    `progress`. Angles are analysed as given (NaN = unknown: comparisons with NaN are false, so a gap
    neither starts nor ends anything).
    """

    history_s: float = 10.0

    def __init__(self) -> None:
        self.dt_s: float | None = None
        self.keep = 0
        self._tail = empty_stream()
        self._last_t_s = -math.inf

    def step(self, angles: AngleStream) -> list[Event]:
        """Feed consecutive samples (any chunk length, also empty); return the events they complete."""
        if len(angles) == 0:
            return []
        if self.dt_s is None:
            angles = concat_streams(self._tail, angles)
            if len(angles) < 2:
                self._tail = angles
                return []
            self.dt_s = float(angles.t_s[1] - angles.t_s[0])
            self.keep = self.samples(self.history_s)
            self._tail = empty_stream()
        ext = concat_streams(self._tail, angles)
        first = len(self._tail)
        events = self._process(ext, first)
        self._tail = ext.slice(max(0, len(ext) - self.keep), len(ext))
        self._last_t_s = float(ext.t_s[-1])
        return events

    def finish(self) -> list[Event]:
        """End of the set: close what is still open (nothing, unless the analyser says otherwise)."""
        return []

    def progress(self) -> dict[str, Any]:
        """Live state for the UI (see base.Analyser.progress)."""
        raise NotImplementedError

    def samples(self, seconds: float) -> int:
        """Number of grid samples in `seconds` (at least 1)."""
        assert self.dt_s is not None
        return max(1, round(seconds / self.dt_s))

    def lookback_start(self, i: int) -> int:
        """Earliest index a decision at ext index i may look at."""
        return max(0, i - self.keep)

    def _process(self, ext: AngleStream, first: int) -> list[Event]:
        raise NotImplementedError


def trailing_extreme(y: FloatArray, first: int, window_n: int, kind: str) -> FloatArray:
    """Minimum or maximum of y over the trailing window [i - window_n + 1, i] for each i >= first.

    NaN samples are ignored; a window without a finite sample gives NaN. Needs window_n - 1 samples of y
    before `first` (or the start of the stream). Exact, so identical for any chunking.

    Parameters
    ----------
    y : (N,) samples.
    first : first index to compute.
    window_n : window length in samples.
    kind : "min" or "max".

    Returns
    -------
    (N - first,) the extreme of each window.
    """
    lo = max(0, first - window_n + 1)
    seg = y[lo:]
    finite = np.isfinite(seg)
    fill = math.inf if kind == "min" else -math.inf
    filt = minimum_filter1d if kind == "min" else maximum_filter1d
    origin = (window_n - 1) // 2
    out = np.asarray(filt(np.where(finite, seg, fill), window_n, mode="constant", cval=fill, origin=origin))
    any_finite = np.asarray(maximum_filter1d(finite.astype(np.int8), window_n, mode="constant", origin=origin))
    out = np.where(any_finite > 0, out, np.nan)
    return np.asarray(out[first - lo :], dtype=np.float64)


def trailing_mean(y: FloatArray, first: int, window_n: int, since: NDArray[np.int64] | None = None) -> FloatArray:
    """Mean of the finite y over the trailing window [i - window_n + 1, i] for each i >= first (NaN if none).

    since : optional (N - first,) index of y before which sample i's window never reaches (the window is
        [max(i - window_n + 1, since[i - first]), i]).

    Sums are exact (integer units of 1e-9), so the result is identical for any chunking. Needs window_n - 1
    samples of y before `first` (or the start of the stream).
    """
    lo = max(0, first - window_n + 1)
    seg = y[lo:]
    finite = np.isfinite(seg)
    units = np.round(np.where(finite, seg, 0.0) * _EXACT_SCALE).astype(np.int64)
    sums = np.concatenate([[0], np.cumsum(units)])
    counts = np.concatenate([[0], np.cumsum(finite)])
    stop = np.arange(first - lo, len(seg)) + 1
    start = np.maximum(stop - window_n, 0)
    if since is not None:
        start = np.maximum(start, np.asarray(since) - lo)
    n = counts[stop] - counts[start]
    total = (sums[stop] - sums[start]).astype(np.float64) / _EXACT_SCALE
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def first_true(mask: BoolArray, start: int = 0) -> int | None:
    """Index of the first True in mask at or after start, or None (cost grows with the distance only)."""
    width, lo = 256, start
    while lo < len(mask):
        hi = min(len(mask), lo + width)
        hits = np.flatnonzero(mask[lo:hi])
        if hits.size:
            return lo + int(hits[0])
        lo, width = hi, width * 2
    return None


def exact_units(x: FloatArray) -> int:
    """Sum of the finite values of x in exact integer units of 1e-9 (order-independent, so chunking-proof)."""
    finite = x[np.isfinite(x)]
    return int(np.round(finite * _EXACT_SCALE).astype(np.int64).sum())


def from_units(units: int) -> float:
    """A float from exact integer units of 1e-9."""
    return units / _EXACT_SCALE


def finite_count(x: FloatArray) -> int:
    """Number of finite samples in x."""
    return int(np.count_nonzero(np.isfinite(x)))

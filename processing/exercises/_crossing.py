"""Small helpers shared by the exercise analysers: level crossings on a sampled angle trace, ramp ends."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def crossing_time(t_s: FloatArray, y: FloatArray, i: int, level: float) -> float:
    """Time (s) at which y crosses level between samples i and i + 1, by linear interpolation.

    Falls back to t_s[i] when the step is flat, non-finite, or i is the last sample.
    """
    if i + 1 >= len(t_s):
        return float(t_s[i])
    dy = float(y[i + 1] - y[i])
    if not np.isfinite(dy) or dy == 0.0:
        return float(t_s[i])
    frac = float(np.clip((level - y[i]) / dy, 0.0, 1.0))
    return float(t_s[i] + frac * (t_s[i + 1] - t_s[i]))


def scan(n: int, start: int, hits: Callable[[int, int], BoolArray]) -> int | None:
    """First k in [start, n) with hits(lo, hi)[k - lo] True, asking hits for windows of doubling size.

    hits(lo, hi) must return a (hi - lo,) boolean array; windows are consecutive, so a stateful hits (running
    extremes) sees every sample once, in order.
    """
    width = 256
    lo = start
    while lo < n:
        hi = min(n, lo + width)
        found = np.flatnonzero(hits(lo, hi))
        if found.size:
            return lo + int(found[0])
        lo, width = hi, width * 2
    return None


def rise_time(t_s: FloatArray, y: FloatArray, stop: int, level: float, lo: int) -> float:
    """Time y last rose through level before index stop (searching back to lo), s; t_s[lo] if never.

    Uses the last finite sample below level in [lo, stop) and the one after it.
    """
    below = np.flatnonzero(y[lo:stop] < level)
    if not below.size:
        return float(t_s[lo])
    return _bridged_crossing(t_s, y, lo + int(below[-1]), stop, level)


def fall_time(t_s: FloatArray, y: FloatArray, stop: int, level: float, lo: int) -> float:
    """Time y last fell through level before index stop (searching back to lo), s; t_s[lo] if never."""
    above = np.flatnonzero(y[lo:stop] > level)
    if not above.size:
        return float(t_s[lo])
    return _bridged_crossing(t_s, y, lo + int(above[-1]), stop, level)


def _bridged_crossing(t_s: FloatArray, y: FloatArray, i: int, stop: int, level: float) -> float:
    """Crossing of level after sample i, interpolated to the next finite sample before stop (across a gap)."""
    after = np.flatnonzero(np.isfinite(y[i + 1 : stop]))
    j = i + 1 + int(after[0]) if after.size else i + 1
    if j >= len(t_s) or j == i + 1:
        return crossing_time(t_s, y, i, level)
    frac = float(np.clip((level - y[i]) / (y[j] - y[i]), 0.0, 1.0)) if y[j] != y[i] else 0.0
    return float(t_s[i] + frac * (t_s[j] - t_s[i]))


def at_fraction(t_a: float, frac_a: float, t_b: float, frac_b: float, frac: float) -> float:
    """Time a ramp through (t_a, frac_a) and (t_b, frac_b), extended linearly, reaches fraction frac, s.

    Fractions are of the ramp's height (0 = its base, 1 = its top), so with the 20 % and 80 % crossings of a
    lift, frac=1 gives the end of the lift and frac=0 its start; on the way down, frac=1 gives the start of
    the lowering. Falls back to t_b when both crossings coincide.
    """
    if t_b == t_a:
        return t_b
    return t_a + (frac - frac_a) * (t_b - t_a) / (frac_b - frac_a)


def ramp_line(
    t_s: FloatArray, y: FloatArray, lo: int, hi: int, level_a: float, level_b: float
) -> tuple[float, float] | None:
    """Straight line y = a + b * t fitted (least squares) to the samples in [lo, hi) between two levels.

    A ramp's extension is found more robustly from all its samples than from two crossings (postural sway
    moves single crossings). Sums are exactly rounded (math.fsum), so the result does not depend on how the
    samples were chunked. Returns (a, b), or None with fewer than 3 such samples or a flat fit.
    """
    seg_t, seg_y = t_s[lo:hi], y[lo:hi]
    inside = np.isfinite(seg_y) & (seg_y >= min(level_a, level_b)) & (seg_y <= max(level_a, level_b))
    if np.count_nonzero(inside) < 3:
        return None
    ts, ys = seg_t[inside], seg_y[inside]
    t_mean, y_mean = math.fsum(ts) / len(ts), math.fsum(ys) / len(ys)
    dt = ts - t_mean
    denominator = math.fsum(dt * dt)
    slope = math.fsum(dt * (ys - y_mean)) / denominator if denominator > 0.0 else 0.0
    if slope == 0.0:
        return None
    return y_mean - slope * t_mean, slope


def line_time(line: tuple[float, float], level: float) -> float:
    """Time a fitted line (a, b) reaches level, s."""
    a, b = line
    return (level - a) / b


EASING_GAIN = 1.0 / (2.0 * (0.25 - 1.0 / (2.0 * math.pi)))  # about 5.5
MAX_EASING_S = 0.8


def easing_s(
    t_s: FloatArray, y: FloatArray, t_line: float, level: float, speed: float, window_n: int, stop: int
) -> float:
    """How far from the straight extension of a ramp (t_line, where it reaches level) the ramp really ends, s.

    People start and stop moving smoothly: a ramp whose speed falls off as half a cosine over b seconds is
    still short of its level by g = (1/4 - 1/(2 pi)) * speed * b where its straight extension reaches it,
    and gets there b/2 later; b is read from the gap g measured around t_line (the mean of window_n
    samples). The same holds at a ramp's start, backwards. A ramp with a sharp corner gets no correction.

    Parameters
    ----------
    t_s, y : samples, s and rad.
    t_line : where the ramp's line reaches level, s.
    level : the plateau (or base) the ramp reaches, rad.
    speed : the ramp's speed along its line, rad/s (sign ignored).
    window_n : samples averaged around t_line.
    stop : only samples before this index are used (decisions never look ahead); 0 if t_line is beyond.

    Returns
    -------
    float : the delay (add it after a ramp's end, subtract it before its start), 0..MAX_EASING_S s.
    """
    i = int(np.searchsorted(t_s, t_line))
    if i + window_n // 2 >= stop:
        return 0.0
    seg = y[max(i - window_n // 2, 0) : i + window_n // 2 + 1]
    seg = seg[np.isfinite(seg)]
    if speed == 0.0:
        return 0.0
    if not seg.size:  # lost packets around t_line
        return _easing_across_gap(t_s, y, i, t_line, level, abs(speed), window_n, stop)
    gap = abs(level - float(np.mean(seg)))
    return float(np.clip(EASING_GAIN * gap / abs(speed), 0.0, MAX_EASING_S))


MAX_BRIDGED_GAP_S = 1.2


def _easing_across_gap(
    t_s: FloatArray, y: FloatArray, i: int, t_line: float, level: float, speed: float, window_n: int, stop: int
) -> float:
    """easing_s when t_line falls in a gap of at most MAX_BRIDGED_GAP_S: b from the mean of window_n samples at
    the gap's edge nearer the level (on the plateau side), through the half-cosine model, at most the distance
    to that edge (a small gap there is as much the plateau's sway as easing); 0 if none."""
    lo = int(np.searchsorted(t_s, t_line - MAX_BRIDGED_GAP_S))
    hi = min(stop, int(np.searchsorted(t_s, t_line + MAX_BRIDGED_GAP_S, side="right")))
    before = np.flatnonzero(np.isfinite(y[lo:i]))
    after = np.flatnonzero(np.isfinite(y[i:hi]))
    if not before.size or not after.size:
        return 0.0
    a, b = lo + int(before[-1]), i + int(after[0])
    if t_s[b] - t_s[a] > MAX_BRIDGED_GAP_S:
        return 0.0
    sides = [(t_s[max(a - window_n + 1, 0) : a + 1], y[max(a - window_n + 1, 0) : a + 1])]
    sides.append((t_s[b : min(b + window_n, stop)], y[b : min(b + window_n, stop)]))
    means = []
    for (ts, ys), edge in zip(sides, (a, b), strict=True):
        finite = np.isfinite(ys)
        means.append((float(np.mean(ts[finite])), float(np.mean(ys[finite])), float(t_s[edge])))
    plateau, line = sorted(means, key=lambda m: abs(level - m[1]))
    gap = max((level - plateau[1]) * math.copysign(1.0, level - line[1]), 0.0)  # overshoot: no gap
    delay = _half_cosine_delay(abs(plateau[0] - t_line), gap / speed)
    return min(delay, abs(plateau[2] - t_line))


def _half_cosine_delay(delta_s: float, gap_s: float) -> float:
    """Delay b/2 (s) of a half-cosine easing whose gap to the level, in seconds of the ramp's speed, is gap_s at
    delta_s beyond where the ramp's line reaches the level (0 <= b <= 2 MAX_EASING_S; bisection)."""

    def gap_at(b: float) -> float:
        if delta_s >= b / 2.0:
            return 0.0
        return 0.5 * (b / 2.0 - delta_s - b / math.pi * math.cos(math.pi * delta_s / b))

    lo, hi = min(2.0 * delta_s, 2.0 * MAX_EASING_S), 2.0 * MAX_EASING_S
    if gap_s >= gap_at(hi):
        return MAX_EASING_S
    if gap_s <= 0.0:
        return lo / 4.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gap_at(mid) < gap_s else (lo, mid)
    return 0.25 * (lo + hi)

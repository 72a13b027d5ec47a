"""Smooth scalar trajectories: piecewise holds and C2 ramps, postural sway and enveloped oscillations."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def smooth_ramp(tau: FloatArray, blend: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Normalised ramp from 0 to 1 with constant speed in the middle and C2 (cosine) blends at both ends.

    Parameters
    ----------
    tau : (N,) normalised time in [0, 1].
    blend : (N,) fraction of the ramp spent accelerating at each end, in (0, 0.5].

    Returns
    -------
    s, ds, dds : (N,) position, and its first and second derivatives with respect to tau.
    """
    tau = np.clip(tau, 0.0, 1.0)
    area = 1.0 - blend
    u = np.minimum(tau, 1.0 - tau)
    in_blend = u < blend
    w = np.pi * u / blend
    blend_area = u / 2.0 - blend / (2.0 * np.pi) * np.sin(w)
    blend_speed = (1.0 - np.cos(w)) / 2.0
    blend_acc = np.pi / (2.0 * blend) * np.sin(w)
    rising = tau <= 0.5
    s_blend = np.where(rising, blend_area, area - blend_area) / area
    s_mid = (tau - blend / 2.0) / area
    s = np.where(in_blend, s_blend, s_mid)
    ds = np.where(in_blend, blend_speed, 1.0) / area
    dds = np.where(in_blend, np.where(rising, blend_acc, -blend_acc), 0.0) / area
    return s, ds, dds


def _ramp_position(tau: FloatArray, blend: FloatArray) -> FloatArray:
    """Position part of `smooth_ramp` only (the hot path of trajectory evaluation)."""
    tau = np.clip(tau, 0.0, 1.0)
    area = 1.0 - blend
    u = np.minimum(tau, 1.0 - tau)
    blend_area = u / 2.0 - blend / (2.0 * np.pi) * np.sin(np.pi * np.minimum(u / blend, 1.0))
    s_blend = np.where(tau <= 0.5, blend_area, area - blend_area) / area
    return np.where(u < blend, s_blend, (tau - blend / 2.0) / area)


@dataclass
class Piecewise:
    """A scalar trajectory through knots: holds where consecutive values agree, smooth ramps elsewhere.

    Every ramp starts and ends at rest (zero velocity and acceleration), so a trajectory is C2 everywhere.

    Attributes
    ----------
    t_s : knot times, s, strictly increasing.
    values : knot values (rad for angles, m for positions).
    blend_s : per segment (len(t_s) - 1), duration of each end blend of a ramp, s.
    """

    t_s: list[float] = field(default_factory=lambda: [0.0])
    values: list[float] = field(default_factory=lambda: [0.0])
    blend_s: list[float] = field(default_factory=list)
    _arrays: tuple[FloatArray, FloatArray, FloatArray] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def append(self, t_s: float, value: float, blend_s: float) -> None:
        """Add a knot reached at t_s (s): a ramp from the last knot, or a hold if the value is unchanged."""
        if t_s <= self.t_s[-1]:
            raise ValueError(f"knot at {t_s} s is not after the previous one at {self.t_s[-1]} s")
        self.t_s.append(t_s)
        self.values.append(value)
        self.blend_s.append(blend_s)
        self._arrays = None

    def to(self, start_s: float, end_s: float, value: float, blend_s: float) -> None:
        """Hold the last value until start_s, then ramp to value, reached at end_s (s)."""
        if start_s > self.t_s[-1]:
            self.append(start_s, self.values[-1], blend_s)
        self.append(end_s, value, blend_s)

    @property
    def last(self) -> float:
        """Value at and after the last knot."""
        return self.values[-1]

    def _knots(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        if self._arrays is None or len(self._arrays[0]) != len(self.t_s):
            self._arrays = (np.asarray(self.t_s), np.asarray(self.values), np.asarray(self.blend_s))
        return self._arrays

    def evaluate(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Value, first and second time derivative at times t_s (s), each (N,); constant outside the knots."""
        knots, vals, blends = self._knots()
        t = np.asarray(t_s, dtype=np.float64)
        if len(knots) < 2:
            return np.full(t.shape, vals[0]), np.zeros(t.shape), np.zeros(t.shape)
        i = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 2)
        t0 = knots[i]
        dur = knots[i + 1] - t0
        y0 = vals[i]
        dy = vals[i + 1] - y0
        blend = np.clip(blends[i] / dur, 1e-3, 0.5)
        s, ds, dds = smooth_ramp((t - t0) / dur, blend)
        inside = (t > knots[0]) & (t < knots[-1])
        return y0 + dy * s, np.where(inside, dy * ds / dur, 0.0), np.where(inside, dy * dds / dur**2, 0.0)

    def constant_over(self, lo_s: float, hi_s: float) -> float | None:
        """The trajectory's value if it is constant from lo_s to hi_s (s), else None."""
        i = bisect.bisect_right(self.t_s, lo_s) - 1
        if i != bisect.bisect_right(self.t_s, hi_s) - 1:
            return None
        if i < 0:
            return self.values[0]
        if i >= len(self.t_s) - 1 or self.values[i] == self.values[i + 1]:
            return self.values[i]
        return None

    def value(self, t_s: FloatArray, lo_s: float | None = None, hi_s: float | None = None) -> FloatArray:
        """Value at times t_s (s), (N,); the same as `evaluate(t_s)[0]`, faster.

        lo_s, hi_s : bounds of t_s if known (a trajectory constant over them is then not evaluated per sample).
        """
        t = np.asarray(t_s, dtype=np.float64)
        if lo_s is not None and hi_s is not None:
            constant = self.constant_over(lo_s, hi_s)
            if constant is not None:
                return np.full(t.shape, constant)
        knots, vals, blends = self._knots()
        if len(knots) < 2:
            return np.full(t.shape, vals[0])
        i = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 2)
        dy = vals[i + 1] - vals[i]
        moving = dy != 0.0
        out = vals[i].copy()
        if np.any(moving):
            j = i[moving]
            dur = knots[j + 1] - knots[j]
            blend = np.clip(blends[j] / dur, 1e-3, 0.5)
            out[moving] += dy[moving] * _ramp_position((t[moving] - knots[j]) / dur, blend)
        return out


@dataclass
class Sway:
    """Small postural sway: a sum of sinusoids, amplitudes in rad, frequencies in Hz, phases in rad."""

    amplitude_rad: FloatArray
    frequency_hz: FloatArray
    phase_rad: FloatArray

    @staticmethod
    def random(rng: np.random.Generator, amplitude_rad: float, n: int = 3) -> Sway:
        """A random sway of about amplitude_rad (rms of the sum) from n sinusoids of 0.15-1.2 Hz."""
        amp = rng.uniform(0.5, 1.0, n)
        amp *= amplitude_rad * np.sqrt(2.0) / np.sqrt(np.sum(amp**2))
        return Sway(amp, rng.uniform(0.15, 1.2, n), rng.uniform(0.0, 2.0 * np.pi, n))

    def evaluate(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Value, first and second time derivative at times t_s (s), each (N,)."""
        t = np.asarray(t_s, dtype=np.float64)[:, None]
        w = 2.0 * np.pi * self.frequency_hz
        arg = w * t + self.phase_rad
        a = self.amplitude_rad
        return (
            np.sum(a * np.sin(arg), axis=1),
            np.sum(a * w * np.cos(arg), axis=1),
            np.sum(-a * w**2 * np.sin(arg), axis=1),
        )

    def value(self, t_s: FloatArray) -> FloatArray:
        """Value at times t_s (s), (N,)."""
        t = np.asarray(t_s, dtype=np.float64)
        out = np.zeros(t.shape)
        for a, f, p in zip(self.amplitude_rad, self.frequency_hz, self.phase_rad, strict=True):
            out += a * np.sin(2.0 * np.pi * f * t + p)
        return out


@dataclass
class Oscillation:
    """An enveloped oscillation ``scale * amplitude(t) * cos(phase(t) + offset_rad)``, zero outside its span.

    Rolling on a foam roller or a ball, and ankle circles, are oscillations; the envelope and the phase are
    smooth Piecewise trajectories, so the sum stays C2.

    Attributes
    ----------
    amplitude : envelope (unit or rad/m), zero at both ends of the span.
    phase : phase, rad.
    offset_rad : constant phase offset, rad.
    scale : factor (e.g. -1 or the side sign).
    """

    amplitude: Piecewise
    phase: Piecewise
    offset_rad: float = 0.0
    scale: float = 1.0

    @property
    def span_s(self) -> tuple[float, float]:
        """Times outside which the oscillation is zero, s."""
        return self.amplitude.t_s[0], self.amplitude.t_s[-1]

    def value(self, t_s: FloatArray, lo_s: float | None = None, hi_s: float | None = None) -> FloatArray:
        """Value at times t_s (s), (N,); lo_s, hi_s: bounds of t_s if known (skips an oscillation outside them)."""
        t = np.asarray(t_s, dtype=np.float64)
        start, end = self.span_s
        out = np.zeros(t.shape)
        if lo_s is not None and hi_s is not None and (hi_s <= start or lo_s >= end):
            return out
        on = (t > start) & (t < end)
        if np.any(on):
            ton = t[on]
            out[on] = self.scale * self.amplitude.value(ton) * np.cos(self.phase.value(ton) + self.offset_rad)
        return out


@dataclass
class Channel:
    """One scalar channel of the leg's motion: a scripted piecewise trajectory, oscillations and sway.

    The script and oscillations are evaluated at script time (which wraps around in an endless routine), the
    sway at true time.
    """

    script: Piecewise
    sway: Sway | None = None
    oscillations: list[Oscillation] = field(default_factory=list)

    def value(self, t_s: FloatArray, script_t_s: FloatArray | None = None) -> FloatArray:
        """Value at true times t_s (s); script_t_s: the script times they map to (default the same)."""
        ts = t_s if script_t_s is None else script_t_s
        lo, hi = (float(np.min(ts)), float(np.max(ts))) if np.size(ts) else (0.0, 0.0)
        y = self.script.value(ts, lo, hi)
        for osc in self.oscillations:
            start, end = osc.span_s
            if hi > start and lo < end:
                y = y + osc.value(ts)
        if self.sway is not None:
            y = y + self.sway.value(t_s)
        return y

"""Smooth piecewise angle trajectories (holds, C2 ramps, sway) with analytic derivatives at any time."""

from __future__ import annotations

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


@dataclass
class Piecewise:
    """A scalar trajectory through knots: holds where consecutive values agree, smooth ramps elsewhere.

    Attributes
    ----------
    t_s : knot times, s, strictly increasing.
    values : knot values (rad for angles).
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


@dataclass
class Channel:
    """One joint-angle channel: a scripted piecewise trajectory plus sway."""

    script: Piecewise
    sway: Sway | None = None

    def evaluate(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Value, first and second time derivative at times t_s (s), each (N,)."""
        y, dy, ddy = self.script.evaluate(t_s)
        if self.sway is not None:
            sy, sdy, sddy = self.sway.evaluate(t_s)
            return y + sy, dy + sdy, ddy + sddy
        return y, dy, ddy

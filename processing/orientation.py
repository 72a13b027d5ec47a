"""Inclination of each sensor with vqf (6D, no magnetometer): earth up in the sensor frame per sample."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from vqf import VQF

FloatArray = NDArray[np.float64]


def up_from_quat(quat: FloatArray) -> FloatArray:
    """Earth up in the sensor frame (N, 3) from scalar-first quaternions (N, 4) mapping sensor to earth."""
    w, x, y, z = quat[:, 0], quat[:, 1], quat[:, 2], quat[:, 3]
    return np.stack([2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)], axis=1)


class TiltTracker:
    """One sensor's online vqf filter; the same code serves streaming and batch (state carries across calls).

    vqf assumes a fixed sampling interval, so short gaps (lost packets, up to max_fill_s) are bridged with
    samples interpolated linearly between the samples on either side: the filter then integrates about the
    right rotation over the gap instead of none. Only the real samples' results are returned.

    Longer gaps (over max_fill_s) are not bridged: the rotation during them is unknown, and a bridge through
    half a cycle of a fast movement can be 20 deg off, which vqf's 3 s accelerometer correction takes seconds
    to remove. The filter restarts instead, and a new vqf takes its inclination from the first accelerometer
    sample (off by that moment's movement acceleration: 8-12 deg at once in the simulated cases that showed it,
    under 3 deg within 0.4 s; processing.hinge does not take that for an excursion). It keeps the old filter's gyro
    bias estimate, and estimates no bias from motion for bias_hold_s: vqf reports (and so restores) the
    largest uncertainty whatever it has learnt, and a new filter's tilt settling for a second looked like gyro
    bias to it (0.44 deg/s, a 1.8 deg shin offset fading over 40 s, in a simulated band mobilisation; a fresh
    estimate gave a 2.3 deg tilt error 9 s after a gap in a simulated eccentric drop).

    vqf's rest bias estimation is off: the calibration stance has measured the gyro bias already, and vqf
    took a standing person's sway (under its 2 deg/s rest threshold) for bias, tilting the shin by up to 2 deg
    during the holds of simulated eccentric drops. Its bias estimation during motion stays on.

    Parameters
    ----------
    rate_hz : the sensor's sampling rate, Hz.
    gyr_bias_rad_s : (3,) gyro bias from the calibration stance, subtracted before filtering, rad/s.
    max_fill_s : longest gap bridged, s.
    bias_hold_s : after a restart, how long vqf's bias estimate stays as it was, s.
    """

    def __init__(
        self, rate_hz: float, gyr_bias_rad_s: FloatArray, max_fill_s: float = 0.25, bias_hold_s: float = 10.0
    ) -> None:
        self._vqf = self._new_filter(1.0 / rate_hz)
        self.period_s = 1.0 / rate_hz
        self.max_fill_s = max_fill_s
        self.bias_hold_n = int(round(bias_hold_s * rate_hz))
        self._held_n = 0  # filter samples (bridged ones included) still to run with the bias held
        self._bias_held = False
        self.gyr_bias_rad_s = np.asarray(gyr_bias_rad_s, dtype=np.float64)
        self._last: tuple[float, FloatArray, FloatArray] | None = None

    def update(self, t_s: FloatArray, acc: FloatArray, gyr: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Filter consecutive samples: t_s (N,) s, acc (N, 3) m/s^2, gyr (N, 3) rad/s.

        Returns
        -------
        up : (N, 3) unit earth-up vector in the sensor frame after each sample.
        gyr_unbiased : (N, 3) angular rate minus the calibration bias, rad/s.
        """
        gyr_unbiased = np.asarray(gyr - self.gyr_bias_rad_s, dtype=np.float64)
        n = len(t_s)
        if n == 0:
            return np.zeros((0, 3)), gyr_unbiased
        acc_in, gyr_in, real, restarts = self._bridge_gaps(t_s, np.asarray(acc, dtype=np.float64), gyr_unbiased)
        self._last = (float(t_s[-1]), acc[-1].copy(), gyr_unbiased[-1].copy())
        quat = np.empty((len(acc_in), 4))
        bounds = [0, *restarts, len(acc_in)]
        for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            if k > 0:  # also when the long gap came just before this call (restart index 0)
                bias, sigma = self._vqf.getBiasEstimate()
                self._vqf = self._new_filter(self.period_s)
                self._vqf.setBiasEstimate(bias, sigma)
                self._vqf.setMotionBiasEstEnabled(False)
                self._held_n, self._bias_held = self.bias_hold_n, True
            split = min(hi, lo + self._held_n)
            for a, b in ((lo, split), (split, hi)):
                if b <= a:
                    continue
                if a == split and self._bias_held:
                    self._bias_held = False
                    self._vqf.setMotionBiasEstEnabled(True)
                out = self._vqf.updateBatch(np.ascontiguousarray(gyr_in[a:b]), np.ascontiguousarray(acc_in[a:b]))
                quat[a:b] = out["quat6D"]
            self._held_n -= split - lo
        return up_from_quat(quat[real]), gyr_unbiased

    @staticmethod
    def _new_filter(period_s: float) -> VQF:
        return VQF(period_s, restBiasEstEnabled=False)

    def _bridge_gaps(
        self, t_s: FloatArray, acc: FloatArray, gyr: FloatArray
    ) -> tuple[FloatArray, FloatArray, NDArray[np.intp], list[int]]:
        """Insert interpolated samples into gaps up to max_fill_s; return acc, gyr, the indices of the real
        samples, and the indices of those that follow a longer gap (where the filter restarts)."""
        n = len(t_s)
        real = np.arange(n)
        if self._last is None:
            self._last = (float(t_s[0]), acc[0], gyr[0])
        last_t, last_acc, last_gyr = self._last
        dt = np.diff(np.concatenate([[last_t], t_s]))
        too_long = dt > self.max_fill_s
        missing = np.rint(dt / self.period_s).astype(np.intp) - 1
        missing[(missing < 1) | too_long] = 0
        if not missing.any():
            return acc, gyr, real, np.flatnonzero(too_long).tolist()
        counts = missing + 1
        interval = np.repeat(np.arange(n), counts)
        ends = np.cumsum(counts)
        step = np.arange(len(interval)) - np.repeat(ends - counts, counts) + 1
        frac = (step / counts[interval])[:, None]
        prev_acc = np.concatenate([last_acc[None], acc[:-1]])
        prev_gyr = np.concatenate([last_gyr[None], gyr[:-1]])
        acc_out = prev_acc[interval] + frac * (acc[interval] - prev_acc[interval])
        gyr_out = prev_gyr[interval] + frac * (gyr[interval] - prev_gyr[interval])
        real = ends - 1
        acc_out[real], gyr_out[real] = acc, gyr
        return acc_out, gyr_out, real, real[too_long].tolist()

"""The simulated sensor errors and link: clocks through the ClockAligner, late arrivals, loss bursts, IMU errors."""

from __future__ import annotations

import numpy as np
import pytest

import sensors.simulation.link as link_module
from sensors.clock import ClockAligner
from sensors.simulation.link import PACKET_SAMPLES, align_to_session
from sensors.simulator import ErrorModel, SimulatedSession, simulate


@pytest.fixture(scope="module")
def lossy() -> SimulatedSession:
    return simulate(
        "band_mobilisation",
        reps=60,
        seed=7,
        rate_hz=200.0,
        foot_rate_hz=50.0,
        errors=ErrorModel(packet_loss=True, loss_bursts_per_min=4.0),
    )


def test_session_times_come_from_the_clock_aligner_within_a_few_ms(lossy: SimulatedSession) -> None:
    for role in ("shin", "foot"):
        b, trace = lossy.blocks[role], lossy.links[role]
        assert trace is not None and b.t_sensor_s is not None
        true = trace.model.true_time(b.t_sensor_s)
        err_ms = (b.t_s - true) * 1e3
        # the aligner keeps the constant part of the latency: about the 5 ms minimum, never early
        assert 4.0 < np.median(err_ms) < 7.0
        assert err_ms.min() > 3.0 and err_ms.max() < 60.0
        settled = true > 2.0  # after the first few notifications
        assert err_ms[settled].max() < 12.0 and np.percentile(err_ms[settled], 99) - np.median(err_ms) < 5.0
        assert np.all(np.diff(b.t_s) > 0)
        # the sensor stamps its samples on its own clock: nominal period there, drifted in true time
        assert np.allclose(np.diff(b.t_sensor_s)[np.diff(b.seq) == 1], 1.0 / lossy.rate_hz[role], atol=1e-6)
        drift = np.polyfit(true, b.t_sensor_s, 1)[0] - 1.0
        assert drift * 1e6 == pytest.approx(trace.model.clock_drift_ppm, abs=0.01)
        assert abs(trace.model.clock_drift_ppm) <= 100.0 and trace.model.clock_offset_s > 1.0
    assert 4.0 < lossy.latency_s * 1e3 < 7.0


def test_arrivals_are_always_late_and_bursty(lossy: SimulatedSession) -> None:
    for role in ("shin", "foot"):
        trace = lossy.links[role]
        assert trace is not None
        delay_ms = (trace.arrival_s - trace.sent_s) * 1e3
        assert delay_ms.min() >= 5.0 and 5.0 < np.median(delay_ms) < 50.0
        assert np.all(np.diff(trace.arrival_s) >= 0)
        assert np.max(delay_ms) > 60.0  # a stall: what was queued arrives at once
        bunched = np.diff(trace.arrival_s) < 0.002
        assert bunched.sum() > 3


def test_loss_bursts_remove_whole_packets_after_the_stance(lossy: SimulatedSession) -> None:
    for role in ("shin", "foot"):
        b, trace = lossy.blocks[role], lossy.links[role]
        assert trace is not None
        step = np.diff(b.seq)
        gaps = np.flatnonzero(step > 1)
        assert 0 < len(gaps) <= len(trace.loss_bursts)  # overlapping bursts make one gap
        assert np.all(b.seq[gaps + 1] % PACKET_SAMPLES == 0) and np.all((step[gaps] - 1) % PACKET_SAMPLES == 0)
        missing = trace.samples - len(b)  # in the gaps, and at the end if the last packets were lost
        assert missing == np.sum(step[gaps] - 1) + (trace.samples - 1 - b.seq[-1])
        assert trace.lost_packets * PACKET_SAMPLES - missing in range(PACKET_SAMPLES)  # the last may be partial
        period = 1.0 / lossy.rate_hz[role]
        lost_s = (step[gaps] - 1) * period
        assert lost_s.max() <= 0.5 + PACKET_SAMPLES * period
        assert np.min(b.t_s[gaps]) > lossy.truth.stance_end_s
        minutes = lossy.truth.t_s[-1] / 60.0
        assert 0.5 < len(gaps) / minutes < 12.0


def test_chunked_alignment_matches_replaying_every_notification() -> None:
    s = simulate("soleus_stretch", reps=1, seed=3, rate_hz=100.0)
    b, trace = s.blocks["shin"], s.links["shin"]
    assert trace is not None and b.t_sensor_s is not None and b.t_sensor_s[-1] - b.t_sensor_s[0] > 60.0
    exact = ClockAligner()
    replayed = []
    starts = np.searchsorted(b.seq, trace.packet_first_seq)
    for k, (a, z) in enumerate(zip(starts, np.append(starts[1:], len(b)), strict=True)):
        exact.add(float(b.t_sensor_s[z - 1]), float(trace.arrival_s[k]))
        replayed.append(exact.to_session(b.t_sensor_s[a:z]))
    diff_ms = np.abs(np.concatenate(replayed) - b.t_s) * 1e3
    assert diff_ms[b.t_sensor_s - b.t_sensor_s[0] < link_module.EXACT_ALIGNMENT_S].max() < 1e-9
    assert np.percentile(diff_ms, 99) < 0.5
    again = align_to_session(b.t_sensor_s, trace.packet_first_seq, b.seq, trace.arrival_s)
    assert np.array_equal(again, b.t_s)


def test_clean_sessions_are_on_the_true_clock_without_loss() -> None:
    s = simulate("eccentric_drop", reps=2, seed=2, rate_hz=100.0, foot_rate_hz=200.0, errors=ErrorModel.clean())
    for role, rate in (("shin", 100.0), ("foot", 200.0)):
        b = s.blocks[role]
        assert b.t_sensor_s is None and s.links[role] is None and s.latency_s == 0.0
        assert np.array_equal(b.seq, np.arange(len(b)))
        assert np.allclose(np.diff(b.t_s), 1.0 / rate)
        ideal_acc, ideal_gyr = s.motion(role).ideal(b.t_s)
        assert np.allclose(b.acc, ideal_acc, atol=1e-9) and np.allclose(b.gyr, ideal_gyr, atol=1e-9)


def test_imu_errors_bias_walk_scale_and_misalignment() -> None:
    model = ErrorModel(white_noise=False, quantisation=False, clocks=False)
    s = simulate("band_mobilisation", reps=3, seed=9, errors=model)
    for role in ("shin", "foot"):
        e = s.errors[role]
        assert np.all(np.abs(np.degrees(e.gyr_bias_rad_s)) <= 0.6)
        for m in (e.gyr_sensitivity, e.acc_sensitivity):
            off = m - np.diag(np.diag(m))
            assert np.all(np.abs(np.diag(m) - 1.0) <= 0.01) and 0.0 < np.abs(off).max() <= 0.01
        b = s.blocks[role]
        motion = s.motion(role)
        _, ideal_gyr = motion.ideal(b.t_s)
        bias = b.gyr - ideal_gyr @ e.gyr_sensitivity.T
        assert np.allclose(bias, motion.gyro_bias(b.t_s), atol=1e-12)
        assert np.allclose(bias[0], e.gyr_bias_rad_s, atol=np.radians(0.01))
        assert np.degrees(np.ptp(bias, axis=0)).max() > 0.003  # the bias wanders
    # the walk grows like sqrt(time): its spread across many sensors after 30 min
    walks = [simulate("knee_to_wall", reps=1, seed=k, errors=model).motion("shin") for k in range(4)]
    late = np.degrees(np.concatenate([w.gyro_bias(np.array([1800.0])) - w.errors.gyr_bias_rad_s for w in walks]))
    expected = model.gyro_bias_walk_deg_s_per_sqrt_s * np.sqrt(1800.0)
    assert 0.3 * expected < np.sqrt(np.mean(late**2)) < 3.0 * expected


def test_the_bias_walk_does_not_depend_on_how_it_is_sampled() -> None:
    s = simulate("knee_to_wall", reps=1, seed=1)
    t = np.linspace(0.0, 3000.0, 500)
    whole = s.motion("foot").gyro_bias(t)
    parts = s.motion("foot")
    pieces = np.concatenate([parts.gyro_bias(t[250:]), parts.gyro_bias(t[:250])])
    assert np.array_equal(np.concatenate([pieces[250:], pieces[:250]]), whole)

"""Physical consistency of the motion simulator and its ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sensors.motion import MotionSource
from sensors.profiles.dorsi import (
    DEFAULT_ACC_CODE,
    DEFAULT_GYRO_CODE,
    acc_scale_m_s2_per_lsb,
    gyro_scale_rad_s_per_lsb,
)
from sensors.samples import Role
from sensors.simulator import SimulatedSession, demo_routine, simulate

EXERCISES = ("band_mobilisation", "eccentric_drop")


@pytest.fixture(scope="module", params=EXERCISES)
def session(request: pytest.FixtureRequest) -> SimulatedSession:
    return simulate(request.param, reps=4, seed=11, side="left")


def sensor_rotation(s: SimulatedSession, role: Role, t: np.ndarray) -> np.ndarray:
    r_seg, _ = s.kinematics.segment(role, t)
    return np.asarray(r_seg @ s.mountings[role])


def test_at_rest_the_accelerometer_reads_gravity(session: SimulatedSession) -> None:
    for role in ("shin", "foot"):
        b = session.blocks[role]
        stance = b.t_s < 3.0
        norms = np.linalg.norm(b.acc[stance], axis=1)
        assert abs(norms.mean() - 9.81) < 0.1
        ideal, _ = session.motion(role).ideal(b.t_s[stance])
        assert np.allclose(np.linalg.norm(ideal, axis=1), 9.81, atol=0.1)  # postural sway only


def test_truth_starts_with_a_three_second_neutral_stance(session: SimulatedSession) -> None:
    tr = session.truth
    assert tr.stance_end_s >= 3.0
    stance = tr.t_s < tr.stance_end_s
    assert np.max(np.abs(np.degrees(tr.dorsiflexion_rad[stance]))) < 1.0
    assert np.max(np.abs(np.degrees(tr.inversion_rad[stance]))) < 1.0
    assert tr.reps[0].start_s >= tr.stance_end_s


def test_gyro_integrates_to_the_true_orientation_change(session: SimulatedSession) -> None:
    role: Role = "foot" if session.exercise == "eccentric_drop" else "shin"
    motion = session.motion(role)
    rep = session.truth.reps[1]
    dt = 1e-3
    t = np.arange(rep.start_s, rep.start_s + 1.2, dt)  # into the rep: a real rotation
    _, gyr = motion.ideal(t + dt / 2)  # midpoint rule
    q = Rotation.identity()
    for step in Rotation.from_rotvec(gyr * dt):
        q = q * step
    r0, r1 = sensor_rotation(session, role, np.array([t[0], t[-1] + dt]))
    expected = Rotation.from_matrix(r0.T @ r1)
    assert np.degrees((q.inv() * expected).magnitude()) < 0.05
    assert np.degrees(expected.magnitude()) > 10.0  # the rep really rotates this sensor


def test_accelerometer_is_gravity_plus_lever_arm_acceleration(session: SimulatedSession) -> None:
    roles: tuple[Role, Role] = ("shin", "foot")
    for role in roles:
        rep = session.truth.reps[0]
        t = np.linspace(rep.start_s, rep.end_s, 200)
        acc, _ = session.motion(role).ideal(t)
        h = 2e-3
        p = [session.kinematics.sensor_position(role, t + k * h) for k in (-1, 0, 1)]
        lin = (p[0] - 2 * p[1] + p[2]) / (h * h)
        f_world = np.einsum("nij,nj->ni", sensor_rotation(session, role, t), acc)
        assert np.allclose(f_world, lin + [0.0, 0.0, 9.81], atol=5e-3)
    # lever arms: the moving segment's sensor accelerates noticeably during a rep
    moving: Role = "foot" if session.exercise == "eccentric_drop" else "shin"
    t = np.linspace(session.truth.reps[0].start_s, session.truth.reps[0].end_s, 500)
    acc, _ = session.motion(moving).ideal(t)
    assert np.max(np.abs(np.linalg.norm(acc, axis=1) - 9.81)) > 0.02


def test_blocks_are_quantised_like_a_dorsi_sensor(session: SimulatedSession) -> None:
    b = session.blocks["shin"]
    acc_lsb = b.acc / acc_scale_m_s2_per_lsb(DEFAULT_ACC_CODE)
    gyr_lsb = b.gyr / gyro_scale_rad_s_per_lsb(DEFAULT_GYRO_CODE)
    assert np.allclose(acc_lsb, np.rint(acc_lsb), atol=1e-6)
    assert np.allclose(gyr_lsb, np.rint(gyr_lsb), atol=1e-6)
    assert np.all(np.diff(b.t_s) > 0) and np.array_equal(b.seq, np.arange(len(b)))


def test_truth_reps_follow_the_exercise_script() -> None:
    band = simulate("band_mobilisation", reps=30, seed=2)
    assert len(band.truth.reps) == 30
    peaks = np.degrees([r.peak_dorsiflexion_rad for r in band.truth.reps])
    assert peaks.min() >= 24.0 and peaks.max() <= 41.0
    durations = [r.end_s - r.start_s for r in band.truth.reps]
    assert min(durations) >= 1.8 and max(durations) <= 3.0
    drop = simulate("eccentric_drop", reps=5, seed=2)
    for r in drop.truth.reps:
        assert 14.0 <= np.degrees(r.peak_dorsiflexion_rad) <= 26.5
        assert 5.0 <= r.hold_s <= 6.5 and 2.5 <= r.lower_s <= 3.5
    assert len(drop.truth.holds) == 5


def test_same_seed_same_session_and_mountings_differ_between_seeds() -> None:
    a, b = simulate("eccentric_drop", reps=2, seed=4), simulate("eccentric_drop", reps=2, seed=4)
    assert np.array_equal(a.blocks["foot"].acc, b.blocks["foot"].acc)
    c = simulate("eccentric_drop", reps=2, seed=5)
    assert not np.allclose(a.mountings["shin"], c.mountings["shin"])
    for m in a.mountings.values():
        assert np.allclose(m @ m.T, np.eye(3)) and np.isclose(np.linalg.det(m), 1.0)


def test_motion_source_is_evaluable_at_any_time() -> None:
    s = simulate("band_mobilisation", reps=2, seed=1)
    source: MotionSource = s.motion("shin")
    t = np.sort(np.random.default_rng(0).uniform(0.0, 8.0, 37))
    acc, gyr = source.sample(t)
    assert acc.shape == (37, 3) and gyr.shape == (37, 3)
    assert source.duration_s == pytest.approx(s.truth.t_s[-1], abs=0.02)


def test_demo_routine_is_endless_and_starts_still() -> None:
    demo = demo_routine(3)
    shin, foot = demo
    assert shin.duration_s is None and foot.duration_s is None
    assert demo.period_s >= 600.0
    t = np.arange(0.0, 3.0, 0.01)
    for m in (shin, foot):
        acc, gyr = m.ideal(t)
        assert np.allclose(np.linalg.norm(acc, axis=1), 9.81, atol=0.02)
        assert np.max(np.abs(gyr)) < 0.05
    end = 5.0 + demo.period_s
    acc, _ = shin.ideal(np.array([end - 1e-3, end + 1e-3, 3 * demo.period_s]))
    assert np.allclose(acc[0], acc[1], atol=0.05)  # the cycle wraps smoothly
    assert np.all(np.isfinite(acc))
    names = [name for _, name in demo.phases]
    assert "band_mobilisation" in names and "eccentric_drop" in names

"""Physical consistency of the motion simulator: gravity, gyro, lever arms, pivots, turns and the truth angles."""

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
from sensors.simulator import ErrorModel, SimulatedSession, simulate

G = 9.81


@pytest.fixture(scope="module", params=["band_mobilisation", "eccentric_drop"])
def session(request: pytest.FixtureRequest) -> SimulatedSession:
    return simulate(request.param, reps=4, seed=11, side="left", clocks=False)


def sensor_rotation(s: SimulatedSession, role: Role, t: np.ndarray) -> np.ndarray:
    r_seg, _ = s.kinematics.segment(role, t)
    return np.asarray(r_seg @ s.mountings[role])


def integrate_gyro(
    s: SimulatedSession, role: Role, start_s: float, duration_s: float
) -> tuple[Rotation, Rotation, float]:
    """Orientation change of a sensor from its ideal gyro (midpoint rule) and from the kinematics; the angle
    travelled (deg)."""
    dt = 1e-3
    t = np.arange(start_s, start_s + duration_s, dt)
    _, gyr = s.motion(role).ideal(t + dt / 2)
    q = Rotation.identity()
    for step in Rotation.from_rotvec(gyr * dt):
        q = q * step
    r0, r1 = sensor_rotation(s, role, np.array([t[0], t[-1] + dt]))
    return q, Rotation.from_matrix(r0.T @ r1), float(np.degrees(np.sum(np.linalg.norm(gyr, axis=1)) * dt))


def test_at_rest_the_accelerometer_reads_gravity_through_mounting_scale_and_bias() -> None:
    s = simulate("band_mobilisation", reps=1, seed=3, sway_deg=0.0, clocks=False)
    clean = simulate("band_mobilisation", reps=1, seed=3, sway_deg=0.0, errors=ErrorModel.clean())
    up = np.array([0.0, 0.0, G])
    for role in ("shin", "foot"):
        b = s.blocks[role]
        still = b.t_s < s.truth.stance_end_s
        e, m = s.errors[role], s.mountings[role]
        # standing still: the segment's z is up, so the sensor reads S (M^T g) + bias
        expected = e.acc_sensitivity @ (m.T @ up) + e.acc_bias_m_s2
        assert np.allclose(b.acc[still].mean(axis=0), expected, atol=0.005)
        assert not np.allclose(expected, m.T @ up, atol=0.01)  # the errors are really there
        c = clean.blocks[role]
        c_still = c.t_s < clean.truth.stance_end_s
        assert np.allclose(c.acc[c_still], m.T @ up, atol=1e-6)
        assert np.allclose(c.gyr[c_still], 0.0, atol=1e-6)


def test_truth_starts_with_a_three_second_neutral_stance(session: SimulatedSession) -> None:
    tr = session.truth
    assert tr.stance_end_s - tr.stance_start_s >= 3.0
    stance = tr.t_s < tr.stance_end_s
    assert np.max(np.abs(np.degrees(tr.dorsiflexion_rad[stance]))) < 1.0
    assert np.max(np.abs(np.degrees(tr.inversion_rad[stance]))) < 1.0
    assert tr.stance_end_s < tr.pumps_end_s < tr.reps[0].start_s


@pytest.mark.parametrize(
    ("exercise", "role", "what"),
    [
        ("band_mobilisation", "shin", "rep"),
        ("eccentric_drop", "foot", "rep"),
        ("calf_release", "foot", "bout"),  # the leg rolls about its own axis
        ("ankle_circles", "foot", "circle"),
        ("knee_to_wall", "foot", "turn"),
    ],
)
def test_gyro_integrates_to_the_true_orientation_change(exercise: str, role: Role, what: str) -> None:
    s = simulate(exercise, reps=2, seed=5, turn_deg=150.0, clocks=False)
    start = {
        "rep": lambda: s.truth.reps[1].start_s,
        "bout": lambda: s.truth.activity[0].start_s + 2.0,
        "circle": lambda: s.truth.circles[1].start_s,
        "turn": lambda: s.truth.pumps_end_s,
    }[what]()
    measured, expected, travelled_deg = integrate_gyro(s, role, start, 1.5)
    assert np.degrees((measured.inv() * expected).magnitude()) < 0.05
    assert travelled_deg > 10.0  # it really rotates this sensor


def test_a_turn_after_calibration_is_a_rotation_about_the_vertical() -> None:
    s = simulate("knee_to_wall", reps=1, seed=2, turn_deg=-135.0, sway_deg=0.0, errors=ErrorModel.clean())
    tr = s.truth
    after = tr.t_s > tr.pumps_end_s
    lunge_s = tr.t_s[after][np.argmax(tr.shin_pitch_rad[after] != 0.0)]  # the first move after the turn
    for role in ("shin", "foot"):
        dt = 1e-3
        t = np.arange(tr.pumps_end_s, lunge_s, dt)
        _, w_seg = s.kinematics.ideal_imu(role, t)
        r_seg, _ = s.kinematics.segment(role, t)
        w_world = np.einsum("nij,nj->ni", r_seg, w_seg)
        assert np.degrees(np.sum(w_world[:, 2]) * dt) == pytest.approx(-135.0, abs=0.2)
        assert np.degrees(np.max(np.abs(w_world[:, :2]))) < 0.01  # no tilt while turning


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
        assert np.allclose(f_world, lin + [0.0, 0.0, G], atol=5e-3)
    # lever arms: the moving segment's sensor accelerates noticeably during a rep
    moving: Role = "foot" if session.exercise == "eccentric_drop" else "shin"
    t = np.linspace(session.truth.reps[0].start_s, session.truth.reps[0].end_s, 500)
    acc, _ = session.motion(moving).ideal(t)
    assert np.max(np.abs(np.linalg.norm(acc, axis=1) - G)) > 0.02


def test_ankle_pumps_pivot_about_the_toes_and_a_forefoot_lift_about_the_heel() -> None:
    s = simulate("eccentric_drop", reps=2, seed=4, sway_deg=0.0, clocks=False)
    kin, tr = s.kinematics, s.truth
    foot_length = np.linalg.norm(kin.point_position("toes", np.zeros(1)) - kin.point_position("heel", np.zeros(1)))
    pumps = (tr.t_s > tr.stance_end_s) & (tr.t_s < tr.pumps_end_s)
    toes, heel = kin.point_position("toes", tr.t_s[pumps]), kin.point_position("heel", tr.t_s[pumps])
    assert np.max(np.linalg.norm(toes - toes[0], axis=1)) < 1e-3
    pitch = tr.foot_pitch_rad[pumps]
    assert np.degrees(pitch.max()) > 12.0
    assert np.allclose(heel[:, 2], foot_length * np.sin(pitch), atol=1e-3)
    rep = tr.reps[0]
    lift = (tr.t_s > rep.start_s) & (tr.t_s < rep.end_s)
    toes, heel = kin.point_position("toes", tr.t_s[lift]), kin.point_position("heel", tr.t_s[lift])
    assert np.max(np.linalg.norm(heel - heel[0], axis=1)) < 1e-3
    assert np.allclose(toes[:, 2], foot_length * np.sin(-tr.foot_pitch_rad[lift]), atol=1e-3)


def relative_angles(s: SimulatedSession, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dorsiflexion and inversion from the segments' orientations: R_shin^T R_foot = Ry(-df) Rx(side * inv)."""
    r_rel = np.swapaxes(s.kinematics.segment("shin", t)[0], 1, 2) @ s.kinematics.segment("foot", t)[0]
    pitch = np.arctan2(-r_rel[:, 2, 0], r_rel[:, 0, 0])
    roll = np.arctan2(-r_rel[:, 1, 2], r_rel[:, 1, 1])
    return -pitch, s.kinematics.side_sign * roll


@pytest.mark.parametrize("exercise", ["nerve_flossing", "traction", "ankle_circles", "calf_release"])
def test_truth_angles_are_the_angles_between_the_segments(exercise: str) -> None:
    s = simulate(exercise, reps=2, seed=6, side="left", turn_deg=90.0, sway_deg=0.0, clocks=False)
    t = s.truth.t_s[::7]
    df, inv = relative_angles(s, t)
    assert np.allclose(df, s.truth.dorsiflexion_rad[::7], atol=1e-9)
    assert np.allclose(inv, s.truth.inversion_rad[::7], atol=1e-9)
    # far from the stance posture: the shin lies, sits or rolls, and the truth still holds
    assert np.degrees(np.ptp(s.truth.shin_pitch_rad)) > 15.0


def test_rolling_the_leg_keeps_the_ankle_angle_while_the_foot_sensor_turns() -> None:
    s = simulate("calf_release", reps=1, seed=8, sway_deg=0.0, clocks=False)
    bout = s.truth.activity[0]
    t = np.linspace(bout.start_s, bout.end_s, 400)
    df, inv = relative_angles(s, t)
    assert np.ptp(np.degrees(df)) < 1e-6 and np.ptp(np.degrees(inv)) < 1e-6
    toes = s.kinematics.segment("foot", t)[0][:, :, 0]  # the direction the toes point, in the world
    assert np.degrees(np.max(np.arccos(np.clip(toes @ toes[0], -1, 1)))) > 15.0


def test_getting_into_a_lying_position_keeps_the_ankle_angle() -> None:
    s = simulate("traction", reps=1, seed=9, clocks=False)
    tr = s.truth
    lying = np.argmax(np.degrees(tr.shin_pitch_rad) < -85.0)
    transition = (tr.t_s > tr.pumps_end_s) & (tr.t_s < tr.t_s[lying])
    assert np.max(np.abs(np.degrees(tr.dorsiflexion_rad[transition]))) < 1.0
    held = np.concatenate([np.linspace(h.start_s, h.end_s, 50) for h in tr.holds])
    heel_z = s.kinematics.point_position("heel", held)[:, 2]
    knee_z = s.kinematics.point_position("knee", held)[:, 2]
    assert np.all(knee_z < 0.15) and np.all(heel_z > -0.03)  # the leg lies on the floor


def test_blocks_are_quantised_like_a_dorsi_sensor(session: SimulatedSession) -> None:
    b = session.blocks["shin"]
    acc_lsb = b.acc / acc_scale_m_s2_per_lsb(DEFAULT_ACC_CODE)
    gyr_lsb = b.gyr / gyro_scale_rad_s_per_lsb(DEFAULT_GYRO_CODE)
    assert np.allclose(acc_lsb, np.rint(acc_lsb), atol=1e-6)
    assert np.allclose(gyr_lsb, np.rint(gyr_lsb), atol=1e-6)
    assert np.all(np.diff(b.t_s) > 0) and np.array_equal(b.seq, np.arange(len(b)))


def test_same_seed_same_session_and_mountings_differ_between_seeds() -> None:
    a, b = simulate("eccentric_drop", reps=2, seed=4), simulate("eccentric_drop", reps=2, seed=4)
    assert np.array_equal(a.blocks["foot"].acc, b.blocks["foot"].acc)
    assert np.array_equal(a.blocks["foot"].t_s, b.blocks["foot"].t_s)
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

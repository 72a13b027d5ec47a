"""Every exercise's script against the shared exercise table: protocol, postures, units and their truth."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.simulator import EXERCISES, SPECS, SimulatedSession, simulate

DEG = np.pi / 180.0


def deg(x: np.ndarray | float) -> np.ndarray:
    return np.degrees(np.asarray(x))


def during(s: SimulatedSession, start_s: float, end_s: float) -> np.ndarray:
    return (s.truth.t_s >= start_s) & (s.truth.t_s <= end_s)


def first_excursion_sign(x_rad: np.ndarray, threshold_deg: float = 8.0) -> int:
    big = np.abs(deg(x_rad)) >= threshold_deg
    return int(np.sign(x_rad[np.argmax(big)])) if big.any() else 0


@pytest.fixture(scope="module")
def sessions() -> dict[str, SimulatedSession]:
    return {name: simulate(name, reps=3, seed=21, side="left", turn_deg=100.0, clocks=False) for name in EXERCISES}


@pytest.mark.parametrize("name", EXERCISES)
def test_protocol_stance_pumps_and_first_excursions(sessions: dict[str, SimulatedSession], name: str) -> None:
    s = sessions[name]
    tr = s.truth
    stance = during(s, tr.stance_start_s, tr.stance_end_s)
    assert tr.stance_end_s - tr.stance_start_s >= 3.0
    assert np.max(np.abs(deg(tr.dorsiflexion_rad[stance]))) < 1.0
    pumps = during(s, tr.stance_end_s, tr.pumps_end_s)
    assert 12.0 <= deg(tr.foot_pitch_rad[pumps]).max() <= 20.5  # heel raises, toes down
    assert np.abs(deg(tr.shin_pitch_rad[pumps])).max() < 3.0
    after = tr.t_s > tr.stance_end_s
    assert first_excursion_sign(tr.foot_pitch_rad[after]) == +1
    assert first_excursion_sign(tr.shin_pitch_rad[after]) in (0, SPECS[name].shin_sign)
    assert [p for _, p in tr.phases][:2] == ["stance", name]


def test_no_pumps_when_asked_and_the_stance_after_a_fidget() -> None:
    s = simulate("band_mobilisation", reps=1, seed=2, pumps=0, fidget_at_s=1.0, stance_s=6.0, clocks=False)
    tr = s.truth
    assert tr.pumps_end_s == tr.stance_end_s
    assert tr.stance_start_s == pytest.approx(2.0)  # the fidget takes 1 s
    fidget = during(s, 0.0, tr.stance_start_s)
    assert deg(tr.shin_pitch_rad[fidget]).max() > 7.5
    assert deg(tr.foot_pitch_rad[during(s, 0.0, tr.reps[0].start_s)]).max() < 1.0


def test_lunges_band_and_knee_to_wall(sessions: dict[str, SimulatedSession]) -> None:
    band = sessions["band_mobilisation"]
    assert len(band.truth.reps) == 3
    for r in band.truth.reps:
        assert 24.5 <= deg(r.peak_dorsiflexion_rad) <= 40.5
        assert np.abs(deg(band.truth.foot_pitch_rad[during(band, r.start_s, r.end_s)])).max() < 1.0  # foot flat
    wall = simulate("knee_to_wall", reps=3, seed=3, heel_lifts=1, clocks=False)
    lifted = [a for a in wall.truth.attempts if a.heel_lifted]
    assert len(lifted) == 1 and len(wall.truth.attempts) == 3
    (episode,) = wall.truth.compensations
    assert episode.kind == "heel_lift" and 4.5 <= deg(episode.peak_rad) <= 10.5  # 5-10 deg, plus sway
    assert lifted[0].start_s < episode.start_s < episode.end_s < lifted[0].end_s
    for a in wall.truth.attempts:
        w = during(wall, a.start_s, a.end_s)
        assert deg(a.max_dorsiflexion_rad) == pytest.approx(
            deg(np.max(wall.truth.dorsiflexion_rad[w][wall.truth.foot_pitch_rad[w] < 2 * DEG]))
        )
        if not a.heel_lifted:
            assert 29.5 <= deg(a.max_dorsiflexion_rad) <= 45.5


def test_nerve_flossing_points_and_bends_on_a_bench(sessions: dict[str, SimulatedSession]) -> None:
    s = sessions["nerve_flossing"]
    for r in s.truth.reps:
        w = during(s, r.start_s, r.end_s)
        assert -85.5 <= deg(s.truth.shin_pitch_rad[w]).mean() <= -69.5
        assert -30.5 <= deg(s.truth.dorsiflexion_rad[w]).min() <= -19.5  # point
        assert 9.5 <= deg(r.peak_dorsiflexion_rad) <= 20.5  # bend
    heel = s.kinematics.point_position("heel", np.array([s.truth.reps[0].start_s]))
    assert heel[0, 2] > 0.25  # the foot is up on the bench


def test_eccentric_drops_lift_hold_and_lower(sessions: dict[str, SimulatedSession]) -> None:
    s = sessions["eccentric_drop"]
    assert len(s.truth.reps) == len(s.truth.holds) == 3
    for r, h in zip(s.truth.reps, s.truth.holds, strict=True):
        assert 13.0 <= deg(r.peak_dorsiflexion_rad) <= 25.5
        assert 5.4 <= r.hold_s <= 6.5 and 2.6 <= r.lower_s <= 3.4
        assert h.duration_s == pytest.approx(r.hold_s)
        plateau = s.truth.dorsiflexion_rad[during(s, h.start_s, h.end_s)]
        assert np.ptp(deg(plateau)) < 1.5  # held still (sway only)


@pytest.mark.parametrize(
    ("name", "df_deg", "duration_s"),
    [
        ("gastrocnemius_stretch", (15.0, 30.0), (32.0, 40.0)),
        ("soleus_stretch", (20.0, 35.0), (32.0, 40.0)),
        ("seated_dorsiflexion_hold", (15.0, 25.0), (10.0, 12.0)),
        ("traction", (0.0, 10.0), (30.0, 40.0)),
    ],
)
def test_holds_reach_and_keep_their_plateau(
    sessions: dict[str, SimulatedSession], name: str, df_deg: tuple[float, float], duration_s: tuple[float, float]
) -> None:
    s = sessions[name]
    assert len(s.truth.holds) == 3
    for h in s.truth.holds:
        assert duration_s[0] <= h.duration_s <= duration_s[1]
        plateau = deg(s.truth.dorsiflexion_rad[during(s, h.start_s, h.end_s)])
        assert df_deg[0] - 0.5 <= deg(h.mean_dorsiflexion_rad) <= df_deg[1] + 0.5
        assert np.ptp(plateau) < 1.5
        # the ramp into the hold ends where the plateau starts
        before = deg(s.truth.dorsiflexion_rad[during(s, h.start_s - 1.0, h.start_s - 0.5)])
        assert np.abs(before - deg(h.mean_dorsiflexion_rad)).min() > 0.3


def test_postures_of_the_holds(sessions: dict[str, SimulatedSession]) -> None:
    gastro, seated, traction = (sessions[n] for n in ("gastrocnemius_stretch", "seated_dorsiflexion_hold", "traction"))
    h = gastro.truth.holds[0]
    w = during(gastro, h.start_s, h.end_s)
    assert -25.5 <= deg(gastro.truth.foot_pitch_rad[w]).mean() <= -14.5  # heel dropped off the step
    assert gastro.kinematics.point_position("toes", np.array([h.start_s]))[0, 2] > 0.15  # up on the step
    h = seated.truth.holds[0]
    sitting_down = during(seated, seated.truth.pumps_end_s, h.start_s)
    assert 10.0 <= deg(seated.truth.shin_pitch_rad[sitting_down]).max() <= 20.5
    assert np.abs(deg(seated.truth.shin_pitch_rad[during(seated, h.start_s, h.end_s)])).max() < 1.0
    for h in traction.truth.holds:
        assert -93.5 <= deg(traction.truth.shin_pitch_rad[during(traction, h.start_s, h.end_s)]).mean() <= -86.5
    pull_s = traction.truth.holds[0].start_s
    relaxed = during(traction, pull_s - 4.9, pull_s - 3.1)  # before the helper pulls (2-3 s ramp)
    assert -25.5 <= deg(traction.truth.dorsiflexion_rad[relaxed]).mean() <= -14.5


def test_ankle_circles_each_way_with_their_direction_and_range(sessions: dict[str, SimulatedSession]) -> None:
    s = sessions["ankle_circles"]
    circles = s.truth.circles
    assert len(circles) == 6
    directions = [c.direction for c in circles]
    assert sorted(set(directions)) == ["inward", "outward"] and directions[:3] == [directions[0]] * 3
    centre = np.mean([np.mean(c.dorsiflexion_range_rad) for c in circles])
    for c in circles:
        assert 1.5 <= c.end_s - c.start_s <= 4.5
        w = during(s, c.start_s, c.end_s)
        phase = np.unwrap(np.arctan2(s.truth.inversion_rad[w], s.truth.dorsiflexion_rad[w] - centre))
        turn = (phase[-1] - phase[0]) / (2 * np.pi)
        assert turn == pytest.approx(1.0 if c.direction == "inward" else -1.0, abs=0.05)
        assert 14.5 <= deg(np.ptp(c.dorsiflexion_range_rad)) / 2 <= 25.5
        assert 9.5 <= deg(np.ptp(c.inversion_range_rad)) / 2 <= 20.5


@pytest.mark.parametrize("name", ["calf_release", "achilles_release"])
def test_rolling_bouts_are_the_activity(sessions: dict[str, SimulatedSession], name: str) -> None:
    s = sessions[name]
    assert len(s.truth.activity) == 3
    ends = [s.truth.pumps_end_s] + [a.end_s for a in s.truth.activity]
    for prev_end, bout in zip(ends[:-1], s.truth.activity, strict=True):
        assert 13.0 <= bout.end_s - bout.start_s <= 40.0
        moving = deg(s.truth.shin_pitch_rad if name == "calf_release" else s.truth.dorsiflexion_rad)
        swing = np.ptp(moving[during(s, bout.start_s, bout.end_s)]) / 2
        assert (2.8 if name == "calf_release" else 4.5) <= swing <= 12.5
        if prev_end > s.truth.pumps_end_s:  # a pause between bouts: still
            pause = during(s, prev_end + 1.0, bout.start_s - 1.0)
            assert np.ptp(moving[pause]) < 1.5
    lying = deg(s.truth.shin_pitch_rad[during(s, s.truth.activity[0].start_s, s.truth.activity[-1].end_s)])
    assert lying.mean() < -65.0


def test_compensations_are_injected_and_timed_at_half_their_peak() -> None:
    s = simulate("band_mobilisation", reps=6, seed=8, heel_lifts=2, pronations=2, side="left", clocks=False)
    kinds = sorted(c.kind for c in s.truth.compensations)
    assert kinds == ["heel_lift", "heel_lift", "pronation", "pronation"]
    for c in s.truth.compensations:
        signal = s.truth.foot_pitch_rad if c.kind == "heel_lift" else s.truth.foot_pronation_rad
        low, high = (5.0, 10.0) if c.kind == "heel_lift" else (6.0, 12.0)
        assert low - 0.5 <= deg(c.peak_rad) <= high + 0.5
        at = np.interp([c.start_s, c.end_s], s.truth.t_s, signal)
        assert np.allclose(at, c.peak_rad / 2, atol=0.1 * DEG)
        assert np.all(signal[during(s, c.start_s + 0.02, c.end_s - 0.02)] > c.peak_rad / 2)
    assert np.all(deg(s.truth.foot_pronation_rad) < 12.5)
    clean = simulate("band_mobilisation", reps=6, seed=8, clocks=False)
    assert clean.truth.compensations == []
    assert deg(clean.truth.foot_pronation_rad).max() < 1.0
    with pytest.raises(ValueError, match="foot on the ground"):
        simulate("traction", reps=1, heel_lifts=1)


def test_heel_lifts_in_a_forefoot_exercise_pivot_on_the_toes() -> None:
    s = simulate("eccentric_drop", reps=3, seed=5, heel_lifts=2, sway_deg=0.0, clocks=False)
    lifts = [c for c in s.truth.compensations if c.kind == "heel_lift"]
    assert len(lifts) == 2
    for c in lifts:
        t = np.linspace(c.start_s, c.end_s, 50)
        toes = s.kinematics.point_position("toes", t)
        assert np.max(np.linalg.norm(toes - toes[0], axis=1)) < 1e-3


def test_wiggles_are_small_and_are_not_reps() -> None:
    plain = simulate("band_mobilisation", reps=5, seed=4, clocks=False)
    wiggly = simulate("band_mobilisation", reps=5, seed=4, wiggles=3, clocks=False)
    assert len(wiggly.truth.reps) == 5
    assert wiggly.truth.t_s[-1] > plain.truth.t_s[-1] + 3 * 1.0
    between = np.ones(len(wiggly.truth.t_s), dtype=bool)
    for r in wiggly.truth.reps:
        between &= ~during(wiggly, r.start_s, r.end_s)
    between &= wiggly.truth.t_s > wiggly.truth.pumps_end_s
    assert 2.0 <= deg(wiggly.truth.dorsiflexion_rad[between]).max() <= 5.5


def test_a_long_session_repeats_the_set_with_rests() -> None:
    s = simulate("knee_to_wall", reps=3, seed=6, duration_s=240.0, clocks=False)
    assert s.truth.t_s[-1] == pytest.approx(240.0, abs=0.05)
    assert len(s.truth.attempts) % 3 == 0 and len(s.truth.attempts) >= 9
    names = [p for _, p in s.truth.phases]
    assert names.count("rest") == len(s.truth.attempts) // 3 - 1

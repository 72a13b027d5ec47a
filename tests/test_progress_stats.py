"""Progress statistics worked out by hand: knee-to-wall series, real changes, weekly trend, adherence, asymmetry."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.progress_stats import (
    KTW_ERROR_RAD,
    asymmetry,
    changes_from_first,
    classify_change,
    ktw_series,
    peak_per_session,
    weekly_adherence,
    weekly_trend,
    weekly_volume,
)
from dashboard.session_index import SetRow

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday


def row(session: str, exercise: str, day: float, leg: str = "right", **kw: object) -> SetRow:
    """A set row with only what a test sets; everything else empty."""
    base: dict[str, object] = dict(
        session_id=session, set_index=0, exercise=exercise, leg=leg, demo=True,
        start_utc=(T0 + timedelta(days=day)).isoformat(), start_s=0.0, end_s=60.0, active_s=60.0,
        rep_count=None, holds_counted=None, hold_count=None, circle_count=None, peak_dorsiflexion_rad=None,
        knee_to_wall_rad=None, knee_to_wall_m=None, heel_lifts=0, pronations=0, flagged_reps=0, pain=None,
        target_met=False, problem=None,
    )  # fmt: skip
    base.update(kw)
    return SetRow(**base)  # type: ignore[arg-type]


def test_ktw_series_takes_each_sessions_best_attempt_of_the_leg_only() -> None:
    rows = [
        row("a", "knee_to_wall", 0, knee_to_wall_rad=0.50, knee_to_wall_m=0.079),
        row("a", "knee_to_wall", 0.01, set_index=1, knee_to_wall_rad=0.55, knee_to_wall_m=0.087),
        row("b", "knee_to_wall", 2, leg="left", knee_to_wall_rad=0.70, knee_to_wall_m=0.11),
        row("c", "band_mobilisation", 3, peak_dorsiflexion_rad=0.6),
        row("d", "knee_to_wall", 4, knee_to_wall_rad=None, knee_to_wall_m=None, problem="calibration failed"),
        row("e", "knee_to_wall", 5, knee_to_wall_rad=0.52, knee_to_wall_m=0.082),
    ]
    series = ktw_series(rows, "right")
    assert [p.session_id for p in series] == ["a", "e"]
    assert series[0].rad == 0.55 and series[0].m == 0.087
    assert series[0].when == T0  # the session's first test set
    assert [p.session_id for p in ktw_series(rows, "left")] == ["b"]


def test_a_change_is_real_only_beyond_the_measurement_error() -> None:
    assert classify_change(0.017, 0.016) == "better"
    assert classify_change(0.016, 0.016) == "within"
    assert classify_change(-0.0161, 0.016) == "worse"
    deg = math.radians
    values = [deg(30.0), deg(34.0), deg(35.0), deg(25.0), deg(29.0)]
    # 34 - 30 = 4 < 4.6; 35 - 30 = 5 > 4.6; 25 - 30 = -5; 29 - 30 = -1
    assert changes_from_first(values, KTW_ERROR_RAD) == ["within", "within", "better", "worse", "within"]
    assert changes_from_first([], KTW_ERROR_RAD) == []


def test_weekly_trend_slope_standard_error_and_confidence_interval() -> None:
    when = [T0 + timedelta(weeks=k) for k in range(4)]
    trend = weekly_trend(when, [1.0, 3.0, 2.0, 4.0])
    assert trend is not None
    # x = 0..3 weeks: Sxx = 5, Sxy = 4 -> slope 0.8, intercept 2.5 - 0.8 * 1.5 = 1.3
    assert trend.slope_per_week == pytest.approx(0.8)
    assert trend.intercept == pytest.approx(1.3)
    # residuals -0.3, 0.9, -0.9, 0.3: SSE 1.8, s^2 = 0.9, se = sqrt(0.9 / 5)
    assert trend.stderr_per_week == pytest.approx(math.sqrt(0.18))
    half = 4.302653 * math.sqrt(0.18)  # t(0.975, 2 dof)
    assert trend.ci95_low == pytest.approx(0.8 - half, abs=1e-5)
    assert trend.ci95_high == pytest.approx(0.8 + half, abs=1e-5)
    assert trend.n == 4


def test_weekly_trend_is_per_week_whatever_the_spacing() -> None:
    when = [T0 + timedelta(days=d) for d in (0, 1, 2)]
    trend = weekly_trend(when, [0.0, 1.0, 2.0])  # 1 per day = 7 per week, exactly on a line
    assert trend is not None
    assert trend.slope_per_week == pytest.approx(7.0)
    assert trend.stderr_per_week == pytest.approx(0.0, abs=1e-9)


def test_no_trend_without_three_points_at_different_times() -> None:
    assert weekly_trend([T0, T0 + timedelta(days=1)], [1.0, 2.0]) is None
    assert weekly_trend([T0] * 3, [1.0, 2.0, 3.0]) is None


def test_weekly_adherence_covers_whole_weeks_monday_first() -> None:
    trained = [date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 16)]  # Wed, Thu; Mon two weeks later
    weeks = weekly_adherence(trained, date(2026, 11, 4), date(2026, 11, 17))
    assert [w.week_start for w in weeks] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    assert weeks[0].days == (False, False, True, True, False, False, False)
    assert [w.days_with_session for w in weeks] == [2, 0, 1]


def test_asymmetry_compares_the_latest_result_of_each_leg() -> None:
    left = ktw_series([row("l", "knee_to_wall", 0, leg="left", knee_to_wall_rad=0.70, knee_to_wall_m=0.110)], "left")
    right = ktw_series(
        [
            row("r1", "knee_to_wall", 0, knee_to_wall_rad=0.40, knee_to_wall_m=0.064),
            row("r2", "knee_to_wall", 1, knee_to_wall_rad=0.66, knee_to_wall_m=0.105),
        ],
        "right",
    )
    a = asymmetry(left, right)
    assert a is not None
    assert a.diff_rad == pytest.approx(-0.04) and a.diff_m == pytest.approx(-0.005)
    assert not a.real  # 0.04 rad = 2.3 deg < 4.6 deg
    far = asymmetry(left, right[:1])
    assert far is not None and far.real  # 0.30 rad = 17 deg
    assert asymmetry([], right) is None


def test_peak_per_session_and_weekly_volume() -> None:
    rows = [
        row("a", "band_mobilisation", 0, peak_dorsiflexion_rad=0.5, rep_count=15),
        row("a", "band_mobilisation", 0.01, set_index=1, peak_dorsiflexion_rad=0.6, rep_count=10),
        row("a", "calf_release", 0.02, set_index=2, active_s=45.0),
        row("b", "band_mobilisation", 8, peak_dorsiflexion_rad=0.55, rep_count=30),
        row("b", "soleus_stretch", 8, set_index=1, holds_counted=2, peak_dorsiflexion_rad=0.4),
        row("c", "ankle_circles", 9, leg="left", circle_count=40),
        row("d", "eccentric_drop", 9, rep_count=None, problem="set 1: calibration failed"),
    ]
    peaks = peak_per_session(rows, "right")
    assert [v for _, v in peaks["band_mobilisation"]] == [0.6, 0.55]
    assert set(peaks) == {"band_mobilisation", "soleus_stretch"}
    vol = weekly_volume(rows, "right")
    assert [(v.week_start, v.reps, v.holds, v.circles, v.rolling_s) for v in vol] == [
        (date(2026, 11, 2), 25, 0, 0, 45.0),
        (date(2026, 11, 9), 30, 2, 0, 0.0),
    ]
    assert weekly_volume(rows, "left")[0].circles == 40

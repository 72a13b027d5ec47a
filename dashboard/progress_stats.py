"""Progress over weeks from indexed sets: knee-to-wall series, real changes, weekly trend, adherence, asymmetry."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
from scipy import stats

from dashboard.session_index import SetRow

KTW_ERROR_RAD = math.radians(4.6)
"""Measurement error of the knee-to-wall test in degrees (changes within it are not real)."""
KTW_ERROR_M = 0.016
"""Measurement error of the knee-to-wall test as a distance."""
KTW_TARGET_M = 0.08
"""The guide's knee-to-wall target: the toes 8 cm from the wall."""
DAYS_PER_WEEK = 7

Change = Literal["better", "worse", "within"]


@dataclass(frozen=True)
class KtwPoint:
    """One session's knee-to-wall result: its best valid attempt, in radians and metres."""

    session_id: str
    when: datetime
    rad: float
    m: float
    demo: bool


@dataclass(frozen=True)
class Trend:
    """A least-squares slope per week with its standard error and 95 % confidence interval (same unit)."""

    slope_per_week: float
    stderr_per_week: float
    ci95_low: float
    ci95_high: float
    n: int
    intercept: float
    """Value of the fitted line at the first point's time."""


@dataclass(frozen=True)
class WeekAdherence:
    """One week (Monday first): which days had at least one session of the leg."""

    week_start: date
    days: tuple[bool, ...]

    @property
    def days_with_session(self) -> int:
        """Days of the week with at least one session."""
        return sum(self.days)


@dataclass(frozen=True)
class Asymmetry:
    """Latest knee-to-wall of each leg and their difference (right minus left); `real` if beyond the error."""

    left: KtwPoint
    right: KtwPoint
    diff_rad: float
    diff_m: float
    real: bool


def parse_utc(text: str) -> datetime:
    """An ISO-8601 UTC time string (as in the index) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ktw_series(rows: Iterable[SetRow], leg: str) -> list[KtwPoint]:
    """One knee-to-wall point per session of a leg (the session's best valid attempt), oldest first.

    Parameters
    ----------
    rows : indexed sets (any exercises and legs; the others are skipped).
    leg : "left" or "right".

    Returns
    -------
    list[KtwPoint] : sessions with a usable knee-to-wall result, ordered by the time of their first test set.
    """
    best: dict[str, KtwPoint] = {}
    for r in rows:
        if r.leg != leg or r.exercise != "knee_to_wall" or r.knee_to_wall_rad is None or r.knee_to_wall_m is None:
            continue
        point = KtwPoint(r.session_id, parse_utc(r.start_utc), r.knee_to_wall_rad, r.knee_to_wall_m, r.demo)
        old = best.get(r.session_id)
        if old is None or point.rad > old.rad:
            best[r.session_id] = point if old is None else KtwPoint(r.session_id, old.when, point.rad, point.m, r.demo)
    return sorted(best.values(), key=lambda p: p.when)


def classify_change(change: float, error: float) -> Change:
    """A change is real only beyond the measurement error: "better" (up), "worse" (down), else "within"."""
    if change > error:
        return "better"
    if change < -error:
        return "worse"
    return "within"


def changes_from_first(values: Sequence[float], error: float) -> list[Change]:
    """Each value's change from the first value, classified against the measurement error (first: "within")."""
    return [classify_change(v - values[0], error) for v in values] if values else []


def weekly_trend(when: Sequence[datetime], values: Sequence[float]) -> Trend | None:
    """Least-squares slope of values against time in weeks, with its standard error and 95 % CI.

    Parameters
    ----------
    when : the times of the values.
    values : the values (any unit; the slope is in that unit per week).

    Returns
    -------
    Trend or None : None with fewer than 3 points or all at one time (no uncertainty can be given).
    """
    n = len(values)
    if n < 3 or len(when) != n:
        return None
    t0 = when[0]
    x = np.array([(t - t0).total_seconds() / (DAYS_PER_WEEK * 86400.0) for t in when])
    if np.ptp(x) == 0.0:
        return None
    fit = stats.linregress(x, np.asarray(values, dtype=np.float64))
    half = float(stats.t.ppf(0.975, n - 2)) * float(fit.stderr)
    slope = float(fit.slope)
    return Trend(slope, float(fit.stderr), slope - half, slope + half, n, float(fit.intercept))


def weekly_adherence(days_trained: Iterable[date], first: date, last: date) -> list[WeekAdherence]:
    """Which days of each week (Monday to Sunday) from the week of `first` to the week of `last` had a session.

    Parameters
    ----------
    days_trained : the (UTC) dates with at least one session.
    first, last : the span to cover (whole weeks around it).

    Returns
    -------
    list[WeekAdherence] : oldest week first.
    """
    trained = set(days_trained)
    start = first - timedelta(days=first.weekday())
    weeks = []
    while start <= last:
        weeks.append(WeekAdherence(start, tuple(start + timedelta(days=k) in trained for k in range(DAYS_PER_WEEK))))
        start += timedelta(days=DAYS_PER_WEEK)
    return weeks


def asymmetry(left: Sequence[KtwPoint], right: Sequence[KtwPoint]) -> Asymmetry | None:
    """Latest knee-to-wall of each leg compared (right minus left); None unless both legs have a result."""
    if not left or not right:
        return None
    a, b = left[-1], right[-1]
    diff_rad, diff_m = b.rad - a.rad, b.m - a.m
    return Asymmetry(a, b, diff_rad, diff_m, abs(diff_rad) > KTW_ERROR_RAD)


def peak_per_session(rows: Iterable[SetRow], leg: str) -> dict[str, list[tuple[datetime, float]]]:
    """Per exercise, the highest peak dorsiflexion (rad) of each session of the leg, oldest first."""
    best: dict[str, dict[str, tuple[datetime, float]]] = {}
    for r in rows:
        if r.leg != leg or r.peak_dorsiflexion_rad is None or r.problem is not None:
            continue
        per = best.setdefault(r.exercise, {})
        when = parse_utc(r.start_utc)
        old = per.get(r.session_id)
        if old is None or r.peak_dorsiflexion_rad > old[1]:
            per[r.session_id] = (old[0] if old else when, r.peak_dorsiflexion_rad)
    return {ex: sorted(per.values()) for ex, per in best.items()}


@dataclass(frozen=True)
class WeekVolume:
    """What was done in one week (Monday first): reps, holds that counted, circles, and rolling time, s."""

    week_start: date
    reps: int
    holds: int
    circles: int
    rolling_s: float


ROLLING = ("calf_release", "achilles_release")


def weekly_volume(rows: Iterable[SetRow], leg: str) -> list[WeekVolume]:
    """Reps, holds, circles and rolling time done per week by a leg, oldest week first (weeks with sets only)."""
    acc: dict[date, list[float]] = {}
    for r in rows:
        if r.leg != leg or r.problem is not None:
            continue
        day = parse_utc(r.start_utc).date()
        week = day - timedelta(days=day.weekday())
        v = acc.setdefault(week, [0, 0, 0, 0.0])
        v[0] += r.rep_count or 0
        v[1] += r.holds_counted or 0
        v[2] += r.circle_count or 0
        if r.exercise in ROLLING:
            v[3] += r.active_s
    return [WeekVolume(w, int(v[0]), int(v[1]), int(v[2]), float(v[3])) for w, v in sorted(acc.items())]

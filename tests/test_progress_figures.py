"""Progress figures: the knee-to-wall markers, target lines and trend, worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.progress_figures import adherence_figure, asymmetry_figure, ktw_figure, peak_figure
from dashboard.progress_stats import KtwPoint, WeekAdherence, weekly_trend

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def points() -> list[KtwPoint]:
    # cm 7.0, 8.0, 9.0 (changes 0, 1.0, 2.0 vs the 1.6 cm error); deg 25, 27, 31 (changes 0, 2, 6 vs 4.6 deg)
    return [
        KtwPoint(f"s{k}", T0 + timedelta(weeks=k), math.radians(deg), cm / 100.0, True)
        for k, (cm, deg) in enumerate(((7.0, 25.0), (8.0, 27.0), (9.0, 31.0)))
    ]


def test_ktw_markers_say_which_changes_are_beyond_the_measurement_error() -> None:
    fig = ktw_figure(points(), None)
    markers = {(t.yaxis, t.marker.symbol): list(t.y) for t in fig.data if t.mode == "markers"}
    assert markers[("y", "circle-open")] == pytest.approx([7.0, 8.0])
    assert markers[("y", "triangle-up")] == pytest.approx([9.0])
    assert markers[("y2", "circle-open")] == pytest.approx([25.0, 27.0])
    assert markers[("y2", "triangle-up")] == pytest.approx([31.0])
    names = " ".join(t.name for t in fig.data)
    assert "real improvement" in names and "1.6 cm" in names and "4.6 deg" in names


def test_ktw_target_lines_at_8_cm_and_its_angle() -> None:
    fig = ktw_figure(points(), None, demo=True)
    lines = sorted(s.y0 for s in fig.layout.shapes)
    assert lines == pytest.approx([8.0, 28.8])  # 8 cm x 3.6 deg per cm
    assert "demo data" in fig.layout.title.text
    assert "demo" not in (ktw_figure(points(), None).layout.title.text or "")


def test_ktw_trend_line_runs_from_the_first_to_the_last_test() -> None:
    pts = points()
    trend = weekly_trend([p.when for p in pts], [p.m for p in pts])  # exactly 1 cm per week from 7 cm
    fig = ktw_figure(pts, trend)
    (line,) = [t for t in fig.data if t.mode == "lines"]
    assert list(line.y) == pytest.approx([7.0, 9.0])
    assert "+1.00 cm per week" in line.name


def test_adherence_calendar_marks_days_with_text_not_colour_alone() -> None:
    weeks = [WeekAdherence(date(2026, 11, 2), (True, False, True, False, False, False, True))]
    fig = adherence_figure(weeks)
    assert list(fig.data[0].text[0]) == ["✓", "·", "✓", "·", "·", "·", "✓"]
    assert any("3/7 days" in a.text for a in fig.layout.annotations)


def test_asymmetry_and_peak_figures_label_their_values() -> None:
    pts = points()
    fig = asymmetry_figure(pts[0], pts[2])
    assert list(fig.data[0].x) == ["left", "right"]
    assert list(fig.data[0].y) == pytest.approx([7.0, 9.0])
    assert fig.data[0].text[1] == "9.0 cm (31.0 deg)"
    peak = peak_figure({"band_mobilisation": [(T0, math.radians(30.0))]}, {"band_mobilisation": "Band"})
    assert peak.data[0].name == "Band" and list(peak.data[0].y) == pytest.approx([30.0])

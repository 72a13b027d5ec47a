"""Tests of the pure figure builders of the dashboard."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dashboard.figures import extend_angle_trace, live_angle_figure, live_max_points


def _rects(fig):
    return [s for s in fig.layout.shapes if s.type == "rect"]


def test_max_points_covers_the_window():
    assert live_max_points(10.0, 30.0) == 300
    assert live_max_points(10.0, 29.95) == 300  # rounds up, never shows less than the window
    assert live_max_points(0.01, 1.0) == 2
    with pytest.raises(ValueError):
        live_max_points(0.0, 30.0)
    with pytest.raises(ValueError):
        live_max_points(10.0, -1.0)


def test_live_figure_has_one_empty_trace_and_labelled_axes():
    fig = live_angle_figure((30.0, 45.0))
    assert len(fig.data) == 1
    assert list(fig.data[0].x) == [] and list(fig.data[0].y) == []
    assert fig.data[0].mode == "lines"
    assert "(s)" in fig.layout.xaxis.title.text
    assert "(deg)" in fig.layout.yaxis.title.text
    # The vertical range is fixed so the trace does not jump as values arrive; time scrolls with the data.
    assert fig.layout.yaxis.autorange is False
    assert fig.layout.xaxis.autorange is True
    json.loads(fig.to_json())  # what Dash sends must serialise


def test_target_band_spans_the_plot_and_is_labelled_in_text():
    fig = live_angle_figure((30.0, 45.0))
    (band,) = _rects(fig)
    assert (band.y0, band.y1) == (30.0, 45.0)
    assert band.xref == "paper" and (band.x0, band.x1) == (0, 1)
    texts = [a.text for a in fig.layout.annotations]
    assert any("target" in t and "30" in t and "45" in t and "deg" in t for t in texts)
    lo, hi = fig.layout.yaxis.range
    assert lo <= 30.0 - 5.0 and hi >= 45.0 + 5.0


def test_band_outside_default_range_widens_it():
    fig = live_angle_figure((40.0, 70.0), y_range_deg=(-30.0, 50.0))
    lo, hi = fig.layout.yaxis.range
    assert lo == -30.0
    assert hi >= 75.0


def test_no_band_draws_no_band():
    fig = live_angle_figure(None)
    assert _rects(fig) == []
    assert len(fig.layout.annotations) == 0


@pytest.mark.parametrize("band, y_range", [((45.0, 30.0), (-30.0, 50.0)), ((10.0, 20.0), (5.0, 5.0))])
def test_bad_ranges_are_rejected(band, y_range):
    with pytest.raises(ValueError):
        live_angle_figure(band, y_range_deg=y_range)


def test_extend_converts_to_degrees_for_trace_zero():
    t = [1.0, 1.0333333, 1.0666667]
    a = np.radians([10.0, -5.24, 32.06])
    data, traces, max_points = extend_angle_trace(t, a, 300)
    assert traces == [0]
    assert max_points == 300
    assert data["x"] == [[1.0, 1.033, 1.067]]
    assert data["y"] == [[10.0, -5.2, 32.1]]
    json.dumps(data)


def test_extend_sends_only_the_newest_points():
    t = np.arange(500) / 30.0
    a = np.radians(np.arange(500, dtype=float))
    data, _, max_points = extend_angle_trace(t, a, 300)
    assert max_points == 300
    assert len(data["x"][0]) == 300
    assert data["y"][0][0] == 200.0 and data["y"][0][-1] == 499.0


def test_extend_breaks_the_line_at_missing_angles():
    data, _, _ = extend_angle_trace([0.0, 0.1, 0.2], [0.1, math.nan, math.inf], 10)
    assert data["y"][0][0] == pytest.approx(math.degrees(0.1), abs=0.05)
    assert data["y"][0][1:] == [None, None]
    json.dumps(data, allow_nan=False)


def test_extend_with_nothing_new_is_none_and_checks_shapes():
    assert extend_angle_trace([], [], 300) is None
    with pytest.raises(ValueError):
        extend_angle_trace([0.0, 0.1], [0.0], 300)
    with pytest.raises(ValueError):
        extend_angle_trace([0.0], [0.0], 0)


def test_best_line_is_drawn_and_labelled_and_widens_the_range():
    from dashboard.figures import live_angle_figure

    fig = live_angle_figure((30.0, 45.0), best_deg=52.0)
    assert any(s.type == "line" and s.y0 == 52.0 and s.line.dash == "dash" for s in fig.layout.shapes)
    assert any("your best 52 deg" in a.text for a in fig.layout.annotations)
    assert fig.layout.yaxis.range[1] >= 57.0


def test_hold_ring_fills_with_the_fraction_and_says_the_time():
    import re

    from dashboard.figures import hold_ring_svg, svg_data_uri

    half = hold_ring_svg(0.5, "15 s", size_px=100)
    r = 40.0
    dash = float(re.findall(r'stroke-dasharray="([0-9.]+) ', half)[0])
    assert dash == pytest.approx(0.5 * 2 * 3.14159265 * r, rel=1e-3)
    assert ">15 s</text>" in half
    assert 'stroke-dasharray="0.00 ' in hold_ring_svg(None, "")
    full = float(re.findall(r'stroke-dasharray="([0-9.]+) ', hold_ring_svg(3.0, "x", size_px=100))[0])
    assert full == pytest.approx(2 * 3.14159265 * r, rel=1e-3)  # clipped at a full ring
    assert svg_data_uri("<svg a='1'/>").startswith("data:image/svg+xml;charset=utf-8,%3Csvg")

"""Tests of the pure figure builders of the dashboard."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dashboard.figures import live_max_points, trace_message


def test_max_points_covers_the_window():
    assert live_max_points(10.0, 30.0) == 300
    assert live_max_points(10.0, 29.95) == 300  # rounds up, never shows less than the window
    assert live_max_points(0.01, 1.0) == 2
    with pytest.raises(ValueError):
        live_max_points(0.0, 30.0)
    with pytest.raises(ValueError):
        live_max_points(10.0, -1.0)


def _msg(t, a, **kw):
    kw = {"max_points": 300, "window_s": 10.0, "reset": False} | kw
    return trace_message(t, a, **kw)


def test_a_reset_carries_the_band_the_best_and_a_range_that_shows_both():
    m = _msg([], [], reset=True, target_band_deg=(30.0, 45.0), best_deg=52.04)
    assert m["reset"] is True and m["x"] == [] and m["y"] == []
    assert m["band"] == [30.0, 45.0] and m["best"] == 52.0
    lo, hi = m["y_range"]
    assert lo <= 25.0 and hi >= 57.0  # 5 deg of margin above the best and below the band
    assert m["window_s"] == 10.0 and m["max_points"] == 300
    json.dumps(m, allow_nan=False)


def test_band_outside_the_default_range_widens_it_and_no_band_draws_none():
    m = _msg([], [], reset=True, target_band_deg=(40.0, 70.0), y_range_deg=(-30.0, 50.0))
    assert m["y_range"][0] == -30.0 and m["y_range"][1] >= 75.0
    plain = _msg([], [], reset=True)
    assert plain["band"] is None and plain["best"] is None and plain["y_range"] == [-30.0, 50.0]


@pytest.mark.parametrize("band, y_range", [((45.0, 30.0), (-30.0, 50.0)), ((10.0, 20.0), (5.0, 5.0))])
def test_bad_ranges_are_rejected(band, y_range):
    with pytest.raises(ValueError):
        _msg([], [], reset=True, target_band_deg=band, y_range_deg=y_range)


def test_new_points_are_sent_in_degrees_without_the_drawing_settings():
    t = [1.0, 1.0333333, 1.0666667]
    a = np.radians([10.0, -5.24, 32.06])
    m = _msg(t, a)
    assert m["reset"] is False and m["x"] == [1.0, 1.033, 1.067] and m["y"] == [10.0, -5.2, 32.1]


def test_only_the_newest_points_are_sent():
    t = np.arange(500) / 30.0
    a = np.radians(np.arange(500, dtype=float))
    m = _msg(t, a)
    assert len(m["x"]) == 300 and m["y"][0] == 200.0 and m["y"][-1] == 499.0


def test_the_line_breaks_at_missing_angles():
    m = _msg([0.0, 0.1, 0.2], [0.1, math.nan, math.inf], max_points=10)
    assert m["y"][0] == pytest.approx(math.degrees(0.1), abs=0.05)
    assert m["y"][1:] == [None, None]
    json.dumps(m, allow_nan=False)


def test_nothing_new_sends_nothing_and_shapes_are_checked():
    assert _msg([], []) is None
    with pytest.raises(ValueError):
        _msg([0.0, 0.1], [0.0])
    with pytest.raises(ValueError):
        _msg([0.0], [0.0], max_points=0)


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

"""Smoke test of the live-latency benchmark's measuring code on a few seconds: sane measurements, no timing target."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_benchmark_measures_both_pages(tmp_path: Path) -> None:
    require_chromium()
    from tests.benchmarks.bench_live_latency import report, run

    result = run(2.0, tmp_path / "data")

    # A 100 ms poll over 2 s gives about 20 updates; a broken hook or mapping gives none.
    assert result.bare.n >= 5, result.bare.latency_ms
    assert result.live_newest.n >= 5, result
    # Paint comes after the server's (or the sensor's) time on one clock, and within seconds of it.
    assert all(0.0 < v < 2000.0 for v in result.bare.latency_ms), result.bare.latency_ms
    assert all(0.0 < v < 5000.0 for v in result.live_all.latency_ms), result.live_all.latency_ms
    assert all(0.0 <= v < 1000.0 for v in result.sensor_to_feed.latency_ms), result.sensor_to_feed.latency_ms
    # Every update draws its newest point and maybe older ones: at least as many points as updates.
    assert result.live_all.n >= result.live_newest.n
    # The drawn x values are found among the points the feed made from timed notifications.
    assert result.unmatched_points <= 0.05 * result.live_all.n, (result.unmatched_points, result.live_all.n)
    # The page's hidden stamp names the newest drawn point's arrival at the feed (rarely a later response's).
    assert result.stamp_mismatches <= max(1, result.live_updates // 10), result.stamp_mismatches
    table = report(result, 2.0)
    assert "bare Dash page" in table and "target p95 < 100 ms" in table

"""Progress page in headless chromium, on seeded demo history: the knee-to-wall chart, switching leg, axe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dashboard import ids, session_index
from dashboard.demo_history import seed_demo_history
from tests.conftest import axe_violations, serve_dashboard

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "progress.png"
END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

# The markers' y values of the knee-to-wall chart's distance panel (first y axis), oldest first.
KTW_CM_JS = """id => {
    const gd = document.querySelector('#' + id + ' .js-plotly-plot');
    if (!gd || !gd.data) return null;
    return gd.data.filter(t => t.mode === 'markers' && (t.yaxis || 'y') === 'y')
        .flatMap(t => t.x.map((x, i) => [String(x), t.y[i]])).sort().map(p => p[1]);
}"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from dashboard.live_feed import LiveFeed

    data = tmp_path_factory.mktemp("progress-demo")
    seed_demo_history(data, weeks=2, seed=1, end=END)
    session_index.sync(data)
    with serve_dashboard(LiveFeed(data, side="right", emulated=True)) as url:
        yield url, data


def expected_cm(data: Path, leg: str) -> list[float]:
    """Each session's best knee-to-wall distance of the leg, cm, oldest first, straight from the index."""
    best: dict[str, tuple[str, float]] = {}
    for r in session_index.set_rows(data, leg=leg, exercise="knee_to_wall"):
        if r.knee_to_wall_m is not None and (r.session_id not in best or r.knee_to_wall_m > best[r.session_id][1]):
            best[r.session_id] = (best.get(r.session_id, (r.start_utc, 0.0))[0], r.knee_to_wall_m)
    return [m * 100.0 for _, m in sorted(best.values())]


def test_progress_shows_the_knee_to_wall_chart_and_switching_leg_changes_it(
    base_url: tuple[str, Path], page: Page
) -> None:
    url, data = base_url
    page.goto(f"{url}/progress")
    graph = f"#{ids.PROGRESS_KTW_GRAPH}"
    page.wait_for_function(f"id => ({KTW_CM_JS})(id) !== null", arg=ids.PROGRESS_KTW_GRAPH, timeout=60_000)
    right = page.evaluate(KTW_CM_JS, ids.PROGRESS_KTW_GRAPH)
    assert right == pytest.approx(expected_cm(data, "right"))
    assert len(right) >= 5
    assert "target 8 cm" in page.inner_text(graph)
    assert "Demo data" in page.inner_text(f"#{ids.PROGRESS_DEMO_NOTE}")
    summary = page.inner_text(f"#{ids.PROGRESS_KTW_SUMMARY}")
    assert "Weekly trend" in summary and "per week" in summary and "95 %" in summary
    assert page.get_attribute(f"#{ids.PROGRESS_LEG}-right", "aria-pressed") == "true"
    assert axe_violations(page) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.click(f"#{ids.PROGRESS_LEG}-left")
    page.wait_for_function(
        "() => document.querySelector('#progress-content h2')?.textContent.includes('left leg')", timeout=30_000
    )
    page.wait_for_function(f"id => ({KTW_CM_JS})(id) !== null", arg=ids.PROGRESS_KTW_GRAPH, timeout=30_000)
    left = page.evaluate(KTW_CM_JS, ids.PROGRESS_KTW_GRAPH)
    assert left == pytest.approx(expected_cm(data, "left"))
    assert len(left) == 2  # the other leg is tested once a week
    assert page.get_attribute(f"#{ids.PROGRESS_LEG}-left", "aria-pressed") == "true"
    assert page.get_attribute(f"#{ids.PROGRESS_LEG}-right", "aria-pressed") == "false"
    assert "Right minus left" in page.inner_text(f"#{ids.PROGRESS_ASYMMETRY_SUMMARY}")
    assert axe_violations(page) == []


def test_progress_leg_from_the_url(base_url: tuple[str, Path], page: Page) -> None:
    url, _ = base_url
    page.goto(f"{url}/progress?leg=left")
    page.wait_for_selector(f"#{ids.PROGRESS_KTW_GRAPH} .js-plotly-plot", timeout=60_000)
    assert "left leg" in page.inner_text("#progress-content h2")

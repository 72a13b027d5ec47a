"""Browser test of the Live page: headless Debian chromium against a real app on emulated sensors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sensors.recorder import raw_samples_file
from sensors.samples import ROLES
from tests.conftest import require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from dashboard.live_feed import LiveFeed

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "live.png"

# Generous but bounded: the virtual radio connects in a few seconds, the demo routine calibrates in its
# first seconds of stance and its first reps finish within about a minute.
FIRST_ANGLE_TIMEOUT_MS = 60_000
ANGLE_CHANGE_TIMEOUT_MS = 60_000
FIRST_REP_TIMEOUT_MS = 150_000
NEXT_REPS_TIMEOUT_MS = 90_000

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, LiveFeed, Path]]:
    require_chromium()
    from dashboard.app import create_app, make_server
    from dashboard.live_feed import LiveFeed

    data_dir = tmp_path / "data"
    feed = LiveFeed(data_dir, side="right", emulated=True)
    app = create_app(feed)
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="dash-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", feed, data_dir
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        feed.stop()


def _text(page: Page, selector: str) -> str:
    return str(page.inner_text(selector)).strip()


def _wait(page: Page, feed: LiveFeed, what: str, js: str, arg: object, timeout_ms: int) -> None:
    """Wait for a condition in the page; on timeout, fail with what the feed was doing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(js, arg=arg, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        snap = feed.snapshot(0)
        pytest.fail(
            f"no {what} within {timeout_ms / 1000:.0f} s; feed {snap['state']} ({snap['message']}), "
            f"pipeline {snap['status']!r}, sensors {snap['sensors']}, "
            f"events {[e['text'] for e in snap['events']]}"
        )


@pytest.mark.timeout(420)
def test_live_page_streams_angles_and_counts_reps(live_server: tuple[str, LiveFeed, Path], page: Page) -> None:
    from dashboard import ids

    url, feed, data_dir = live_server
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
    page.goto(url + "/live")
    assert page.get_attribute("html", "lang") == "en"

    angle = f"#{ids.LIVE_ANGLE_VALUE}"
    reps = f"#{ids.LIVE_REP_COUNT}"
    page.wait_for_selector(angle)
    assert _text(page, angle) == "\u2013"  # no reading yet
    assert _text(page, reps) == "0"
    connect = page.get_by_role("button", name="Connect emulated sensors")
    assert connect.is_enabled()

    # Keyboard reachable: Tab from the top of the page to the button and press Enter.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == ids.LIVE_CONNECT:
            break
    else:
        pytest.fail("the connect button is not reachable with Tab")
    page.keyboard.press("Enter")

    _wait(
        page,
        feed,
        "angle",
        "sel => /^-?\\d+$/.test(document.querySelector(sel).textContent.trim())",
        angle,
        FIRST_ANGLE_TIMEOUT_MS,
    )
    first = _text(page, angle)
    _wait(
        page,
        feed,
        "change of the angle",
        "([sel, first]) => { const t = document.querySelector(sel).textContent.trim();"
        " return /^-?\\d+$/.test(t) && t !== first; }",
        [angle, first],
        ANGLE_CHANGE_TIMEOUT_MS,
    )
    assert connect.is_disabled()

    _wait(
        page,
        feed,
        "first rep",
        "sel => parseInt(document.querySelector(sel).textContent, 10) >= 1",
        reps,
        FIRST_REP_TIMEOUT_MS,
    )
    feedback = _text(page, f"#{ids.LIVE_REP_FEEDBACK}")
    assert feedback.startswith("Rep "), feedback
    assert "deg" in feedback
    _wait(
        page,
        feed,
        "third rep",
        "sel => parseInt(document.querySelector(sel).textContent, 10) >= 3",
        reps,
        NEXT_REPS_TIMEOUT_MS,
    )
    assert _text(page, f"#{ids.LIVE_REP_FEEDBACK}").startswith("Rep 3"), "feedback does not follow the reps"

    calibration = _text(page, f"#{ids.LIVE_CALIBRATION_STATUS}")
    assert "calibrating" not in calibration, calibration
    sensors = _text(page, f"#{ids.LIVE_SENSOR_TABLE}")
    assert sensors.count("not connected") == 0, sensors
    assert "87 %" in sensors and "64 %" in sensors  # the emulated sensors' battery levels

    # The trace holds a bounded window of points in strictly increasing time: none lost twice, none doubled.
    xs = page.evaluate(
        "sel => Array.from(document.querySelector(sel + ' .js-plotly-plot').data[0].x)",
        f"#{ids.LIVE_ANGLE_GRAPH}",
    )
    assert 30 <= len(xs) <= 300
    assert all(b > a for a, b in zip(xs, xs[1:], strict=False)), "trace times are not strictly increasing"
    assert max(b - a for a, b in zip(xs, xs[1:], strict=False)) < 0.5, "points were lost between polls"

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Switching exercise redraws the target band, restarts the count and opens a new set in the recording.
    page.get_by_label("Eccentric drops", exact=False).check()
    page.wait_for_function("sel => document.querySelector(sel).textContent.trim() === '0'", arg=reps, timeout=10_000)
    page.wait_for_selector(f"#{ids.LIVE_ANGLE_GRAPH} text:has-text('target 15-30 deg')", timeout=10_000)

    # The session is being recorded: a folder with metadata and raw samples of both sensors.
    sessions = list((data_dir / "sessions").iterdir())
    assert len(sessions) == 1
    meta = json.loads((sessions[0] / "session.json").read_text())
    assert [s["exercise"] for s in meta["sets"]] == ["band_mobilisation", "eccentric_drop"]
    assert meta["sets"][0]["end_s"] == meta["sets"][1]["start_s"]

    assert outside == [], f"the page fetched resources from outside the app (must work offline): {outside}"
    for role in ROLES:
        assert (sessions[0] / raw_samples_file(role)).stat().st_size > 1000

"""Browser tests of the Live page: headless Debian chromium against a real app on emulated sensors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sensors.recorder import raw_samples_file
from sensors.samples import ROLES
from tests.conftest import axe_violations, require_chromium, serve_dashboard

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from dashboard.live_feed import LiveFeed

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "live.png"

# Generous but bounded: the virtual radio connects in a few seconds, the demo routine calibrates in its
# first seconds of stance and its first reps finish within about a minute.
CALIBRATED_TIMEOUT_MS = 60_000
FIRST_REP_TIMEOUT_MS = 150_000
UI_TIMEOUT_MS = 10_000

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, LiveFeed, Path]]:
    require_chromium()
    from dashboard.live_feed import LiveFeed

    data_dir = tmp_path / "data"
    feed = LiveFeed(data_dir, side="right", emulated=True)
    try:
        with serve_dashboard(feed) as url:
            yield url, feed, data_dir
    finally:
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


def _meta(data_dir: Path) -> dict[str, object]:
    (session,) = list((data_dir / "sessions").iterdir())
    meta: dict[str, object] = json.loads((session / "session.json").read_text())
    return meta


@pytest.mark.timeout(300)
def test_connect_calibrate_count_pause_end_and_rate_pain(live_server: tuple[str, LiveFeed, Path], page: Page) -> None:
    from dashboard import ids
    from dashboard.figures import live_max_points

    url, feed, data_dir = live_server
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
    page.goto(url + "/live?exercise=band_mobilisation")
    assert page.get_attribute("html", "lang") == "en"

    angle, count = f"#{ids.LIVE_ANGLE_VALUE}", f"#{ids.LIVE_REP_COUNT}"
    page.wait_for_selector(angle)
    assert _text(page, f"#{ids.LIVE_EXERCISE_TITLE}") == "Ankle mobilisation with a band"
    assert _text(page, angle) == "\u2013"  # no reading yet
    assert _text(page, count) == "0"
    assert "of 30 reps" in _text(page, f"#{ids.view_id('live', 'rep-target')}")
    assert axe_violations(page) == []

    # The leg is chosen before connecting; the choice is a pressed toggle button, not colour alone.
    left = page.get_by_role("button", name="Left")
    left.click()
    page.wait_for_function("() => document.querySelector('[aria-pressed=\"true\"]') !== null")
    _wait(
        page,
        feed,
        "left leg chosen",
        "() => Array.from(document.querySelectorAll('button'))"
        ".some(b => b.textContent.includes('Left') && b.getAttribute('aria-pressed') === 'true')",
        None,
        UI_TIMEOUT_MS,
    )
    assert feed.side == "left"

    # The sensors in range, each with its model, signal, battery and the role it will have.
    page.get_by_role("button", name="Find sensors").click()
    _wait(
        page,
        feed,
        "sensors in range",
        "sel => document.querySelector(sel).textContent.includes('dorsi-F1')",
        f"#{ids.LIVE_IN_RANGE}",
        3 * UI_TIMEOUT_MS,
    )
    in_range = _text(page, f"#{ids.LIVE_IN_RANGE}")
    assert "dorsi-S1: " in in_range and "used as the shin sensor" in in_range
    assert "dorsi-F1: " in in_range and "used as the foot sensor" in in_range
    assert "battery 87 %" in in_range and "dBm" in in_range
    assert axe_violations(page) == []

    # Record every calibration text shown, to see the countdown before "calibrated".
    page.evaluate(
        """sel => { window.calTexts = [];
            const el = document.querySelector(sel);
            new MutationObserver(() => window.calTexts.push(el.textContent)).observe(el,
                {childList: true, characterData: true, subtree: true}); }""",
        f"#{ids.LIVE_CALIBRATION_STEP}",
    )
    connect = page.get_by_role("button", name="Connect emulated sensors")
    for _ in range(30):  # keyboard reachable: Tab to the button and press Enter
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == ids.LIVE_CONNECT:
            break
    else:
        pytest.fail("the connect button is not reachable with Tab")
    page.keyboard.press("Enter")

    _wait(
        page,
        feed,
        "calibration",
        "() => window.calTexts.some(t => t.startsWith('Calibrated'))",
        None,
        CALIBRATED_TIMEOUT_MS,
    )
    texts: list[str] = page.evaluate("() => window.calTexts")
    countdown = [i for i, t in enumerate(texts) if "s left" in t]
    done = [i for i, t in enumerate(texts) if t.startswith("Calibrated")]
    assert countdown and countdown[0] < done[0], texts
    assert connect.is_disabled()
    assert left.is_disabled(), "the leg cannot change while connected"

    _wait(
        page,
        feed,
        "first rep",
        "sel => parseInt(document.querySelector(sel).textContent, 10) >= 1",
        count,
        FIRST_REP_TIMEOUT_MS,
    )
    assert _text(page, f"#{ids.LIVE_REP_FEEDBACK}").startswith("Rep "), "per-rep feedback"
    assert _text(page, angle).lstrip("-").isdigit()
    sensors = _text(page, f"#{ids.LIVE_SENSOR_TABLE}")
    assert sensors.count("not connected") == 0 and "87 %" in sensors and "64 %" in sensors, sensors
    assert "dorsi-S1" in sensors and "dorsi-F1" in sensors and "left" in sensors
    # The trace fills as polls land (the first rep's poll can carry seconds of points held for the shin's axis).
    _wait(
        page, feed, "a filled trace", "id => window.dorsiTraces[id].x.length >= 30", ids.LIVE_ANGLE_GRAPH, UI_TIMEOUT_MS
    )
    xs = page.evaluate("id => Array.from(window.dorsiTraces[id].x)", ids.LIVE_ANGLE_GRAPH)
    assert 30 <= len(xs) <= live_max_points(feed.window_s, feed.display_rate_hz), "a bounded window of points"
    assert all(b > a for a, b in zip(xs, xs[1:], strict=False)), "trace times are not strictly increasing"
    assert axe_violations(page) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Pause: nothing counts until resumed; the pause is in the recording.
    page.get_by_role("button", name="Pause set").click()
    _wait(
        page,
        feed,
        "pause",
        "sel => document.querySelector(sel).textContent.includes('paused')",
        f"#{ids.LIVE_SET_STATUS}",
        UI_TIMEOUT_MS,
    )
    assert feed.snapshot(0)["set_state"] == "paused"
    page.get_by_role("button", name="Resume set").click()
    _wait(
        page,
        feed,
        "resume",
        "sel => document.querySelector(sel).textContent.includes('running')",
        f"#{ids.LIVE_SET_STATUS}",
        UI_TIMEOUT_MS,
    )

    # End the set: the pain rating is asked for and stored with the set.
    page.get_by_role("button", name="End set").click()
    page.get_by_role("button", name="pain 2 of 10").wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    assert axe_violations(page) == []
    page.get_by_role("button", name="pain 2 of 10").click()
    _wait(
        page,
        feed,
        "pain saved",
        "sel => document.querySelector(sel).textContent.includes('pain 2 of 10')",
        f"#{ids.LIVE_PAIN_STATUS}",
        UI_TIMEOUT_MS,
    )
    meta = _meta(data_dir)
    assert meta["leg"] == "left"
    (first_set,) = meta["sets"]  # type: ignore[misc]
    assert first_set["pain"] == 2 and first_set["end_s"] is not None
    ((p0, p1),) = first_set["pauses"]
    assert first_set["start_s"] < p0 < p1 < first_set["end_s"]
    assert page.get_by_role("button", name="Start a new set").is_enabled()

    assert outside == [], f"the page fetched resources from outside the app (must work offline): {outside}"
    (session,) = list((data_dir / "sessions").iterdir())
    for role in ROLES:
        assert (session / raw_samples_file(role)).stat().st_size > 1000


@pytest.mark.timeout(120)
def test_routine_mode_shows_the_step_and_links_the_next_exercise(tmp_path: Path, page: Page) -> None:
    require_chromium()
    from dashboard import ids
    from dashboard.guide import routine_steps
    from dashboard.live_feed import LiveFeed

    steps = routine_steps(None)
    feed = LiveFeed(tmp_path, emulated=True)
    try:
        with serve_dashboard(feed) as url:
            page.goto(f"{url}/live?exercise={steps[1].exercise}&routine=2")
            page.wait_for_selector(f"#{ids.LIVE_ROUTINE}")
            assert f"step 2 of {len(steps)}" in _text(page, f"#{ids.LIVE_ROUTINE}")
            assert _text(page, f"#{ids.LIVE_EXERCISE_TITLE}") == steps[1].title
            nxt = page.locator(f"#{ids.LIVE_ROUTINE_NEXT}")
            assert steps[2].title in nxt.inner_text()
            href = nxt.get_attribute("href") or ""
            assert f"exercise={steps[2].exercise}" in href and "routine=3" in href
            pressed = page.locator("[aria-pressed='true']").all_inner_texts()
            assert any(steps[1].title in t for t in pressed), pressed
            assert axe_violations(page) == []

            nxt.click()
            page.wait_for_function(
                "([sel, title]) => document.querySelector(sel)?.textContent.trim() === title",
                arg=[f"#{ids.LIVE_EXERCISE_TITLE}", steps[2].title],
                timeout=UI_TIMEOUT_MS,
            )
            assert f"step 3 of {len(steps)}" in _text(page, f"#{ids.LIVE_ROUTINE}")
            assert feed.snapshot(0)["exercise"] == steps[2].exercise

            # Picking another exercise by hand presses its button and shows its instruction.
            page.get_by_role("button", name="Eccentric toe drops").click()
            page.wait_for_function(
                "sel => document.querySelector(sel).textContent.trim() === 'Eccentric toe drops'",
                arg=f"#{ids.LIVE_EXERCISE_TITLE}",
                timeout=UI_TIMEOUT_MS,
            )
            assert "30 reps" in _text(page, f"#{ids.LIVE_EXERCISE_INSTRUCTION}")
            assert feed.snapshot(0)["exercise"] == "eccentric_drop"
            assert axe_violations(page) == []
    finally:
        feed.stop()

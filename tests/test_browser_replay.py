"""Browser test of the Replay page: a recorded session through the live view, play, seek and speed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import axe_violations, require_chromium, serve_dashboard
from tests.session_factory import make_session

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "replay.png"
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.browser


@pytest.mark.timeout(180)
def test_replay_plays_seeks_and_changes_speed(tmp_path: Path, page: Page) -> None:
    require_chromium()
    from dashboard import ids
    from dashboard.live_feed import LiveFeed

    sid, _ = make_session(tmp_path, [{"exercise": "band_mobilisation", "reps": 5, "seed": 3}], leg="left", demo=True)
    feed = LiveFeed(tmp_path, emulated=True)
    count = f"#{ids.view_id('replay', 'rep-count')}"
    position = f"#{ids.REPLAY_POSITION}"
    try:
        with serve_dashboard(feed) as url:
            page.goto(f"{url}/replay?session={sid}")
            page.wait_for_selector(position)
            assert "paused" in page.inner_text(position)
            assert axe_violations(page) == []

            page.get_by_role("button", name="8x").click()
            page.get_by_role("button", name="Play").click()
            page.wait_for_function(
                "sel => parseInt(document.querySelector(sel).textContent, 10) >= 1", arg=count, timeout=TIMEOUT_MS
            )
            assert "8x" in page.inner_text(position)
            page.get_by_role("button", name="Pause").click()
            page.wait_for_function("sel => document.querySelector(sel).textContent.includes('paused')", arg=position)
            assert page.inner_text(f"#{ids.view_id('replay', 'rep-feedback')}").startswith("Rep ")
            assert axe_violations(page) == []
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            # Seek back to the start: the set is processed again, the count starts over from 0.
            page.fill(f"#{ids.REPLAY_SEEK_INPUT}", "1")
            page.get_by_role("button", name="Go").click()
            page.wait_for_function(
                "sel => document.querySelector(sel).textContent.trim() === '0'", arg=count, timeout=TIMEOUT_MS
            )
            assert "1.0 of" in page.inner_text(position)
            # Seek forwards to the end: every rep of the recording is counted.
            page.fill(f"#{ids.REPLAY_SEEK_INPUT}", "1000")
            page.get_by_role("button", name="Go").click()
            page.wait_for_function(
                "sel => document.querySelector(sel).textContent.trim() === '5'", arg=count, timeout=TIMEOUT_MS
            )
            assert "finished" in page.inner_text(position)

            page.goto(f"{url}/replay?session=..%2Fetc")
            assert "Cannot replay" in page.inner_text(f"#{ids.REPLAY_PROBLEM}")
    finally:
        feed.stop()

"""Routine page in headless chromium: the steps, the stiffness choice reordering them, Start opening Live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dashboard import ids
from processing.exercises.registry import SPECS
from tests.conftest import axe_violations, serve_dashboard

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "routine.png"
STEPS_JS = "() => [...document.querySelectorAll('#routine-steps li')].map(li => li.dataset.exercise)"
FULL = [
    "ankle_circles", "calf_release", "achilles_release", "gastrocnemius_stretch", "soleus_stretch", "traction",
    "band_mobilisation", "seated_dorsiflexion_hold", "eccentric_drop", "nerve_flossing", "knee_to_wall",
]  # fmt: skip
CALF = [
    "ankle_circles", "calf_release", "gastrocnemius_stretch", "nerve_flossing", "achilles_release", "soleus_stretch",
    "traction", "band_mobilisation", "seated_dorsiflexion_hold", "eccentric_drop", "knee_to_wall",
]  # fmt: skip


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from dashboard.live_feed import LiveFeed

    with serve_dashboard(LiveFeed(tmp_path_factory.mktemp("routine"), side="right", emulated=True)) as url:
        yield url


def test_routine_lists_the_steps_and_stiffness_reorders_them_then_start_opens_live(base_url: str, page: Page) -> None:
    page.goto(f"{base_url}/routine")
    page.wait_for_selector(f"#{ids.ROUTINE_STEPS} li")
    assert page.evaluate(STEPS_JS) == FULL
    assert "Target: 30 reps" in page.inner_text(f"#{ids.ROUTINE_STEPS} li:nth-child(7)")
    assert axe_violations(page) == []

    page.click(f"#{ids.ROUTINE_STIFFNESS}-calf")
    page.wait_for_function(f"() => ({STEPS_JS})()[1] === 'calf_release' && ({STEPS_JS})()[2] !== 'achilles_release'")
    assert page.evaluate(STEPS_JS) == CALF
    assert "calf" in page.inner_text(f"#{ids.ROUTINE_EXPLANATION}")
    assert page.get_attribute(f"#{ids.ROUTINE_STIFFNESS}-calf", "aria-pressed") == "true"
    assert "focus for your stiffness" in page.inner_text(f"#{ids.ROUTINE_STEPS} li:nth-child(3)")
    assert "focus" not in page.inner_text(f"#{ids.ROUTINE_STEPS} li:nth-child(5)")
    assert axe_violations(page) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.click(f"#{ids.ROUTINE_START_PREFIX}3")
    page.wait_for_selector(f"#{ids.LIVE_ROUTINE}", timeout=30_000)
    assert "/live?" in page.url and "exercise=gastrocnemius_stretch" in page.url and "routine=3" in page.url
    assert "step 3 of 11" in page.inner_text(f"#{ids.LIVE_ROUTINE}")
    assert page.inner_text(f"#{ids.LIVE_EXERCISE_TITLE}").strip() == SPECS["gastrocnemius_stretch"].title
    assert "Nerve flossing" in page.inner_text(f"#{ids.LIVE_ROUTINE_NEXT}")  # the calf routine's next step


def test_routine_stiffness_from_the_url(base_url: str, page: Page) -> None:
    page.goto(f"{base_url}/routine?stiffness=front")
    page.wait_for_selector(f"#{ids.ROUTINE_STEPS} li")
    assert page.evaluate(STEPS_JS)[:3] == ["ankle_circles", "traction", "band_mobilisation"]
    assert page.get_attribute(f"#{ids.ROUTINE_STIFFNESS}-front", "aria-pressed") == "true"


def test_home_says_what_dorsi_is_and_links_every_page(base_url: str, page: Page) -> None:
    page.goto(base_url + "/")
    page.wait_for_selector(f"#{ids.HOME_PAGE_LINKS}")
    assert "dorsiflexion" in page.inner_text("main")
    hrefs = page.eval_on_selector_all(f"#{ids.HOME_PAGE_LINKS} a", "links => links.map(a => a.getAttribute('href'))")
    assert set(hrefs) == {"/live", "/sessions", "/progress", "/routine", "/import"}
    assert axe_violations(page) == []
    page.click(f"#{ids.HOME_PAGE_LINKS} a[href='/routine']")
    page.wait_for_selector(f"#{ids.ROUTINE_STEPS} li")

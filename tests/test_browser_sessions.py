"""Browser test of the Sessions page: list, filter, keyboard, detail with zoomable whole-session trace, axe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import axe_violations, require_chromium, serve_dashboard
from tests.session_factory import make_session

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "sessions.png"
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.browser

# The graph's plotly div, the decimated trace's points, and the visible time range.
_GRAPH_STATE_JS = """
() => {
    const gd = document.querySelector('#sessions-graph .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd.data || !gd.data.length || !gd.data[0].x) { return null; }
    const r = gd._fullLayout.xaxis.range;
    const x = gd.data[0].x;
    const inside = x.filter(v => v >= r[0] && v <= r[1]).length;
    return {range: [r[0], r[1]], n: x.length, inside: inside, x: Array.from(x),
            drawn: gd.querySelectorAll('.scatterlayer .trace path.js-line').length};
}
"""


@pytest.fixture(scope="module")
def sessions_dir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four short sessions over five weeks: three right leg (one demo), one left leg."""
    data_dir = tmp_path_factory.mktemp("sessions") / "data"
    made = {}
    plan = [
        ("r1", "right", datetime(2026, 1, 5, 9, 0, tzinfo=UTC), False, [{"exercise": "band_mobilisation", "reps": 4}]),
        (
            "r2",
            "right",
            datetime(2026, 1, 19, 18, 30, tzinfo=UTC),
            False,
            [
                {"exercise": "band_mobilisation", "reps": 5, "seed": 3, "heel_lifts": 1},
                {"exercise": "eccentric_drop", "reps": 3, "seed": 4},
            ],
        ),
        ("l1", "left", datetime(2026, 1, 26, 8, 15, tzinfo=UTC), False, [{"exercise": "band_mobilisation", "reps": 3}]),
        ("d1", "right", datetime(2026, 2, 9, 7, 45, tzinfo=UTC), True, [{"exercise": "eccentric_drop", "reps": 3}]),
    ]
    for key, leg, created, demo, sets in plan:
        sid, _ = make_session(data_dir, sets, leg=leg, created=created, demo=demo)
        made[key] = sid
    return {"data_dir": data_dir, "ids": made}


@pytest.fixture
def base_url(sessions_dir: dict[str, Any]) -> Iterator[str]:
    require_chromium()
    from dashboard.live_feed import LiveFeed

    feed = LiveFeed(sessions_dir["data_dir"], side="right", emulated=True)
    try:
        with serve_dashboard(feed) as url:
            yield url
    finally:
        feed.stop()


def _row_ids(page: Page) -> list[str]:
    return list(page.eval_on_selector_all("#sessions-rows tr[data-session]", "rs => rs.map(r => r.dataset.session)"))


def _graph(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(_GRAPH_STATE_JS)
    return state


@pytest.mark.timeout(180)
def test_list_filters_keyboard_and_detail_zoom(base_url: str, sessions_dir: dict[str, Any], page: Page) -> None:
    from dashboard import ids

    made = sessions_dir["ids"]
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base_url) else outside.append(r.url))

    # The list: all four sessions, newest first, with leg, demo label and links.
    page.goto(f"{base_url}/sessions")
    page.wait_for_function("() => document.querySelectorAll('#sessions-rows tr[data-session]').length === 4")
    assert _row_ids(page) == [made["d1"], made["l1"], made["r2"], made["r1"]]
    demo_row = page.inner_text(f"#sessions-rows tr[data-session='{made['d1']}']")
    assert "demo data" in demo_row and "2026-02-09 07:45 UTC" in demo_row
    assert "demo data" not in page.inner_text(f"#sessions-rows tr[data-session='{made['r2']}']")
    replay_href = page.get_attribute(f"#sessions-rows tr[data-session='{made['r1']}'] a[href^='/replay']", "href")
    assert replay_href == f"/replay?session={made['r1']}"
    assert axe_violations(page) == []

    # Filter by leg: only the left session; back to both.
    page.get_by_role("button", name="Left", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('#sessions-rows tr[data-session]').length === 1")
    assert _row_ids(page) == [made["l1"]]
    assert page.inner_text(f"#{ids.SESSIONS_COUNT}").startswith("Showing 1 of 4")
    assert page.get_by_role("button", name="Left", exact=True).get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="Both legs", exact=True).get_attribute("aria-pressed") == "false"
    page.get_by_role("button", name="Both legs", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('#sessions-rows tr[data-session]').length === 4")
    # Filter by exercise, then by date: eccentric drops were done in the sessions of 19 Jan and 9 Feb.
    page.get_by_role("button", name="Eccentric toe drops", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('#sessions-rows tr[data-session]').length === 2")
    assert _row_ids(page) == [made["d1"], made["r2"]]
    page.fill(f"#{ids.SESSIONS_FILTER_UNTIL}", "2026-01-31")
    page.press(f"#{ids.SESSIONS_FILTER_UNTIL}", "Enter")
    page.wait_for_function("() => document.querySelectorAll('#sessions-rows tr[data-session]').length === 1")
    assert _row_ids(page) == [made["r2"]]
    page.screenshot(path=str(SCREENSHOT.with_name("sessions_list.png")), full_page=True)
    assert axe_violations(page) == []

    # Keyboard: Tab to the session's link and open it with Enter.
    for _ in range(60):
        page.keyboard.press("Tab")
        href = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('href')")
        if href == f"/sessions?session={made['r2']}":
            break
    else:
        pytest.fail("the session's link was never reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/sessions?session={made['r2']}")

    # Detail: the set table and the whole-session trace with its marks.
    page.wait_for_function("() => document.querySelectorAll('#sessions-set-table tbody tr').length === 2")
    sets_text = page.inner_text(f"#{ids.SESSIONS_SET_TABLE}")
    assert "Ankle mobilisation with a band" in sets_text and "Eccentric toe drops" in sets_text
    page.wait_for_function(f"() => {{ const s = ({_GRAPH_STATE_JS})(); return s && s.n > 100 && s.drawn > 0; }}")
    # Zoom at once, while the graph may still be settling after load: this first zoom must not be lost.
    before = _graph(page)
    box = page.locator("#sessions-graph .nsewdrag").first.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.30 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.40 * box["width"], y, steps=5)
    page.mouse.up()
    page.wait_for_function(
        f"""(b) => {{ const s = ({_GRAPH_STATE_JS})();
              return s && (s.range[1] - s.range[0]) < 0.2 * (b[1] - b[0])
                     && !document.getElementById('{ids.SESSIONS_GRAPH_STATUS}').innerText.includes('whole'); }}""",
        arg=before["range"],
        timeout=TIMEOUT_MS,
    )
    zoomed = _graph(page)
    span_before = before["range"][1] - before["range"][0]
    lo, hi = zoomed["range"]
    # A tenth of the time range, re-decimated: several times as many points in it as the whole view had there.
    assert 0.05 * span_before < hi - lo < 0.15 * span_before
    had = sum(lo <= x <= hi for x in before["x"])
    assert zoomed["inside"] > 2 * had > 0
    status = page.inner_text(f"#{ids.SESSIONS_GRAPH_STATUS}")
    assert status.startswith("Showing ") and "whole session" not in status
    page.screenshot(path=str(SCREENSHOT.with_name("sessions_zoomed.png")), full_page=True)

    # Double-click resets to the whole session, re-decimated again.
    page.mouse.dblclick(box["x"] + 0.5 * box["width"], y)
    page.wait_for_function(
        f"""(b) => {{ const s = ({_GRAPH_STATE_JS})();
              return s && Math.abs((s.range[1] - s.range[0]) - (b[1] - b[0])) < 0.05 * (b[1] - b[0]); }}""",
        arg=before["range"],
        timeout=TIMEOUT_MS,
    )
    page.wait_for_function(
        f"() => document.getElementById('{ids.SESSIONS_GRAPH_STATUS}').innerText.includes('whole session')",
        timeout=TIMEOUT_MS,
    )
    assert _graph(page)["n"] == before["n"]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert axe_violations(page) == []
    assert outside == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("session", "expected"),
    [("..%2F..%2Fetc%2Fpasswd", "is not a session id"), ("20990101T000000Z-0000", "There is no session")],
)
def test_bad_session_id_shows_a_message(base_url: str, page: Page, session: str, expected: str) -> None:
    from dashboard import ids

    page.goto(f"{base_url}/sessions?session={session}")
    page.wait_for_selector(f"#{ids.SESSIONS_MESSAGE}")
    assert expected in page.inner_text(f"#{ids.SESSIONS_MESSAGE}")
    assert page.query_selector(f"#{ids.SESSIONS_GRAPH}") is None
    assert axe_violations(page) == []

"""Browser test of the Import page: upload a good and a bad file, see the new session or the error, axe clean."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sensors.interchange import write_interchange
from sensors.simulator import simulate
from tests.conftest import axe_violations, require_chromium, serve_dashboard

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "import.png"
RESULT = "#import-result"

pytestmark = pytest.mark.browser


def _tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` (relative path -> sha256), to prove a refused import changed nothing."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _upload(page: Page, upload_id: str, path: Path) -> None:
    page.set_input_files(f"#{upload_id} input[type=file]", str(path))
    page.wait_for_function(
        "([id, name]) => document.getElementById(id).textContent.includes(name)",
        arg=[upload_id.replace("upload", "file"), path.name],
    )


def _import(page: Page) -> str:
    before = page.inner_text(RESULT)
    page.click("#import-button")
    page.wait_for_function(
        "([sel, before]) => { const t = document.querySelector(sel).innerText.trim(); return t && t !== before; }",
        arg=[RESULT, before],
        timeout=60_000,
    )
    return str(page.inner_text(RESULT))


def test_import_page_good_and_bad_files(page: Page, tmp_path: Path) -> None:
    require_chromium()
    from dashboard.live_feed import LiveFeed
    from dashboard.session_index import list_sessions

    data = tmp_path / "data"
    good = tmp_path / "band_left.csv"
    write_interchange(good, simulate("band_mobilisation", reps=4, side="left", seed=5).blocks)
    lines = good.read_text().splitlines()
    bad = tmp_path / "bad_times.csv"
    # line 6 repeats the time of an earlier row of the same sensor: the file is refused, naming that line
    role = lines[5].split(",")[1]
    earlier = next(i for i in range(4, 0, -1) if lines[i].split(",")[1] == role)
    lines[5] = ",".join([lines[earlier].split(",")[0], *lines[5].split(",")[1:]])
    bad.write_text("\n".join(lines) + "\n")

    with serve_dashboard(LiveFeed(data, emulated=True)) as url:
        page.goto(f"{url}/import")
        page.wait_for_selector("#import-button")
        assert axe_violations(page) == []

        page.get_by_role("button", name="Left", exact=True).click()
        page.wait_for_selector("button[aria-pressed=true] >> text=Left")
        _upload(page, "import-csv-upload", good)
        text = _import(page)
        assert text.startswith("Imported."), text
        session_id = page.inner_text("#import-session-id").strip()
        assert (data / "sessions" / session_id / "session.json").is_file()
        rows = list_sessions(data)
        assert [r.session_id for r in rows] == [session_id] and rows[0].leg == "left"
        assert page.get_attribute("a[href^='/sessions?session=']", "href") == f"/sessions?session={session_id}"
        assert axe_violations(page) == []

        recorded = _tree_digest(data / "sessions")
        _upload(page, "import-csv-upload", bad)
        text = _import(page)
        assert text.startswith("Not imported."), text
        assert "bad_times.csv, line 6, column t_s" in text and "not after its previous sample" in text
        assert str(tmp_path) not in text, "the page names the file, never a server path"
        assert page.get_attribute(f"{RESULT} [role=alert]", "role") == "alert"
        assert _tree_digest(data / "sessions") == recorded
        assert not [p for p in data.iterdir() if p.name.startswith(".upload-")]
        assert axe_violations(page) == []

        page.get_by_role("button", name="Xsens / Movella MT Manager exports (shin + foot)").click()
        page.wait_for_selector("#import-shin-upload", state="visible")
        page.wait_for_selector("#import-csv-upload", state="hidden")
        assert axe_violations(page) == []
        page.get_by_role("button", name="dorsi interchange CSV").click()
        page.wait_for_selector("#import-csv-upload", state="visible")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

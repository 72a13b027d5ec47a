"""The README's demo, as a user runs it: `dorsi demo` in its own process, its Live page in headless chromium."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dashboard.demo_history import plan_history
from tests.conftest import require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.mark.timeout(300)
def test_demo_command_serves_live_angles_and_reps_then_stops_cleanly(tmp_path: Path, page: Page) -> None:
    require_chromium()
    from dashboard import ids

    data = tmp_path / "demo-data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "demo", "--port", "0", "--data-dir", str(data), "--history-weeks", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    output: list[str] = []
    url_found = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if "http://127.0.0.1:" in line:
                url_found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert url_found.wait(180), f"the demo printed no URL: {''.join(output)}"
        url = re.search(r"http://127\.0\.0\.1:\d+/\S*", "".join(output))
        assert url is not None
        page.goto(url.group(0))
        angle, reps = f"#{ids.LIVE_ANGLE_VALUE}", f"#{ids.LIVE_REP_COUNT}"
        page.wait_for_selector(angle)
        # no click: the demo connects to its emulated sensors by itself
        page.wait_for_function(
            "sel => /^-?\\d+$/.test(document.querySelector(sel).textContent.trim())", arg=angle, timeout=90_000
        )
        first = page.inner_text(angle).strip()
        page.wait_for_function(
            "([sel, first]) => document.querySelector(sel).textContent.trim() !== first",
            arg=[angle, first],
            timeout=60_000,
        )
        page.wait_for_function(
            "sel => parseInt(document.querySelector(sel).textContent, 10) >= 2", arg=reps, timeout=120_000
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"the demo did not stop on Ctrl-C: {''.join(output)}")
    assert proc.returncode == 0, "".join(output)
    text = "".join(output)
    assert "DEMO DATA" in text and "demo sessions seeded and indexed" in text
    seeded = len(plan_history(1, 0, datetime.now(UTC)))
    sessions = sorted((data / "sessions").iterdir())  # ids sort by creation time: the live one is last
    assert len(sessions) == seeded + 1
    assert (data / "index.sqlite").is_file()
    session = sessions[-1]
    meta = json.loads((session / "session.json").read_text())
    assert meta["demo"] is True
    assert all(json.loads((s / "session.json").read_text())["demo"] for s in sessions)
    assert meta["sets"] and meta["sets"][-1]["end_s"] is not None, "the set was closed when the demo stopped"
    assert len((session / "samples_shin.csv").read_text().splitlines()) > 500

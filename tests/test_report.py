"""dorsi report: one self-contained HTML file with the index's numbers, that renders with the network cut off."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from dashboard import session_index as si
from dashboard.io.report import ReportError, write_report
from tests.session_factory import make_session


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    ids = []
    for day, leg, seed in ((3, "left", 31), (10, "right", 32), (17, "left", 33)):
        sid, _ = make_session(
            data_dir,
            [{"exercise": "knee_to_wall", "seed": seed}, {"exercise": "band_mobilisation", "reps": 3, "seed": seed}],
            leg=leg,
            created=datetime(2026, 10, day, 9, 0, tzinfo=UTC),
            pain={1: day % 7},
        )
        ids.append(sid)
    return data_dir, ids


def test_range_report_is_self_contained_and_has_the_index_numbers(history, tmp_path):
    data_dir, ids = history
    out = tmp_path / "report.html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "report",
            "2026-10-01..2026-10-31",
            "--data-dir",
            data_dir,
            "--out",
            out,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    # nothing fetched from anywhere: no script/style/link/img pointing at a URL
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=", page, re.IGNORECASE)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page, re.IGNORECASE)
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js itself is inline
    for sid in ids:
        assert sid in page
    for s in si.set_rows(data_dir, exercise="knee_to_wall"):
        assert f"{math.degrees(s.knee_to_wall_rad):.1f} deg, {100 * s.knee_to_wall_m:.1f} cm" in page
    for s in si.set_rows(data_dir, exercise="band_mobilisation"):
        assert f"{s.rep_count} / 30 reps" in page
    assert "Knee-to-wall test per leg" in page and "left leg" in page and "right leg" in page
    assert "Pain after each set" in page


def test_a_leg_and_a_session_narrow_the_report(history, tmp_path):
    data_dir, ids = history
    left = write_report(data_dir, "2026-10-01..2026-10-31", leg="left", out=tmp_path / "left.html").read_text()
    assert ids[0] in left and ids[2] in left and ids[1] not in left
    one = write_report(data_dir, ids[1], out=tmp_path / "one.html").read_text()
    assert ids[1] in one and ids[0] not in one and "dorsi report: session " + ids[1] in one
    # a single day, and open-ended ranges
    assert ids[1] in write_report(data_dir, "2026-10-10", out=tmp_path / "day.html").read_text()
    late = write_report(data_dir, "2026-10-11..", out=tmp_path / "late.html").read_text()
    assert ids[2] in late and ids[0] not in late


def test_report_errors_are_clear(history, tmp_path):
    data_dir, ids = history
    with pytest.raises(ReportError, match="no sessions from 2027-01-01"):
        write_report(data_dir, "2027-01-01..2027-02-01", out=tmp_path / "x.html")
    with pytest.raises(ReportError, match="neither a session id nor a date range"):
        write_report(data_dir, "etc/passwd", out=tmp_path / "x.html")
    with pytest.raises(ReportError, match="not an ISO-8601"):
        write_report(data_dir, "2026-13-45..2026-14-01", out=tmp_path / "x.html")
    with pytest.raises(ReportError, match="no such session"):
        write_report(data_dir, "20990101T000000Z-0000", out=tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_report_renders_in_a_browser_with_the_network_cut_off(history, tmp_path, page):
    data_dir, ids = history
    out = write_report(data_dir, "2026-10-01..2026-10-31", out=tmp_path / "offline.html")
    requested = []
    page.route(re.compile(r"^https?://"), lambda route: (requested.append(route.request.url), route.abort()))
    page.goto(out.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    assert page.locator(".js-plotly-plot").count() == 3
    assert requested == []

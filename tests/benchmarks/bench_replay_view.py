"""Benchmark: open a 1-hour two-sensor 200 Hz session on the Sessions page, and zoom its whole-session trace.

Measures in headless chromium: time from navigation to the first drawn trace, and from the end of a zoom drag to
the re-decimated trace drawn. Medians of several. Three opening cases: "indexed" (what a user meets: the index
analysed the session when it was recorded or first listed and kept its view on disk; the server's memory cache
is empty), "warm" (the server has it in memory), and "never analysed" (no kept view: the server reads the raw
samples and runs the pipeline on every set first).

Run: .venv/bin/python -m tests.benchmarks.bench_replay_view [--minutes 60] [--repeats 5] [--data-dir DIR]
(--data-dir keeps the recorded session for the next run: simulating and writing it takes a while.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_dashboard
from tests.session_factory import make_session

# Trace 0's points and the visible time range; null until the trace is drawn.
_STATE_JS = """
() => {
    const gd = document.querySelector('#sessions-graph .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd.data || !gd.data.length || !gd.data[0].x) { return null; }
    const r = gd._fullLayout.xaxis.range;
    const drawn = gd.querySelectorAll('.scatterlayer .trace path.js-line').length;
    return {range: [r[0], r[1]], n: gd.data[0].x.length, x0: gd.data[0].x[0], drawn: drawn};
}
"""
_DRAWN_JS = f"() => {{ const s = ({_STATE_JS})(); return s !== null && s.n > 100 && s.drawn > 0; }}"
# After a zoom: the range narrowed and the trace was replaced by one decimated for it (its first point moved).
_ZOOMED_JS = f"""(b) => {{ const s = ({_STATE_JS})();
    return s !== null && (s.range[1] - s.range[0]) < 0.5 * (b.range[1] - b.range[0]) && s.x0 !== b.x0
           && s.x0 >= s.range[0] - 60; }}"""
_RESET_JS = f"""(b) => {{ const s = ({_STATE_JS})();
    return s !== null && Math.abs(s.range[1] - s.range[0] - (b[1] - b[0])) < 1 && s.n > 100; }}"""


def _session(data_dir: Path, minutes: float) -> str:
    from dashboard import session_index

    session_index.sync(data_dir)
    rows = session_index.list_sessions(data_dir)
    if rows:
        print(f"using the recorded session {rows[0].session_id} ({rows[0].duration_s / 60:.1f} min) in {data_dir}")
        return rows[0].session_id
    t0 = time.perf_counter()
    sid, _ = make_session(
        data_dir, [{"exercise": "band_mobilisation", "duration_s": minutes * 60.0, "rate_hz": 200.0, "seed": 7}]
    )
    session_index.sync(data_dir)
    print(f"simulated and recorded {minutes:.0f} min at 200 Hz (two sensors) in {time.perf_counter() - t0:.1f} s")
    return sid


def _server_parts(data_dir: Path, sid: str) -> None:
    """Print what the server spends on a cold open: reading the folder, analysing, decimating."""
    from dashboard import session_index
    from dashboard.decimate import decimate
    from processing.analysis import analyze
    from sensors.sessions import load_session, set_windows

    folder = session_index.session_folder(data_dir, sid)
    t0 = time.perf_counter()
    meta, blocks = load_session(folder)
    t1 = time.perf_counter()
    w = set_windows(meta)[0]
    a = analyze(w.blocks(blocks), w.exercise, "right")
    t2 = time.perf_counter()
    for _ in range(10):
        decimate(a.t_s, a.dorsiflexion_rad, 2000)
    t3 = time.perf_counter()
    print(
        f"server parts: read folder {t1 - t0:.2f} s ({len(blocks['shin'])} samples per sensor), analyse "
        f"{t2 - t1:.2f} s ({a.rep_count} reps, {len(a.t_s)} angles), decimate to 2000 points "
        f"{1000 * (t3 - t2) / 10:.1f} ms"
    )


def main() -> None:
    """Print the medians of time to first drawn trace (cold and warm cache) and of zoom to redrawn trace."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from dashboard import session_index
    from dashboard.live_feed import LiveFeed
    from dashboard.session_view import VIEWS, view_file

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        sid = _session(data_dir, args.minutes)
        _server_parts(data_dir, sid)
        feed = LiveFeed(data_dir, side="right", emulated=True)
        opened: dict[str, list[float]] = {"indexed": [], "warm": [], "never analysed": []}
        zoom_s, reset_s = [], []
        try:
            with serve_dashboard(feed) as url, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
                page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
                page.goto(f"{url}/sessions")  # warm the browser's cache of the app's scripts
                page.wait_for_selector("#sessions-rows")
                kept = view_file(session_index.session_folder(data_dir, sid))
                for case in ("never analysed", "indexed", "warm") * args.repeats:
                    if case != "warm":
                        VIEWS.clear()
                    if case == "never analysed":
                        kept.unlink(missing_ok=True)
                    page.goto("about:blank")
                    t0 = time.perf_counter()
                    page.goto(f"{url}/sessions?session={sid}")
                    page.wait_for_function(_DRAWN_JS, timeout=120_000)
                    opened[case].append(time.perf_counter() - t0)
                page.wait_for_timeout(500)
                box = page.locator("#sessions-graph .nsewdrag").first.bounding_box()
                assert box is not None
                y = box["y"] + box["height"] / 2
                for k in range(args.repeats + 2):
                    before = page.evaluate(_STATE_JS)
                    a = 0.1 + 0.1 * (k % 7)
                    page.mouse.move(box["x"] + a * box["width"], y)
                    page.mouse.down()
                    page.mouse.move(box["x"] + (a + 0.1) * box["width"], y, steps=4)
                    t0 = time.perf_counter()
                    page.mouse.up()
                    page.wait_for_function(_ZOOMED_JS, arg=before, timeout=30_000)
                    zoom_s.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    page.mouse.dblclick(box["x"] + 0.5 * box["width"], y)
                    page.wait_for_function(_RESET_JS, arg=before["range"], timeout=30_000)
                    page.wait_for_function(
                        "() => document.getElementById('sessions-graph-status').innerText.includes('whole')"
                    )
                    reset_s.append(time.perf_counter() - t0)
                browser.close()
        finally:
            feed.stop()

    def ms(xs: list[float]) -> str:
        lo, mid, hi = (round(1000 * v) for v in (min(xs), statistics.median(xs), max(xs)))
        return f"median {mid} ms (min {lo}, max {hi}, n={len(xs)})"

    for case, times in opened.items():
        print(f"first drawn trace, {case}: {ms(times)}")
    print(f"zoom to re-decimated trace drawn: {ms(zoom_s)}")
    print(f"double-click reset to whole session drawn: {ms(reset_s)}")


if __name__ == "__main__":
    main()

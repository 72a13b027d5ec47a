"""Benchmark: sample leaving the emulated sensor -> its angle drawn on the Live page, beside a bare Dash page.

Run: .venv/bin/python -m tests.benchmarks.bench_live_latency [--seconds 30]

Method
------
Everything runs in one process on one machine, so Python's ``time.time()`` and the browser's ``Date.now()`` read
the same wall clock (the run checks that a browser reading falls between two Python readings).

Live page. A LiveFeed streams the emulated shin and foot sensors (virtual radio, bleak, BleSource, recorder,
pipeline) and the real dashboard app serves it to headless Debian chromium (Playwright), polling at the Live page's
own fast interval.

- Start: each emulated sensor's ``_encode`` is wrapped (on the instance, in this process only) to note the wall
  time at which it builds a samples notification, keyed by the sensor time of the notification's last sample.
  This is the send time: the notification goes out right after on the virtual radio. The time a sample waits in
  the sensor for its notification's batch (at most one notification interval, 20 ms) is not counted.
- Link: ``LiveFeed._on_block`` is wrapped (instance only) to find, for each block, the send time of the
  notification that carried it (the block's last ``t_sensor_s``), and to note it for every trace point that
  block completed, keyed by the point's session time in whole ms (as the trace message sends it). A point's start
  is therefore the send time of the last notification it waited for. The feed's own stamp
  (``stamp_wall_s``, shown in the page's hidden ``live-stamp`` span) is the block's arrival at the feed; it is
  noted too, to split the latency into sensor -> feed and feed -> painted.
- End: a hook in the page listens to the trace canvas's ``dorsi-trace-drawn`` event (dispatched by
  dashboard/assets/live_trace.js once it has drawn the update), takes the new x values since the last one and
  notes ``Date.now()`` in a task queued from the next ``requestAnimationFrame``, i.e. once the frame carrying
  the update has been produced. Only points with an angle (not the line breaks of a missing sample) count.
- "Newest sample per update": the newest point of each drawn update (the one an update is made for, as in the
  bare page below). "Every drawn sample": all points of each update; older points of an update also waited in
  the feed's ring for the next poll, so this adds up to one poll interval.
- Breakdown of the newest sample's path: sent -> reached the feed (the feed's stamp); the poll's round trip and
  response -> plot drawn come from a wrapper of the page's ``fetch`` (the last fast-poll answer before the
  drawn update), and plot drawn -> frame produced.
- Measuring starts WARM_UP_S after the hook is in place: the first poll after a page load carries every point
  since the layout was built (seconds of them) and is not a steady-state update.

Bare Dash page. A tiny Dash app built here (``dcc.Interval`` at the same interval, one callback returning the
server's ``time.time()`` as text) on the same threaded werkzeug server; a MutationObserver notes ``Date.now()``
the same way (next animation frame, then a task). Latency = painted - the server's time in the response. It runs
first, with no feed streaming, so the server and the browser only poll and draw one number.

Limits: headless chromium without a GPU or display: "painted" is the frame produced, not light on a screen.
``Date.now()`` has 1 ms resolution. The emulated radio has no air time, so the sensor -> feed part is the
host's decoding, clock mapping, recording and processing only. The bare page and the Live page run one after the
other, not interleaved, on a machine that may be shared (the load average is printed); compare them within one
run. CPU figures are for this process (server, feed) and its child processes (Playwright's driver, chromium).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from dashboard.live_feed import LiveFeed
    from sensors.samples import SampleBlock

TARGET_P95_MS = 100.0
BARE_STAMP_ID = "bare-stamp"
BARE_INTERVAL_ID = "bare-interval"
LIVE_GRAPH_ID = "live-angle-graph"
CALIBRATED_TIMEOUT_S = 60.0
WARM_UP_S = 2.0  # after the hook is in place, before measuring
SENSOR_TIME_TOLERANCE_S = 1e-4  # sensor times travel as whole microseconds

# Notes the new x values of each drawn update of the live trace and when the frame carrying it was produced.
_LIVE_HOOK_JS = """
(graphId) => {
    const canvas = document.getElementById(graphId);
    const rec = {updates: [], lastX: -Infinity};
    const x0 = window.dorsiTraces[graphId].x;
    if (x0.length) { rec.lastX = x0[x0.length - 1]; }
    window.__dorsiLatency = rec;
    const fetch0 = window.fetch;
    window.fetch = function(url, init) {
        const fast = init && typeof init.body === 'string' && init.body.includes('live-stamp');
        const sentMs = Date.now();
        const answer = fetch0.apply(this, arguments);
        if (fast) { answer.then(() => { rec.sentMs = sentMs; rec.answerMs = Date.now(); }); }
        return answer;
    };
    canvas.addEventListener('dorsi-trace-drawn', () => {
        const x = window.dorsiTraces[graphId].x, y = window.dorsiTraces[graphId].y;
        if (!x.length || x[x.length - 1] <= rec.lastX) { return; }
        const fresh = [];
        for (let i = x.length - 1; i >= 0 && x[i] > rec.lastX; i--) {
            if (y[i] !== null && y[i] !== undefined) { fresh.push(x[i]); }
        }
        rec.lastX = x[x.length - 1];
        const stamp = document.getElementById('live-stamp').textContent;
        const sentMs = rec.sentMs, answerMs = rec.answerMs, plotMs = Date.now();
        requestAnimationFrame(() => setTimeout(() => rec.updates.push({xs: fresh, stamp: stamp, sentMs: sentMs,
            answerMs: answerMs, plotMs: plotMs, paintMs: Date.now()}), 0));
    });
    return true;
}
"""
# Notes each new server time shown by the bare page and when the frame carrying it was produced.
_BARE_HOOK_JS = """
(stampId) => {
    const el = document.getElementById(stampId);
    const rec = {updates: []};
    window.__dorsiLatency = rec;
    new MutationObserver(() => {
        const stamp = el.textContent;
        requestAnimationFrame(() => setTimeout(() => rec.updates.push({stamp: stamp, paintMs: Date.now()}), 0));
    }).observe(el, {childList: true, characterData: true, subtree: true});
    return true;
}
"""
_TAKE_JS = "() => { const r = window.__dorsiLatency; const u = r.updates; r.updates = []; return u; }"


@dataclass
class Series:
    """Latencies of one measured path, ms."""

    name: str
    latency_ms: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of measurements."""
        return len(self.latency_ms)

    def median_ms(self) -> float:
        """Median latency, ms (NaN when empty)."""
        return float(statistics.median(self.latency_ms)) if self.latency_ms else float("nan")

    def p95_ms(self) -> float:
        """95th percentile latency, ms (linear interpolation; NaN when empty)."""
        return float(np.percentile(self.latency_ms, 95)) if self.latency_ms else float("nan")

    def max_ms(self) -> float:
        """Largest latency, ms (NaN when empty)."""
        return float(max(self.latency_ms)) if self.latency_ms else float("nan")


@dataclass
class Result:
    """What one run measured."""

    interval_ms: int
    bare: Series
    live_newest: Series
    live_all: Series
    sensor_to_feed: Series
    feed_to_paint: Series
    round_trip: Series
    browser_draw: Series
    frame: Series
    live_updates: int = 0  # drawn updates of the live trace with at least one point
    unmatched_points: int = 0  # drawn points whose send time was not found
    stamp_mismatches: int = 0  # updates whose live-stamp was not the newest point's arrival at the feed
    cpu_pct: dict[str, float] = field(default_factory=dict)  # "bare"/"live" x "server"/"children", % of one core


class SendTimes:
    """Send times of the emulated sensors' notifications, and per trace point the send time it waited for.

    Written only from the feed's event-loop thread (inside the wrapped ``_on_block``); read after the run.
    """

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed
        self.packets: dict[str, deque[tuple[float, float]]] = {}  # role -> (last sample's sensor time, send wall s)
        self.points: dict[int, tuple[float, float]] = {}  # point t in ms -> (send wall s, arrival wall s)
        self.unmatched_blocks = 0
        self._wrapped: set[int] = set()
        original = feed._on_block

        def on_block(block: SampleBlock) -> None:
            self._wrap_sensors()
            send_s = self._send_time_s(block)
            with feed._lock:
                before = feed._count
            original(block)
            if send_s is None:
                self.unmatched_blocks += 1
                return
            with feed._lock:
                new = [p for p in feed._points if p[0] > before]
            for _, t_s, _angle, arrival_s in new:
                self.points[round(t_s * 1000.0)] = (send_s, arrival_s)

        feed._on_block = on_block  # type: ignore[method-assign]

    def _wrap_sensors(self) -> None:
        for role, sensor in self.feed._emulated_sensors.items():
            if id(sensor) in self._wrapped:
                continue
            self._wrapped.add(id(sensor))
            log = self.packets.setdefault(role, deque(maxlen=2000))
            encode = sensor._encode

            def noted(
                first_n: int,
                sensor_s: Any,
                acc: Any,
                gyr: Any,
                encode: Callable[..., bytes] = encode,
                log: deque[tuple[float, float]] = log,
            ) -> bytes:
                data = encode(first_n, sensor_s, acc, gyr)
                log.append((float(sensor_s[-1]), time.time()))
                return data

            sensor._encode = noted

    def _send_time_s(self, block: SampleBlock) -> float | None:
        log = self.packets.get(block.role)
        sensor_t = block.t_sensor_s if block.t_sensor_s is not None else block.t_s
        if not log or len(sensor_t) == 0:
            return None
        last = float(sensor_t[-1])
        for t, send_s in reversed(log):
            if abs(t - last) <= SENSOR_TIME_TOLERANCE_S:
                return send_s
            if t < last - 1.0:
                break
        return None

    def lookup(self, x_s: float) -> tuple[float, float] | None:
        """(send wall s, arrival wall s) of the point drawn at x = `x_s` (session time, s), or None."""
        key = round(x_s * 1000.0)
        return self.points.get(key) or self.points.get(key - 1) or self.points.get(key + 1)


class _CpuMeter:
    """CPU time of this process and of its descendants (Playwright's driver and chromium), from /proc."""

    def __init__(self) -> None:
        self.tick_s = 1.0 / os.sysconf("SC_CLK_TCK")

    def _times(self) -> tuple[float, float]:
        parent: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) * self.tick_s
        me = os.getpid()
        children = 0.0
        for pid in cpu:
            p = parent.get(pid, 0)
            while p > 1 and p != me:
                p = parent.get(p, 0)
            if p == me and pid != me:
                children += cpu[pid]
        return time.process_time(), children

    @contextmanager
    def measure(self, into: dict[str, float], prefix: str) -> Iterator[None]:
        own0, kids0 = self._times()
        wall0 = time.perf_counter()
        yield
        own1, kids1 = self._times()
        wall_s = max(1e-9, time.perf_counter() - wall0)
        into[f"{prefix} server"] = 100.0 * (own1 - own0) / wall_s
        into[f"{prefix} children"] = 100.0 * (kids1 - kids0) / wall_s


def bare_app(interval_ms: int) -> Any:
    """A Dash page that only polls every `interval_ms` and shows the server's ``time.time()`` as text."""
    import dash
    from dash import Input, Output, dcc, html

    app = dash.Dash(__name__, use_pages=False, serve_locally=True, update_title=None)  # type: ignore[arg-type]
    app.layout = html.Main(
        [
            html.Span("", id=BARE_STAMP_ID),
            dcc.Interval(id=BARE_INTERVAL_ID, interval=interval_ms),
        ]
    )

    @app.callback(Output(BARE_STAMP_ID, "children"), Input(BARE_INTERVAL_ID, "n_intervals"))  # type: ignore[untyped-decorator]
    def stamp(_n: int | None) -> str:
        return f"{time.time():.4f}"

    return app


def _collect(page: Page, seconds: float) -> list[dict[str, Any]]:
    page.wait_for_timeout(1000.0 * WARM_UP_S)
    page.evaluate(_TAKE_JS)  # the first update after a page load carries the points since its layout: skip
    updates: list[dict[str, Any]] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        page.wait_for_timeout(min(1000.0, max(1.0, 1000.0 * (end - time.perf_counter()))))
        updates += page.evaluate(_TAKE_JS)
    page.wait_for_timeout(200)  # the last frame's note
    updates += page.evaluate(_TAKE_JS)
    return updates


def _check_clocks(page: Page) -> None:
    before = time.time()
    browser_ms = float(page.evaluate("() => Date.now()"))
    after = time.time()
    if not before * 1000.0 - 2.0 <= browser_ms <= after * 1000.0 + 2.0:
        raise RuntimeError(f"browser clock {browser_ms:.0f} ms is not between {before * 1e3:.0f} and {after * 1e3:.0f}")


def measure_bare(browser: Browser, seconds: float, interval_ms: int, result: Result, cpu: _CpuMeter) -> None:
    """Measure the bare page for `seconds` into ``result.bare``."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    with serve_app(bare_app(interval_ms)) as url:
        page.goto(url)
        page.wait_for_function(
            f"() => {{ const el = document.getElementById('{BARE_STAMP_ID}'); return el !== null && el.textContent; }}"
        )
        _check_clocks(page)
        page.evaluate(_BARE_HOOK_JS, BARE_STAMP_ID)
        with cpu.measure(result.cpu_pct, "bare"):
            updates = _collect(page, seconds)
    page.context.close()
    result.bare.latency_ms += [u["paintMs"] - 1000.0 * float(u["stamp"]) for u in updates if u["stamp"]]


def wait_calibrated(feed: LiveFeed, timeout_s: float = CALIBRATED_TIMEOUT_S) -> None:
    """Wait until the feed streams angles (connected and calibrated)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        snap = feed.snapshot(0)
        if snap["state"] == "streaming" and snap["angle_rad"] is not None:
            return
        if snap["state"] in ("error", "stopped"):
            raise RuntimeError(f"the feed stopped: {snap['message']}")
        time.sleep(0.1)
    raise RuntimeError(f"no calibrated angle within {timeout_s:.0f} s: {feed.snapshot(0)['status']}")


def measure_live(browser: Browser, seconds: float, data_dir: Path, result: Result, cpu: _CpuMeter) -> None:
    """Measure the Live page for `seconds` into ``result.live_*``."""
    from dashboard.app import create_app
    from dashboard.live_feed import LiveFeed

    feed = LiveFeed(data_dir, side="right", emulated=True)
    sends = SendTimes(feed)
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    try:
        app = create_app(feed)
        live_interval_ms = int(sys.modules["dashboard.pages.live"].FAST_INTERVAL_MS)
        if live_interval_ms != result.interval_ms:
            raise RuntimeError(f"the Live page polls every {live_interval_ms} ms, the bare page {result.interval_ms}")
        with serve_app(app) as url:
            feed.connect()
            wait_calibrated(feed)
            page.goto(f"{url}/live")
            page.wait_for_function(
                f"""() => {{ const tr = (window.dorsiTraces || {{}})['{LIVE_GRAPH_ID}'];
                    return tr !== undefined && tr.x.length > 0; }}""",
                timeout=30_000,
            )
            _check_clocks(page)
            page.evaluate(_LIVE_HOOK_JS, LIVE_GRAPH_ID)
            with cpu.measure(result.cpu_pct, "live"):
                updates = _collect(page, seconds)
    finally:
        page.context.close()
        feed.stop()
    for u in updates:
        xs: list[float] = [float(x) for x in u["xs"]]
        if not xs:
            continue
        result.live_updates += 1
        paint_ms = float(u["paintMs"])
        found = {x: sends.lookup(x) for x in xs}
        result.unmatched_points += sum(v is None for v in found.values())
        for got in found.values():
            if got is not None:
                result.live_all.latency_ms.append(paint_ms - 1000.0 * got[0])
        newest = found[max(xs)]
        if newest is None:
            continue
        send_s, arrival_s = newest
        result.live_newest.latency_ms.append(paint_ms - 1000.0 * send_s)
        result.sensor_to_feed.latency_ms.append(1000.0 * (arrival_s - send_s))
        result.feed_to_paint.latency_ms.append(paint_ms - 1000.0 * arrival_s)
        if not u["stamp"] or abs(float(u["stamp"]) - arrival_s) > 1e-3:
            result.stamp_mismatches += 1
        if u.get("sentMs") is not None and u.get("answerMs") is not None:
            result.round_trip.latency_ms.append(float(u["answerMs"]) - float(u["sentMs"]))
            result.browser_draw.latency_ms.append(float(u["plotMs"]) - float(u["answerMs"]))
        result.frame.latency_ms.append(paint_ms - float(u["plotMs"]))


def run(seconds: float, data_dir: Path, interval_ms: int | None = None) -> Result:
    """Measure the bare page, then the Live page, each for `seconds`, in one headless chromium.

    Parameters
    ----------
    seconds : measuring time per page, s (connecting and calibrating the emulated sensors come on top).
    data_dir : data directory for the live feed's recording.
    interval_ms : poll interval of the bare page, ms; None: the Live page's (checked against it either way).

    Returns
    -------
    Result : the latencies and counts.
    """
    from playwright.sync_api import sync_playwright

    if interval_ms is None:
        interval_ms = _live_interval_ms()
    result = Result(
        interval_ms=interval_ms,
        bare=Series("bare Dash page: server time -> painted"),
        live_newest=Series("Live page: newest sample of each update, sent -> painted"),
        live_all=Series("Live page: every drawn sample, sent -> painted"),
        sensor_to_feed=Series("  newest sample: sent -> reached the feed"),
        feed_to_paint=Series("  newest sample: reached the feed -> painted"),
        round_trip=Series("    of which: poll request -> response (server)"),
        browser_draw=Series("    of which: response -> plot drawn (browser)"),
        frame=Series("    of which: plot drawn -> frame produced"),
    )
    cpu = _CpuMeter()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            measure_bare(browser, seconds, interval_ms, result, cpu)
            measure_live(browser, seconds, data_dir, result, cpu)
        finally:
            browser.close()
    return result


def _live_interval_ms() -> int:
    """The Live page's fast poll interval, read from its source (importing the page needs a Dash app first)."""
    import ast

    import dashboard

    source = (Path(dashboard.__file__).parent / "pages" / "live.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "FAST_INTERVAL_MS" for t in node.targets):
            return int(ast.literal_eval(node.value))
    raise RuntimeError("FAST_INTERVAL_MS not found in dashboard/pages/live.py")


def report(result: Result, seconds: float) -> str:
    """The result as a short table."""
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        f"poll interval {result.interval_ms} ms (the Live page's), {seconds:g} s per page, {os.cpu_count()} cores, "
        f"load average at the end {load}",
        f"{'path':<58}{'n':>6}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}",
    ]
    for s in (
        result.bare,
        result.live_newest,
        result.live_all,
        result.sensor_to_feed,
        result.feed_to_paint,
        result.round_trip,
        result.browser_draw,
        result.frame,
    ):
        lines.append(f"{s.name:<58}{s.n:>6}{s.median_ms():>11.1f}{s.p95_ms():>9.1f}{s.max_ms():>9.1f}")
    b, n = result.bare, result.live_newest
    lines.append(
        f"ratio Live (newest) / bare: median {n.median_ms() / b.median_ms():.2f}, p95 {n.p95_ms() / b.p95_ms():.2f}"
    )
    lines.append(
        f"live updates drawn {result.live_updates}, points without a send time {result.unmatched_points}, "
        f"live-stamp not the newest point's arrival {result.stamp_mismatches}"
    )
    cpu = ", ".join(f"{k} {v:.0f} %" for k, v in result.cpu_pct.items())
    lines.append(f"CPU (% of one core; children = Playwright driver + chromium): {cpu}")
    verdict = "met" if n.p95_ms() < TARGET_P95_MS else "NOT met"
    lines.append(f"target p95 < {TARGET_P95_MS:.0f} ms (newest sample per update): {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=30.0, help="measuring time per page, s (default 30)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.seconds, Path(tmp) / "data")
    print(report(result, args.seconds))
    print(f"benchmark took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

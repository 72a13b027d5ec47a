"""Soak benchmark: hours of two emulated sensors at 200 Hz through bleak over Bumble, the recorder and the pipeline.

Run: .venv/bin/python -m tests.benchmarks.bench_soak [--hours 8] [--rate-hz 200] [--model dorsi]

What runs is the live path of `dorsi record --emulated`, unchanged: two emulated sensors (Bumble GATT servers on
the virtual radio, driven by the endless demo routine) -> bleak's public API on the Bumble backend ->
`BleSource` (notification queues, decoders, sequence checks, clock alignment) -> `Recorder` (rows to disk,
fsync) and `Pipeline` (calibration, orientation, angles, exercise analysis), block by block as `LiveFeed` does.

What is accelerated, and why that is honest: the asyncio event loop runs on a virtual clock. Whenever every
task is waiting for a timer (the emulated sensors' next sampling instant, Bumble's timers), the loop jumps its
clock to that timer instead of sleeping. Every byte still crosses the same code - the sensors encode each
notification, Bumble carries it over ATT/L2CAP/HCI, bleak delivers it, BleSource decodes and aligns it, the
recorder writes it and the pipeline processes it - only the idle waiting between notifications is skipped, so
8 hours of streaming take as long as the CPU needs for that work. The sensors' clocks, the host arrival times
and the session clock all read the same virtual clock (BleSource takes the loop's clock), so timestamps,
drift fits and the analysers see the same numbers a real-time run would. Not covered by acceleration: radio
timing and host scheduling jitter (the emulation has neither anyway; see DESIGN section 4), and the
recorder's background flush thread, which runs on wall time (it flushes less often per virtual second, which
makes the memory figure pessimistic, not optimistic).

Checks: every sample the sensors sent arrived (source), was written (rows on disk) and was processed by the
pipeline - samples in == samples recorded == samples processed; resident memory sampled every virtual minute
stays flat (start, peak, end, and the growth over the second half) and under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import selectors
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from processing.pipeline import Pipeline
from sensors.ble.emulated_sensor import EmulatedSensor
from sensors.ble.virtual_radio import VirtualRadio
from sensors.ble_source import BleSource, SourceEvent
from sensors.emulated_rig import EMULATED_CLOCK_DRIFT_PPM, EMULATED_CLOCK_OFFSET_S, EMULATED_NAMES, LEAD_S
from sensors.recorder import Recorder, raw_samples_file
from sensors.samples import ROLES, Role, SampleBlock
from sensors.simulator import demo_routine

MAX_RSS_MB = 300.0
TABLE_RATE_HZ = 400.0


class PeriodicMotion:
    """One period of a repeating MotionSource, tabulated once and interpolated (the stimulus, made cheap).

    Sampling the body model costs about 3 ms per notification, more than everything under test together; the
    demo routine repeats every `period_s`, so one period at TABLE_RATE_HZ (float32, about 8 MB per sensor)
    gives the same signal to well within the sensors' quantisation for the smooth motions of the routine.
    """

    duration_s = None

    def __init__(self, motion: Any, period_s: float) -> None:
        self.period_s = period_s
        t = np.arange(0.0, period_s + 1.0 / TABLE_RATE_HZ, 1.0 / TABLE_RATE_HZ)
        acc, gyr = motion.sample(t)
        self._t = t
        self._table = np.hstack([acc, gyr]).astype(np.float32)

    def sample(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Acc (N, 3) m/s^2 and gyr (N, 3) rad/s at true times t_s, s."""
        pos = np.mod(np.asarray(t_s, dtype=np.float64), self.period_s) * TABLE_RATE_HZ
        i = np.minimum(pos.astype(np.int64), len(self._t) - 2)
        w = (pos - i)[:, None]
        out = self._table[i] * (1.0 - w) + self._table[i + 1] * w
        return out[:, :3], out[:, 3:]


class _SkipIdleSelector(selectors.DefaultSelector):
    """A selector that, instead of sleeping until the next timer, moves the loop's virtual clock to it."""

    def __init__(self, loop: VirtualClockLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            return super().select(1.0)  # nothing scheduled: only another thread can wake the loop
        self._loop.advance(timeout)
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose clock jumps over idle waits (see the module docstring)."""

    def __init__(self) -> None:
        self._virtual_s = 1000.0
        super().__init__(_SkipIdleSelector(self))

    def time(self) -> float:
        """Virtual time now, s."""
        return self._virtual_s

    def advance(self, dt_s: float) -> None:
        """Move the clock forward by dt_s."""
        self._virtual_s += max(0.0, dt_s)


def rss_mb() -> float:
    """Resident memory of this process now, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_rows(path: Path) -> int:
    """Data rows of a raw samples file (lines minus the header)."""
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            n += chunk.count(b"\n")
    return n - 1


async def soak(
    hours: float, rate_hz: int, data_dir: Path, *, seed: int = 0, quiet: bool = False, wall_limit_s: float = np.inf
) -> dict[str, Any]:
    """Stream `hours` of virtual time; returns the counts and memory figures (see the module docstring)."""
    loop = asyncio.get_running_loop()
    radio = VirtualRadio()
    routine = demo_routine(seed, side="right")
    epoch_s = loop.time() + LEAD_S
    sensors: dict[Role, EmulatedSensor] = {}
    for role in ROLES:
        sensors[role] = EmulatedSensor(
            radio,
            EMULATED_NAMES[role],
            PeriodicMotion(routine.motion(role), routine.period_s),
            clock_offset_s=EMULATED_CLOCK_OFFSET_S[role],
            clock_drift_ppm=EMULATED_CLOCK_DRIFT_PPM[role],
            epoch_s=epoch_s,
        )
        await sensors[role].start()
    source = BleSource(
        EMULATED_NAMES["shin"],
        EMULATED_NAMES["foot"],
        rate_hz=rate_hz,
        scanner_backend=radio.scanner_backend,
        client_backend=radio.client_backend,
        clock=loop.time,
    )
    pipeline = Pipeline("band_mobilisation", "right")
    recorder: Recorder | None = None
    received = dict.fromkeys(ROLES, 0)
    processed = dict.fromkeys(ROLES, 0)
    last_t = dict.fromkeys(ROLES, float("-inf"))
    events: list[SourceEvent] = []
    rss: list[tuple[float, float]] = []
    duration_s = hours * 3600.0
    wall0 = time.perf_counter()
    next_sample_s = 0.0
    gc.collect()
    rss0 = rss_mb()
    stream = source.stream()
    try:
        async for item in stream:
            if isinstance(item, SourceEvent):
                events.append(item)
                continue
            block: SampleBlock = item
            if recorder is None:
                meta = {r: {"name": EMULATED_NAMES[r], "profile": "dorsi", "rate_hz": rate_hz} for r in ROLES}
                recorder = Recorder.create(data_dir, "right", meta, demo=True)
                recorder.start_set("band_mobilisation", float(block.t_s[0]))
            received[block.role] += len(block)
            recorder.write(block)
            assert float(block.t_s[0]) > last_t[block.role], "session times went back"
            last_t[block.role] = float(block.t_s[-1])
            pipeline.step(block)
            processed[block.role] += len(block)
            now_s = source.now_s()
            if now_s >= next_sample_s:
                rss.append((now_s, rss_mb()))
                next_sample_s += 60.0
                if not quiet and len(rss) % 10 == 1:
                    print(
                        f"  {now_s / 3600:5.2f} h virtual, {time.perf_counter() - wall0:7.0f} s wall, "
                        f"RSS {rss[-1][1]:.0f} MB, received {received}, processed {processed}, "
                        f"queued for disk {recorder.samples_written}",
                        flush=True,
                    )
            if now_s >= duration_s or time.perf_counter() - wall0 > wall_limit_s:
                break
    finally:
        await source.stop()
        async for item in stream:  # what the source drained on stopping
            if isinstance(item, SampleBlock) and recorder is not None:
                received[item.role] += len(item)
                recorder.write(item)
                pipeline.step(item)
                processed[item.role] += len(item)
        for sensor in sensors.values():
            await sensor.stop()
        await radio.close()
        if recorder is not None:
            recorder.close(source.now_s())
    pipeline.finish()
    sent = {r: sensors[r].samples_sent for r in ROLES}
    assert recorder is not None
    recorded = {r: count_rows(recorder.path / raw_samples_file(r)) for r in ROLES}
    lost = {r: source.counters[r].lost_samples for r in ROLES}
    rss_values = [m for _, m in rss]
    half = rss_values[len(rss_values) // 2 :] or rss_values
    return {
        "virtual_h": source.now_s() / 3600.0,
        "wall_s": time.perf_counter() - wall0,
        "sent": sent,
        "received": received,
        "recorded": recorded,
        "processed": processed,
        "lost_in_link": lost,
        "source_events": [(e.role, e.kind) for e in events],
        "rep_count": pipeline.rep_count,
        "rss_before_mb": rss0,
        "rss_start_mb": rss_values[0] if rss_values else rss0,
        "rss_peak_mb": max(rss_values, default=rss0),
        "rss_end_mb": rss_values[-1] if rss_values else rss0,
        "rss_second_half_growth_mb": (half[-1] - half[0]) if half else 0.0,
        "rss_series": rss,
        "session": str(recorder.path),
    }


def run_soak(
    hours: float, rate_hz: int = 200, data_dir: Path | None = None, quiet: bool = False, wall_limit_s: float = np.inf
) -> dict[str, Any]:
    """Run `soak` on a fresh virtual-clock loop (in a temporary data directory unless one is given)."""
    loop = VirtualClockLoop()
    try:
        if data_dir is not None:
            return loop.run_until_complete(soak(hours, rate_hz, data_dir, quiet=quiet, wall_limit_s=wall_limit_s))
        with tempfile.TemporaryDirectory() as tmp:
            return loop.run_until_complete(soak(hours, rate_hz, Path(tmp), quiet=quiet, wall_limit_s=wall_limit_s))
    finally:
        loop.close()


def main() -> int:
    """Run the soak and print its figures; exit 1 when a sample went missing or memory grew past the limit."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--rate-hz", type=int, default=200)
    ap.add_argument("--wall-limit-s", type=float, default=np.inf, help="stop early after this much wall time")
    args = ap.parse_args()
    print(f"soak: {args.hours:g} h of two dorsi sensors at {args.rate_hz} Hz, virtual clock", flush=True)
    r = run_soak(args.hours, args.rate_hz, wall_limit_s=args.wall_limit_s)
    print(f"virtual {r['virtual_h']:.2f} h in {r['wall_s']:.0f} s wall ({r['virtual_h'] * 3600 / r['wall_s']:.1f}x)")
    for key in ("sent", "received", "recorded", "processed", "lost_in_link"):
        print(f"  samples {key:>12}: {r[key]}")
    print(f"  source events: {r['source_events']}")
    print(f"  reps counted: {r['rep_count']}")
    print(
        f"  RSS MB: before streaming {r['rss_before_mb']:.0f}, start {r['rss_start_mb']:.0f}, "
        f"peak {r['rss_peak_mb']:.0f}, end {r['rss_end_mb']:.0f}, "
        f"growth over the second half {r['rss_second_half_growth_mb']:+.1f}"
    )
    # the sensors may have sent a last notification that was still in flight when the source stopped
    ok = all(r["received"][x] == r["recorded"][x] == r["processed"][x] for x in ROLES)
    ok = ok and all(0 <= r["sent"][x] - r["received"][x] <= 8 for x in ROLES)
    ok = ok and all(v == 0 for v in r["lost_in_link"].values()) and r["rss_peak_mb"] < MAX_RSS_MB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""`dorsi record`: stream the two sensors into a session folder, with live counters and reps on the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from processing.pipeline import Pipeline
from sensors.ble_source import BleSource, SourceEvent
from sensors.emulated_rig import EMULATED_NAMES, EmulatedRig
from sensors.recorder import Recorder
from sensors.samples import ROLES, SampleBlock

STATUS_INTERVAL_S = 5.0


@contextlib.asynccontextmanager
async def _backends(emulated: bool, side: str) -> AsyncIterator[tuple[Any, Any]]:
    if emulated:
        async with EmulatedRig(side=side) as rig:  # type: ignore[arg-type]
            yield rig.scanner_backend, rig.client_backend
    else:
        yield None, None


async def record_session(
    data_dir: Path,
    *,
    emulated: bool,
    shin: str | None,
    foot: str | None,
    side: str,
    exercise: str | None,
    rate_hz: int,
    duration_s: float | None,
    stop: asyncio.Event,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Record until `stop` is set or duration_s has passed; returns a summary of what was written."""
    shin = shin or EMULATED_NAMES["shin"]
    foot = foot or EMULATED_NAMES["foot"]
    pipeline = Pipeline(exercise, side) if exercise else None  # type: ignore[arg-type]
    sensors_meta = {
        role: {"name": name, "profile": "dorsi", "rate_hz": rate_hz, "emulated": emulated}
        for role, name in (("shin", shin), ("foot", foot))
    }
    # the data directory is checked before any sensor is touched
    recorder = Recorder.create(data_dir, side, sensors_meta, demo=emulated)
    log(f"recording session {recorder.session_id} in {recorder.path}")
    async with _backends(emulated, side) as (scanner_backend, client_backend):
        source = BleSource(
            shin, foot, rate_hz, scanner_backend=scanner_backend, client_backend=client_backend
        )
        started = time.monotonic()
        last_status = started
        last_t_s = 0.0

        async def stopper() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=duration_s)
            await source.stop()

        stop_task = asyncio.create_task(stopper())
        try:
            async for item in source.stream():
                if isinstance(item, SampleBlock):
                    if exercise and not recorder.metadata["sets"]:
                        recorder.start_set(exercise, float(item.t_s[0]))
                    recorder.write(item)
                    last_t_s = max(last_t_s, float(item.t_s[-1]))
                    if pipeline is not None:
                        for ev in pipeline.step(item).events:
                            log(_describe(ev.kind, ev.t_s, ev.data, pipeline.rep_count))
                elif isinstance(item, SourceEvent):
                    log(f"{item.t_s:8.2f} s  {item.role}: {item.kind} {item.detail or ''}")
                    if item.kind == "gap":
                        recorder.mark_gap(item.role, item.detail["start_s"], item.detail["end_s"])
                now = time.monotonic()
                if now - last_status >= STATUS_INTERVAL_S:
                    last_status = now
                    log(_status_line(source, pipeline))
        finally:
            stop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stop_task
            recorder.close(t_s=last_t_s)
    counters = {role: vars(source.counters[role]).copy() for role in ROLES}
    return {
        "session_id": recorder.session_id,
        "path": str(recorder.path),
        "duration_s": round(last_t_s, 2),
        "samples": dict(recorder.samples_written),
        "counters": counters,
        "rep_count": None if pipeline is None else pipeline.rep_count,
    }


def _status_line(source: BleSource, pipeline: Pipeline | None) -> str:
    parts = []
    for role in ROLES:
        c = source.counters[role]
        state = "connected" if c.connected else "DISCONNECTED"
        parts.append(f"{role}: {state}, {c.samples} samples, {c.lost_samples} lost, {c.malformed} malformed")
    if pipeline is not None:
        parts.append(f"{pipeline.status}; reps {pipeline.rep_count}")
    return " | ".join(parts)


def _describe(kind: str, t_s: float, data: dict[str, Any], reps: int) -> str:
    if kind == "rep":
        peak_deg = float(data["peak_dorsiflexion_rad"]) * 57.29577951308232
        flags = f" ({', '.join(data['flags'])})" if data.get("flags") else ""
        return f"{t_s:8.2f} s  rep {reps}: peak {peak_deg:.1f} deg{flags}"
    return f"{t_s:8.2f} s  {kind.replace('_', ' ')} {data.get('message', '')}".rstrip()

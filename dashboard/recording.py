"""`dorsi record`: the live feed without a browser, reporting counters, reps and events on the terminal."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dashboard.live_feed import LiveFeed
from sensors.recorder import RecorderError, check_data_dir
from sensors.samples import Role

POLL_S = 0.25
STATUS_INTERVAL_S = 5.0


class RecordingError(RuntimeError):
    """Streaming stopped on an error (the message says why, in words a person can act on)."""


def record_session(
    data_dir: Path,
    *,
    emulated: bool,
    shin: str | None,
    foot: str | None,
    side: str,
    exercise: str,
    rate_hz: int,
    duration_s: float | None,
    stop: threading.Event,
    log: Callable[[str], None],
    emulated_models: Mapping[Role, str] | None = None,
    heartbeat: bool = False,
) -> dict[str, Any]:
    """Record one set until `stop` is set or duration_s of streaming has passed; returns what was recorded.

    With `heartbeat`, logs ``heartbeat t_s=<session time of the newest sample recorded>`` every POLL_S
    (machine-readable progress for monitoring and the crash-safety tests).

    Raises
    ------
    RecordingError
        When the data directory cannot take a recording (checked before connecting), or streaming or
        writing stopped on an error; a recording stopped by a write error keeps what was written.
    """
    try:
        check_data_dir(data_dir)
    except RecorderError as e:
        raise RecordingError(str(e)) from e
    feed = LiveFeed(
        data_dir,
        side=side,  # type: ignore[arg-type]
        exercise=exercise,
        shin=shin,
        foot=foot,
        emulated=emulated,
        rate_hz=rate_hz,
        emulated_models=emulated_models,
    )
    seen_event = 0
    streaming_since: float | None = None
    last_status = time.monotonic()
    snap = feed.snapshot(0)
    try:
        feed.connect()
        while not stop.wait(POLL_S):
            snap = feed.snapshot(snap["cursor"])
            newest_t_s = snap["last_sample_t_s"]
            if heartbeat and newest_t_s is not None:
                log(f"heartbeat t_s={newest_t_s!r}")
            for ev in snap["events"]:
                if ev["seq"] > seen_event:
                    seen_event = ev["seq"]
                    at = "" if ev["t_s"] is None else f"{ev['t_s']:8.2f} s  "
                    log(f"{at}{ev['text']}")
            if snap["state"] == "error":
                raise RecordingError(snap["message"])
            now = time.monotonic()
            if snap["state"] == "streaming" and streaming_since is None:
                streaming_since = now
                log(f"recording session {snap['session_id']} in {feed.session_path}")
            if now - last_status >= STATUS_INTERVAL_S:
                last_status = now
                log(_status_line(snap))
            if streaming_since is not None and duration_s is not None and now - streaming_since >= duration_s:
                break
    finally:
        path = feed.session_path
        feed.stop()
    snap = feed.snapshot(snap["cursor"])
    return {
        "session_id": snap["session_id"],
        "path": None if path is None else str(path),
        "samples": {role: c.get("samples", 0) for role, c in snap["sensors"].items()},
        "counters": snap["sensors"],
        "rep_count": snap["rep_count"],
    }


def _status_line(snap: dict[str, Any]) -> str:
    parts = []
    for role, c in snap["sensors"].items():
        state = "connected" if c.get("connected") else "NOT CONNECTED"
        parts.append(
            f"{role}: {state}, {c.get('samples', 0)} samples, {c.get('lost_samples', 0)} lost, "
            f"{c.get('malformed', 0)} malformed"
        )
    angle = snap["angle_rad"]
    angle_text = "" if angle is None or not math.isfinite(angle) else f"; now {math.degrees(angle):.0f} deg"
    parts.append(f"{snap['status']}; reps {snap['rep_count']}{angle_text}")
    return " | ".join(parts)

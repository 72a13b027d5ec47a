"""Replay of a recorded session: each set's samples through a fresh Pipeline, with LiveFeed's snapshot()."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from dashboard.live_feed import event_text, rep_feedback
from dashboard.session_index import session_folder
from processing.events import Event
from processing.pipeline import Pipeline
from sensors.samples import ROLES, Role, SampleBlock
from sensors.sessions import SetWindow, load_session, set_windows

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)
MAX_EVENTS = 20


def session_path(data_dir: Path, session_id: str) -> Path:
    """The folder of a session named by its id only (never a path from the browser).

    Raises
    ------
    ValueError : an id that is not letters, digits and dashes, or no such session.
    """
    path = session_folder(data_dir, session_id)
    if not (path / "session.json").is_file():
        raise ValueError(f"no session {session_id}")
    return path


class ReplayFeed:
    """Plays a recorded session's sets through the live pipeline, at any speed, with seeking.

    Each set runs through its own Pipeline fed only with the samples the live pipeline saw (inside the set,
    outside its pauses: `SetWindow.blocks`), so its events are exactly those of the offline analysis of that
    set. `snapshot(cursor)` has LiveFeed.snapshot's keys, so the live view shows a replay like a live set.
    Thread-safe.

    Parameters
    ----------
    path : the session folder.
    display_rate_hz, window_s : as LiveFeed's trace.
    chunk_s : samples of each sensor are fed in pieces this long (any split gives the same result).
    """

    def __init__(self, path: Path, *, display_rate_hz: float = 50.0, window_s: float = 10.0, chunk_s: float = 0.1):
        meta, blocks = load_session(Path(path))
        self.session_id = str(meta.get("session_id") or Path(path).name)
        self.side = str(meta.get("leg", "right"))
        self.sets: list[SetWindow] = set_windows(meta)
        if not self.sets:
            raise ValueError("the session has no sets")
        self._blocks = blocks
        self.end_s = max(float(b.t_s[-1]) for b in blocks.values() if len(b))
        self.display_rate_hz = display_rate_hz
        self.window_s = window_s
        self.chunk_s = chunk_s
        self._lock = threading.Lock()
        self._points: deque[tuple[int, float, float]] = deque(maxlen=max(2, math.ceil(window_s * display_rate_hz)))
        self._count = 0
        self._epoch = 0
        self.speed = 1.0
        self.playing = False
        self._anchor: tuple[float, float] | None = None  # (wall monotonic, session time) while playing
        self._start_set(0)

    # ------------------------------------------------------------------ control

    def set_span(self, index: int) -> tuple[float, float]:
        """(start_s, end_s) of set `index` on the session clock (an open set ends with the recording)."""
        w = self.sets[index]
        return w.start_s, min(w.end_s, self.end_s)

    def play(self) -> None:
        """Play from the current position at `speed`."""
        with self._lock:
            self.playing = True
            self._anchor = (time.monotonic(), self.position_s)

    def pause(self) -> None:
        """Stop where the replay is."""
        self.tick()
        with self._lock:
            self.playing = False
            self._anchor = None

    def set_speed(self, speed: float) -> None:
        """Replay speed, 0.5x to 8x."""
        if not 0.5 <= speed <= 8.0:
            raise ValueError(f"speed must be 0.5 to 8, got {speed}")
        self.tick()
        with self._lock:
            self.speed = float(speed)
            if self.playing:
                self._anchor = (time.monotonic(), self.position_s)

    def seek(self, t_s: float, set_index: int | None = None) -> None:
        """Jump to session time t_s in set `set_index` (default: the current set): backwards, the set is
        processed again from its start up to t_s; forwards, processing goes on up to t_s."""
        index = self.set_index if set_index is None else int(set_index)
        if not 0 <= index < len(self.sets):
            raise ValueError(f"no set {index}")
        start, end = self.set_span(index)
        t = min(max(float(t_s), start), end)
        with self._lock:
            if index != self.set_index or t < self.position_s:
                self._start_set(index)
        self.advance_to(t)
        with self._lock:
            self._epoch += 1
            if self.playing:
                self._anchor = (time.monotonic(), self.position_s)

    def tick(self) -> None:
        """Advance by the wall time since the last tick times the speed (while playing)."""
        with self._lock:
            anchor, speed = self._anchor, self.speed
        if anchor is None:
            return
        target = anchor[1] + (time.monotonic() - anchor[0]) * speed
        self.advance_to(target)
        if self.finished:
            with self._lock:
                self.playing, self._anchor = False, None

    # ------------------------------------------------------------------ processing

    def _start_set(self, index: int) -> None:
        """A fresh pipeline at the start of set `index` (call with the lock held or before sharing)."""
        self.set_index = index
        w = self.sets[index]
        self.exercise = w.exercise
        self._pipeline = Pipeline(w.exercise, "left" if self.side == "left" else "right")
        self._set_blocks: dict[Role, SampleBlock] = w.blocks(self._blocks)
        self.position_s, _ = self.set_span(index)
        self._finished = False
        self._events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self._all_events: list[Event] = []
        self._event_count = 0
        self._feedback = ""
        self._angle_rad: float | None = None
        self._points.clear()
        self._next_display_t = -math.inf
        self._epoch += 1

    @property
    def finished(self) -> bool:
        """The current set has been replayed to its end."""
        return self._finished

    @property
    def events(self) -> list[Event]:
        """Every event of the current set so far, in time order (the pipeline's own objects)."""
        with self._lock:
            return list(self._all_events)

    def advance_to(self, t_s: float) -> None:
        """Feed the current set's samples up to session time t_s (to its end and `finish` when t_s reaches it)."""
        with self._lock:
            start, end = self.set_span(self.set_index)
            target = min(float(t_s), end)
            while self.position_s < target and not self._finished:
                nxt = min(self.position_s + self.chunk_s, target)
                for role in ROLES:
                    b = self._set_blocks[role].window(self.position_s, nxt)
                    if len(b):
                        self._take(self._pipeline.step(b))
                self.position_s = nxt
            if target >= end and not self._finished:
                # the samples from `end` on (an open set's last ones) and what the analyser still holds
                for role in ROLES:
                    b = self._set_blocks[role].window(self.position_s, math.inf)
                    if len(b):
                        self._take(self._pipeline.step(b))
                self.position_s = end
                self._take(self._pipeline.finish())
                self._finished = True

    def _take(self, out: Any) -> None:
        t_s = np.asarray(out.t_s, dtype=np.float64)
        angle = np.asarray(out.dorsiflexion_rad, dtype=np.float64)
        step_s = 1.0 / self.display_rate_hz
        for t, a in zip(t_s.tolist(), angle.tolist(), strict=True):
            if t >= self._next_display_t:
                self._count += 1
                self._points.append((self._count, t, a))
                self._next_display_t += step_s
                if self._next_display_t <= t:
                    self._next_display_t = t + step_s
        finite = np.flatnonzero(np.isfinite(angle))
        if finite.size:
            self._angle_rad = float(angle[finite[-1]])
        for ev in out.events:
            self._all_events.append(ev)
            kind, data = str(ev.kind), ev.data or {}
            if kind == "rep":
                text = rep_feedback(int(self._pipeline.rep_count), data)
                self._feedback = text
            elif kind in ("calibrated", "axis_found", "calibration_failed"):
                text = kind.replace("_", " ") + (f": {data.get('role')}" if kind == "axis_found" else "")
            else:
                text = event_text(kind, data) or kind.replace("_", " ")
                if kind in ("hold", "attempt", "compensation_started"):
                    self._feedback = text
            self._event_count += 1
            self._events.append({"seq": self._event_count, "kind": kind, "t_s": float(ev.t_s), "text": text})

    # ------------------------------------------------------------------ the live view's interface

    def snapshot(self, cursor: int) -> dict[str, Any]:
        """The replay's state with LiveFeed.snapshot's keys (see there), plus ``position_s``, ``set_start_s``,
        ``set_end_s``, ``playing``, ``speed``, ``finished``."""
        self.tick()
        with self._lock:
            if cursor < 0 or cursor > self._count:
                cursor = 0
            n_new = min(self._count - cursor, len(self._points))
            new = list(self._points)[len(self._points) - n_new :] if n_new > 0 else []
            pipe = self._pipeline
            start, end = self.set_span(self.set_index)
            if pipe.calibration is None:
                calibration: dict[str, Any] = {
                    "phase": "stance",
                    "still_s": float(pipe.still_s),
                    "needed_s": float(pipe.still_needed_s),
                    "moving": False,
                }
            else:
                calibration = {"phase": "ready" if pipe.status == "ready" else "axes", "status": pipe.status}
            return {
                "cursor": self._count,
                "epoch": self._epoch,
                "stamp_wall_s": None,
                "progress": dict(pipe.analyser.progress()),
                "calibration": calibration,
                "set_state": "ended" if self._finished else ("running" if self.playing else "paused"),
                "set_index": self.set_index,
                "side": self.side,
                "names": {},
                "t_s": [p[1] for p in new],
                "dorsiflexion_rad": [p[2] for p in new],
                "angle_rad": self._angle_rad,
                "rep_count": int(pipe.rep_count),
                "target_reps": int(pipe.spec.target_count),
                "feedback": self._feedback,
                "status": str(pipe.status),
                "state": "streaming",
                "message": "replay",
                "emulated": False,
                "exercise": self.exercise,
                "events": list(self._events),
                "sensors": {},
                "session_id": self.session_id,
                "position_s": self.position_s,
                "set_start_s": start,
                "set_end_s": end,
                "playing": self.playing,
                "speed": self.speed,
                "finished": self._finished,
            }

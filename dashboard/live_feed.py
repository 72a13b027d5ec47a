"""The live feed: streams both sensors in a background asyncio thread into the recorder and the pipeline."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from processing.calibration import StillnessThresholds
from processing.exercises.registry import SPECS
from processing.pipeline import EXERCISES, Pipeline, StepOutput
from sensors import accel_calibration
from sensors.accel_calibration import UNCALIBRATED, AccelCalibration
from sensors.ble_source import BleSource, FoundSensor, SourceEvent
from sensors.ble_source import scan as scan_sensors
from sensors.emulated_rig import EMULATED_NAMES, EmulatedRig
from sensors.recorder import Recorder, RecorderError, check_data_dir
from sensors.samples import ROLES, Role, SampleBlock

if TYPE_CHECKING:
    from sensors.ble.emulated_sensor import EmulatedSensor

STANCE_S = StillnessThresholds().still_s  # stillness the calibration needs, s
log = logging.getLogger(__name__)

Side = Literal["left", "right"]
FeedState = Literal["idle", "connecting", "streaming", "error", "stopped"]
SetState = Literal["running", "paused", "ended"]

COUNTER_REFRESH_S = 0.2
STALE_ANGLE_S = 1.0  # the current angle is shown as missing when no new one came for this long
MOVING_AFTER_S = 1.0  # no still window this long into the calibration: the person is told to stand still
MAX_EVENTS = 20

# Advice shown for each rep flag the analysers raise; an unknown flag is shown as its words.
_FLAG_ADVICE = {
    "hold_too_short": "hold 5 s at the top",
    "lowered_too_fast": "lower more slowly",
    "heel_lifted": "keep your heel down",
    "foot_rolled_in": "keep your foot from rolling in",
    "data_gap": "a sensor dropped out during this rep, so its numbers may be off",
}
_ALERT_TEXT = {"heel_lift": "Heel lifted: keep your heel down", "pronation": "Foot rolling in: keep the arch up"}


def event_text(kind: str, data: Mapping[str, Any]) -> str | None:
    """Text for the exercise events other than reps (None: not shown)."""
    if kind == "compensation_started":
        return _ALERT_TEXT.get(str(data.get("kind")), str(data.get("kind")))
    if kind == "hold_started":
        return "Hold started"
    if kind == "hold":
        done = "counts" if data.get("counts") else "too short to count"
        angle_deg = math.degrees(float(data["mean_dorsiflexion_rad"]))
        return f"Hold {float(data['duration_s']):.0f} s at {angle_deg:.0f} deg: {done}"
    if kind == "circle":
        return f"Circle ({data.get('direction')})"
    if kind == "attempt":
        cm = data.get("toe_to_wall_m")
        where = f"{math.degrees(float(data['max_dorsiflexion_rad'])):.0f} deg"
        if cm is not None:
            where += f", about {100 * float(cm):.1f} cm"
        return f"Attempt: {where}" + (" (heel lifted: does not count)" if data.get("heel_lifted") else "")
    if kind in ("activity_started", "activity"):
        return "Rolling" if kind == "activity_started" else "Paused"
    return None


def supported_exercises() -> tuple[str, ...]:
    """Return the exercises the live pipeline supports."""
    return tuple(EXERCISES)


def flag_advice(flag: str) -> str:
    """Return a short instruction for one rep flag such as ``"hold_too_short"``."""
    return _FLAG_ADVICE.get(flag, flag.replace("_", " "))


def rep_feedback(rep_number: int, data: Mapping[str, Any]) -> str:
    """Return the text shown after a rep: what was measured, then what to change (or that it was good).

    Parameters
    ----------
    rep_number : int
        Count of this rep in the current set (1-based).
    data : mapping
        The rep event's data in SI units: ``peak_dorsiflexion_rad``, optional ``hold_s``, ``lower_s``,
        ``flags`` (list of str).

    Returns
    -------
    str
        For example ``"Rep 3: peak 24 deg, held 3.1 s, lowered in 1.2 s. Hold 5 s at the top; lower more
        slowly."``
    """
    parts = []
    peak = data.get("peak_dorsiflexion_rad")
    if peak is not None and math.isfinite(float(peak)):
        parts.append(f"peak {math.degrees(float(peak)):.0f} deg")
    hold = data.get("hold_s")
    if hold is not None and math.isfinite(float(hold)):
        parts.append(f"held {float(hold):.1f} s")
    lower = data.get("lower_s")
    if lower is not None and math.isfinite(float(lower)):
        parts.append(f"lowered in {float(lower):.1f} s")
    text = f"Rep {rep_number}"
    if parts:
        text += ": " + ", ".join(parts)
    advice: list[str] = []
    for flag in data.get("flags", []) or []:
        a = flag_advice(str(flag))
        if a not in advice:
            advice.append(a)
    if advice:
        joined = "; ".join(advice)
        return f"{text}. {joined[0].upper()}{joined[1:]}."
    return f"{text}. Good rep."


def _failure_text(error: BaseException, emulated: bool) -> str:
    """Return why streaming stopped, in words a person can act on."""
    detail = str(error) or type(error).__name__
    if isinstance(error, RecorderError):
        return detail  # names the folder and says why; what was recorded is kept
    if not emulated and isinstance(error, (FileNotFoundError, ConnectionRefusedError)):
        return f"Bluetooth is not available on this computer (is the Bluetooth service running?): {detail}"
    return f"connection failed: {detail}"


class LiveFeed:
    """Streams the shin and foot sensors into the recorder and the processing pipeline, for the dashboard.

    A background thread runs an asyncio loop. `connect` starts streaming there: with ``emulated=True`` over
    a virtual radio with two emulated sensors driven by the simulator's demo routine, otherwise from the real
    sensors named `shin` and `foot` through bleak's platform backend. Every block goes to a
    `Recorder` (one session folder per connect) and to a `Pipeline`. All public methods are thread-safe.

    Points for the live trace are thinned to `display_rate_hz` and kept in a ring of `window_s`; each carries
    a monotonically increasing index, so a client that passes the cursor it got last time receives every new
    point exactly once (unless it fell further behind than the ring holds).

    Parameters
    ----------
    data_dir : Path
        Data directory; sessions go to ``data_dir/sessions``.
    side : "left" or "right"
        Leg the sensors are on.
    exercise : str
        Exercise of the first set.
    shin, foot : str or None
        Names (or addresses) of the real sensors; None: "dorsi-S1" and "dorsi-F1". The emulated sensors are
        always called "dorsi-S1" and "dorsi-F1".
    emulated : bool
        What `connect()` without an argument (the Live page's connect button) connects to.
    rate_hz : int
        Sampling rate asked of the sensors, Hz.
    window_s : float
        Length of the live trace ring, s.
    display_rate_hz : float
        Rate of the points kept for the live trace, Hz.
    seed : int
        Seed of the emulated demo routine.
    target_reps : int
        Reps per set shown as the goal.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        side: Side = "right",
        exercise: str = "band_mobilisation",
        shin: str | None = None,
        foot: str | None = None,
        emulated: bool = True,
        rate_hz: int = 100,
        window_s: float = 10.0,
        display_rate_hz: float = 50.0,
        seed: int = 0,
        target_reps: int = 30,
        emulated_models: Mapping[Role, str] | None = None,
    ) -> None:
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        self._check_exercise(exercise)
        if window_s <= 0 or display_rate_hz <= 0:
            raise ValueError("window_s and display_rate_hz must be > 0")
        self.data_dir = Path(data_dir)
        self.side: Side = side
        self.emulated_models: dict[Role, str] = dict(emulated_models or {})
        self.shin = shin or EMULATED_NAMES["shin"]
        self.foot = foot or EMULATED_NAMES["foot"]
        self.emulated = emulated
        self.rate_hz = rate_hz
        self.window_s = float(window_s)
        self.display_rate_hz = float(display_rate_hz)
        self.seed = seed
        self.target_reps = target_reps

        self._lock = threading.Lock()
        # Shared state: written by the loop thread, read by snapshot(); guarded by _lock.
        self._points: deque[tuple[int, float, float, float]] = deque(
            maxlen=max(2, math.ceil(self.window_s * self.display_rate_hz))
        )
        self._count = 0
        self._state: FeedState = "idle"
        self._message = "not connected"
        self._emulated = False
        self._exercise = exercise
        self._angle_rad: float | None = None
        self._angle_monotonic_s = -math.inf
        self._rep_count = 0
        self._feedback = ""
        self._status = "not connected"
        self._events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self._event_count = 0
        self._sensors: dict[Role, dict[str, Any]] = {r: {"connected": False} for r in ROLES}
        self._session_id: str | None = None
        self._session_path: Path | None = None
        self._names: dict[str, str] = {"shin": self.shin, "foot": self.foot}
        self._epoch = 0  # changes whenever the trace starts afresh (a new connection)
        self._stamp_wall_s: float | None = None
        self._set_state: SetState = "running"
        self._set_index = -1  # index of the current set in the recording (-1 before the first)
        self._set_exercise: str | None = None
        self._progress: dict[str, Any] = {}
        self._calibration: dict[str, Any] = {"phase": "waiting"}

        # Loop-thread state: touched only inside the loop.
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._pipeline: Pipeline | None = None
        self._recorder: Recorder | None = None
        self._recording: tuple[dict[str, dict[str, Any]], bool] | None = None
        self._accel_calibrations: dict[Role, AccelCalibration] = {}
        self._emulated_sensors: dict[Role, EmulatedSensor] = {}
        self._rep_offset = 0
        self._next_display_t = -math.inf
        self._last_t_s: float | None = None
        self._source: BleSource | None = None
        self._last_counter_refresh = 0.0
        self._last_recorder: Recorder | None = None  # kept after a disconnect, to rate the last set's pain
        # The current set's span on the session clock and its pauses ([start_s, end_s], end inf while open):
        # the pipeline sees only samples inside the span and outside the pauses, as replay and analysis do.
        self._set_start_s: float | None = None
        self._set_end_s = math.inf
        self._pauses: list[list[float]] = []

    # ------------------------------------------------------------------ public, thread-safe API

    def connect(self, emulated: bool | None = None) -> None:
        """Start streaming (no-op while connecting or streaming); returns at once.

        Parameters
        ----------
        emulated : bool or None
            True: emulated sensors over a virtual radio (demo); False: the real sensors over bleak;
            None: as chosen when the feed was made.
        """
        if emulated is None:
            emulated = self.emulated
        with self._lock:
            if self._state in ("connecting", "streaming"):
                return
            if self._state == "stopped":
                raise RuntimeError("this LiveFeed was stopped; make a new one")
            self._state = "connecting"
            self._emulated = emulated
            self._message = "connecting to emulated sensors" if emulated else "searching for the sensors"
        try:  # a full disk or an unwritable data directory is reported before recording starts
            check_data_dir(self.data_dir)
        except RecorderError as e:
            self._add_event("error", None, str(e))
            with self._lock:
                self._state, self._message = "error", str(e)
            return
        loop = self._ensure_loop()
        asyncio.run_coroutine_threadsafe(self._start_task(emulated), loop)

    def scan(self, timeout_s: float = 3.0) -> list[dict[str, Any]]:
        """List the sensors in range (blocking for about `timeout_s`): for each, its name, model, signal, battery,
        and the role it will have when connecting ("shin", "foot", or None: not used). Emulated feeds scan a
        virtual radio with the emulated sensors on it.

        Raises
        ------
        RuntimeError : scanning failed (e.g. no Bluetooth on this computer); the message says why.
        """

        async def run() -> tuple[list[FoundSensor], dict[str, str]]:
            if not self.emulated:
                names = {self.shin: "shin", self.foot: "foot"}
                return await scan_sensors(timeout_s, probe=True), names
            rig = EmulatedRig(self.seed, self.side, models=self.emulated_models)
            async with rig:
                found = await scan_sensors(
                    timeout_s, rig.scanner_backend, client_backend=rig.client_backend, probe=True
                )
            return found, {rig.names["shin"]: "shin", rig.names["foot"]: "foot"}

        try:
            found, roles = asyncio.run(run())
        except Exception as e:  # bleak's errors differ per platform; the person needs the words
            raise RuntimeError(_failure_text(e, self.emulated).replace("connection failed", "scan failed")) from e
        return [
            {
                "name": s.name,
                "model": s.model,
                "rssi_dbm": s.rssi,
                "battery_pct": s.battery_pct,
                "role": roles.get(s.name) or roles.get(s.address),
            }
            for s in found
        ]

    def set_exercise(self, name: str) -> None:
        """Switch exercise: a new pipeline (it calibrates again) and a new set in the recording."""
        self._check_exercise(name)
        with self._lock:
            if name == self._exercise:
                return
            self._exercise = name
            self._rep_count = 0
            self._feedback = ""
        self._call_in_loop(self._new_set, name)

    def recalibrate(self) -> None:
        """Restart calibration with a new pipeline; the set and its rep count go on."""
        self._call_in_loop(self._restart_pipeline, True)

    def set_side(self, side: Side) -> None:
        """Choose the leg the sensors are on, before connecting.

        Raises
        ------
        ValueError : not "left" or "right".
        RuntimeError : while connecting or streaming (disconnect first).
        """
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        with self._lock:
            if self._state in ("connecting", "streaming"):
                raise RuntimeError("the leg can be changed only before connecting")
            self.side = side

    def pause_set(self) -> None:
        """Pause the current set: samples are still recorded, but the pipeline is not fed until `resume_set`."""
        self._call_in_loop(self._pause)

    def resume_set(self) -> None:
        """Resume the paused set."""
        self._call_in_loop(self._resume)

    def end_set(self) -> int | None:
        """End the current set (its open hold or bout is reported); returns its index in the recording, or None
        when no set was running or paused. `start_set` starts the next one."""
        with self._lock:
            if self._set_state == "ended" or self._set_index < 0:
                return None
            index = self._set_index
        self._call_in_loop(self._end)
        with self._lock:
            state: str = self._set_state  # changed by the loop thread meanwhile
        return index if state == "ended" else None

    def start_set(self) -> None:
        """Start a new set of the current exercise after `end_set` (a new calibration, the count from 0)."""
        with self._lock:
            if self._set_state != "ended":
                return
            exercise = self._exercise
            self._rep_count = 0
            self._feedback = ""
            self._progress = {}
        self._call_in_loop(self._new_set, exercise)

    def set_pain(self, set_index: int, pain: int | None) -> None:
        """Store the 0-10 pain rating of a set of the current (or the last) recording.

        Raises
        ------
        ValueError : pain outside 0-10 or a set index the recording does not have.
        """
        if pain is not None and not (isinstance(pain, int) and 0 <= pain <= 10):
            raise ValueError(f"pain rating must be an integer 0-10, got {pain!r}")
        recorder = self._recorder or self._last_recorder
        if recorder is None or not 0 <= set_index < len(recorder.metadata["sets"]):
            raise ValueError(f"no set {set_index} in the recording")
        loop = self._loop
        if self._recorder is not None and loop is not None and loop.is_running():
            self._call_in_loop(recorder.set_pain, set_index, pain)
        else:
            recorder.set_pain(set_index, pain)
        self._add_event("pain", None, f"set {set_index + 1}: pain {pain} of 10")

    def snapshot(self, cursor: int) -> dict[str, Any]:
        """Return the trace points after `cursor` and the current state, for one dashboard poll.

        Parameters
        ----------
        cursor : int
            The ``cursor`` of the previous snapshot, or 0 for a new client.

        Returns
        -------
        dict
            ``cursor`` (pass it next time), ``t_s`` and ``dorsiflexion_rad`` (lists, new points only, oldest
            first, NaN where a sensor was missing), ``angle_rad`` (latest, or None if none came in the last
            STALE_ANGLE_S), ``rep_count``, ``target_reps``, ``feedback``, ``status``
            (pipeline status text), ``state`` (idle, connecting, streaming, error, stopped), ``message``,
            ``emulated``, ``exercise``, ``events`` (recent, oldest first: seq, kind, t_s, text), ``sensors``
            (role -> counters: connected, battery_pct, packets, samples, lost_samples, malformed, ...),
            ``session_id``; and for the live view: ``epoch`` (changes when the trace starts afresh: a client
            holding another epoch redraws from the points given), ``stamp_wall_s`` (wall-clock time, s since the
            Unix epoch, at which the newest point's samples reached the feed, or None: for latency measurements),
            ``progress`` (the analyser's progress(): count toward the target, holding_s...), ``calibration``
            (phase "waiting", "stance", "axes" or "ready"; in the stance: still_s, needed_s, moving),
            ``set_state`` ("running", "paused", "ended"), ``set_index`` (in the recording, -1 before the first),
            ``side``.
        """
        with self._lock:
            if cursor < 0 or cursor > self._count:
                cursor = 0  # a client of an earlier feed: start it afresh
            n_new = min(self._count - cursor, len(self._points))
            new = list(self._points)[len(self._points) - n_new :] if n_new > 0 else []
            return {
                "cursor": self._count,
                "epoch": self._epoch,
                "stamp_wall_s": new[-1][3] if new else None,
                "progress": dict(self._progress),
                "calibration": dict(self._calibration),
                "set_state": self._set_state,
                "set_index": self._set_index,
                "side": self.side,
                "names": dict(self._names),
                "t_s": [p[1] for p in new],
                "dorsiflexion_rad": [p[2] for p in new],
                "angle_rad": (self._angle_rad if time.monotonic() - self._angle_monotonic_s <= STALE_ANGLE_S else None),
                "rep_count": self._rep_count,
                "target_reps": self.target_reps,
                "feedback": self._feedback,
                "status": self._status,
                "state": self._state,
                "message": self._message,
                "emulated": self._emulated,
                "exercise": self._exercise,
                "events": list(self._events),
                "sensors": {r: dict(c) for r, c in self._sensors.items()},
                "session_id": self._session_id,
                "last_sample_t_s": self._last_t_s,  # newest sample handed to the recorder, session clock
            }

    def drop_out(self, role: Role, duration_s: float) -> None:
        """Take an emulated sensor out of range for `duration_s` (for demos and tests of sensor loss).

        Raises
        ------
        RuntimeError
            When not streaming from emulated sensors.
        """
        sensor = self._emulated_sensors.get(role)
        loop = self._loop
        if sensor is None or loop is None or not loop.is_running():
            raise RuntimeError("drop_out needs a feed streaming from emulated sensors")

        def vanish() -> None:
            sensor.vanish()
            loop.call_later(duration_s, sensor.reappear)

        loop.call_soon_threadsafe(vanish)

    @property
    def session_path(self) -> Path | None:
        """Folder of the session being recorded, or None before connecting."""
        with self._lock:
            return self._session_path

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop streaming, close the recording and end the background thread (idempotent)."""
        with self._lock:
            self._state = "stopped"
            self._message = "stopped"
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self._cancel_task(), loop)
            try:
                fut.result(timeout_s)
            except (concurrent.futures.TimeoutError, Exception):
                log.exception("live feed: clean shutdown failed")
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout_s)
        self._loop = None
        self._thread = None

    # ------------------------------------------------------------------ loop thread

    def _check_exercise(self, name: str) -> None:
        names = supported_exercises()
        if name not in names:
            raise ValueError(f"unknown exercise {name!r}; expected one of {', '.join(names)}")

    def _call_in_loop(self, fn: Callable[..., None], *args: Any, timeout_s: float = 5.0) -> None:
        """Run fn(*args) in the running loop thread and wait for it (never call this from that thread)."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return

        async def call() -> None:
            fn(*args)

        asyncio.run_coroutine_threadsafe(call(), loop).result(timeout_s)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is not None:
            return self._loop
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        thread = threading.Thread(target=run, name="dorsi-live-feed", daemon=True)
        thread.start()
        ready.wait(5.0)
        self._loop, self._thread = loop, thread
        return loop

    async def _start_task(self, emulated: bool) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(emulated))

    async def _cancel_task(self) -> None:
        """End the run gracefully: stop the source so its stream ends after what was already received."""
        task = self._task
        if task is None or task.done():
            return
        source = self._source
        if source is not None:
            try:
                await asyncio.wait_for(source.stop(), 5.0)
                await asyncio.wait_for(asyncio.shield(task), 5.0)
            except Exception:
                log.warning("live feed: the source did not end by itself; cancelling")
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _set(self, **fields: Any) -> None:
        with self._lock:
            for k, v in fields.items():
                setattr(self, "_" + k, v)

    def _add_event(self, kind: str, t_s: float | None, text: str) -> None:
        with self._lock:
            self._event_count += 1
            self._events.append({"seq": self._event_count, "kind": kind, "t_s": t_s, "text": text})

    async def _run(self, emulated: bool) -> None:
        self._last_t_s = None
        self._next_display_t = -math.inf
        self._set_start_s, self._set_end_s, self._pauses = None, math.inf, []
        with self._lock:
            self._points.clear()  # the new connection starts a new session clock
            self._epoch += 1
            self._angle_rad = None
            self._rep_count = 0
            self._feedback = ""
            self._progress = {}
            self._set_state, self._set_index = "running", -1
            self._calibration = {"phase": "waiting"}
        source: BleSource | None = None
        failure: str | None = None
        rigs = contextlib.AsyncExitStack()
        try:
            if emulated:
                rig = await rigs.enter_async_context(
                    EmulatedRig(self.seed, self.side, models=self.emulated_models, first=self._exercise)
                )
                self._emulated_sensors = dict(rig.sensors)
                shin_name, foot_name = rig.names["shin"], rig.names["foot"]
                source = BleSource(
                    shin=shin_name,
                    foot=foot_name,
                    rate_hz=self.rate_hz,
                    scanner_backend=rig.scanner_backend,
                    client_backend=rig.client_backend,
                )
            else:
                shin_name, foot_name = self.shin, self.foot
                source = BleSource(shin=shin_name, foot=foot_name, rate_hz=self.rate_hz)
            self._source = source
            meta = {
                role: {"name": name, "profile": None, "rate_hz": None, "emulated": emulated}
                for role, name in (("shin", shin_name), ("foot", foot_name))
            }
            self._accel_calibrations = self._sensor_calibrations(meta)
            self._recording = (meta, emulated)  # the session folder is made when the first samples arrive
            with self._lock:
                self._names = {"shin": shin_name, "foot": foot_name}
            self._restart_pipeline(False)
            async for item in source.stream():
                if isinstance(item, SampleBlock):
                    self._on_block(item)
                else:
                    self._on_source_event(item)
                self._refresh_counters()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            failure = _failure_text(e, emulated)
            if isinstance(e, OSError) or type(e).__module__.startswith(("bleak", "sensors")):
                log.warning("live feed stopped: %s", failure)
            else:
                log.exception("live feed failed")
        finally:
            await self._close_all(source, rigs)
        # only now, after cleanup, may a new connect() start another run
        if failure is not None:
            self._add_event("error", self._last_t_s, failure)
            with self._lock:
                if self._state != "stopped":
                    self._state, self._message = "error", failure

    def _sensor_calibrations(self, meta: dict[str, dict[str, Any]]) -> dict[Role, AccelCalibration]:
        """Each sensor's kept accelerometer calibration (noted in `meta`, for session.json); an event for each
        sensor that has none."""
        found: dict[Role, AccelCalibration] = {}
        for role in ROLES:
            name = str(meta[role]["name"])
            try:
                cal = accel_calibration.load(self.data_dir, name)
            except ValueError as e:
                self._add_event("sensor", None, f"{e}; the {role} sensor's accelerometer is used uncalibrated")
                continue
            if cal is None:
                self._add_event("sensor", None, f"the {role} sensor {name}: {UNCALIBRATED}")
                continue
            meta[role]["accelerometer_calibration"] = cal.to_json()
            found[role] = cal
        return found

    async def _close_all(self, source: BleSource | None, rigs: contextlib.AsyncExitStack) -> None:
        steps: list[Callable[[], Awaitable[None]]] = [] if source is None else [source.stop]
        steps.append(rigs.aclose)
        for step in steps:
            try:
                await asyncio.wait_for(step(), 5.0)
            except Exception:
                log.exception("live feed: error while closing")
        self._refresh_counters(force=True)
        self._source = None
        self._emulated_sensors = {}
        self._recording = None
        self._last_recorder = self._recorder or self._last_recorder
        with self._lock:
            if self._set_index >= 0:
                self._set_state = "ended"
        if self._recorder is not None:
            try:
                self._recorder.close(self._last_t_s)
            except RecorderError as e:  # the last rows could not be written; the rest is kept
                self._add_event("error", self._last_t_s, str(e))
                with self._lock:
                    if self._state != "stopped":
                        self._state, self._message = "error", str(e)
            self._recorder = None
        with self._lock:
            for c in self._sensors.values():
                c["connected"] = False
            if self._state != "error":
                self._state = "stopped" if self._state == "stopped" else "idle"
                self._message = "stopped" if self._state == "stopped" else "disconnected"

    def _restart_pipeline(self, keep_reps: bool) -> None:
        with self._lock:
            exercise = self._exercise
        if keep_reps and self._pipeline is not None:
            self._rep_offset += int(self._pipeline.rep_count)
        elif not keep_reps:
            self._rep_offset = 0
        self._pipeline = Pipeline(exercise, self.side)
        self._set(status=self._pipeline.status)
        if keep_reps:
            self._add_event("recalibrate", self._last_t_s, "calibration restarted: stand still")

    def _new_set(self, exercise: str) -> None:
        if self._last_t_s is None:  # nothing streamed yet: the first block opens the set of the chosen exercise
            if self._pipeline is not None:
                self._restart_pipeline(False)
            return
        t = self._after_last()
        if self._recorder is not None:
            self._recorder.start_set(exercise, t)
        self._begin_set(t)
        if self._pipeline is not None:
            self._restart_pipeline(False)
            self._add_event("set", self._last_t_s, f"new set: {SPECS[exercise].title}")

    def _after_last(self) -> float:
        """The first session time after every sample seen so far: where a set starts, ends or pauses."""
        assert self._last_t_s is not None
        return float(np.nextafter(self._last_t_s, math.inf))

    def _begin_set(self, t_s: float) -> None:
        self._set_start_s, self._set_end_s, self._pauses = t_s, math.inf, []
        with self._lock:
            self._set_state = "running"
            self._set_index += 1
            self._progress = {}
            self._calibration = {"phase": "stance", "still_s": 0.0, "needed_s": STANCE_S, "moving": False}

    def _pause(self) -> None:
        with self._lock:
            if self._set_state != "running" or self._last_t_s is None:
                return
            self._set_state = "paused"
        t = self._after_last()
        self._pauses.append([t, math.inf])
        if self._recorder is not None:
            self._recorder.pause_set(t)
        self._add_event("pause", self._last_t_s, "set paused")

    def _resume(self) -> None:
        with self._lock:
            if self._set_state != "paused" or self._last_t_s is None:
                return
            self._set_state = "running"
        t = self._after_last()
        if self._pauses and self._pauses[-1][1] == math.inf:
            self._pauses[-1][1] = t
        if self._recorder is not None:
            self._recorder.resume_set(t)
        self._add_event("resume", self._last_t_s, "set resumed")

    def _end(self) -> None:
        with self._lock:
            if self._set_state == "ended" or self._last_t_s is None:
                return
            self._set_state = "ended"
        t = self._after_last()
        self._set_end_s = t
        if self._pauses and self._pauses[-1][1] == math.inf:
            self._pauses[-1][1] = t
        if self._recorder is not None:
            self._recorder.end_set(t)
        if self._pipeline is not None:
            out = self._pipeline.finish()  # what was still open: a hold or bout going on, the last circle
            reps = self._rep_offset + int(self._pipeline.rep_count)
            with self._lock:
                self._rep_count = reps
                self._progress = dict(self._pipeline.analyser.progress())
            self._on_pipeline_events(out.events, reps)
        self._add_event("set_end", self._last_t_s, "set ended")

    def _active_part(self, block: SampleBlock) -> SampleBlock:
        """The samples of `block` inside the current set and outside its pauses (what the pipeline gets)."""
        if self._set_start_s is None:
            return block
        t = block.t_s
        keep = (t >= self._set_start_s) & (t < self._set_end_s)
        for p0, p1 in self._pauses:
            keep &= ~((t >= p0) & (t < p1))
        if keep.all():
            return block
        idx = np.flatnonzero(keep)
        return SampleBlock(
            block.role,
            block.seq[idx],
            block.t_s[idx],
            block.acc[idx],
            block.gyr[idx],
            None if block.mag is None else block.mag[idx],
            None if block.t_sensor_s is None else block.t_sensor_s[idx],
        )

    def _calibration_state(self, pipeline: Pipeline, t_s: float) -> dict[str, Any]:
        if pipeline.calibration is None:
            still = float(pipeline.still_s)
            since = t_s - (self._set_start_s if self._set_start_s is not None else t_s)
            return {
                "phase": "stance",
                "still_s": still,
                "needed_s": float(pipeline.still_needed_s),
                "moving": still == 0.0 and since >= MOVING_AFTER_S,
            }
        return {"phase": "ready" if pipeline.status == "ready" else "axes", "status": str(pipeline.status)}

    def _on_block(self, block: SampleBlock) -> None:
        if len(block) == 0:
            return
        t0, t1 = float(block.t_s[0]), float(block.t_s[-1])  # session clock
        if self._recorder is None and self._recording is not None:
            meta, emulated = self._recording
            if self._source is not None:  # the models and rates are known once connected
                for role, c in self._source.counters.items():
                    meta[role].update(profile=c.profile, model=c.model, rate_hz=c.rate_hz)
            self._recorder = Recorder.create(self.data_dir, self.side, meta, demo=emulated)
            with self._lock:
                exercise = self._exercise
                self._session_id, self._session_path = self._recorder.session_id, self._recorder.path
            self._recorder.start_set(exercise, t0)
        if self._recorder is not None:
            self._recorder.write(block)
        cal = self._accel_calibrations.get(block.role)
        if cal is not None:
            block = cal.apply_block(block)
        arrival_wall_s = time.time()
        if self._set_start_s is None:
            self._begin_set(t0)  # the recording's first set starts with the first block
        self._last_t_s = t1 if self._last_t_s is None else max(self._last_t_s, t1)
        if self._pipeline is None:
            return
        active = self._active_part(block) if self._set_state == "running" else None
        out = self._pipeline.step(active) if active is not None and len(active) else StepOutput.empty()
        t_s = np.asarray(out.t_s, dtype=np.float64)
        angle = np.asarray(out.dorsiflexion_rad, dtype=np.float64)
        status = str(self._pipeline.status)
        step_s = 1.0 / self.display_rate_hz
        reps = self._rep_offset + int(self._pipeline.rep_count)
        running = self._set_state == "running"
        progress = dict(self._pipeline.analyser.progress()) if running else None
        calibration = self._calibration_state(self._pipeline, t1) if running else None
        with self._lock:
            self._status = status
            self._rep_count = reps
            if progress is not None:
                self._progress = progress
            if calibration is not None:
                self._calibration = calibration
            if self._state == "connecting":
                self._state, self._message = "streaming", "streaming"
            for t, a in zip(t_s.tolist(), angle.tolist(), strict=True):
                if t >= self._next_display_t:
                    self._count += 1
                    self._points.append((self._count, t, a, arrival_wall_s))
                    # Step on from the due time, not from t, so the thinned rate does not drift lower;
                    # restart from t after a gap (or at the first point).
                    self._next_display_t += step_s
                    if self._next_display_t <= t:
                        self._next_display_t = t + step_s
            if angle.size and math.isfinite(angle[-1]):
                self._angle_rad = float(angle[-1])
                self._angle_monotonic_s = time.monotonic()
        self._on_pipeline_events(out.events, reps)

    def _on_pipeline_events(self, events: Iterable[Any], reps: int) -> None:
        for ev in events:
            kind = str(ev.kind)
            t = float(ev.t_s)
            data: Mapping[str, Any] = ev.data or {}
            if kind == "rep":
                text = rep_feedback(reps, data)
                self._set(feedback=text)
                self._add_event(kind, t, text)
            elif kind in ("hold", "attempt"):
                text = event_text(kind, data) or kind
                self._set(feedback=text)
                self._add_event(kind, t, text)
            elif kind == "calibrated":
                self._add_event(kind, t, "calibrated")
            elif kind == "axis_found":
                self._add_event(kind, t, f"{data.get('role', '')} axis found".strip())
            elif kind == "calibration_failed":
                reason = data.get("reason")
                self._add_event(kind, t, f"calibration failed{': ' + str(reason) if reason else ''}")
            else:
                shown = event_text(kind, data)
                if kind == "compensation_started" and shown:
                    self._set(feedback=shown)
                self._add_event(kind, t, shown or kind.replace("_", " "))

    def _on_source_event(self, event: SourceEvent) -> None:
        kind = str(event.kind)
        role = str(event.role)
        detail: Mapping[str, Any] = event.detail or {}
        t = float(event.t_s)
        if kind == "gap":
            start_s, end_s = float(detail.get("start_s", t)), float(detail.get("end_s", t))
            if self._recorder is not None:
                self._recorder.mark_gap(event.role, start_s, end_s)
            lost = detail.get("lost_samples")
            text = f"{role} sensor: gap of {end_s - start_s:.2f} s"
            if lost:
                text += f", {lost} samples lost"
        elif kind == "sensor_restarted" and detail.get("last_sample_s") is not None:
            # the samples lost across a reboot cannot be counted, but the hole in time is known
            start_s = float(detail["last_sample_s"])
            if self._recorder is not None:
                self._recorder.mark_gap(event.role, start_s, t)
            text = f"{role} sensor restarted: gap of {t - start_s:.2f} s"
        else:
            text = f"{role} sensor: {kind.replace('_', ' ')}"
            if detail.get("name"):
                text += f" ({detail['name']})"
        self._add_event(kind, t, text)
        self._refresh_counters(force=True)
        if kind == "connected":
            with self._lock:
                if self._state == "connecting":
                    self._message = "connected, waiting for samples"

    def _refresh_counters(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._source is None or (not force and now - self._last_counter_refresh < COUNTER_REFRESH_S):
            return
        self._last_counter_refresh = now
        fresh = {r: dataclasses.asdict(c) for r, c in self._source.counters.items()}
        with self._lock:
            self._sensors.update(fresh)

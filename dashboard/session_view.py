"""A recorded session's whole-session view: its sets analysed again, marks extracted, cached per session id."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dashboard.session_figures import Mark, SessionMarks, Span
from processing.analysis import Analysis, Side, analyze
from processing.exercises.registry import SPECS
from sensors.interchange import InputFileError
from sensors.recorder import METADATA_FILE, raw_samples_file
from sensors.samples import ROLES, Role, SampleBlock
from sensors.sessions import SetWindow, load_session, set_windows

FloatArray = NDArray[np.float64]

log = logging.getLogger(__name__)

_MARK_KINDS = ("sets", "reps", "flagged", "holds", "compensations")
_VIEW_FILE_VERSION = 1
CACHE_SIZE = 4  # sessions kept analysed; a 1-hour session's trace is about 10 MB
_COMPENSATION_TEXT = {"heel_lift": "heel lift", "pronation": "foot rolling in"}


@dataclass(frozen=True)
class SessionView:
    """Everything the whole-session view draws for one session.

    Attributes
    ----------
    session_id : str
    t_s : (N,) session time of every angle, s, increasing; sets follow each other with one NaN angle between.
    dorsiflexion_rad : (N,) rad, NaN in gaps and between sets.
    marks : sets, reps, flags, holds and compensations.
    problems : one line per set that could not be analysed (e.g. "set 2: calibration failed: ...").
    """

    session_id: str
    t_s: FloatArray
    dorsiflexion_rad: FloatArray
    marks: SessionMarks
    problems: tuple[str, ...]


def exercise_title(name: str) -> str:
    """Return an exercise's title for people (its name in words when it is unknown)."""
    s = SPECS.get(name)
    return s.title if s is not None else name.replace("_", " ")


def _peak_time_s(a: Analysis, start_s: float, end_s: float, fallback_s: float) -> float:
    inside = (a.t_s >= start_s) & (a.t_s <= end_s) & np.isfinite(a.dorsiflexion_rad)
    if not inside.any():
        return fallback_s
    idx = np.flatnonzero(inside)
    return float(a.t_s[idx[np.argmax(a.dorsiflexion_rad[idx])]])


def _rep_marks(a: Analysis, set_number: int) -> tuple[list[Mark], list[Mark]]:
    """Return the rep (or attempt) peaks and the flagged ones of one analysed set."""
    reps: list[Mark] = []
    flagged: list[Mark] = []
    items: list[tuple[str, dict[str, Any], float]] = [("rep", r, float(r["peak_dorsiflexion_rad"])) for r in a.reps]
    items += [("attempt", t, float(t["max_dorsiflexion_rad"])) for t in a.attempts]
    for k, (kind, data, peak_rad) in enumerate(items, 1):
        if not math.isfinite(peak_rad):
            continue
        start_s = float(data.get("start_s", math.nan))
        end_s = float(data.get("end_s", math.nan))
        t_s = _peak_time_s(a, start_s, end_s, end_s) if math.isfinite(start_s) else end_s
        if not math.isfinite(t_s):
            continue
        reps.append(Mark(t_s, peak_rad, f"set {set_number} {kind} {k}: peak {math.degrees(peak_rad):.0f} deg"))
        flags = [str(f).replace("_", " ") for f in data.get("flags", []) or []]
        if kind == "attempt" and data.get("heel_lifted") and "heel lifted" not in flags:
            flags.append("heel lifted")
        if flags:
            flagged.append(Mark(t_s, peak_rad, ", ".join(flags)))
    return reps, flagged


def _hold_spans(a: Analysis) -> list[Span]:
    spans = []
    for h in a.holds:
        text = f"hold {float(h['duration_s']):.0f} s"
        if h.get("counts") is False:
            text += " (too short)"
        spans.append(Span(float(h["start_s"]), float(h["end_s"]), text))
    return spans


def _set_span(w: SetWindow, end_of_data_s: float, problem: bool) -> Span:
    end_s = w.end_s if math.isfinite(w.end_s) else end_of_data_s
    text = f"Set {w.index + 1}: {exercise_title(w.exercise)}" + (" (not analysed)" if problem else "")
    return Span(w.start_s, max(end_s, w.start_s), text)


SetResult = tuple[SetWindow, Analysis | ValueError]  # a set and its analysis, or why it could not be analysed


def analyse_sets(meta: dict[str, Any], blocks: dict[Role, SampleBlock]) -> list[SetResult]:
    """Analyse every set of a session on its own, as the live view did (the samples it saw, a new calibration)."""
    side: Side = "left" if meta.get("leg") == "left" else "right"
    results: list[SetResult] = []
    for w in set_windows(meta):
        try:
            results.append((w, analyze(w.blocks(blocks), w.exercise, side)))
        except ValueError as e:  # CalibrationError is a ValueError; so are an unknown exercise and no samples
            results.append((w, e))
    return results


def build_view(session_id: str, results: list[SetResult], end_of_data_s: float) -> SessionView:
    """The whole-session view of analysed sets: the trace (one NaN between sets) and every mark."""
    t_parts: list[FloatArray] = []
    a_parts: list[FloatArray] = []
    sets: list[Span] = []
    reps: list[Mark] = []
    flagged: list[Mark] = []
    holds: list[Span] = []
    compensations: list[Span] = []
    problems: list[str] = []
    for w, a in results:
        if isinstance(a, ValueError):
            problems.append(f"set {w.index + 1} ({exercise_title(w.exercise)}): {a}")
            sets.append(_set_span(w, end_of_data_s, True))
            continue
        sets.append(_set_span(w, end_of_data_s, False))
        if len(a.t_s):
            if t_parts:  # one NaN between sets, so that the line breaks there
                t_parts.append(np.array([0.5 * (t_parts[-1][-1] + a.t_s[0])]))
                a_parts.append(np.array([np.nan]))
            t_parts.append(np.asarray(a.t_s, dtype=np.float64))
            a_parts.append(np.asarray(a.dorsiflexion_rad, dtype=np.float64))
        r, f = _rep_marks(a, w.index + 1)
        reps += r
        flagged += f
        holds += _hold_spans(a)
        compensations += [
            Span(float(c["start_s"]), float(c["end_s"]), _COMPENSATION_TEXT.get(str(c["kind"]), str(c["kind"])))
            for c in a.compensations
        ]
    t = np.concatenate(t_parts) if t_parts else np.zeros(0)
    angle = np.concatenate(a_parts) if a_parts else np.zeros(0)
    order = np.argsort(t, kind="stable")  # sets are recorded in order; this only guards against overlaps
    marks = SessionMarks(tuple(sets), tuple(reps), tuple(flagged), tuple(holds), tuple(compensations))
    return SessionView(session_id, t[order], angle[order], marks, tuple(problems))


def end_of_data_s(blocks: dict[Role, SampleBlock]) -> float:
    """Session time of the last sample of either sensor, s (0 without samples)."""
    return max((float(blocks[r].t_s[-1]) for r in ROLES if len(blocks[r])), default=0.0)


def analyse_session(folder: Path, session_id: str) -> SessionView:
    """Analyse every set of a recorded session as the live view did, and collect what the view marks.

    Parameters
    ----------
    folder : the session's folder (found from its validated id, never from the browser).
    session_id : its id.

    Returns
    -------
    SessionView
        A set that cannot be analysed (no calibration, unknown exercise) is listed in `problems` and drawn
        without angles; the others are drawn in full.

    Raises
    ------
    InputFileError : the folder cannot be read as a session.
    """
    meta, blocks = load_session(folder)
    return build_view(session_id, analyse_sets(meta, blocks), end_of_data_s(blocks))


def view_file(folder: Path) -> Path:
    """Where the view of a session folder is kept on disk: data_dir/cache/views/<id>.npz (derived, disposable)."""
    return folder.parent.parent / "cache" / "views" / f"{folder.name}.npz"


def save_view(folder: Path, view: SessionView, stamp: tuple[int, ...]) -> None:
    """Keep a session's view on disk with the stamp of the files it came from (atomically; errors are ignored)."""
    marks = {k: [dataclasses.astuple(m) for m in getattr(view.marks, k)] for k in _MARK_KINDS}
    meta = {"stamp": list(stamp), "marks": marks, "problems": list(view.problems), "version": _VIEW_FILE_VERSION}
    path = view_file(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, t_s=view.t_s, dorsiflexion_rad=view.dorsiflexion_rad, meta=np.array(json.dumps(meta)))
        os.replace(tmp, path)
    except OSError:
        log.warning("could not keep the view of %s on disk", folder, exc_info=True)


def load_view(folder: Path, session_id: str, stamp: tuple[int, ...]) -> SessionView | None:
    """The view kept on disk for these very files, or None (absent, stale or unreadable)."""
    try:
        with np.load(view_file(folder), allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("version") != _VIEW_FILE_VERSION or tuple(meta["stamp"]) != stamp:
                return None
            t, angle = np.asarray(z["t_s"], np.float64), np.asarray(z["dorsiflexion_rad"], np.float64)
        m = meta["marks"]
        marks = SessionMarks(
            tuple(Span(*x) for x in m["sets"]),
            tuple(Mark(*x) for x in m["reps"]),
            tuple(Mark(*x) for x in m["flagged"]),
            tuple(Span(*x) for x in m["holds"]),
            tuple(Span(*x) for x in m["compensations"]),
        )
        return SessionView(session_id, t, angle, marks, tuple(meta["problems"]))
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        return None


def stamp(folder: Path) -> tuple[int, ...]:
    """Return what changes when a session folder changes: its files' modification times and sizes (-1: missing)."""
    out: list[int] = []
    for name in (METADATA_FILE, *(raw_samples_file(r) for r in ROLES)):
        try:
            st = (folder / name).stat()
            out += [st.st_mtime_ns, st.st_size]
        except OSError:
            out += [-1, -1]
    return tuple(out)


class ViewCache:
    """A small, thread-safe LRU of analysed sessions, keyed by folder and its files' stamps.

    Two requests for the same cold session analyse it once: the second waits for the first.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.size = size
        self._views: OrderedDict[tuple[str, tuple[int, ...]], SessionView] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._views)

    def clear(self) -> None:
        """Forget every cached view (the next request analyses again)."""
        with self._lock:
            self._views.clear()

    def peek(self, folder: Path) -> SessionView | None:
        """Return the cached, current view of a session folder, or None (never analyses)."""
        folder = Path(folder)
        try:
            key = (str(folder.resolve()), stamp(folder))
        except OSError:
            return None
        with self._lock:
            return self._views.get(key)

    def get(self, folder: Path, session_id: str) -> SessionView:
        """Return the session's view, analysing it unless a current one is cached.

        Raises
        ------
        InputFileError : the folder cannot be read as a session.
        """
        folder = Path(folder)
        try:
            key = (str(folder.resolve()), stamp(folder))
        except OSError as e:
            raise InputFileError(f"session {session_id}: cannot read its folder ({e.strerror})") from e
        with self._lock:
            key_lock = self._key_locks.setdefault(key[0], threading.Lock())
        with key_lock:
            with self._lock:
                view = self._views.get(key)
                if view is not None:
                    self._views.move_to_end(key)
                    return view
            view = load_view(folder, session_id, key[1])
            if view is None:
                view = analyse_session(folder, session_id)
                save_view(folder, view, key[1])
            with self._lock:
                for old in [k for k in self._views if k[0] == key[0]]:
                    del self._views[old]
                self._views[key] = view
                while len(self._views) > self.size:
                    self._views.popitem(last=False)
            return view


VIEWS = ViewCache()

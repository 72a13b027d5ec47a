"""The SQLite session index (`<data_dir>/index.sqlite`): per-session and per-set summaries, a cache of the folders."""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dashboard.paths import is_session_id, validate_session_id
from dashboard.session_view import SetResult, analyse_sets, build_view, end_of_data_s, save_view, stamp
from processing.analysis import Analysis
from processing.calibration import CalibrationError
from processing.exercises.registry import SPECS
from sensors.interchange import InputFileError
from sensors.samples import Role, SampleBlock
from sensors.sessions import SetWindow, load_metadata, load_samples, set_windows

INDEX_FILE = "index.sqlite"
# bump when the tables or the meaning of a number change: an index of another version is rebuilt from the folders
SCHEMA_VERSION = 1
_SYNC_LOCKS: dict[Path, threading.Lock] = {}
_SYNC_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class SessionRow:
    """One session folder, summarised (SI units; problem says why a set or the folder could not be read)."""

    session_id: str
    created_utc: str
    leg: str
    demo: bool
    duration_s: float
    exercises: tuple[str, ...]
    set_count: int
    rep_total: int
    holds_counted_total: int
    summary: str
    problem: str | None


@dataclass(frozen=True)
class SetRow:
    """One set of a session, analysed on its own as the live view did (SI units; None where not measured)."""

    session_id: str
    set_index: int
    exercise: str
    leg: str
    demo: bool
    start_utc: str
    start_s: float
    end_s: float
    active_s: float
    rep_count: int | None
    holds_counted: int | None
    hold_count: int | None
    circle_count: int | None
    peak_dorsiflexion_rad: float | None
    knee_to_wall_rad: float | None
    knee_to_wall_m: float | None
    heel_lifts: int
    pronations: int
    flagged_reps: int
    pain: int | None
    target_met: bool
    problem: str | None


@dataclass
class SyncReport:
    """What one sync did: session ids added, updated (re-analysed) and removed, and folders with a problem."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rebuilt: bool = False


_SESSION_COLS = [f.name for f in fields(SessionRow)]
_SET_COLS = [f.name for f in fields(SetRow)]
_SCHEMA = f"""
CREATE TABLE sessions ({", ".join(_SESSION_COLS)}, fingerprint TEXT NOT NULL, PRIMARY KEY (session_id));
CREATE TABLE sets ({", ".join(_SET_COLS)}, PRIMARY KEY (session_id, set_index));
CREATE INDEX sets_by_leg_exercise ON sets (leg, exercise, start_utc);
PRAGMA user_version = {SCHEMA_VERSION};
"""


def session_folder(data_dir: Path, session_id: str) -> Path:
    """The folder of a session, from its id (letters, digits and '-' only).

    Raises
    ------
    ValueError : the id has any other character (so no path can be smuggled in as an id).
    """
    return Path(data_dir) / "sessions" / validate_session_id(session_id)


# --- reading ------------------------------------------------------------------------------------------------


def list_sessions(
    data_dir: Path,
    *,
    leg: str | None = None,
    exercise: str | None = None,
    since_utc: str | None = None,
    until_utc: str | None = None,
    demo: bool | None = None,
) -> list[SessionRow]:
    """Sessions in the index, newest first.

    Parameters
    ----------
    data_dir : the data directory.
    leg, exercise, demo : keep only sessions of that leg, with a set of that exercise, demo or not.
    since_utc, until_utc : ISO-8601 bounds on the creation time, inclusive; a date alone means the whole day.
    """
    where: list[str] = []
    args: list[Any] = []
    if leg is not None:
        where.append("leg = ?")
        args.append(leg)
    if demo is not None:
        where.append("demo = ?")
        args.append(int(demo))
    if exercise is not None:
        where.append("session_id IN (SELECT session_id FROM sets WHERE exercise = ?)")
        args.append(exercise)
    if since_utc is not None:
        where.append("created_utc >= ?")
        args.append(utc_bound(since_utc, end_of_day=False))
    if until_utc is not None:
        where.append("created_utc <= ?")
        args.append(utc_bound(until_utc, end_of_day=True))
    sql = f"SELECT {', '.join(_SESSION_COLS)} FROM sessions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created_utc DESC, session_id DESC"
    with _reader(data_dir) as db:
        return [] if db is None else [_session_row(r) for r in db.execute(sql, args)]


def session(data_dir: Path, session_id: str) -> SessionRow | None:
    """One session's row, or None if the index has no such session."""
    with _reader(data_dir) as db:
        if db is None:
            return None
        row = db.execute(
            f"SELECT {', '.join(_SESSION_COLS)} FROM sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
    return None if row is None else _session_row(row)


def session_sets(data_dir: Path, session_id: str) -> list[SetRow]:
    """The sets of one session, in recorded order."""
    with _reader(data_dir) as db:
        if db is None:
            return []
        rows = db.execute(
            f"SELECT {', '.join(_SET_COLS)} FROM sets WHERE session_id = ? ORDER BY set_index", (session_id,)
        ).fetchall()
    return [_set_row(r) for r in rows]


def set_rows(data_dir: Path, *, leg: str | None = None, exercise: str | None = None) -> list[SetRow]:
    """Sets of every session, oldest first, optionally of one leg and/or one exercise."""
    where, args = [], []
    if leg is not None:
        where.append("leg = ?")
        args.append(leg)
    if exercise is not None:
        where.append("exercise = ?")
        args.append(exercise)
    sql = f"SELECT {', '.join(_SET_COLS)} FROM sets"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY start_utc, session_id, set_index"
    with _reader(data_dir) as db:
        return [] if db is None else [_set_row(r) for r in db.execute(sql, args)]


def best_peak_dorsiflexion_rad(data_dir: Path, leg: str, exercise: str) -> float | None:
    """The largest peak dorsiflexion of any analysed set of this leg and exercise, rad (None if none)."""
    with _reader(data_dir) as db:
        if db is None:
            return None
        (best,) = db.execute(
            "SELECT MAX(peak_dorsiflexion_rad) FROM sets WHERE leg = ? AND exercise = ? AND problem IS NULL",
            (leg, exercise),
        ).fetchone()
    return None if best is None else float(best)


def utc_bound(text: str, *, end_of_day: bool) -> str:
    """An ISO-8601 date or time as the index stores times (UTC, +00:00); a date alone is its first or last second.

    Raises
    ------
    ValueError : not an ISO-8601 date or date-time.
    """
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO-8601 date or time: {text!r} (e.g. 2026-11-24 or 2026-11-24T10:15:00Z)") from None
    if len(text.strip()) == 10 and end_of_day:
        t += timedelta(days=1, seconds=-1)
    return _iso_utc(t)


def _iso_utc(t: datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).isoformat(timespec="seconds")


def _session_row(r: tuple[Any, ...]) -> SessionRow:
    d = dict(zip(_SESSION_COLS, r, strict=True))
    d["demo"] = bool(d["demo"])
    d["exercises"] = tuple(json.loads(d["exercises"]))
    return SessionRow(**d)


def _set_row(r: tuple[Any, ...]) -> SetRow:
    d = dict(zip(_SET_COLS, r, strict=True))
    d["demo"] = bool(d["demo"])
    d["target_met"] = bool(d["target_met"])
    return SetRow(**d)


@contextmanager
def _reader(data_dir: Path) -> Iterator[sqlite3.Connection | None]:
    """A connection to a ready index (synced first if it is missing, corrupt or of another version)."""
    path = Path(data_dir) / INDEX_FILE
    if not _usable(path):
        if not (Path(data_dir) / "sessions").is_dir():
            yield None
            return
        sync(data_dir)
    with closing(_connect(path)) as db:
        yield db


# --- syncing ------------------------------------------------------------------------------------------------


def sync(data_dir: Path, *, full: bool = False) -> SyncReport:
    """Bring the index up to date with the session folders.

    New and changed folders (session.json or a samples file with another mtime or size) are analysed, vanished
    ones dropped; nothing is re-analysed when nothing changed. Each session is written in its own transaction,
    so a crash mid-sync leaves a consistent index. A folder that cannot be read or analysed never raises: it
    becomes a row with `problem`.

    Parameters
    ----------
    data_dir : the data directory (sessions in data_dir/sessions).
    full : rebuild from scratch (also done when the index is missing, corrupt or of another schema version).
    """
    data_dir = Path(data_dir)
    with _SYNC_LOCKS_GUARD:
        lock = _SYNC_LOCKS.setdefault(data_dir.resolve(), threading.Lock())
    with lock:  # pages of one server may load at once: one sync at a time per data dir, the others then find it done
        return _sync(data_dir, full)


def _sync(data_dir: Path, full: bool) -> SyncReport:
    path = data_dir / INDEX_FILE
    report = SyncReport()
    if full or not _usable(path):
        report.rebuilt = True
        _create(path)
    folders = _session_folders(data_dir, report)
    with closing(_connect(path)) as db:
        known = dict(db.execute("SELECT session_id, fingerprint FROM sessions").fetchall())
        for sid in sorted(set(known) - set(folders)):
            with db:
                db.execute("DELETE FROM sets WHERE session_id = ?", (sid,))
                db.execute("DELETE FROM sessions WHERE session_id = ?", (sid,))
            report.removed.append(sid)
        for sid, folder in sorted(folders.items()):
            fp = json.dumps(stamp(folder))
            if known.get(sid) == fp:
                continue
            srow, sets = summarise_folder(folder)
            with db:
                db.execute("DELETE FROM sets WHERE session_id = ?", (sid,))
                db.execute("DELETE FROM sessions WHERE session_id = ?", (sid,))
                db.execute(
                    f"INSERT INTO sessions ({', '.join(_SESSION_COLS)}, fingerprint) "
                    f"VALUES ({', '.join('?' * (len(_SESSION_COLS) + 1))})",
                    [*_session_values(srow), fp],
                )
                db.executemany(
                    f"INSERT INTO sets ({', '.join(_SET_COLS)}) VALUES ({', '.join('?' * len(_SET_COLS))})",
                    [[getattr(s, c) for c in _SET_COLS] for s in sets],
                )
            (report.updated if sid in known else report.added).append(sid)
            if srow.problem:
                report.problems.append(f"{sid}: {srow.problem}")
    return report


def _session_values(row: SessionRow) -> list[Any]:
    return [json.dumps(list(row.exercises)) if c == "exercises" else getattr(row, c) for c in _SESSION_COLS]


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30.0)
    db.execute("PRAGMA foreign_keys = OFF")
    return db


def _usable(path: Path) -> bool:
    """The index file exists, is a SQLite database and has this schema version."""
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30.0)) as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return False
    return version == SCHEMA_VERSION and tables >= {"sessions", "sets"}


def _create(path: Path) -> None:
    """A fresh, empty index in place of whatever was there (built aside, then renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    with closing(sqlite3.connect(tmp)) as db:
        db.executescript(_SCHEMA)
        db.commit()
    for suffix in ("-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    tmp.replace(path)


def _session_folders(data_dir: Path, report: SyncReport) -> dict[str, Path]:
    """Session folders by id; temporary (dot) folders are skipped, folders not named like an id reported."""
    root = data_dir / "sessions"
    if not root.is_dir():
        return {}
    out = {}
    for p in root.iterdir():
        if p.name.startswith(".") or not p.is_dir():
            continue
        if not is_session_id(p.name):
            report.problems.append(f"{p}: folder name is not a session id; not indexed")
            continue
        out[p.name] = p
    return out


# --- summarising one folder ---------------------------------------------------------------------------------


def summarise_folder(folder: Path) -> tuple[SessionRow, list[SetRow]]:
    """Analyse every set of a session folder on its own; never raises (problems end up in the rows)."""
    sid = folder.name
    files_stamp = stamp(folder)  # before reading: a change while reading makes the kept view stale, not wrong
    try:
        meta = load_metadata(folder)
        windows = set_windows(meta)
    except (InputFileError, KeyError, TypeError, ValueError) as e:
        return _unreadable(sid, str(e)), []
    created = _created(meta, sid)
    leg = str(meta.get("leg", ""))
    demo = bool(meta.get("demo", False))
    try:
        blocks: dict[Role, SampleBlock] | None = load_samples(folder, meta)
        load_problem = None
    except (InputFileError, OSError, ValueError) as e:
        blocks, load_problem = None, f"samples unreadable: {e}"
    last_s = _last_sample_s(blocks, windows)
    results: list[SetResult | None] = [None] * len(windows)
    if blocks is not None:
        analysed = analyse_sets(meta, blocks)
        save_view(folder, build_view(sid, analysed, end_of_data_s(blocks)), files_stamp)  # for the Sessions page
        results = list(analysed)
    sets = [
        _summarise_set(sid, w, r, load_problem, leg, demo, created, last_s)
        for w, r in zip(windows, results, strict=True)
    ]
    problems = [s.problem for s in sets if s.problem]
    if load_problem and not problems:
        problems.append(load_problem)
    row = SessionRow(
        session_id=sid,
        created_utc=_iso_utc(created),
        leg=leg,
        demo=demo,
        duration_s=last_s,
        exercises=tuple(dict.fromkeys(s.exercise for s in sets)),
        set_count=len(sets),
        rep_total=sum(s.rep_count or 0 for s in sets),
        holds_counted_total=sum(s.holds_counted or 0 for s in sets),
        summary="; ".join(_set_summary(s) for s in sets) or "no sets recorded",
        problem="; ".join(problems) if problems else None,
    )
    return row, sets


def _unreadable(sid: str, problem: str) -> SessionRow:
    created = _created({}, sid)
    return SessionRow(sid, _iso_utc(created), "", False, 0.0, (), 0, 0, 0, "unreadable", problem)


def _created(meta: dict[str, Any], sid: str) -> datetime:
    """Creation time from the metadata, else from the id (20261124T101500Z-...), else the epoch."""
    text = meta.get("created_utc")
    if isinstance(text, str):
        try:
            t = datetime.fromisoformat(text)
            return t if t.tzinfo else t.replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        return datetime.strptime(sid[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)


def _last_sample_s(blocks: dict[Role, SampleBlock] | None, windows: list[SetWindow]) -> float:
    """End of the recording on the session clock: the last sample, else the last finite set end, else 0."""
    ends = [float(b.t_s[-1]) for b in (blocks or {}).values() if len(b)]
    if not ends:
        ends = [t for w in windows for t in (w.start_s, w.end_s) if math.isfinite(t)]
    return max(ends, default=0.0)


def _summarise_set(
    sid: str,
    w: SetWindow,
    result: SetResult | None,
    load_problem: str | None,
    leg: str,
    demo: bool,
    created: datetime,
    last_s: float,
) -> SetRow:
    end_s = w.end_s if math.isfinite(w.end_s) else max(last_s, w.start_s)
    active_s = sum(min(b, end_s) - a for a, b in w.active_spans_s() if min(b, end_s) > a)
    base: dict[str, Any] = {
        "session_id": sid,
        "set_index": w.index,
        "exercise": w.exercise,
        "leg": leg,
        "demo": demo,
        "start_utc": _iso_utc(created + timedelta(seconds=w.start_s)),
        "start_s": w.start_s,
        "end_s": end_s,
        "active_s": active_s,
        "rep_count": None,
        "holds_counted": None,
        "hold_count": None,
        "circle_count": None,
        "peak_dorsiflexion_rad": None,
        "knee_to_wall_rad": None,
        "knee_to_wall_m": None,
        "heel_lifts": 0,
        "pronations": 0,
        "flagged_reps": 0,
        "pain": w.pain,
        "target_met": False,
        "problem": None,
    }
    n = w.index + 1
    if w.exercise not in SPECS:
        return SetRow(**base | {"problem": f"set {n}: unknown exercise {w.exercise!r}"})
    if result is None:
        return SetRow(**base | {"problem": f"set {n}: {load_problem}"})
    a = result[1]
    if isinstance(a, CalibrationError):
        return SetRow(**base | {"problem": f"set {n}: calibration failed: {a}"})
    if isinstance(a, ValueError):
        return SetRow(**base | {"problem": f"set {n}: cannot analyse: {a}"})
    return SetRow(**base | _set_numbers(a, w.exercise, active_s))


def _set_numbers(a: Analysis, exercise: str, active_s: float) -> dict[str, Any]:
    """The per-set numbers of an analysis (see SetRow)."""
    unit = SPECS[exercise].target_unit
    progress = a.progress[-1] if a.progress else {}
    hold_events = [e.data for e in a.events if e.kind == "hold"]
    out: dict[str, Any] = {
        "peak_dorsiflexion_rad": _finite(a.max_dorsiflexion_rad),
        "heel_lifts": sum(1 for c in a.compensations if c["kind"] == "heel_lift"),
        "pronations": sum(1 for c in a.compensations if c["kind"] == "pronation"),
        "flagged_reps": sum(1 for x in [*a.reps, *hold_events] if x.get("flags")),
        "target_met": int(progress.get("count", 0)) >= int(progress.get("target", 1)),
    }
    if unit == "reps":
        out["rep_count"] = a.rep_count
    elif unit == "holds":
        out["holds_counted"] = int(progress.get("count", sum(1 for h in hold_events if h.get("counts", True))))
        out["hold_count"] = len(hold_events)
    elif unit == "circles":
        out["circle_count"] = len(a.circles)
    elif unit == "s":
        out["active_s"] = float(progress.get("active_s", active_s))
    if exercise == "knee_to_wall":
        counted = [x for x in a.attempts if x.get("counts")]
        if counted:
            best = max(counted, key=lambda x: float(x["max_dorsiflexion_rad"]))
            out["knee_to_wall_rad"] = float(best["max_dorsiflexion_rad"])
            out["knee_to_wall_m"] = _finite(best.get("toe_to_wall_m"))
    return out


def _finite(x: Any) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _set_summary(s: SetRow) -> str:
    """One set for people, e.g. "band mobilisation 30 reps (peak 38 deg)" (degrees and cm at this edge)."""
    name = s.exercise.replace("_", " ")
    if s.problem:
        return f"{name}: not analysed"
    if s.knee_to_wall_m is not None and s.knee_to_wall_rad is not None:
        return f"{name} {100 * s.knee_to_wall_m:.1f} cm ({math.degrees(s.knee_to_wall_rad):.0f} deg)"
    if s.rep_count is not None:
        count = f"{s.rep_count} reps"
    elif s.holds_counted is not None:
        count = f"{s.holds_counted} holds"
    elif s.circle_count is not None:
        count = f"{s.circle_count} circles"
    elif s.exercise in SPECS and SPECS[s.exercise].target_unit == "s":
        return f"{name} {s.active_s:.0f} s rolling"
    else:
        count = "no valid attempt"
    peak = "" if s.peak_dorsiflexion_rad is None else f" (peak {math.degrees(s.peak_dorsiflexion_rad):.0f} deg)"
    return f"{name} {count}{peak}"

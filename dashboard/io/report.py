"""`dorsi report`: one self-contained HTML file (plotly.js inline, opens offline) of a session or a date range."""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from dashboard import session_index as si
from processing.exercises.registry import SPECS

CM_PER_M = 100.0


class ReportError(ValueError):
    """A report that cannot be made (unknown session, bad range, nothing in it, unwritable file)."""


def write_report(data_dir: Path, what: str, *, leg: str | None = None, out: Path | None = None) -> Path:
    """Write the HTML report of a session id or a date range FROM..TO (either end may be left out).

    Parameters
    ----------
    data_dir : the data directory (the index is synced first).
    what : a session id, a date range such as 2026-10-01..2026-11-24 (inclusive), or one date.
    leg : only sessions of this leg.
    out : the file to write; default dorsi-report-<what>.html in the current folder.

    Returns
    -------
    The file written.
    """
    data_dir = Path(data_dir)
    if not (data_dir / "sessions").is_dir():
        raise ReportError(f"{data_dir}: no sessions folder (is --data-dir right?)")
    si.sync(data_dir)
    sessions, title = select_sessions(data_dir, what, leg)
    if not sessions:
        raise ReportError(f"no sessions {title}{f' of the {leg} leg' if leg else ''} in {data_dir / 'sessions'}")
    sets = [s for row in sessions for s in si.session_sets(data_dir, row.session_id)]
    page = render_report(title, sessions, sets, leg)
    out = Path(out) if out else Path.cwd() / f"dorsi-report-{what.replace('..', '_to_').replace('/', '_')}.html"
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"cannot write {out}: {e.strerror or e}") from e
    return out


def select_sessions(data_dir: Path, what: str, leg: str | None) -> tuple[list[si.SessionRow], str]:
    """The sessions a report covers, oldest first, and how to name them ("session X", "2026-10-01 to ...")."""
    what = what.strip()
    if ".." in what or _is_date(what):
        since, _, until = what.partition("..") if ".." in what else (what, "", what)
        try:
            rows = si.list_sessions(data_dir, leg=leg, since_utc=since.strip() or None, until_utc=until.strip() or None)
        except ValueError as e:
            raise ReportError(f"{what!r}: {e}; a range looks like 2026-10-01..2026-11-24") from e
        title = f"from {since or 'the first session'} to {until or 'the last session'}"
        return rows[::-1], title
    try:
        si.session_folder(data_dir, what)
    except ValueError as e:
        raise ReportError(f"{what!r}: neither a session id nor a date range such as 2026-10-01..2026-11-24") from e
    row = si.session(data_dir, what)
    if row is None:
        raise ReportError(f"{what}: no such session in {data_dir / 'sessions'}")
    if leg is not None and row.leg != leg:
        return [], f"session {what}"
    return [row], f"session {what}"


def _is_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _deg(x: float | None, digits: int = 1) -> str:
    return "" if x is None or not math.isfinite(x) else f"{math.degrees(x):.{digits}f}"


def _when(utc: str) -> str:
    return datetime.fromisoformat(utc).astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _count(s: si.SetRow) -> str:
    """The set's count against the guide's target, e.g. "12 / 30 reps"."""
    spec = SPECS.get(s.exercise)
    target = "" if spec is None else f" / {spec.target_count}"
    if s.rep_count is not None:
        return f"{s.rep_count}{target} reps"
    if s.holds_counted is not None:
        return f"{s.holds_counted}{target} holds ({s.hold_count} held)"
    if s.circle_count is not None:
        return f"{s.circle_count} circles"
    if spec is not None and spec.target_unit == "s":
        return f"{s.active_s:.0f}{target} s rolling"
    if s.exercise == "knee_to_wall":
        return "" if s.knee_to_wall_m is None else f"{CM_PER_M * s.knee_to_wall_m:.1f} cm"
    return ""


def _figure_html(fig: go.Figure) -> str:
    fig.update_layout(margin={"l": 60, "r": 20, "t": 50, "b": 50}, height=360, template="plotly_white")
    return str(pio.to_html(fig, full_html=False, include_plotlyjs=False, config={"displaylogo": False}))


def knee_to_wall_figure(sets: list[si.SetRow]) -> go.Figure | None:
    """Knee-to-wall angle per leg over time (cm in the hover text); None without a valid test."""
    fig = go.Figure()
    for leg in ("left", "right"):
        mine = [s for s in sets if s.leg == leg and s.knee_to_wall_rad is not None]
        if mine:
            fig.add_trace(
                go.Scatter(
                    x=[s.start_utc for s in mine],
                    y=[round(math.degrees(s.knee_to_wall_rad or 0.0), 1) for s in mine],
                    text=[f"{CM_PER_M * (s.knee_to_wall_m or 0.0):.1f} cm" for s in mine],
                    mode="lines+markers",
                    name=f"{leg} leg",
                    hovertemplate="%{x}<br>%{y} deg, %{text}<extra>%{fullData.name}</extra>",
                )
            )
    if not fig.data:
        return None
    fig.update_layout(title="Knee-to-wall test per leg", xaxis_title="date", yaxis_title="dorsiflexion (deg)")
    return fig


def counts_figure(sets: list[si.SetRow]) -> go.Figure | None:
    """Reps and holds per set over time, one series per exercise; None without any."""
    fig = go.Figure()
    for exercise in dict.fromkeys(s.exercise for s in sets):
        mine = [s for s in sets if s.exercise == exercise and (s.rep_count is not None or s.holds_counted is not None)]
        if mine:
            fig.add_trace(
                go.Bar(
                    x=[s.start_utc for s in mine],
                    y=[s.rep_count if s.rep_count is not None else s.holds_counted for s in mine],
                    name=exercise.replace("_", " "),
                )
            )
    if not fig.data:
        return None
    fig.update_layout(title="Reps and holds per set", xaxis_title="date", yaxis_title="count", barmode="group")
    return fig


def pain_figure(sets: list[si.SetRow]) -> go.Figure | None:
    """Pain ratings (0-10) per set over time; None if none was rated."""
    rated = [s for s in sets if s.pain is not None]
    if not rated:
        return None
    fig = go.Figure(
        go.Scatter(
            x=[s.start_utc for s in rated],
            y=[s.pain for s in rated],
            text=[s.exercise.replace("_", " ") for s in rated],
            mode="markers",
            marker={"size": 10},
            name="pain",
        )
    )
    fig.update_layout(title="Pain after each set (0-10)", yaxis={"range": [-0.5, 10.5]}, xaxis_title="date")
    return fig


def _table(head: Iterable[str], rows: Iterable[Iterable[object]], cls: str) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _flags(s: si.SetRow) -> str:
    parts = [
        f"{n} {label}"
        for n, label in ((s.heel_lifts, "heel lifts"), (s.pronations, "foot rolled in"), (s.flagged_reps, "flagged"))
        if n
    ]
    return ", ".join(parts)


def render_report(title: str, sessions: list[si.SessionRow], sets: list[si.SetRow], leg: str | None) -> str:
    """The whole HTML page (no external reference: plotly.js and styles are inline)."""
    figures = [f for f in (knee_to_wall_figure(sets), counts_figure(sets), pain_figure(sets)) if f is not None]
    session_table = _table(
        ("date (UTC)", "session", "leg", "sets", "reps", "holds", "summary", "problem"),
        (
            (
                _when(r.created_utc) + (" (demo)" if r.demo else ""),
                r.session_id,
                r.leg,
                r.set_count,
                r.rep_total,
                r.holds_counted_total,
                r.summary,
                r.problem or "",
            )
            for r in sessions
        ),
        "sessions",
    )
    set_table = _table(
        (
            "start (UTC)",
            "leg",
            "exercise",
            "count",
            "target met",
            "peak (deg)",
            "knee-to-wall",
            "flags",
            "pain",
            "note",
        ),
        (
            (
                _when(s.start_utc),
                s.leg,
                s.exercise.replace("_", " "),
                _count(s),
                "yes" if s.target_met else "no",
                _deg(s.peak_dorsiflexion_rad),
                ""
                if s.knee_to_wall_rad is None
                else f"{_deg(s.knee_to_wall_rad)} deg"
                + ("" if s.knee_to_wall_m is None else f", {CM_PER_M * s.knee_to_wall_m:.1f} cm"),
                _flags(s),
                "" if s.pain is None else s.pain,
                s.problem or "",
            )
            for s in sets
        ),
        "sets",
    )
    demo_note = (
        '<p class="note">Sessions marked (demo) are simulated motion, not a person.</p>'
        if any(r.demo for r in sessions)
        else ""
    )
    k2w = [s for s in sets if s.knee_to_wall_rad is not None]
    best = ""
    for side in ("left", "right"):
        mine = [s for s in k2w if s.leg == side]
        if mine:
            top = max(mine, key=lambda s: s.knee_to_wall_rad or 0.0)
            cm = "" if top.knee_to_wall_m is None else f", {CM_PER_M * top.knee_to_wall_m:.1f} cm"
            best += f"<li>best knee-to-wall, {side} leg: {_deg(top.knee_to_wall_rad)} deg{cm}</li>"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    heading = f"dorsi report: {title}" + (f", {leg} leg" if leg else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #1a1a1a; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 1.5em; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }}
th {{ background: #eef; }} .note {{ color: #444; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>{html.escape(heading)}</h1>
<p class="note">{len(sessions)} session(s), {len(sets)} set(s). Angles are ankle dorsiflexion in degrees from the
neutral standing stance; knee-to-wall distances use 1 cm per 3.6 deg unless measured. Generated {generated}.</p>
{demo_note}<ul>{best}</ul>
{"".join(_figure_html(f) for f in figures)}
<h2>Sets</h2>
{set_table}
<h2>Sessions</h2>
{session_table}
</body></html>
"""

"""Sessions page: the recorded sessions with filters, and one session's sets and whole-session angle trace."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import dash
from dash import Input, Output, Patch, State, dcc, html

from dashboard import ids, session_index
from dashboard.app import current_data_dir
from dashboard.decimate import DEFAULT_POINTS, decimate
from dashboard.live_view import aria
from dashboard.paths import is_session_id
from dashboard.session_figures import (
    FLAG_TRACE,
    empty_session_figure,
    marks_in_view,
    session_figure,
    trace_values,
    y_range_deg,
)
from dashboard.session_index import SessionRow, SetRow
from dashboard.session_view import VIEWS, SessionView, exercise_title
from sensors.interchange import InputFileError

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path="/sessions", name="Sessions", title="dorsi: sessions", order=-1
)

ANY = "all"
LEG_BUTTON = "sessions-leg-button"
EXERCISE_BUTTON = "sessions-exercise-button"
LEG_OPTIONS = [
    {"label": "Both legs", "value": ANY},
    {"label": "Left", "value": "left"},
    {"label": "Right", "value": "right"},
]
ZOOM_HELP = "Drag across the trace to zoom in on a stretch of time; double-click to see the whole session again."


def format_created(created_utc: str) -> str:
    """Return a creation time as people read it, e.g. ``"2026-11-24 10:15 UTC"`` (the text itself if unparsable)."""
    try:
        t = datetime.fromisoformat(created_utc)
    except ValueError:
        return created_utc
    return t.strftime("%Y-%m-%d %H:%M") + " UTC"


def format_duration(duration_s: float | None) -> str:
    """Return a duration as ``"1 h 02 min"``, ``"12 min 05 s"`` or ``"45 s"`` (an en dash when unknown)."""
    if duration_s is None or not math.isfinite(duration_s) or duration_s < 0:
        return "\u2013"
    total = round(duration_s)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {s:02d} s"
    return f"{s} s"


def format_deg(angle_rad: float | None) -> str:
    """Return an angle in whole degrees, or an en dash."""
    if angle_rad is None or not math.isfinite(angle_rad):
        return "\u2013"
    return f"{round(math.degrees(angle_rad)) + 0:d} deg"


def set_count_text(row: SetRow) -> str:
    """Return what a set achieved in words: reps, holds counted, circles or the knee-to-wall result."""
    parts = []
    if row.rep_count is not None:
        parts.append(f"{row.rep_count} reps")
    if row.hold_count is not None:
        parts.append(f"{row.holds_counted or 0} of {row.hold_count} holds counted")
    if row.circle_count is not None:
        parts.append(f"{row.circle_count} circles")
    if row.knee_to_wall_m is not None:
        parts.append(f"{100 * row.knee_to_wall_m:.1f} cm")
    return ", ".join(parts) or "\u2013"


def set_flags_text(row: SetRow) -> str:
    """Return the set's compensations and flagged reps in words ("none" when there were none)."""
    parts = []
    if row.heel_lifts:
        parts.append(f"{row.heel_lifts} heel lift{'s' if row.heel_lifts != 1 else ''}")
    if row.pronations:
        parts.append(f"{row.pronations} foot rolling in")
    if row.flagged_reps:
        parts.append(f"{row.flagged_reps} flagged rep{'s' if row.flagged_reps != 1 else ''}")
    return ", ".join(parts) or "none"


def _demo_label(demo: bool) -> html.Span | str:
    return html.Span("demo data", className="sessions-demo") if demo else ""


def session_rows(rows: list[SessionRow]) -> list[html.Tr]:
    """Return one table row per session: date (a link to its details), leg, exercises, duration, summary."""
    out = []
    for r in rows:
        exercises = ", ".join(exercise_title(e) for e in r.exercises) or "no sets"
        summary: list[Any] = [r.summary]
        if r.problem:
            summary.append(html.Span(f" Problem: {r.problem}", className="sessions-problem"))
        out.append(
            html.Tr(
                [
                    html.Th(
                        dcc.Link(format_created(r.created_utc), href=f"/sessions?session={r.session_id}"),
                        scope="row",
                    ),
                    html.Td(r.leg),
                    html.Td(exercises),
                    html.Td(format_duration(r.duration_s), className="num"),
                    html.Td(summary),
                    html.Td(_demo_label(r.demo)),
                    html.Td(
                        html.A(
                            "Replay",
                            href=f"/replay?session={r.session_id}",
                            **aria(label=f"Replay the session of {format_created(r.created_utc)}"),
                        )
                    ),
                ],
                **{"data-session": r.session_id},  # type: ignore[arg-type]
            )
        )
    return out


def set_table_rows(rows: list[SetRow]) -> list[html.Tr]:
    """Return one table row per set: exercise, start, active time, count, peak, flags, pain, target."""
    out = []
    for r in rows:
        target = "target reached" if r.target_met else "target not reached"
        out.append(
            html.Tr(
                [
                    html.Th(str(r.set_index + 1), scope="row", className="num"),
                    html.Td(exercise_title(r.exercise)),
                    html.Td(format_duration(r.start_s), className="num"),
                    html.Td(format_duration(r.active_s), className="num"),
                    html.Td(set_count_text(r)),
                    html.Td(format_deg(r.peak_dorsiflexion_rad), className="num"),
                    html.Td(set_flags_text(r)),
                    html.Td("\u2013" if r.pain is None else f"{r.pain} of 10", className="num"),
                    html.Td(f"not analysed: {r.problem}" if r.problem else target),
                ]
            )
        )
    return out


def _exercise_options(rows: list[SessionRow]) -> list[dict[str, str]]:
    names = sorted({e for r in rows for e in r.exercises}, key=exercise_title)
    return [{"label": "All exercises", "value": ANY}] + [{"label": exercise_title(n), "value": n} for n in names]


def _toggle_group(kind: str, legend: str, options: list[dict[str, str]], chosen: str) -> html.Fieldset:
    """A group of toggle buttons of which one is pressed (plain buttons: keyboard- and screen-reader-friendly)."""
    return html.Fieldset(
        [
            html.Legend(legend),
            html.Div(
                [
                    html.Button(
                        o["label"],
                        id={"type": kind, "value": o["value"]},
                        n_clicks=0,
                        className="sessions-toggle",
                        **aria(pressed="true" if o["value"] == chosen else "false"),
                    )
                    for o in options
                ],
                className="sessions-toggles",
            ),
        ],
        className="sessions-fieldset",
    )


def _date_input(component_id: str) -> dcc.Input:
    # The browser's own date picker; Dash's typing lists fewer input types than it renders.
    return dcc.Input(id=component_id, type="date", debounce=True)  # type: ignore[arg-type]


def _filters(rows: list[SessionRow]) -> html.Section:
    return html.Section(
        [
            html.H2("Filters"),
            html.Div(
                [
                    _toggle_group(LEG_BUTTON, "Leg", LEG_OPTIONS, ANY),
                    _toggle_group(EXERCISE_BUTTON, "Exercise", _exercise_options(rows), ANY),
                    html.Fieldset(
                        [
                            html.Legend("Date (UTC)"),
                            html.Label(
                                ["From ", _date_input(ids.SESSIONS_FILTER_SINCE)],
                                className="sessions-date",
                            ),
                            html.Label(
                                ["To ", _date_input(ids.SESSIONS_FILTER_UNTIL)],
                                className="sessions-date",
                            ),
                        ],
                        className="sessions-fieldset",
                    ),
                ],
                className="sessions-filters",
            ),
            dcc.Store(id=ids.SESSIONS_FILTER_STATE, data={"leg": ANY, "exercise": ANY}, storage_type="memory"),
        ],
        className="dorsi-panel",
    )


def _count_text(shown: int, total: int) -> str:
    if total == 0:
        return "No sessions recorded yet: record one on the Live page."
    return f"Showing {shown} of {total} session{'s' if total != 1 else ''}."


def _list_layout() -> html.Div:
    data_dir = current_data_dir()
    session_index.sync(data_dir)
    rows = session_index.list_sessions(data_dir)
    return html.Div(
        [
            html.H2("Sessions", className="sessions-title"),
            _filters(rows),
            html.Section(
                [
                    html.P(_count_text(len(rows), len(rows)), id=ids.SESSIONS_COUNT, role="status"),
                    html.Table(
                        [
                            html.Caption("Recorded sessions, newest first"),
                            html.Thead(
                                html.Tr(
                                    [
                                        html.Th(h, scope="col")
                                        for h in ("Date", "Leg", "Exercises", "Duration", "Summary", "Data", "Replay")
                                    ]
                                )
                            ),
                            html.Tbody(session_rows(rows), id=ids.SESSIONS_ROWS),
                        ],
                        id=ids.SESSIONS_TABLE,
                        className="dorsi-table sessions-table",
                    ),
                ],
                className="dorsi-panel",
                **aria(label="Session list"),
            ),
        ]
    )


def _message_layout(text: str) -> html.Div:
    return html.Div(
        [
            html.H2("Session not found", className="sessions-title"),
            html.P(text, id=ids.SESSIONS_MESSAGE, role="alert", className="sessions-message"),
            html.P(dcc.Link("Back to all sessions", href="/sessions")),
        ]
    )


def _detail_layout(session_id: str) -> html.Div:
    if not is_session_id(session_id):
        return _message_layout(
            f"{session_id!r} is not a session id (ids are letters, digits and '-', like 20261124T101500Z-3f9a)."
        )
    data_dir = current_data_dir()
    session_index.sync(data_dir)
    row = session_index.session(data_dir, session_id)
    if row is None:
        return _message_layout(f"There is no session {session_id} in this data directory.")
    sets = session_index.session_sets(data_dir, session_id)
    title = f"Session of {format_created(row.created_utc)}, {row.leg} leg"
    # An analysed session is drawn at once; otherwise a callback analyses it while the page shows the rest.
    cached = VIEWS.peek(session_index.session_folder(data_dir, session_id))
    if cached is not None:
        figure, status = _whole_figure(cached)
    else:
        figure, status = empty_session_figure("Analysing the session\u2026"), "Analysing the session\u2026"
    return html.Div(
        [
            html.P(dcc.Link("\u2190 All sessions", href="/sessions")),
            html.H2([title, " ", _demo_label(row.demo)], className="sessions-title"),
            html.P(
                [
                    f"{format_duration(row.duration_s)}. {row.summary} ",
                    dcc.Link("Replay this session", href=f"/replay?session={session_id}"),
                ]
            ),
            html.P(f"Problem: {row.problem}", className="sessions-problem") if row.problem else None,
            html.Section(
                [
                    html.Table(
                        [
                            html.Caption("Sets"),
                            html.Thead(
                                html.Tr(
                                    [
                                        html.Th(h, scope="col")
                                        for h in (
                                            "Set",
                                            "Exercise",
                                            "Start",
                                            "Active",
                                            "Done",
                                            "Peak",
                                            "Flags",
                                            "Pain",
                                            "Target",
                                        )
                                    ]
                                )
                            ),
                            html.Tbody(set_table_rows(sets) or [html.Tr(html.Td("No sets", colSpan=9))]),
                        ],
                        id=ids.SESSIONS_SET_TABLE,
                        className="dorsi-table",
                    )
                ],
                className="dorsi-panel",
            ),
            html.Section(
                [
                    html.H2("Whole session: dorsiflexion"),
                    html.P(ZOOM_HELP),
                    html.P(status, id=ids.SESSIONS_GRAPH_STATUS, role="status"),
                    dcc.Graph(
                        id=ids.SESSIONS_GRAPH,
                        figure=figure,
                        config={"displaylogo": False, "responsive": True, "showTips": False},
                    ),
                ],
                className="dorsi-panel",
                **aria(label="Whole-session dorsiflexion trace"),
            ),
            dcc.Store(id=ids.SESSIONS_DETAIL_ID, data=session_id, storage_type="memory"),
            dcc.Store(id=ids.SESSIONS_PENDING, data=None if cached else session_id, storage_type="memory"),
            dcc.Store(id=ids.SESSIONS_ZOOM, data=None, storage_type="memory"),
        ]
    )


def layout(session: str | None = None, **_query: str) -> html.Div:
    """Build the session list, or with ``?session=ID`` one session's details (called on every page load)."""
    if session is None:
        return _list_layout()
    return _detail_layout(session)


def _pressed(options: list[dict[str, Any]], chosen: str) -> list[str]:
    return ["true" if o["id"]["value"] == chosen else "false" for o in options]


@dash.callback(
    Output(ids.SESSIONS_ROWS, "children"),
    Output(ids.SESSIONS_COUNT, "children"),
    Output(ids.SESSIONS_FILTER_STATE, "data"),
    Output({"type": LEG_BUTTON, "value": dash.ALL}, "aria-pressed"),
    Output({"type": EXERCISE_BUTTON, "value": dash.ALL}, "aria-pressed"),
    Input({"type": LEG_BUTTON, "value": dash.ALL}, "n_clicks"),
    Input({"type": EXERCISE_BUTTON, "value": dash.ALL}, "n_clicks"),
    Input(ids.SESSIONS_FILTER_SINCE, "value"),
    Input(ids.SESSIONS_FILTER_UNTIL, "value"),
    State(ids.SESSIONS_FILTER_STATE, "data"),
    prevent_initial_call=True,
)
def on_filter(
    _leg_clicks: list[int], _exercise_clicks: list[int], since: str | None, until: str | None, state: dict[str, str]
) -> tuple[Any, ...]:
    """Show the sessions that match the filters; the pressed buttons show which filters apply."""
    state = dict(state or {"leg": ANY, "exercise": ANY})
    trigger = dash.ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == LEG_BUTTON:
        state["leg"] = str(trigger["value"])
    elif isinstance(trigger, dict) and trigger.get("type") == EXERCISE_BUTTON:
        state["exercise"] = str(trigger["value"])
    leg_pressed = _pressed(dash.ctx.inputs_list[0], state["leg"])
    exercise_pressed = _pressed(dash.ctx.inputs_list[1], state["exercise"])
    data_dir = current_data_dir()
    total = len(session_index.list_sessions(data_dir))
    try:
        rows = session_index.list_sessions(
            data_dir,
            leg=None if state["leg"] == ANY else state["leg"],
            exercise=None if state["exercise"] == ANY else state["exercise"],
            since_utc=since or None,
            until_utc=until or None,
        )
    except ValueError as e:
        return dash.no_update, f"Could not filter: {e}", state, leg_pressed, exercise_pressed
    return session_rows(rows), _count_text(len(rows), total), state, leg_pressed, exercise_pressed


def _view(session_id: str) -> SessionView:
    data_dir = current_data_dir()
    return VIEWS.get(session_index.session_folder(data_dir, session_id), session_id)


def _status(view: SessionView, shown: int, x_range: tuple[float, float] | None) -> str:
    where = "the whole session" if x_range is None else f"{min(x_range):.1f}\u2013{max(x_range):.1f} s"
    text = f"Showing {where}: {shown} of {len(view.t_s)} points."
    if view.problems:
        text += " Not analysed: " + "; ".join(view.problems)
    return text


@dash.callback(
    Output(ids.SESSIONS_GRAPH, "figure"),
    Output(ids.SESSIONS_GRAPH_STATUS, "children"),
    Input(ids.SESSIONS_PENDING, "data"),
)
def on_open(session_id: str | None) -> tuple[Any, str]:
    """Analyse a session the page could not draw at once (not cached) and draw its whole trace, decimated."""
    if not is_session_id(session_id):
        raise dash.exceptions.PreventUpdate
    assert session_id is not None
    try:
        view = _view(session_id)
    except (InputFileError, OSError, ValueError) as e:
        return empty_session_figure("This session could not be read."), f"This session could not be read: {e}"
    return _whole_figure(view)


def _whole_figure(view: SessionView) -> tuple[Any, str]:
    x, y = decimate(view.t_s, view.dorsiflexion_rad, DEFAULT_POINTS)
    revision = f"session-{view.session_id}"
    fig = session_figure(x, y, view.marks, y_range=y_range_deg(view.dorsiflexion_rad), revision=revision)
    return fig, _status(view, len(x), None)


# Only zooms and resets reach the server: the automatic resize right after load is not a zoom, and letting it
# through makes Dash drop the result of a zoom that follows it (the first zoom would be lost).
ZOOM_FILTER_JS = """
function (relayout) {
    const ev = relayout || {};
    if (ev["xaxis.autorange"] === true) { return {reset: true}; }
    let x0 = ev["xaxis.range[0]"], x1 = ev["xaxis.range[1]"];
    if (x0 === undefined && Array.isArray(ev["xaxis.range"])) { [x0, x1] = ev["xaxis.range"]; }
    if (typeof x0 !== "number" || typeof x1 !== "number") { return window.dash_clientside.no_update; }
    return {x0: x0, x1: x1};
}
"""
dash.clientside_callback(
    ZOOM_FILTER_JS,
    Output(ids.SESSIONS_ZOOM, "data"),
    Input(ids.SESSIONS_GRAPH, "relayoutData"),
    prevent_initial_call=True,
)


def zoom_range(zoom: dict[str, Any] | None) -> tuple[float, float] | None:
    """Return the x range of a filtered zoom event, or None for a reset (autorange) or anything else."""
    if not isinstance(zoom, dict) or zoom.get("reset"):
        return None
    try:
        lo, hi = float(zoom["x0"]), float(zoom["x1"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
        return None
    return (min(lo, hi), max(lo, hi))


@dash.callback(
    Output(ids.SESSIONS_GRAPH, "figure", allow_duplicate=True),
    Output(ids.SESSIONS_GRAPH_STATUS, "children", allow_duplicate=True),
    Input(ids.SESSIONS_ZOOM, "data"),
    State(ids.SESSIONS_DETAIL_ID, "data"),
    prevent_initial_call=True,
)
def on_zoom(zoom: dict[str, Any] | None, session_id: str | None) -> tuple[Any, str]:
    """Re-decimate the trace for the zoomed time range (or the whole session after a reset): only trace 0."""
    if zoom is None or not is_session_id(session_id):
        raise dash.exceptions.PreventUpdate
    assert session_id is not None
    try:
        view = _view(session_id)
    except (InputFileError, OSError, ValueError):
        raise dash.exceptions.PreventUpdate from None
    x_range = zoom_range(zoom)
    x, y = decimate(view.t_s, view.dorsiflexion_rad, DEFAULT_POINTS, x_range)
    xs, ys = trace_values(x, y)
    fx, fy, ftext = marks_in_view(view.marks.flagged, x_range)
    patch = Patch()
    patch["data"][0]["x"] = xs
    patch["data"][0]["y"] = ys
    patch["data"][FLAG_TRACE]["x"] = fx
    patch["data"][FLAG_TRACE]["y"] = fy
    patch["data"][FLAG_TRACE]["text"] = ftext
    return patch, _status(view, len(xs), x_range)

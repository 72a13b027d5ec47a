"""Progress page: per leg, the knee-to-wall test over weeks, peaks, volume, adherence and left-right asymmetry."""

from __future__ import annotations

import math
from typing import Any

import dash
from dash import Input, Output, dcc, html

from dashboard import ids, session_index
from dashboard.app import current_data_dir
from dashboard.progress_figures import (
    adherence_figure,
    asymmetry_figure,
    ktw_figure,
    peak_figure,
    volume_figure,
)
from dashboard.progress_stats import (
    KTW_ERROR_M,
    KTW_ERROR_RAD,
    KTW_TARGET_M,
    Asymmetry,
    KtwPoint,
    Trend,
    asymmetry,
    classify_change,
    ktw_series,
    parse_utc,
    peak_per_session,
    weekly_adherence,
    weekly_trend,
    weekly_volume,
)
from dashboard.session_index import SetRow
from processing.exercises.registry import SPECS

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path="/progress", name="Progress", title="dorsi: progress", order=-2
)

LEGS = ("left", "right")
GRAPH_CONFIG: Any = {"displaylogo": False, "responsive": True}
CHANGE_WORDS = {
    "better": "a real improvement",
    "worse": "a real decline",
    "within": "within the measurement error, so not yet a real change",
}


def _default_leg(rows: list[SetRow]) -> str:
    """The leg with the most knee-to-wall tests (right when none)."""
    counts = {leg: sum(1 for r in rows if r.leg == leg and r.exercise == "knee_to_wall") for leg in LEGS}
    return "left" if counts["left"] > counts["right"] else "right"


def layout(leg: str | None = None, **_query: str) -> html.Div:
    """Build the page (the index is brought up to date first); ``?leg=left|right`` picks the leg."""
    data_dir = current_data_dir()
    problem = None
    try:
        session_index.sync(data_dir)
    except Exception as e:  # noqa: BLE001 - the page must still open and say why the index is stale
        problem = f"The session index could not be updated: {e}"
    rows = session_index.set_rows(data_dir)
    chosen = leg if leg in LEGS else _default_leg(rows)
    picker = html.Div(
        [html.Span("Leg:", className="dorsi-label", id="progress-leg-label"), *leg_buttons(chosen)],
        role="group",
        className="progress-legs",
        **{"aria-labelledby": "progress-leg-label"},  # type: ignore[arg-type]
    )
    head = [html.H2("Progress"), picker]
    if problem:
        head.append(html.P(problem, role="alert"))
    return html.Div(
        [
            html.Section(head, className="dorsi-panel"),
            html.Div(render(rows, chosen), id=ids.PROGRESS_CONTENT, **{"aria-live": "polite"}),  # type: ignore[arg-type]
        ]
    )


def leg_button_id(leg: str) -> str:
    """The id of the button that shows one leg."""
    return f"{ids.PROGRESS_LEG}-{leg}"


def leg_buttons(chosen: str) -> list[html.Button]:
    """One toggle button per leg; the chosen one is pressed (aria-pressed and a tick, not colour alone)."""
    return [
        html.Button(
            _leg_label(leg, leg == chosen),
            id=leg_button_id(leg),
            n_clicks=0,
            className="dorsi-button" + ("" if leg == chosen else " secondary"),
            **{"aria-pressed": "true" if leg == chosen else "false"},  # type: ignore[arg-type]
        )
        for leg in LEGS
    ]


def _leg_label(leg: str, pressed: bool) -> str:
    return ("✓ " if pressed else "") + f"{leg.capitalize()} leg"


@dash.callback(
    Output(ids.PROGRESS_CONTENT, "children"),
    *(Output(leg_button_id(leg), prop) for leg in LEGS for prop in ("children", "className", "aria-pressed")),
    *(Input(leg_button_id(leg), "n_clicks") for leg in LEGS),
    prevent_initial_call=True,
)
def on_leg(*_clicks: int) -> tuple[Any, ...]:
    """Show the progress of the leg whose button was pressed."""
    triggered = dash.ctx.triggered_id
    leg = next((name for name in LEGS if triggered == leg_button_id(name)), "right")
    buttons: list[Any] = []
    for name in LEGS:
        pressed = name == leg
        buttons += [_leg_label(name, pressed), "dorsi-button" + ("" if pressed else " secondary"), str(pressed).lower()]
    return (render(session_index.set_rows(current_data_dir()), leg), *buttons)


def _cm(m: float) -> str:
    return f"{m * 100.0:.1f} cm"


def _deg(rad: float) -> str:
    return f"{math.degrees(rad):.1f} deg"


def _date(p: KtwPoint) -> str:
    return p.when.strftime("%d %b %Y")


def ktw_summary(points: list[KtwPoint], trend_m: Trend | None, trend_rad: Trend | None) -> list[Any]:
    """Sentences on the latest knee-to-wall result, its change since the first test and the weekly trend."""
    if not points:
        return [html.P("No knee-to-wall test of this leg yet: do one on the Live page (it is the routine's test).")]
    first, last = points[0], points[-1]
    target = "reaches" if last.m >= KTW_TARGET_M else "does not reach yet"
    out = [
        html.P(
            [
                html.Strong("Latest: "),
                f"{_cm(last.m)} toe to wall ({_deg(last.rad)}) on {_date(last)}; it {target} the 8 cm target.",
            ]
        )
    ]
    if len(points) > 1:
        d_m, d_rad = last.m - first.m, last.rad - first.rad
        kind_m, kind_rad = classify_change(d_m, KTW_ERROR_M), classify_change(d_rad, KTW_ERROR_RAD)
        out.append(
            html.P(
                [
                    html.Strong("Since the first test "),
                    f"({_date(first)}): {d_m * 100.0:+.1f} cm, {CHANGE_WORDS[kind_m]} "
                    f"(the test's measurement error is {KTW_ERROR_M * 100.0:.1f} cm); "
                    f"{math.degrees(d_rad):+.1f} deg, {CHANGE_WORDS[kind_rad]} "
                    f"(measurement error {math.degrees(KTW_ERROR_RAD):.1f} deg).",
                ]
            )
        )
    if trend_m is not None and trend_rad is not None:
        out.append(
            html.P(
                [
                    html.Strong("Weekly trend: "),
                    f"{trend_m.slope_per_week * 100.0:+.2f} cm per week (95 % confidence interval "
                    f"{trend_m.ci95_low * 100.0:+.2f} to {trend_m.ci95_high * 100.0:+.2f}, standard error "
                    f"{trend_m.stderr_per_week * 100.0:.2f}); {math.degrees(trend_rad.slope_per_week):+.2f} deg per "
                    f"week (95 % CI {math.degrees(trend_rad.ci95_low):+.2f} to "
                    f"{math.degrees(trend_rad.ci95_high):+.2f}); a least-squares fit to {trend_m.n} tests.",
                ]
            )
        )
    else:
        out.append(html.P("Weekly trend: needs at least 3 tests on different days."))
    return out


def ktw_table(points: list[KtwPoint]) -> html.Table:
    """Every knee-to-wall result of the leg in a table, with its change from the first test in words."""
    body = []
    for p in reversed(points):
        kind = classify_change(p.m - points[0].m, KTW_ERROR_M)
        mark = {"better": "▲ real improvement", "worse": "▼ real decline", "within": "○ within error"}[kind]
        body.append(
            html.Tr(
                [
                    html.Td(_date(p)),
                    html.Td(_cm(p.m), className="num"),
                    html.Td(_deg(p.rad), className="num"),
                    html.Td(mark),
                    html.Td(dcc.Link("open", href=f"/sessions?session={p.session_id}")),
                ]
            )
        )
    return html.Table(
        [
            html.Caption("Every knee-to-wall result, newest first (change from the first test, by distance)"),
            html.Thead(
                html.Tr([html.Th(h, scope="col") for h in ("Date", "Toe to wall", "Angle", "Change", "Session")])
            ),
            html.Tbody(body),
        ],
        className="dorsi-table",
        id=ids.PROGRESS_KTW_TABLE,
    )


def asymmetry_text(a: Asymmetry | None) -> str:
    """The left-right difference of the latest tests in words."""
    if a is None:
        return "Left-right comparison: needs a knee-to-wall test of each leg."
    verdict = (
        "a real difference (more than the 4.6 deg measurement error)"
        if a.real
        else "within the measurement error (4.6 deg): no real difference"
    )
    return (
        f"Latest knee-to-wall: left {_cm(a.left.m)} ({_deg(a.left.rad)}, {_date(a.left)}), right {_cm(a.right.m)} "
        f"({_deg(a.right.rad)}, {_date(a.right)}). Right minus left: {a.diff_m * 100.0:+.1f} cm "
        f"({math.degrees(a.diff_rad):+.1f} deg), {verdict}."
    )


def render(rows: list[SetRow], leg: str) -> list[Any]:
    """The page's content for one leg, from the indexed sets of every session."""
    leg_rows = [r for r in rows if r.leg == leg]
    demo = any(r.demo for r in leg_rows)
    content: list[Any] = []
    if demo:
        content.append(
            html.P(
                [
                    html.Strong("Demo data. "),
                    "These sessions were simulated by dorsi demo (recorded from emulated sensors), not measured on "
                    "a person.",
                ],
                id=ids.PROGRESS_DEMO_NOTE,
                className="progress-demo",
            )
        )
    if not leg_rows:
        content.append(
            html.Section(
                [html.H2(f"{leg.capitalize()} leg"), html.P(f"No sessions of the {leg} leg yet.")],
                className="dorsi-panel",
            )
        )
        return content
    points = ktw_series(rows, leg)
    trend_m = weekly_trend([p.when for p in points], [p.m for p in points])
    trend_rad = weekly_trend([p.when for p in points], [p.rad for p in points])
    content.append(
        html.Section(
            [
                html.H2(f"Knee-to-wall test, {leg} leg"),
                html.Div(ktw_summary(points, trend_m, trend_rad), id=ids.PROGRESS_KTW_SUMMARY),
                dcc.Graph(
                    id=ids.PROGRESS_KTW_GRAPH, figure=ktw_figure(points, trend_m, demo=demo), config=GRAPH_CONFIG
                ),
                html.Details([html.Summary("The results as a table"), ktw_table(points)]),
            ],
            className="dorsi-panel",
        )
    )
    other = "left" if leg == "right" else "right"
    by_leg = {leg: points, other: ktw_series(rows, other)}
    a = asymmetry(by_leg["left"], by_leg["right"])
    latest = {name: (pts[-1] if pts else None) for name, pts in by_leg.items()}
    content.append(
        html.Section(
            [
                html.H2("Left and right"),
                html.P(asymmetry_text(a), id=ids.PROGRESS_ASYMMETRY_SUMMARY),
                dcc.Graph(
                    id=ids.PROGRESS_ASYMMETRY_GRAPH,
                    figure=asymmetry_figure(latest["left"], latest["right"], demo=demo),
                    config=GRAPH_CONFIG,
                ),
            ],
            className="dorsi-panel",
        )
    )
    days = sorted({parse_utc(r.start_utc).date() for r in leg_rows})
    weeks = weekly_adherence(days, days[0], days[-1])
    mean_days = sum(w.days_with_session for w in weeks) / len(weeks)
    missed = sum(1 for w in weeks if w.days_with_session == 0)
    content.append(
        html.Section(
            [
                html.H2("Adherence to the daily routine"),
                html.P(
                    f"{len(days)} days with a session of the {leg} leg over {len(weeks)} weeks: "
                    f"{mean_days:.1f} days a week on average (the guide asks for every day, and at least once a "
                    f"week); {missed} week{'s' if missed != 1 else ''} without any session.",
                    id=ids.PROGRESS_ADHERENCE_SUMMARY,
                ),
                dcc.Graph(
                    id=ids.PROGRESS_ADHERENCE_GRAPH, figure=adherence_figure(weeks, demo=demo), config=GRAPH_CONFIG
                ),
            ],
            className="dorsi-panel",
        )
    )
    titles = {name: s.title for name, s in SPECS.items()}
    content.append(
        html.Section(
            [
                html.H2("Peak dorsiflexion per exercise"),
                dcc.Graph(
                    id=ids.PROGRESS_PEAK_GRAPH,
                    figure=peak_figure(peak_per_session(rows, leg), titles, demo=demo),
                    config=GRAPH_CONFIG,
                ),
            ],
            className="dorsi-panel",
        )
    )
    content.append(
        html.Section(
            [
                html.H2("Reps and holds done"),
                dcc.Graph(
                    id=ids.PROGRESS_VOLUME_GRAPH,
                    figure=volume_figure(weekly_volume(rows, leg), demo=demo),
                    config=GRAPH_CONFIG,
                ),
            ],
            className="dorsi-panel",
        )
    )
    return content

"""Live page: connect the sensors, calibrate, pick the exercise, follow the angle and count reps."""

from __future__ import annotations

import math
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from dashboard import ids
from dashboard.app import current_feed
from dashboard.figures import extend_angle_trace, live_angle_figure, live_max_points

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path="/live", name="Live", title="dorsi: live", order=0
)

FAST_INTERVAL_MS = 100
SLOW_INTERVAL_MS = 500
RECENT_EVENTS_SHOWN = 5

EXERCISE_LABELS: dict[str, str] = {
    "band_mobilisation": "Dorsiflexion with a band (lunge, 30 reps)",
    "eccentric_drop": "Eccentric drops (lift the forefoot, hold 5 s, lower slowly, 30 reps)",
}
# Dorsiflexion band each exercise should reach, deg, drawn on the trace as the target.
TARGET_BAND_DEG: dict[str, tuple[float, float]] = {
    "band_mobilisation": (30.0, 45.0),
    "eccentric_drop": (15.0, 30.0),
}
ROLE_LABELS = {"shin": "Shin", "foot": "Foot"}


def aria(**attributes: str) -> dict[str, Any]:
    """Return ARIA attributes as keyword arguments: ``aria(label="x")`` -> ``{"aria-label": "x"}``."""
    return {f"aria-{k}": v for k, v in attributes.items()}


def _exercise_options() -> list[dict[str, str]]:
    from dashboard.live_feed import supported_exercises

    return [{"label": EXERCISE_LABELS.get(n, n.replace("_", " ")), "value": n} for n in supported_exercises()]


def format_angle(angle_rad: float | None) -> str:
    """Return the big-number text: whole degrees, or an en dash when there is no angle yet."""
    if angle_rad is None or not math.isfinite(angle_rad):
        return "\u2013"
    deg = round(math.degrees(angle_rad))
    return f"{deg + 0:d}"  # + 0 turns -0 into 0


def target_zone_text(angle_rad: float | None, band_deg: tuple[float, float] | None) -> str:
    """Return where the angle is relative to the target band, in words (not by colour alone)."""
    if band_deg is None:
        return ""
    lo, hi = band_deg
    band = f"target {lo:.0f}\u2013{hi:.0f} deg"
    if angle_rad is None or not math.isfinite(angle_rad):
        return band.capitalize()
    deg = math.degrees(angle_rad)
    if deg < lo:
        return f"Below {band}"
    if deg > hi:
        return f"Above {band}"
    return f"In {band}"


def format_loss(counters: dict[str, Any]) -> str:
    """Return lost samples as a count and a percentage of the samples expected."""
    lost = int(counters.get("lost_samples") or 0)
    got = int(counters.get("samples") or 0)
    if got + lost == 0:
        return "--"
    return f"{lost} ({100.0 * lost / (got + lost):.1f} %)"


def sensor_rows(sensors: dict[str, dict[str, Any]]) -> list[html.Tr]:
    """Return one table row per sensor role: connection, battery, packets, loss, malformed packets."""
    rows = []
    for role in ("shin", "foot"):
        c = sensors.get(role, {})
        battery = c.get("battery_pct")
        rows.append(
            html.Tr(
                [
                    html.Th(ROLE_LABELS[role], scope="row"),
                    html.Td("connected" if c.get("connected") else "not connected"),
                    html.Td("--" if battery is None else f"{battery:.0f} %", className="num"),
                    html.Td(f"{int(c.get('packets') or 0)}", className="num"),
                    html.Td(format_loss(c), className="num"),
                    html.Td(f"{int(c.get('malformed') or 0)}", className="num"),
                ]
            )
        )
    return rows


def _sensor_table(sensors: dict[str, dict[str, Any]]) -> html.Table:
    return html.Table(
        [
            html.Caption("Sensors"),
            html.Thead(
                html.Tr(
                    [
                        html.Th(h, scope="col")
                        for h in ("Sensor", "Connection", "Battery", "Packets", "Lost samples", "Malformed")
                    ]
                )
            ),
            html.Tbody(sensor_rows(sensors), id=ids.LIVE_SENSOR_TABLE),
        ],
        className="dorsi-table",
    )


def _connection_text(snap: dict[str, Any]) -> str:
    source = "emulated sensors" if snap["emulated"] else "sensors"
    state = snap["state"]
    if state == "streaming":
        return f"streaming from {source}" + (f", session {snap['session_id']}" if snap["session_id"] else "")
    if state == "idle":
        return "not connected" if snap["message"] == "not connected" else f"{snap['message']}: connect again"
    return str(snap["message"])


def layout(**_query: str) -> html.Div:
    """Build the Live page for the app's feed (called on every page load)."""
    feed = current_feed()
    snap = feed.snapshot(0)
    exercise = snap["exercise"]
    streaming = snap["state"] in ("connecting", "streaming")
    return html.Div(
        [
            html.Div(
                [
                    html.Section(
                        [
                            html.H2("Connection"),
                            html.Button(
                                "Connect emulated sensors" if feed.emulated else "Connect sensors",
                                id=ids.LIVE_CONNECT,
                                className="dorsi-button",
                                disabled=streaming,
                                n_clicks=0,
                            ),
                            html.Button(
                                "Recalibrate",
                                id=ids.LIVE_RECALIBRATE,
                                n_clicks=0,
                                className="dorsi-button secondary",
                                disabled=not streaming,
                            ),
                            html.P(
                                [
                                    html.Strong("Connection:"),
                                    " ",
                                    html.Span(_connection_text(snap), id=ids.LIVE_CONNECTION_STATUS),
                                ],
                                className="dorsi-status",
                            ),
                            html.P(
                                [
                                    html.Strong("Calibration:"),
                                    " ",
                                    html.Span(snap["status"], id=ids.LIVE_CALIBRATION_STATUS),
                                ],
                                className="dorsi-status",
                            ),
                            _sensor_table(snap["sensors"]),
                        ],
                        className="dorsi-panel",
                        **aria(label="Connection and calibration"),
                    ),
                    html.Section(
                        [
                            html.H2("Exercise", id="live-exercise-heading"),
                            dcc.RadioItems(
                                id=ids.LIVE_EXERCISE,
                                options=_exercise_options(),
                                value=exercise,
                                className="dorsi-radio",
                                inputClassName="dorsi-radio-input",
                            ),
                            html.H2("Recent events (newest first)", style={"marginTop": "0.8rem"}),
                            html.Ul(id=ids.LIVE_ALERTS, className="dorsi-events"),
                        ],
                        className="dorsi-panel",
                        **aria(labelledby="live-exercise-heading"),
                    ),
                ],
                className="dorsi-row",
            ),
            html.Div(
                [
                    html.Section(
                        [
                            html.P("Dorsiflexion now", className="dorsi-label", id="live-angle-label"),
                            html.Div(
                                [
                                    html.Span(format_angle(snap["angle_rad"]), id=ids.LIVE_ANGLE_VALUE),
                                    html.Span(" deg", className="dorsi-unit"),
                                ],
                                className="dorsi-big",
                                **aria(labelledby="live-angle-label"),
                            ),
                            html.P(
                                target_zone_text(snap["angle_rad"], TARGET_BAND_DEG.get(exercise)),
                                id=ids.LIVE_ANGLE_ZONE,
                                className="dorsi-zone",
                            ),
                        ],
                        className="dorsi-panel",
                        **aria(label="Current dorsiflexion"),
                    ),
                    html.Section(
                        [
                            html.P("Reps", className="dorsi-label", id="live-reps-label"),
                            html.Div(
                                [
                                    html.Span(str(snap["rep_count"]), id=ids.LIVE_REP_COUNT),
                                    html.Span(f" of {snap['target_reps']}", className="dorsi-unit"),
                                ],
                                className="dorsi-reps",
                            ),
                            html.Progress(
                                id=ids.LIVE_REP_PROGRESS,
                                value=str(snap["rep_count"]),
                                max=str(snap["target_reps"]),
                                className="dorsi-progress",
                                **aria(labelledby="live-reps-label"),
                            ),
                            html.P(
                                snap["feedback"],
                                id=ids.LIVE_REP_FEEDBACK,
                                className="dorsi-feedback",
                                role="status",
                                **aria(live="polite"),
                            ),
                        ],
                        className="dorsi-panel",
                        **aria(label="Rep counter and feedback"),
                    ),
                ],
                className="dorsi-row",
            ),
            html.Section(
                [
                    html.H2(f"Dorsiflexion, last {feed.window_s:.0f} s"),
                    dcc.Graph(
                        id=ids.LIVE_ANGLE_GRAPH,
                        figure=live_angle_figure(TARGET_BAND_DEG.get(exercise)),
                        config={"staticPlot": True, "displayModeBar": False, "responsive": True},
                    ),
                ],
                className="dorsi-panel",
            ),
            dcc.Interval(id=ids.LIVE_FAST_INTERVAL, interval=FAST_INTERVAL_MS, disabled=not streaming),
            dcc.Interval(id=ids.LIVE_SLOW_INTERVAL, interval=SLOW_INTERVAL_MS),
            dcc.Store(id=ids.LIVE_CURSOR, data=0, storage_type="memory"),
        ]
    )


@dash.callback(
    Output(ids.LIVE_CONNECTION_STATUS, "children", allow_duplicate=True),
    Output(ids.LIVE_FAST_INTERVAL, "disabled", allow_duplicate=True),
    Output(ids.LIVE_CONNECT, "disabled", allow_duplicate=True),
    Input(ids.LIVE_CONNECT, "n_clicks"),
    prevent_initial_call=True,
)
def on_connect(n_clicks: int | None) -> tuple[str, bool, bool]:
    """Connect the sensors (emulated ones unless the feed was made for real sensors)."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    feed = current_feed()
    feed.connect()
    return _connection_text(feed.snapshot(0)), False, True


@dash.callback(
    Output(ids.LIVE_CALIBRATION_STATUS, "children", allow_duplicate=True),
    Input(ids.LIVE_RECALIBRATE, "n_clicks"),
    prevent_initial_call=True,
)
def on_recalibrate(n_clicks: int | None) -> str:
    """Restart calibration."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    current_feed().recalibrate()
    return "stand still: calibrating"


@dash.callback(
    Output(ids.LIVE_ANGLE_GRAPH, "figure"),
    Input(ids.LIVE_EXERCISE, "value"),
    prevent_initial_call=True,
)
def on_exercise(exercise: str) -> Any:
    """Start a set of the chosen exercise and redraw the trace with its target band."""
    current_feed().set_exercise(exercise)
    return live_angle_figure(TARGET_BAND_DEG.get(exercise))


@dash.callback(
    Output(ids.LIVE_ANGLE_GRAPH, "extendData"),
    Output(ids.LIVE_CURSOR, "data"),
    Output(ids.LIVE_ANGLE_VALUE, "children"),
    Output(ids.LIVE_ANGLE_ZONE, "children"),
    Output(ids.LIVE_REP_COUNT, "children"),
    Output(ids.LIVE_REP_PROGRESS, "value"),
    Output(ids.LIVE_REP_FEEDBACK, "children"),
    Input(ids.LIVE_FAST_INTERVAL, "n_intervals"),
    State(ids.LIVE_CURSOR, "data"),
)
def on_fast_tick(_n: int | None, cursor: int | None) -> tuple[Any, ...]:
    """Send only the new trace points, and the current angle, rep count and feedback."""
    feed = current_feed()
    snap = feed.snapshot(int(cursor or 0))
    extend = extend_angle_trace(
        snap["t_s"], snap["dorsiflexion_rad"], live_max_points(feed.window_s, feed.display_rate_hz)
    )
    return (
        dash.no_update if extend is None else extend,
        snap["cursor"],
        format_angle(snap["angle_rad"]),
        target_zone_text(snap["angle_rad"], TARGET_BAND_DEG.get(snap["exercise"])),
        str(snap["rep_count"]),
        str(min(snap["rep_count"], snap["target_reps"])),
        snap["feedback"],
    )


@dash.callback(
    Output(ids.LIVE_CONNECTION_STATUS, "children"),
    Output(ids.LIVE_CALIBRATION_STATUS, "children"),
    Output(ids.LIVE_SENSOR_TABLE, "children"),
    Output(ids.LIVE_ALERTS, "children"),
    Output(ids.LIVE_CONNECT, "disabled"),
    Output(ids.LIVE_RECALIBRATE, "disabled"),
    Output(ids.LIVE_FAST_INTERVAL, "disabled"),
    Input(ids.LIVE_SLOW_INTERVAL, "n_intervals"),
    State(ids.LIVE_CURSOR, "data"),
)
def on_slow_tick(_n: int | None, cursor: int | None) -> tuple[Any, ...]:
    """Refresh connection, calibration, sensor counters and recent events."""
    snap = current_feed().snapshot(int(cursor or 0))
    active = snap["state"] in ("connecting", "streaming")
    events = snap["events"][-RECENT_EVENTS_SHOWN:][::-1]
    items = [html.Li(_event_text(e)) for e in events] or [html.Li("none yet")]
    return (
        _connection_text(snap),
        snap["status"],
        sensor_rows(snap["sensors"]),
        items,
        active,
        not active,
        not active,
    )


def _event_text(event: dict[str, Any]) -> str:
    t = event.get("t_s")
    return f"{t:.1f} s: {event['text']}" if t is not None else str(event["text"])

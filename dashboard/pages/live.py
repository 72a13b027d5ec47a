"""Live page: pick the leg and connect, calibrate, pick the exercise (or follow the routine), do sets."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html

from dashboard import ids, live_view
from dashboard.app import current_feed
from dashboard.figures import live_max_points
from dashboard.guide import parse_stiffness, routine_steps, target_text
from dashboard.live_feed import STANCE_S
from dashboard.live_view import aria
from dashboard.session_index import best_peak_dorsiflexion_rad
from processing.exercises.registry import SPECS

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path="/live", name="Live", title="dorsi: live", order=0
)

FAST_INTERVAL_MS = 50  # steady polls; each answer carries only new points (a slow one is merged, not queued)
SLOW_INTERVAL_MS = 500
ROLE_LABELS = {"shin": "Shin", "foot": "Foot"}
LEGS = ("left", "right")
PAIN_SCALE = range(11)


def format_loss(counters: dict[str, Any]) -> str:
    """Return lost samples as a count and a percentage of the samples expected."""
    lost = int(counters.get("lost_samples") or 0)
    got = int(counters.get("samples") or 0)
    if got + lost == 0:
        return "--"
    return f"{lost} ({100.0 * lost / (got + lost):.1f} %)"


def format_signal(rssi: Any) -> str:
    """Return the signal strength in dBm, or "unknown" when the source does not report it."""
    if rssi is None:
        return "unknown"
    return f"{int(rssi)} dBm"


def sensor_rows(snap: dict[str, Any]) -> list[html.Tr]:
    """One table row per sensor role: its name, leg, connection, battery, signal, packets, loss, malformed."""
    sensors: dict[str, dict[str, Any]] = snap.get("sensors", {})
    names: dict[str, str] = snap.get("names", {})
    leg = str(snap.get("side", "right"))
    rows = []
    for role in ("shin", "foot"):
        c = sensors.get(role, {})
        battery = c.get("battery_pct")
        rows.append(
            html.Tr(
                [
                    html.Th(ROLE_LABELS[role], scope="row"),
                    html.Td(names.get(role, "")),
                    html.Td(leg),
                    html.Td("connected" if c.get("connected") else "not connected"),
                    html.Td("--" if battery is None else f"{battery:.0f} %", className="num"),
                    html.Td(format_signal(c.get("rssi")), className="num"),
                    html.Td(f"{int(c.get('packets') or 0)}", className="num"),
                    html.Td(format_loss(c), className="num"),
                    html.Td(f"{int(c.get('malformed') or 0)}", className="num"),
                ]
            )
        )
    return rows


def _sensor_table(snap: dict[str, Any]) -> html.Table:
    heads = ("Sensor on", "Name", "Leg", "Connection", "Battery", "Signal", "Packets", "Lost samples", "Malformed")
    return html.Table(
        [
            html.Caption("Sensors"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in heads])),
            html.Tbody(sensor_rows(snap), id=ids.LIVE_SENSOR_TABLE),
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


def exercise_buttons(chosen: str) -> list[Any]:
    """The exercise choice: one toggle button per exercise (aria-pressed marks the chosen one)."""
    return live_view.choice_buttons(
        ids.LIVE_EXERCISE_CHOICE, "exercise", [(n, s.title) for n, s in SPECS.items()], chosen, False
    )


def leg_buttons(chosen: str, disabled: bool) -> list[Any]:
    """The leg choice (before connecting): Left and Right toggle buttons."""
    return live_view.choice_buttons(
        ids.LIVE_LEG_CHOICE, "leg", [(leg, leg.capitalize()) for leg in LEGS], chosen, disabled
    )


def pain_buttons(chosen: int | None) -> list[Any]:
    """The 0-10 pain scale as toggle buttons."""
    return [
        html.Button(
            str(v),
            id={"type": ids.LIVE_PAIN_CHOICE, "pain": v},
            n_clicks=0,
            className="dorsi-choice dorsi-pain",
            **aria(pressed="true" if v == chosen else "false", label=f"pain {v} of 10"),
        )
        for v in PAIN_SCALE
    ]


def routine_context(exercise: str, step: str | None, stiffness: str | None) -> tuple[html.Div | None, str | None]:
    """The routine bar (step k of n, next exercise link) for `/live?routine=STEP`; (None, None) outside a routine.

    The exercise to show is the step's (the URL's exercise is used only when it is that step's).
    """
    if step is None:
        return None, None

    steps = routine_steps(parse_stiffness(stiffness))
    try:
        k = int(step)
    except ValueError:
        return None, None
    if not 1 <= k <= len(steps):
        return None, None
    here = steps[k - 1]
    extra = {"stiffness": stiffness} if parse_stiffness(stiffness) else {}
    if k < len(steps):
        nxt = steps[k]
        href = "/live?" + urlencode({"exercise": nxt.exercise, "routine": k + 1, **extra})
        link = dcc.Link(f"Next exercise: {nxt.title}", href=href, id=ids.LIVE_ROUTINE_NEXT, className="dorsi-button")
    else:
        link = dcc.Link("Routine done: back to the routine", href="/routine", id=ids.LIVE_ROUTINE_NEXT)
    bar = html.Div(
        [
            html.P([html.Strong(f"Routine: step {k} of {len(steps)}"), f" \u2013 target {here.target_text}"]),
            link,
        ],
        id=ids.LIVE_ROUTINE,
        className="dorsi-panel dorsi-routine",
    )
    return bar, here.exercise


def _best_for(data_dir: Path) -> live_view.BestFor:
    def best(exercise: str, leg: str) -> float | None:
        try:
            value = best_peak_dorsiflexion_rad(data_dir, leg, exercise)
        except Exception:  # an unreadable index must not break the live page
            return None
        return None if value is None or not math.isfinite(value) else float(value)

    return best


def layout(exercise: str | None = None, routine: str | None = None, stiffness: str | None = None, **_: str) -> Any:
    """Build the Live page for the app's feed (called on every page load; the query preselects)."""
    feed = current_feed()
    bar, step_exercise = routine_context(exercise or "", routine, stiffness)
    wanted = step_exercise or exercise
    if wanted in SPECS:
        feed.set_exercise(wanted)
    snap = feed.snapshot(0)
    chosen = str(snap["exercise"])
    streaming = snap["state"] in ("connecting", "streaming")
    spec = SPECS[chosen]
    best = _best_for(feed.data_dir)(chosen, str(snap["side"]))
    return html.Div(
        [
            *([bar] if bar is not None else []),
            html.Section(
                [
                    html.H2(spec.title, id=ids.LIVE_EXERCISE_TITLE, className="dorsi-exercise-title"),
                    html.P(
                        f"{spec.instruction} Target: {_target_words(chosen)}.",
                        id=ids.LIVE_EXERCISE_INSTRUCTION,
                    ),
                ],
                className="dorsi-panel",
                **aria(labelledby=ids.LIVE_EXERCISE_TITLE),
            ),
            html.Div(
                [
                    html.Section(
                        [
                            html.H2("Connect", id="live-connect-heading"),
                            html.P("Which leg are the sensors on?", id="live-leg-question", className="dorsi-q"),
                            html.Div(
                                leg_buttons(str(snap["side"]), streaming),
                                id=ids.LIVE_LEG_GROUP,
                                role="group",
                                className="dorsi-choices",
                                **aria(labelledby="live-leg-question"),
                            ),
                            html.Button(
                                "Find sensors",
                                id=ids.LIVE_SCAN,
                                className="dorsi-button secondary",
                                n_clicks=0,
                            ),
                            html.Div(id=ids.LIVE_IN_RANGE, role="status", **aria(live="polite")),
                            html.Button(
                                "Connect emulated sensors" if feed.emulated else "Connect sensors",
                                id=ids.LIVE_CONNECT,
                                className="dorsi-button",
                                disabled=streaming,
                                n_clicks=0,
                            ),
                            html.P(
                                [
                                    html.Strong("Connection:"),
                                    " ",
                                    html.Span(_connection_text(snap), id=ids.LIVE_CONNECTION_STATUS),
                                ],
                                className="dorsi-status",
                            ),
                            _sensor_table(snap),
                        ],
                        className="dorsi-panel",
                        **aria(labelledby="live-connect-heading"),
                    ),
                    html.Section(
                        [
                            html.H2("Calibrate", id="live-calibrate-heading"),
                            html.P(
                                live_view.calibration_text(snap),
                                id=ids.LIVE_CALIBRATION_STEP,
                                className="dorsi-calibration",
                                role="status",
                                **aria(live="polite"),
                            ),
                            html.P(
                                [
                                    html.Strong("Pipeline:"),
                                    " ",
                                    html.Span(snap["status"], id=ids.LIVE_CALIBRATION_STATUS),
                                ],
                                className="dorsi-status",
                            ),
                            html.Button(
                                "Recalibrate",
                                id=ids.LIVE_RECALIBRATE,
                                n_clicks=0,
                                className="dorsi-button secondary",
                                disabled=not streaming,
                            ),
                            html.H2("Set", id="live-set-heading", style={"marginTop": "0.8rem"}),
                            html.P(_set_text(snap), id=ids.LIVE_SET_STATUS, className="dorsi-status"),
                            html.Div(
                                [
                                    html.Button(
                                        _pause_label(snap),
                                        id=ids.LIVE_PAUSE,
                                        n_clicks=0,
                                        className="dorsi-button secondary",
                                        disabled=not streaming or snap["set_state"] == "ended",
                                    ),
                                    html.Button(
                                        "End set",
                                        id=ids.LIVE_END_SET,
                                        n_clicks=0,
                                        className="dorsi-button secondary",
                                        disabled=not streaming or snap["set_state"] == "ended",
                                    ),
                                    html.Button(
                                        "Start a new set",
                                        id=ids.LIVE_START_SET,
                                        n_clicks=0,
                                        className="dorsi-button secondary",
                                        disabled=not streaming or snap["set_state"] != "ended",
                                    ),
                                ],
                                role="group",
                                **aria(labelledby="live-set-heading"),
                            ),
                            html.Div(
                                [
                                    html.P(
                                        "How much pain did this set cause? 0 = none, 10 = the worst imaginable. "
                                        "The exercises are meant to be pain free.",
                                        id="live-pain-question",
                                        className="dorsi-q",
                                    ),
                                    html.Div(
                                        pain_buttons(None),
                                        role="group",
                                        className="dorsi-choices",
                                        **aria(labelledby="live-pain-question"),
                                    ),
                                    html.P("", id=ids.LIVE_PAIN_STATUS, role="status", **aria(live="polite")),
                                ],
                                id=ids.LIVE_PAIN_PANEL,
                                hidden=True,
                                className="dorsi-pain-panel",
                            ),
                            dcc.Store(id=ids.LIVE_PAIN_SET, data=None, storage_type="memory"),
                        ],
                        className="dorsi-panel",
                        **aria(labelledby="live-calibrate-heading"),
                    ),
                    html.Section(
                        [
                            html.H2("Exercise", id="live-exercise-heading"),
                            html.Div(
                                exercise_buttons(chosen),
                                id=ids.LIVE_EXERCISE_GROUP,
                                role="group",
                                className="dorsi-choices dorsi-exercises",
                                **aria(labelledby="live-exercise-heading"),
                            ),
                        ],
                        className="dorsi-panel",
                        **aria(labelledby="live-exercise-heading"),
                    ),
                ],
                className="dorsi-row",
            ),
            *live_view.layout(
                "live",
                snap,
                window_s=feed.window_s,
                max_points=live_max_points(feed.window_s, feed.display_rate_hz),
                best_rad=best,
            ),
            dcc.Interval(id=ids.LIVE_FAST_INTERVAL, interval=FAST_INTERVAL_MS, disabled=not streaming),
            dcc.Interval(id=ids.LIVE_SLOW_INTERVAL, interval=SLOW_INTERVAL_MS),
        ]
    )


def _target_words(exercise: str) -> str:

    return target_text(SPECS[exercise])


def _pause_label(snap: dict[str, Any]) -> str:
    return "Resume set" if snap.get("set_state") == "paused" else "Pause set"


def _set_text(snap: dict[str, Any]) -> str:
    index = int(snap.get("set_index", -1))
    if index < 0 or snap["state"] not in ("connecting", "streaming"):
        return "No set running: connect to start one."
    state = snap.get("set_state")
    name = SPECS[str(snap["exercise"])].title.lower()
    if state == "paused":
        return f"Set {index + 1} ({name}) paused: nothing is counted until you resume."
    if state == "ended":
        return f"Set {index + 1} ended. Start a new set when you are ready."
    return f"Set {index + 1} ({name}) running."


def in_range_list(found: list[dict[str, Any]]) -> html.Div:
    """The sensors found by a scan, strongest first, each with what it will be used as."""
    if not found:
        return html.Div(html.P("No sensor found: are they switched on, charged and within a few metres?"))
    items = []
    for s in found:
        role = s.get("role")
        parts = [str(s.get("model") or "not supported")]
        if s.get("rssi_dbm") is not None:
            parts.append(f"signal {s['rssi_dbm']} dBm")
        if s.get("battery_pct") is not None:
            parts.append(f"battery {s['battery_pct']} %")
        use = f"used as the {role} sensor" if role else "not used"
        items.append(html.Li([html.Strong(str(s["name"])), f": {', '.join(parts)}; {use}"]))
    return html.Div([html.P("Sensors in range:", className="dorsi-q"), html.Ul(items, className="dorsi-events")])


@dash.callback(
    Output(ids.LIVE_IN_RANGE, "children"),
    Input(ids.LIVE_SCAN, "n_clicks"),
    prevent_initial_call=True,
)
def on_scan(n_clicks: int | None) -> Any:
    """Scan for the sensors in range (a few seconds) and list them."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    try:
        return in_range_list(current_feed().scan())
    except RuntimeError as e:
        return html.P(str(e))


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
    Output(ids.LIVE_CALIBRATION_STEP, "children", allow_duplicate=True),
    Input(ids.LIVE_RECALIBRATE, "n_clicks"),
    prevent_initial_call=True,
)
def on_recalibrate(n_clicks: int | None) -> str:
    """Restart calibration."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    current_feed().recalibrate()
    return f"Stand still: {STANCE_S:.0f} s left"


@dash.callback(
    Output({"type": ids.LIVE_EXERCISE_CHOICE, "exercise": ALL}, "aria-pressed"),
    Output(ids.LIVE_EXERCISE_TITLE, "children"),
    Output(ids.LIVE_EXERCISE_INSTRUCTION, "children"),
    Input({"type": ids.LIVE_EXERCISE_CHOICE, "exercise": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def on_exercise(clicks: list[int | None]) -> tuple[list[str], str, str]:
    """Switch exercise: a new set of it (the trace redraws with its target band on the next poll)."""
    chosen = ctx.triggered_id
    if not isinstance(chosen, dict) or not any(clicks) or chosen.get("exercise") not in SPECS:
        raise dash.exceptions.PreventUpdate
    name = str(chosen["exercise"])
    current_feed().set_exercise(name)
    spec = SPECS[name]
    pressed = ["true" if n == name else "false" for n in SPECS]
    return pressed, spec.title, f"{spec.instruction} Target: {_target_words(name)}."


@dash.callback(
    Output({"type": ids.LIVE_LEG_CHOICE, "leg": ALL}, "aria-pressed"),
    Input({"type": ids.LIVE_LEG_CHOICE, "leg": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def on_leg(clicks: list[int | None]) -> Any:
    """Choose the leg before connecting."""
    chosen = ctx.triggered_id
    if not isinstance(chosen, dict) or not any(clicks) or chosen.get("leg") not in LEGS:
        raise dash.exceptions.PreventUpdate
    feed = current_feed()
    with contextlib.suppress(RuntimeError):  # connected meanwhile: the leg stays
        feed.set_side(chosen["leg"])
    return ["true" if leg == feed.side else "false" for leg in LEGS]


@dash.callback(
    Output(ids.LIVE_SET_STATUS, "children", allow_duplicate=True),
    Output(ids.LIVE_PAUSE, "children", allow_duplicate=True),
    Input(ids.LIVE_PAUSE, "n_clicks"),
    prevent_initial_call=True,
)
def on_pause(n_clicks: int | None) -> tuple[str, str]:
    """Pause the running set, or resume the paused one."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    feed = current_feed()
    if feed.snapshot(0)["set_state"] == "paused":
        feed.resume_set()
    else:
        feed.pause_set()
    snap = feed.snapshot(0)
    return _set_text(snap), _pause_label(snap)


@dash.callback(
    Output(ids.LIVE_PAIN_PANEL, "hidden"),
    Output(ids.LIVE_PAIN_SET, "data"),
    Output(ids.LIVE_PAIN_STATUS, "children"),
    Output(ids.LIVE_SET_STATUS, "children", allow_duplicate=True),
    Input(ids.LIVE_END_SET, "n_clicks"),
    prevent_initial_call=True,
)
def on_end_set(n_clicks: int | None) -> tuple[bool, int | None, str, str]:
    """End the set and ask for its pain rating."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    feed = current_feed()
    index = feed.end_set()
    snap = feed.snapshot(0)
    if index is None:
        return True, None, "", _set_text(snap)
    return False, index, f"Rate set {index + 1}.", _set_text(snap)


@dash.callback(
    Output(ids.LIVE_PAIN_PANEL, "hidden", allow_duplicate=True),
    Output(ids.LIVE_SET_STATUS, "children", allow_duplicate=True),
    Input(ids.LIVE_START_SET, "n_clicks"),
    prevent_initial_call=True,
)
def on_start_set(n_clicks: int | None) -> tuple[bool, str]:
    """Start a new set of the current exercise."""
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    feed = current_feed()
    feed.start_set()
    return True, _set_text(feed.snapshot(0))


@dash.callback(
    Output({"type": ids.LIVE_PAIN_CHOICE, "pain": ALL}, "aria-pressed"),
    Output(ids.LIVE_PAIN_STATUS, "children", allow_duplicate=True),
    Input({"type": ids.LIVE_PAIN_CHOICE, "pain": ALL}, "n_clicks"),
    State(ids.LIVE_PAIN_SET, "data"),
    prevent_initial_call=True,
)
def on_pain(clicks: list[int | None], set_index: int | None) -> tuple[list[str], str]:
    """Store the chosen pain rating with the set that just ended."""
    chosen = ctx.triggered_id
    if not isinstance(chosen, dict) or not any(clicks) or set_index is None:
        raise dash.exceptions.PreventUpdate
    pain = int(chosen["pain"])
    try:
        current_feed().set_pain(int(set_index), pain)
    except (ValueError, OSError, TimeoutError) as e:  # OSError: the recording's disk; TimeoutError: a busy feed
        return ["false"] * len(PAIN_SCALE), f"Could not save the rating: {e}"
    return (
        ["true" if v == pain else "false" for v in PAIN_SCALE],
        f"Saved: pain {pain} of 10 for set {int(set_index) + 1}.",
    )


@dash.callback(
    *live_view.fast_outputs("live"),
    Input(ids.LIVE_FAST_INTERVAL, "n_intervals"),
    State(ids.view_id("live", "state"), "data"),
)
def on_fast_tick(_n: int | None, state: dict[str, Any] | None) -> tuple[Any, ...]:
    """Send only the new trace points, and the current angle, count, hold and feedback."""
    feed = current_feed()
    return live_view.fast_values(
        feed.snapshot,
        state,
        max_points=live_max_points(feed.window_s, feed.display_rate_hz),
        window_s=feed.window_s,
        best_for=_best_for(feed.data_dir),
    )


live_view.register_trace("live")


@dash.callback(
    Output(ids.LIVE_CONNECTION_STATUS, "children"),
    Output(ids.LIVE_CALIBRATION_STEP, "children"),
    Output(ids.LIVE_CALIBRATION_STATUS, "children"),
    Output(ids.LIVE_SENSOR_TABLE, "children"),
    Output(ids.LIVE_ALERTS, "children"),
    Output(ids.LIVE_CONNECT, "disabled"),
    Output(ids.LIVE_RECALIBRATE, "disabled"),
    Output(ids.LIVE_FAST_INTERVAL, "disabled"),
    Output(ids.LIVE_SET_STATUS, "children"),
    Output(ids.LIVE_PAUSE, "children"),
    Output(ids.LIVE_PAUSE, "disabled"),
    Output(ids.LIVE_END_SET, "disabled"),
    Output(ids.LIVE_START_SET, "disabled"),
    Output({"type": ids.LIVE_LEG_CHOICE, "leg": ALL}, "disabled"),
    Input(ids.LIVE_SLOW_INTERVAL, "n_intervals"),
)
def on_slow_tick(_n: int | None) -> tuple[Any, ...]:
    """Refresh connection, calibration, sensor counters, the set's state and recent events."""
    snap = current_feed().snapshot(0)
    active = snap["state"] in ("connecting", "streaming")
    ended = snap["set_state"] == "ended"
    return (
        _connection_text(snap),
        live_view.calibration_text(snap),
        snap["status"],
        sensor_rows(snap),
        live_view.event_items(snap),
        active,
        not active,
        not active,
        _set_text(snap),
        _pause_label(snap),
        not active or ended,
        not active or ended,
        not active or not ended,
        [active] * len(LEGS),
    )

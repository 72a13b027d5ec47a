"""The live view shared by Live and Replay: big angle, counter, hold ring, feedback, trace and events.

Every function takes an id prefix ("live" or "replay") and works from any object whose ``snapshot(cursor)``
returns LiveFeed.snapshot's keys, so a recorded session replays through exactly the view the person saw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, dcc, html

from dashboard.figures import hold_ring_svg, svg_data_uri, trace_message
from dashboard.ids import VIEW_PARTS, view_id
from dashboard.targets import count_text, target

RECENT_EVENTS_SHOWN = 6
COUNT_LABELS = {"reps": "Reps", "holds": "Holds", "circles": "Circles", "s": "Seconds rolling", "attempts": "Attempts"}

Snapshot = dict[str, Any]
BestFor = Callable[[str, str], float | None]


def aria(**attributes: str) -> dict[str, Any]:
    """Return ARIA attributes as keyword arguments: ``aria(label="x")`` -> ``{"aria-label": "x"}``."""
    return {f"aria-{k}": v for k, v in attributes.items()}


def choice_buttons(
    kind: str, key: str, options: list[tuple[Any, str]], chosen: Any, disabled: bool = False
) -> list[Any]:
    """Toggle buttons, one per (value, label); the chosen one is pressed (aria-pressed, styled by live.css)."""
    return [
        html.Button(
            label,
            id={"type": kind, key: value},
            n_clicks=0,
            className="dorsi-choice",
            disabled=disabled,
            **aria(pressed="true" if value == chosen else "false"),
        )
        for value, label in options
    ]


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


def calibration_text(snap: Snapshot) -> str:
    """The calibration step in words: a countdown while standing still, then the protocol's next step."""
    cal = snap.get("calibration") or {}
    phase = cal.get("phase", "waiting")
    if phase == "waiting":
        return "Connect the sensors, then stand still with the shin upright and the foot flat."
    if phase == "stance":
        if cal.get("moving"):
            return "Please stand still: shin upright, foot flat, weight on both feet."
        left_s = max(0, math.ceil(float(cal.get("needed_s", 3.0)) - float(cal.get("still_s", 0.0)) - 1e-9))
        return f"Stand still: {left_s} s left"
    status = str(cal.get("status") or snap.get("status") or "")
    if phase == "ready" or status == "ready":
        return "Calibrated: go ahead with the exercise."
    return f"Calibrated. Now {status}."


def hold_state(exercise: str, progress: dict[str, Any] | None) -> tuple[float | None, str, str] | None:
    """The hold ring's fill (0..1 or None), its short label and its sentence; None for exercises without a
    timed hold or rolling time."""
    t = target(exercise)
    p = progress or {}
    if t.unit == "holds" and t.hold_s is not None:
        holding = p.get("holding_s")
        if holding is None:
            last = p.get("last_hold_s")
            said = "Not holding." + (f" Last hold {float(last):.0f} s." if last is not None else "")
            return None, "0 s", said
        return float(holding) / t.hold_s, f"{float(holding):.0f} s", f"Holding: {float(holding):.0f} of {t.hold_s:g} s"
    if t.unit == "s":
        active = float(p.get("active_s") or 0.0)
        word = "Rolling" if p.get("active") else "Not rolling"
        return active / t.count, f"{active:.0f} s", f"{word}: {active:.0f} of {t.count} s"
    return None


def trace_update(
    snap: Snapshot, best_rad: float | None, *, window_s: float, max_points: int, reset: bool
) -> dict[str, Any] | None:
    """The browser trace's message for a snapshot's points (reset: start afresh), with the target band and the
    person's best; None when there is nothing new."""
    return trace_message(
        snap["t_s"],
        snap["dorsiflexion_rad"],
        max_points=max_points,
        window_s=window_s,
        reset=reset,
        target_band_deg=target(str(snap["exercise"])).band_deg,
        best_deg=None if best_rad is None or not math.isfinite(best_rad) else math.degrees(best_rad),
    )


def register_trace(prefix: str) -> None:
    """Draw the view's trace in the browser (dashboard/assets/live_trace.js) whenever its points change."""
    dash.clientside_callback(
        ClientsideFunction("dorsi", "drawTrace"),
        Output(view_id(prefix, "trace-drawn"), "children"),
        Input(view_id(prefix, "trace"), "data"),
        State(view_id(prefix, "angle-graph"), "id"),
    )


def event_items(snap: Snapshot) -> list[html.Li]:
    """The recent events, newest first, as list items."""
    events = snap.get("events", [])[-RECENT_EVENTS_SHOWN:][::-1]
    items = []
    for e in events:
        t = e.get("t_s")
        items.append(html.Li(f"{t:.1f} s: {e['text']}" if t is not None else str(e["text"])))
    return items or [html.Li("none yet")]


def layout(prefix: str, snap: Snapshot, *, window_s: float, max_points: int, best_rad: float | None) -> list[Any]:
    """The view's components for the first render of a page.

    Parameters
    ----------
    prefix : id prefix ("live" or "replay").
    snap : a snapshot (cursor 0 is fine: its points seed the trace).
    window_s : the trace's visible window, s.
    max_points : points the trace keeps.
    best_rad : the person's best peak dorsiflexion so far for this exercise and leg, rad, or None.

    Returns
    -------
    list : two rows of panels and the trace panel, plus the view's client-side state store.
    """
    vid = {part: view_id(prefix, part) for part in VIEW_PARTS}
    exercise = str(snap["exercise"])
    t = target(exercise)
    number, rest = count_text(exercise, snap.get("progress"))
    ring = hold_state(exercise, snap.get("progress"))
    return [
        html.Div(
            [
                html.Section(
                    [
                        html.P("Dorsiflexion now", className="dorsi-label", id=f"{prefix}-angle-label"),
                        html.Div(
                            [
                                html.Span(format_angle(snap.get("angle_rad")), id=vid["angle-value"]),
                                html.Span(" deg", className="dorsi-unit"),
                            ],
                            className="dorsi-big",
                            **aria(labelledby=f"{prefix}-angle-label"),
                        ),
                        html.P(
                            target_zone_text(snap.get("angle_rad"), t.band_deg),
                            id=vid["angle-zone"],
                            className="dorsi-zone",
                        ),
                        html.Span("", id=vid["stamp"], hidden=True),
                    ],
                    className="dorsi-panel",
                    **aria(label="Current dorsiflexion"),
                ),
                html.Section(
                    [
                        html.P(COUNT_LABELS.get(t.unit, t.unit), className="dorsi-label", id=vid["rep-label"]),
                        html.Div(
                            [
                                html.Span(number, id=vid["rep-count"]),
                                html.Span(" " + rest, className="dorsi-unit dorsi-count-rest", id=vid["rep-target"]),
                            ],
                            className="dorsi-reps",
                        ),
                        html.Progress(
                            id=vid["rep-progress"],
                            value=str(min(int(number), t.count)),
                            max=str(t.count),
                            className="dorsi-progress",
                            **aria(labelledby=vid["rep-label"]),
                        ),
                        html.Div(
                            [
                                html.Img(
                                    id=vid["hold-ring"],
                                    src=svg_data_uri(hold_ring_svg(None if ring is None else ring[0], "")),
                                    alt="hold timer",
                                    className="dorsi-ring",
                                    hidden=ring is None,
                                ),
                                html.P(
                                    "" if ring is None else ring[2],
                                    id=vid["hold-text"],
                                    className="dorsi-hold-text",
                                ),
                            ],
                            className="dorsi-ring-row",
                        ),
                        html.P(
                            snap.get("feedback", ""),
                            id=vid["rep-feedback"],
                            className="dorsi-feedback",
                            role="status",
                            **aria(live="polite"),
                        ),
                    ],
                    className="dorsi-panel",
                    **aria(label="Counter and feedback"),
                ),
            ],
            className="dorsi-row",
        ),
        html.Section(
            [
                html.H2(f"Dorsiflexion, last {window_s:.0f} s"),
                html.Canvas(
                    id=vid["angle-graph"],
                    className="dorsi-trace",
                    role="img",
                    **aria(label=f"Dorsiflexion over the last {window_s:.0f} s, with the target band"),
                ),
                dcc.Store(
                    id=vid["trace"],
                    data=trace_update(snap, best_rad, window_s=window_s, max_points=max_points, reset=True),
                ),
                html.Span(id=vid["trace-drawn"], hidden=True),
                html.H2("Recent events (newest first)", style={"marginTop": "0.8rem"}),
                html.Ul(event_items(snap), id=vid["alerts"], className="dorsi-events"),
            ],
            className="dorsi-panel",
            **aria(label="Dorsiflexion trace and events"),
        ),
        dcc.Store(
            id=vid["state"],
            data=client_state(snap, best_rad),
            storage_type="memory",
        ),
    ]


def client_state(snap: Snapshot, best_rad: float | None, sent: list[Any] | None = None) -> dict[str, Any]:
    """What the browser keeps between polls: the cursor, what the drawn trace was made for, and the texts shown
    (so that a poll sends only what changed: every changed output costs the browser a render)."""
    state = {"cursor": snap["cursor"], "epoch": snap.get("epoch", 0), "exercise": snap["exercise"], "best": best_rad}
    return state | {"sent": sent or []}


def fast_outputs(prefix: str) -> list[Output]:
    """The outputs `fast_values` fills, in its order."""
    v = {part: view_id(prefix, part) for part in VIEW_PARTS}
    return [
        Output(v["trace"], "data"),
        Output(v["state"], "data"),
        Output(v["angle-value"], "children"),
        Output(v["angle-zone"], "children"),
        Output(v["rep-label"], "children"),
        Output(v["rep-count"], "children"),
        Output(v["rep-target"], "children"),
        Output(v["rep-progress"], "value"),
        Output(v["rep-progress"], "max"),
        Output(v["rep-feedback"], "children"),
        Output(v["hold-ring"], "src"),
        Output(v["hold-ring"], "alt"),
        Output(v["hold-ring"], "hidden"),
        Output(v["hold-text"], "children"),
        Output(v["stamp"], "children"),
    ]


def fast_values(
    snapshot: Callable[[int], Snapshot],
    state: dict[str, Any] | None,
    *,
    max_points: int,
    window_s: float,
    best_for: BestFor,
) -> tuple[Any, ...]:
    """One poll of the view: only the new trace points (or a redraw when the trace started afresh, the
    exercise changed), and the texts.

    Parameters
    ----------
    snapshot : the feed's snapshot(cursor).
    state : the view's client state from the last poll (None: first poll).
    max_points : points the trace keeps.
    window_s : the trace's visible window, s.
    best_for : (exercise, side) -> best peak dorsiflexion so far, rad, or None; called only on a redraw.

    Returns
    -------
    tuple : values for `fast_outputs`, in order.
    """
    state = state or {}
    snap = snapshot(int(state.get("cursor") or 0))
    exercise = str(snap["exercise"])
    redraw = state.get("epoch") != snap.get("epoch") or state.get("exercise") != exercise
    best = state.get("best")
    if redraw:
        snap = snapshot(0)
        best = best_for(exercise, str(snap.get("side", "right")))
    trace = trace_update(snap, best, window_s=window_s, max_points=max_points, reset=redraw)
    t = target(exercise)
    number, rest = count_text(exercise, snap.get("progress"))
    ring = hold_state(exercise, snap.get("progress"))
    stamp = snap.get("stamp_wall_s")
    texts = (
        format_angle(snap.get("angle_rad")),
        target_zone_text(snap.get("angle_rad"), t.band_deg),
        COUNT_LABELS.get(t.unit, t.unit),
        number,
        " " + rest,
        str(min(int(number), t.count)),
        str(t.count),
        snap.get("feedback", ""),
        svg_data_uri(hold_ring_svg(None if ring is None else ring[0], "" if ring is None else ring[1])),
        "hold timer" if ring is None else f"hold timer: {ring[2]}",
        ring is None,
        "" if ring is None else ring[2],
    )
    sent = state.get("sent") or []
    if redraw or len(sent) != len(texts):
        sent = [None] * len(texts)
    return (
        dash.no_update if trace is None else trace,
        client_state(snap, best, list(texts)),
        *(dash.no_update if new == old else new for new, old in zip(texts, sent, strict=True)),
        dash.no_update if stamp is None else f"{float(stamp):.4f}",
    )

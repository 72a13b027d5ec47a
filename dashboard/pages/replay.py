"""Replay page: a recorded session's sets through the same live view, with play, pause, seek and speed."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html

from dashboard import ids, live_view
from dashboard.app import current_data_dir
from dashboard.figures import live_max_points
from dashboard.replay_feed import SPEEDS, ReplayFeed, session_path
from dashboard.session_view import exercise_title

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path="/replay", name="Replay", title="dorsi: replay", order=-10
)

INTERVAL_MS = 100
SKIP_S = 10.0
MAX_REPLAYS = 4  # replays kept in memory (one per open tab); the oldest is dropped

_replays: OrderedDict[str, ReplayFeed] = OrderedDict()
_replays_lock = threading.Lock()


def _feed(token: str | None) -> ReplayFeed | None:
    with _replays_lock:
        feed = _replays.get(token or "")
        if feed is not None:
            _replays.move_to_end(str(token))
        return feed


def _keep(feed: ReplayFeed) -> str:
    token = uuid.uuid4().hex
    with _replays_lock:
        _replays[token] = feed
        while len(_replays) > MAX_REPLAYS:
            _replays.popitem(last=False)
    return token


def _no_best(_exercise: str, _leg: str) -> float | None:
    return None


def _position_text(snap: dict[str, Any]) -> str:
    pos = float(snap["position_s"]) - float(snap["set_start_s"])
    length = float(snap["set_end_s"]) - float(snap["set_start_s"])
    state = "finished" if snap["finished"] else ("playing" if snap["playing"] else "paused")
    return f"Set {int(snap['set_index']) + 1}: {pos:.1f} of {length:.1f} s, {state} at {snap['speed']:g}x"


def layout(session: str | None = None, **_: str) -> Any:
    """Build the Replay page for `/replay?session=ID`."""
    try:
        feed = ReplayFeed(session_path(current_data_dir(), session or ""))
    except (ValueError, OSError) as e:
        return html.Div(
            [
                html.H2("Replay"),
                html.P(f"Cannot replay this session: {e}.", id=ids.REPLAY_PROBLEM),
                dcc.Link("Choose a session", href="/sessions"),
            ],
            className="dorsi-panel",
        )
    token = _keep(feed)
    snap = feed.snapshot(0)
    sets = [(w.index, f"Set {w.index + 1}: {exercise_title(w.exercise)}") for w in feed.sets]
    return html.Div(
        [
            html.Section(
                [
                    html.H2(f"Replay of session {feed.session_id} ({feed.side} leg)", id="replay-heading"),
                    html.P("Which set?", id="replay-set-q", className="dorsi-q"),
                    html.Div(
                        live_view.choice_buttons(ids.REPLAY_SET_CHOICE, "set", sets, 0),
                        role="group",
                        className="dorsi-choices",
                        **live_view.aria(labelledby="replay-set-q"),
                    ),
                    html.Div(
                        [
                            html.Button("Play", id=ids.REPLAY_PLAY, n_clicks=0, className="dorsi-button"),
                            html.Button(
                                f"Back {SKIP_S:.0f} s",
                                id=ids.REPLAY_BACK,
                                n_clicks=0,
                                className="dorsi-button secondary",
                            ),
                            html.Button(
                                f"Forward {SKIP_S:.0f} s",
                                id=ids.REPLAY_FORWARD,
                                n_clicks=0,
                                className="dorsi-button secondary",
                            ),
                            html.Label("Go to (s into the set)", htmlFor=ids.REPLAY_SEEK_INPUT),
                            dcc.Input(id=ids.REPLAY_SEEK_INPUT, type="number", min=0, step=0.1, value=0),
                            html.Button("Go", id=ids.REPLAY_SEEK_GO, n_clicks=0, className="dorsi-button secondary"),
                        ],
                        className="dorsi-replay-controls",
                    ),
                    html.P("Speed", id="replay-speed-q", className="dorsi-q"),
                    html.Div(
                        live_view.choice_buttons(
                            ids.REPLAY_SPEED_CHOICE, "speed", [(s, f"{s:g}x") for s in SPEEDS], 1.0
                        ),
                        role="group",
                        className="dorsi-choices",
                        **live_view.aria(labelledby="replay-speed-q"),
                    ),
                    html.P(_position_text(snap), id=ids.REPLAY_POSITION, role="status"),
                    html.P(live_view.calibration_text(snap), id="replay-calibration", className="dorsi-status"),
                ],
                className="dorsi-panel",
                **live_view.aria(labelledby="replay-heading"),
            ),
            *live_view.layout(
                "replay",
                snap,
                window_s=feed.window_s,
                max_points=live_max_points(feed.window_s, feed.display_rate_hz),
                best_rad=None,
            ),
            dcc.Store(id=ids.REPLAY_TOKEN, data=token),
            dcc.Interval(id=ids.REPLAY_INTERVAL, interval=INTERVAL_MS),
        ]
    )


@dash.callback(
    Output(ids.REPLAY_PLAY, "children"),
    Output({"type": ids.REPLAY_SPEED_CHOICE, "speed": ALL}, "aria-pressed"),
    Output({"type": ids.REPLAY_SET_CHOICE, "set": ALL}, "aria-pressed"),
    Input(ids.REPLAY_PLAY, "n_clicks"),
    Input({"type": ids.REPLAY_SPEED_CHOICE, "speed": ALL}, "n_clicks"),
    Input({"type": ids.REPLAY_SET_CHOICE, "set": ALL}, "n_clicks"),
    Input(ids.REPLAY_BACK, "n_clicks"),
    Input(ids.REPLAY_FORWARD, "n_clicks"),
    Input(ids.REPLAY_SEEK_GO, "n_clicks"),
    State(ids.REPLAY_SEEK_INPUT, "value"),
    State(ids.REPLAY_TOKEN, "data"),
    prevent_initial_call=True,
)
def on_control(*args: Any) -> tuple[Any, ...]:
    """Play or pause, change speed or set, skip or go to a time."""
    seek_value, token = args[-2], args[-1]
    feed = _feed(token)
    trigger = ctx.triggered_id
    if feed is None or trigger is None:
        raise dash.exceptions.PreventUpdate
    if trigger == ids.REPLAY_PLAY:
        if feed.playing:
            feed.pause()
        else:
            feed.play()
    elif isinstance(trigger, dict) and trigger.get("type") == ids.REPLAY_SPEED_CHOICE:
        feed.set_speed(float(trigger["speed"]))
    elif isinstance(trigger, dict) and trigger.get("type") == ids.REPLAY_SET_CHOICE:
        start, _ = feed.set_span(int(trigger["set"]))
        feed.seek(start, int(trigger["set"]))
    elif trigger in (ids.REPLAY_BACK, ids.REPLAY_FORWARD):
        feed.seek(feed.position_s + (SKIP_S if trigger == ids.REPLAY_FORWARD else -SKIP_S))
    elif trigger == ids.REPLAY_SEEK_GO and seek_value is not None:
        start, _ = feed.set_span(feed.set_index)
        feed.seek(start + float(seek_value))
    return (
        "Pause" if feed.playing else "Play",
        ["true" if s == feed.speed else "false" for s in SPEEDS],
        ["true" if w.index == feed.set_index else "false" for w in feed.sets],
    )


@dash.callback(
    *live_view.fast_outputs("replay"),
    Output(ids.REPLAY_POSITION, "children"),
    Output(ids.view_id("replay", "alerts"), "children"),
    Output("replay-calibration", "children"),
    Input(ids.REPLAY_INTERVAL, "n_intervals"),
    State(ids.view_id("replay", "state"), "data"),
    State(ids.REPLAY_TOKEN, "data"),
)
def on_tick(_n: int | None, state: dict[str, Any] | None, token: str | None) -> tuple[Any, ...]:
    """Advance the replay and show it through the live view."""
    feed = _feed(token)
    if feed is None:
        raise dash.exceptions.PreventUpdate
    values = live_view.fast_values(
        feed.snapshot,
        state,
        max_points=live_max_points(feed.window_s, feed.display_rate_hz),
        window_s=feed.window_s,
        best_for=_no_best,
    )
    snap = feed.snapshot(0)
    return (*values, _position_text(snap), live_view.event_items(snap), live_view.calibration_text(snap))


live_view.register_trace("replay")

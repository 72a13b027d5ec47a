"""Routine page: the guide's sequence with targets and instructions, adapted to where the stiffness is felt."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
from dash import Input, Output, dcc, html

from dashboard import ids
from dashboard.guide import STIFFNESS, RoutineStep, explanation, parse_stiffness, routine_steps

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path="/routine", name="Routine", title="dorsi: routine", order=-3
)

FULL = "full"
CHOICES: tuple[tuple[str, str], ...] = (
    (FULL, "Not sure / the full routine"),
    *((key, f"{s.label} ({s.cause})") for key, s in STIFFNESS.items()),
)


def choice_id(key: str) -> str:
    """The id of the button of one stiffness choice."""
    return f"{ids.ROUTINE_STIFFNESS}-{key}"


def start_href(step: RoutineStep, k: int, stiffness: str | None) -> str:
    """The Live page URL that starts step k (from 1) of the routine with its exercise."""
    query = {"exercise": step.exercise, "routine": str(k)}
    if stiffness is not None:
        query["stiffness"] = stiffness
    return "/live?" + urlencode(query)


def _choice_buttons(chosen: str) -> list[html.Button]:
    return [
        html.Button(
            ("✓ " if key == chosen else "") + label,
            id=choice_id(key),
            n_clicks=0,
            className="dorsi-button routine-choice" + ("" if key == chosen else " secondary"),
            **{"aria-pressed": "true" if key == chosen else "false"},  # type: ignore[arg-type]
        )
        for key, label in CHOICES
    ]


def steps_list(stiffness: str | None) -> html.Ol:
    """The routine's steps in order: stage, title, target, instruction and a Start link to the Live page."""
    items = []
    for k, step in enumerate(routine_steps(stiffness), 1):
        focus = [html.Strong(" ★ focus for your stiffness", className="routine-focus")] if step.focus else []
        items.append(
            html.Li(
                [
                    html.H3([f"{step.title}", html.Span(f" · {step.stage}", className="routine-stage"), *focus]),
                    html.P([html.Strong("Target: "), step.target_text], className="routine-target"),
                    html.P(step.instruction),
                    dcc.Link(
                        f"Start step {k}",
                        href=start_href(step, k, stiffness),
                        id=f"{ids.ROUTINE_START_PREFIX}{k}",
                        className="dorsi-button routine-start",
                        title=f"Open {step.title} on the Live page",
                    ),
                ],
                className="routine-step" + (" routine-step-focus" if step.focus else ""),
                **{"data-exercise": step.exercise},  # type: ignore[arg-type]
            )
        )
    return html.Ol(items, className="routine-steps")


def layout(stiffness: str | None = None, **_query: str) -> html.Div:
    """Build the page; ``?stiffness=front|back_ankle|calf`` preselects where the stiffness is felt."""
    chosen = parse_stiffness(stiffness)
    return html.Div(
        [
            html.Section(
                [
                    html.H2("Your daily routine"),
                    html.P(
                        "The guide's exercises in order: a warm-up, releases, stretches, mobilisations, "
                        "strengthening and nerve flossing, then the knee-to-wall test to measure progress. Every "
                        "exercise should be pain free. Start a step to open it on the Live page, which then leads "
                        "you to the next one."
                    ),
                    html.H3("Where do you feel the stiffness?", id="routine-stiffness-label"),
                    html.Div(
                        _choice_buttons(chosen or FULL),
                        role="group",
                        className="routine-choices",
                        **{"aria-labelledby": "routine-stiffness-label"},  # type: ignore[arg-type]
                    ),
                    html.P(explanation(chosen), id=ids.ROUTINE_EXPLANATION, className="routine-explanation"),
                ],
                className="dorsi-panel",
            ),
            html.Section(
                [html.H2("Steps"), html.Div(steps_list(chosen), id=ids.ROUTINE_STEPS)],
                className="dorsi-panel",
                **{"aria-live": "polite"},  # type: ignore[arg-type]
            ),
        ]
    )


@dash.callback(
    Output(ids.ROUTINE_STEPS, "children"),
    Output(ids.ROUTINE_EXPLANATION, "children"),
    *(Output(choice_id(key), prop) for key, _ in CHOICES for prop in ("children", "className", "aria-pressed")),
    *(Input(choice_id(key), "n_clicks") for key, _ in CHOICES),
    prevent_initial_call=True,
)
def on_stiffness(*_clicks: int) -> tuple[Any, ...]:
    """Reorder the steps for the stiffness whose button was pressed."""
    triggered = dash.ctx.triggered_id
    key = next((k for k, _ in CHOICES if triggered == choice_id(k)), FULL)
    stiffness = None if key == FULL else key
    buttons: list[Any] = []
    for k, label in CHOICES:
        pressed = k == key
        buttons += [
            ("✓ " if pressed else "") + label,
            "dorsi-button routine-choice" + ("" if pressed else " secondary"),
            str(pressed).lower(),
        ]
    return (steps_list(stiffness), explanation(stiffness), *buttons)

"""Home page: what dorsi shows, and the way to the Live page."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids

dash.register_page(__name__, path="/", name="Home", title="dorsi", order=1)  # type: ignore[no-untyped-call]


def layout(**_query: str) -> html.Div:
    """Build the home page."""
    return html.Div(
        html.Section(
            [
                html.H2("Ankle range of motion, live"),
                html.P(
                    "dorsi measures ankle dorsiflexion from two motion sensors, one on the shin and one on "
                    "the foot, and counts the reps of your physiotherapy exercises."
                ),
                html.P(
                    dcc.Link(
                        "Open the Live page",
                        href="/live",
                        id=ids.HOME_LIVE_LINK,
                        className="dorsi-button",
                        style={"display": "inline-block", "textDecoration": "none"},
                    )
                ),
            ],
            className="dorsi-panel",
        )
    )

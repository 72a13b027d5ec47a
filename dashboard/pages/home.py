"""Home page: what dorsi is, and a way to every page."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids

dash.register_page(__name__, path="/", name="Home", title="dorsi", order=1)  # type: ignore[no-untyped-call]

PAGES: tuple[tuple[str, str, str], ...] = (
    ("/routine", "Routine", "the guide's exercises in order, adapted to where your ankle feels stiff"),
    ("/live", "Live", "connect the sensors, calibrate, and see your angle, reps and holds while you exercise"),
    ("/sessions", "Sessions", "every recorded session: replay it, see its sets and flags"),
    ("/progress", "Progress", "your knee-to-wall test and exercises over the weeks, per leg"),
    ("/import", "Import", "add a recording made elsewhere (an interchange CSV or an Xsens pair)"),
)


def layout(**_query: str) -> html.Div:
    """Build the home page."""
    return html.Div(
        [
            html.Section(
                [
                    html.H2("dorsi: ankle range of motion, measured"),
                    html.P(
                        "dorsi measures how far your ankle bends up (dorsiflexion) with two small motion sensors, "
                        "one strapped to the shin and one to the foot. It guides you through the exercises of a "
                        "stiff-ankle routine, counts your reps and holds, warns when the heel lifts or the foot "
                        "rolls in, and keeps every session so you and your physiotherapist can see the progress "
                        "over weeks."
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
            ),
            html.Section(
                [
                    html.H2("Pages"),
                    html.Ul(
                        [html.Li([dcc.Link(name, href=href), f": {what}."]) for href, name, what in PAGES],
                        id=ids.HOME_PAGE_LINKS,
                    ),
                ],
                className="dorsi-panel",
            ),
        ]
    )

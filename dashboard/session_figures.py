"""Pure Plotly builders for the Sessions page's whole-session view: no Dash, no I/O, same input, same figure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

TRACE_COLOUR = "#0b3d91"
REP_COLOUR = "#1a7f37"
FLAG_COLOUR = "#a40e26"
HOLD_FILL = "rgba(26, 127, 55, 0.14)"
SET_FILL = "rgba(87, 96, 106, 0.08)"
COMPENSATION_FILL = "rgba(164, 14, 38, 0.25)"
TEXT_COLOUR = "#1f2328"
GRID_COLOUR = "#d0d7de"
_AXIS_STYLE = dict(showgrid=True, gridcolor=GRID_COLOUR, zeroline=False, ticks="outside")
# Marker traces after the angle trace (trace 0), in this order.
REP_TRACE = 1
FLAG_TRACE = 2
MAX_MARKS_IN_VIEW = 120


@dataclass(frozen=True)
class Mark:
    """A moment marked on the trace: at t_s (s), angle_rad (rad), with its text."""

    t_s: float
    angle_rad: float
    text: str


@dataclass(frozen=True)
class Span:
    """A stretch of the session [start_s, end_s] (s) with its text."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class SessionMarks:
    """What the whole-session view marks on the angle trace.

    Attributes
    ----------
    sets : one span per set, e.g. "Set 1: band mobilisation".
    reps : the peak of every rep (or knee-to-wall attempt), text for hovering, e.g. "rep 3: peak 34 deg".
    flagged : the reps with something to correct, text for the label, e.g. "heel lifted".
    holds : one span per hold, e.g. "hold 30 s".
    compensations : heel-lift and rolling-in episodes, e.g. "heel lift".
    """

    sets: tuple[Span, ...] = ()
    reps: tuple[Mark, ...] = ()
    flagged: tuple[Mark, ...] = ()
    holds: tuple[Span, ...] = ()
    compensations: tuple[Span, ...] = ()


def trace_values(
    x_s: Sequence[float] | FloatArray, angle_rad: Sequence[float] | FloatArray
) -> tuple[list[float], list[float | None]]:
    """Convert a (decimated) trace to what the browser draws: time to 1 ms, angle in deg to 0.01 deg.

    Parameters
    ----------
    x_s : (N,) time, s.
    angle_rad : (N,) angle, rad; NaN marks a gap.

    Returns
    -------
    x, y : lists; a gap's angle is None so that the line breaks there.
    """
    x = np.asarray(x_s, dtype=np.float64).reshape(-1)
    a = np.asarray(angle_rad, dtype=np.float64).reshape(-1)
    if x.shape != a.shape:
        raise ValueError(f"x_s and angle_rad differ in length: {x.shape} vs {a.shape}")
    y = [float(v) if math.isfinite(v) else None for v in np.round(np.degrees(a), 2)]
    return np.round(x, 3).tolist(), y


def y_range_deg(
    angle_rad: FloatArray, *, margin_deg: float = 5.0, minimum_deg: tuple[float, float] = (-10.0, 30.0)
) -> tuple[float, float]:
    """Return a fixed angle range, deg, that holds the whole trace (and at least `minimum_deg`).

    Parameters
    ----------
    angle_rad : (N,) every angle of the session, rad (NaN ignored).
    margin_deg : room above and below the extremes, deg.
    minimum_deg : the range never shrinks below this, deg.
    """
    finite = np.asarray(angle_rad, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    lo, hi = minimum_deg
    if finite.size:
        lo = min(lo, math.floor(math.degrees(float(finite.min())) - margin_deg))
        hi = max(hi, math.ceil(math.degrees(float(finite.max())) + margin_deg))
    return float(lo), float(hi)


def rep_comb(
    reps: Sequence[Mark], sets: Sequence[Span], top_deg: float, tooth_deg: float
) -> tuple[list[float | None], list[float | None], list[str | None]]:
    """Return the reps as the teeth of a comb along the top of the plot: one unbroken line per set.

    One continuous path keeps the browser fast: separate markers, or one line broken at every rep, cost a redraw
    of hundreds of ms on a machine without a GPU, and a 1-hour session has about 900 reps.

    Parameters
    ----------
    reps : the rep peaks, in time order; each tooth is at the time of a peak.
    sets : the sets; the comb breaks between sets (reps outside every set share one comb).
    top_deg : height of the comb's back, deg.
    tooth_deg : length of a tooth (pointing down), deg.

    Returns
    -------
    x (s), y (deg), text : lists of three entries per rep (back, tooth tip, back), None between sets.
    """
    x: list[float | None] = []
    y: list[float | None] = []
    text: list[str | None] = []
    previous: int | None = None
    for m in reps:
        group = next((i for i, st in enumerate(sets) if st.start_s <= m.t_s <= st.end_s), -1)
        if previous is not None and group != previous:
            x.append(None)
            y.append(None)
            text.append(None)
        previous = group
        t = round(m.t_s, 3)
        x += [t, t, t]
        y += [top_deg, top_deg - tooth_deg, top_deg]
        text += [m.text] * 3
    return x, y, text


def marks_in_view(
    marks: Sequence[Mark], x_range: tuple[float, float] | None, max_marks: int = MAX_MARKS_IN_VIEW
) -> tuple[list[float], list[float], list[str]]:
    """Return the marks inside x_range (s; None: all), at most `max_marks` of them spread evenly, to draw.

    Parameters
    ----------
    marks : the marks, in time order.
    x_range : the visible time range, s, or None.
    max_marks : more than this many separate labelled markers make every redraw slow; zooming in shows them all.

    Returns
    -------
    x (s), y (deg), text : lists.
    """
    if max_marks < 1:
        raise ValueError(f"max_marks must be >= 1, got {max_marks}")
    inside = [m for m in marks if x_range is None or min(x_range) <= m.t_s <= max(x_range)]
    if len(inside) > max_marks:
        inside = [inside[i] for i in np.linspace(0, len(inside) - 1, max_marks).round().astype(int)]
    return (
        [round(m.t_s, 3) for m in inside],
        [round(math.degrees(m.angle_rad), 2) for m in inside],
        [m.text for m in inside],
    )


def _span_shape(span: Span, fill: str, y0: float, y1: float, text_position: str) -> dict[str, object]:
    return dict(
        type="rect",
        xref="x",
        x0=span.start_s,
        x1=span.end_s,
        yref="paper",
        y0=y0,
        y1=y1,
        fillcolor=fill,
        line=dict(width=0),
        layer="below",
        label=dict(text=span.text, textposition=text_position, font=dict(color=TEXT_COLOUR, size=12)),
    )


def session_figure(
    x_s: Sequence[float] | FloatArray,
    angle_rad: Sequence[float] | FloatArray,
    marks: SessionMarks,
    *,
    y_range: tuple[float, float] = (-10.0, 30.0),
    revision: str = "session",
    height_px: int = 460,
) -> go.Figure:
    """Build the whole-session dorsiflexion view: the (decimated) trace with its sets, reps, holds and flags.

    Every mark carries text or a distinct shape named in the legend, never colour alone: sets and holds are
    labelled bands; each rep is a tooth of a comb along the top, at the time of its peak (hover for its number
    and peak); flagged reps are crosses labelled with what went wrong (at most `MAX_MARKS_IN_VIEW` at a time,
    see `marks_in_view`); compensation episodes are labelled bands along the bottom.

    Parameters
    ----------
    x_s, angle_rad : (N,) the trace to draw (already decimated), s and rad; NaN marks a gap.
    marks : what to mark.
    y_range : fixed angle range, deg (only the time axis zooms).
    revision : Plotly uirevision: keeps the user's zoom while the trace is replaced for a new zoom level.
    height_px : figure height, px.

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 the angle, trace REP_TRACE the rep comb, trace FLAG_TRACE the flagged reps.
    """
    lo, hi = y_range
    if lo >= hi:
        raise ValueError(f"y_range must be increasing, got {y_range}")
    x, y = trace_values(x_s, angle_rad)
    comb_top_deg = hi - 0.08 * (hi - lo)
    tick_x, tick_y, tick_text = rep_comb(marks.reps, marks.sets, comb_top_deg, 0.05 * (hi - lo))
    flag_x, flag_y, flag_text = marks_in_view(marks.flagged, None)
    shapes = [_span_shape(s, SET_FILL, 0.0, 1.0, "top left") for s in marks.sets]
    shapes += [_span_shape(h, HOLD_FILL, 0.0, 0.9, "middle center") for h in marks.holds]
    shapes += [_span_shape(c, COMPENSATION_FILL, 0.0, 0.06, "bottom center") for c in marks.compensations]
    shapes.append(
        dict(
            type="line", xref="paper", x0=0, x1=1, yref="y", y0=0, y1=0, line=dict(color="#57606a", width=1, dash="dot")
        )
    )
    fig = go.Figure(
        data=[
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name="dorsiflexion",
                line=dict(color=TRACE_COLOUR, width=2),
                hovertemplate="%{x:.1f} s: %{y:.1f} deg<extra></extra>",
            ),
            go.Scatter(
                x=tick_x,
                y=tick_y,
                mode="lines",
                name="rep (a tooth of the comb at the top)",
                line=dict(color=REP_COLOUR, width=2),
                text=tick_text,
                hovertemplate="%{text}<extra></extra>",
            ),
            go.Scatter(
                x=flag_x,
                y=flag_y,
                mode="markers+text",
                name="flagged rep (cross, labelled)",
                marker=dict(symbol="x-thin-open", size=14, color=FLAG_COLOUR, line=dict(color=FLAG_COLOUR, width=3)),
                text=flag_text,
                textposition="top center",
                textfont=dict(color=FLAG_COLOUR, size=12),
                hovertemplate="%{text}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        height=height_px,
        margin=dict(l=70, r=20, t=30, b=55),
        paper_bgcolor="white",
        plot_bgcolor="white",
        font=dict(color=TEXT_COLOUR, size=15),
        showlegend=True,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        shapes=shapes,
        uirevision=revision,
        dragmode="zoom",
        xaxis=dict(title=dict(text="session time (s)"), autorange=True, **_AXIS_STYLE),
        yaxis=dict(title=dict(text="dorsiflexion (deg)"), range=[lo, hi], fixedrange=True, **_AXIS_STYLE),
    )
    return fig


def empty_session_figure(message: str, *, height_px: int = 460) -> go.Figure:
    """Build a blank figure that says, in text, why there is no trace yet (e.g. "Analysing the session...")."""
    fig = go.Figure()
    fig.update_layout(
        height=height_px,
        margin=dict(l=70, r=20, t=30, b=55),
        paper_bgcolor="white",
        plot_bgcolor="white",
        font=dict(color=TEXT_COLOUR, size=15),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        annotations=[dict(text=message, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False)],
    )
    return fig

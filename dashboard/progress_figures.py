"""Pure Plotly figures of the Progress page: knee-to-wall over time, peak per exercise, volume, adherence, legs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.progress_stats import (
    KTW_ERROR_M,
    KTW_ERROR_RAD,
    KTW_TARGET_M,
    Change,
    KtwPoint,
    Trend,
    WeekAdherence,
    WeekVolume,
    changes_from_first,
)
from processing.exercises.knee_to_wall import CLINICAL_DEG_PER_CM

TEXT_COLOUR = "#1f2328"
GRID_COLOUR = "#d0d7de"
TARGET_COLOUR = "#1a7f37"
POINT_COLOUR = "#0b3d91"
TREND_COLOUR = "#6e4b00"
# Marker symbol and legend name per kind of change from the first test: the shape carries the meaning.
CHANGE_STYLE: dict[Change, tuple[str, str]] = {
    "better": ("triangle-up", "real improvement since the first test"),
    "worse": ("triangle-down", "real decline since the first test"),
    "within": ("circle-open", "within the measurement error of the first test"),
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_AXIS = dict(showgrid=True, gridcolor=GRID_COLOUR, zeroline=False, ticks="outside")
_LAYOUT = dict(
    template="plotly_white",
    font=dict(color=TEXT_COLOUR, size=14),
    margin=dict(l=70, r=20, t=50, b=50),
    legend=dict(orientation="h", yanchor="top", y=-0.12, x=0),
)


def _title(text: str, demo: bool) -> str:
    return f"{text} (demo data)" if demo else text


def ktw_figure(points: Sequence[KtwPoint], trend_m: Trend | None, *, demo: bool = False) -> go.Figure:
    """Knee-to-wall results over time: toe-to-wall distance (cm, with the 8 cm target) above, degrees below.

    Each point's marker says whether it differs from the first test by more than the measurement error
    (1.6 cm in the distance panel, 4.6 deg in the angle panel): a triangle up or down, else an open circle.
    The fitted weekly trend of the distance is drawn as a dashed line.

    Parameters
    ----------
    points : one result per session, oldest first.
    trend_m : the weekly trend of the distance (metres per week), or None.
    demo : the data are demo data (said in the title).

    Returns
    -------
    go.Figure
    """
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=("Toe to wall, cm", "Angle, deg")
    )
    when = [p.when for p in points]
    panels = (
        (1, [p.m * 100.0 for p in points], KTW_ERROR_M * 100.0, "cm"),
        (2, [math.degrees(p.rad) for p in points], math.degrees(KTW_ERROR_RAD), "deg"),
    )
    for row, values, error, unit in panels:
        kinds = changes_from_first(values, error)
        for kind, (symbol, name) in CHANGE_STYLE.items():
            idx = [i for i, k in enumerate(kinds) if k == kind]
            if not idx:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[when[i] for i in idx],
                    y=[values[i] for i in idx],
                    mode="markers",
                    marker=dict(symbol=symbol, size=11, color=POINT_COLOUR, line=dict(width=2, color=POINT_COLOUR)),
                    name=f"{name} ({error:.1f} {unit})",
                    legendgroup=f"{kind}-{unit}",
                    hovertemplate=f"%{{x|%d %b %Y}}: %{{y:.1f}} {unit}<extra>{name}</extra>",
                ),
                row=row,
                col=1,
            )
    target_deg = KTW_TARGET_M * 100.0 * CLINICAL_DEG_PER_CM
    for row, y, label in (
        (1, KTW_TARGET_M * 100.0, "target 8 cm"),
        (2, target_deg, f"8 cm is about {target_deg:.1f} deg"),
    ):
        fig.add_hline(
            y=y,
            row=row,
            col=1,
            line=dict(color=TARGET_COLOUR, width=2, dash="dot"),
            annotation_text=label,
            annotation_position="top left",
            annotation_font_color=TARGET_COLOUR,
        )
    if trend_m is not None and len(when) >= 2:
        ends = [when[0], when[-1]]
        weeks = [(t - when[0]) / timedelta(weeks=1) for t in ends]
        fig.add_trace(
            go.Scatter(
                x=ends,
                y=[(trend_m.intercept + trend_m.slope_per_week * w) * 100.0 for w in weeks],
                mode="lines",
                line=dict(color=TREND_COLOUR, width=2, dash="dash"),
                name=f"trend {trend_m.slope_per_week * 100.0:+.2f} cm per week",
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
    fig.update_layout(
        **_LAYOUT, height=560, title=_title("Knee-to-wall test over time", demo), legend_title_text="Markers:"
    )
    fig.update_xaxes(**_AXIS)
    fig.update_yaxes(**_AXIS)
    fig.update_yaxes(title_text="cm", row=1, col=1)
    fig.update_yaxes(title_text="deg", row=2, col=1)
    return fig


def peak_figure(
    series: dict[str, list[tuple[datetime, float]]], titles: dict[str, str], *, demo: bool = False
) -> go.Figure:
    """Peak dorsiflexion (deg) per exercise per session: one line with a distinct marker per exercise.

    Parameters
    ----------
    series : per exercise name, (time, peak rad) per session, oldest first.
    titles : the exercises' titles for the legend.
    demo : the data are demo data (said in the title).
    """
    symbols = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon", "pentagon", "bowtie")
    fig = go.Figure()
    for k, (name, pts) in enumerate(sorted(series.items())):
        fig.add_trace(
            go.Scatter(
                x=[t for t, _ in pts],
                y=[math.degrees(v) for _, v in pts],
                mode="lines+markers",
                marker=dict(symbol=symbols[k % len(symbols)], size=9),
                name=titles.get(name, name),
                hovertemplate="%{x|%d %b}: %{y:.1f} deg<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(**_LAYOUT, height=420, title=_title("Peak dorsiflexion per exercise and session", demo))
    fig.update_xaxes(**_AXIS)
    fig.update_yaxes(**_AXIS, title_text="deg")
    return fig


def volume_figure(weeks: Sequence[WeekVolume], *, demo: bool = False) -> go.Figure:
    """Reps, holds and circles done per week (grouped bars, each labelled with its number)."""
    fig = go.Figure()
    x = [w.week_start for w in weeks]
    for label, values in (
        ("reps", [w.reps for w in weeks]),
        ("holds", [w.holds for w in weeks]),
        ("circles", [w.circles for w in weeks]),
    ):
        fig.add_trace(go.Bar(x=x, y=values, name=label, text=values, textposition="outside"))
    fig.update_layout(
        **_LAYOUT, height=380, barmode="group", title=_title("Reps, holds and circles done per week", demo)
    )
    fig.update_xaxes(**_AXIS, title_text="week starting", tickformat="%d %b")
    fig.update_yaxes(**_AXIS, title_text="count")
    return fig


def adherence_figure(weeks: Sequence[WeekAdherence], *, demo: bool = False) -> go.Figure:
    """A calendar: one row per week, one cell per day, "✓" and dark where a session was done, "·" where not."""
    y = [w.week_start.strftime("%d %b") for w in weeks]
    z = [[1 if d else 0 for d in w.days] for w in weeks]
    text = [["✓" if d else "·" for d in w.days] for w in weeks]
    fig = go.Figure(
        go.Heatmap(
            x=list(WEEKDAYS),
            y=y,
            z=z,
            text=text,
            texttemplate="%{text}",
            textfont=dict(size=18),
            colorscale=[[0.0, "#eaeef2"], [1.0, "#a8d5b5"]],
            zmin=0,
            zmax=1,
            showscale=False,
            xgap=3,
            ygap=3,
            hovertemplate="week of %{y}, %{x}: %{text}<extra></extra>",
        )
    )
    for w, label in zip(weeks, y, strict=True):
        fig.add_annotation(
            x=1.0, xref="paper", xanchor="left", y=label, text=f" {w.days_with_session}/7 days", showarrow=False
        )
    fig.update_layout(
        **{**_LAYOUT, "margin": dict(l=80, r=90, t=50, b=30)},
        height=max(200, 60 + 34 * len(weeks)),
        title=_title("Days with a session, per week (the guide: daily, at least weekly)", demo),
    )
    fig.update_yaxes(autorange="reversed", type="category", title_text="week of")
    fig.update_xaxes(side="top")
    return fig


def asymmetry_figure(left: KtwPoint | None, right: KtwPoint | None, *, demo: bool = False) -> go.Figure:
    """Latest knee-to-wall distance of each leg side by side (cm, labelled), with the 8 cm target."""
    legs = [(name, p) for name, p in (("left", left), ("right", right)) if p is not None]
    cm = [p.m * 100.0 for _, p in legs]
    fig = go.Figure(
        go.Bar(
            x=[name for name, _ in legs],
            y=cm,
            text=[f"{v:.1f} cm ({math.degrees(p.rad):.1f} deg)" for v, (_, p) in zip(cm, legs, strict=True)],
            textposition="outside",
            marker_color=POINT_COLOUR,
            width=0.5,
        )
    )
    fig.add_hline(
        y=KTW_TARGET_M * 100.0,
        line=dict(color=TARGET_COLOUR, width=2, dash="dot"),
        annotation_text="target 8 cm",
        annotation_font_color=TARGET_COLOUR,
    )
    fig.update_layout(**_LAYOUT, height=340, title=_title("Latest knee-to-wall, left and right", demo))
    fig.update_yaxes(**_AXIS, title_text="cm", rangemode="tozero")
    return fig

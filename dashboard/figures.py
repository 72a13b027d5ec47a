"""Pure Plotly figure builders for the dashboard: no Dash, no I/O, same input, same figure."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

TRACE_COLOUR = "#0b3d91"
BAND_COLOUR = "rgba(26, 127, 55, 0.18)"
BAND_EDGE_COLOUR = "#1a7f37"
TEXT_COLOUR = "#1f2328"
GRID_COLOUR = "#d0d7de"
BEST_COLOUR = "#8250df"
RING_COLOUR = "#1a7f37"
RING_TRACK_COLOUR = "#d0d7de"
_AXIS_STYLE = dict(showgrid=True, gridcolor=GRID_COLOUR, zeroline=False, ticks="outside")


def live_max_points(window_s: float, display_rate_hz: float) -> int:
    """Return how many points the live trace keeps to show `window_s` of data at `display_rate_hz`.

    Parameters
    ----------
    window_s : float
        Visible time window, s (> 0).
    display_rate_hz : float
        Rate of the points sent to the browser, Hz (> 0).

    Returns
    -------
    int
        Number of points, at least 2.
    """
    if window_s <= 0 or display_rate_hz <= 0:
        raise ValueError(f"window_s and display_rate_hz must be > 0, got {window_s}, {display_rate_hz}")
    return max(2, math.ceil(window_s * display_rate_hz))


def live_angle_figure(
    target_band_deg: tuple[float, float] | None,
    *,
    y_range_deg: tuple[float, float] = (-30.0, 50.0),
    height_px: int = 360,
    best_deg: float | None = None,
    initial: tuple[Sequence[float], Sequence[float]] | None = None,
) -> go.Figure:
    """Build the empty live dorsiflexion trace that `extend_angle_trace` then feeds.

    The target band is a horizontal shape across the whole plot (paper x coordinates), so it stays in view
    while the time axis scrolls; it is labelled in text, not marked by colour alone.

    Parameters
    ----------
    target_band_deg : (lo, hi) or None
        Dorsiflexion band to reach, deg; None draws no band.
    y_range_deg : (lo, hi)
        Fixed vertical range, deg, widened to include the band; a fixed range keeps the trace from jumping.
    height_px : int
        Figure height, px.
    best_deg : float or None
        The person's own best so far, deg, drawn as a dashed line labelled in text; None draws none.
    initial : (t_s, dorsiflexion_rad) or None
        Points to start the trace with (a redraw), in s and rad; None starts it empty.

    Returns
    -------
    plotly.graph_objects.Figure
        One empty line trace (trace 0) on a time axis in s and an angle axis in deg.
    """
    y_lo, y_hi = y_range_deg
    if y_lo >= y_hi:
        raise ValueError(f"y_range_deg must be increasing, got {y_range_deg}")
    shapes: list[dict[str, object]] = [
        dict(
            type="line",
            xref="paper",
            x0=0,
            x1=1,
            yref="y",
            y0=0,
            y1=0,
            line=dict(color="#57606a", width=1, dash="dot"),
            layer="below",
        ),
    ]
    annotations: list[dict[str, object]] = []
    if target_band_deg is not None:
        band_lo, band_hi = target_band_deg
        if band_lo >= band_hi:
            raise ValueError(f"target_band_deg must be increasing, got {target_band_deg}")
        y_lo, y_hi = min(y_lo, band_lo - 5.0), max(y_hi, band_hi + 5.0)
        shapes.append(
            dict(
                type="rect",
                xref="paper",
                x0=0,
                x1=1,
                yref="y",
                y0=band_lo,
                y1=band_hi,
                fillcolor=BAND_COLOUR,
                line=dict(color=BAND_EDGE_COLOUR, width=1),
                layer="below",
            )
        )
        annotations.append(
            dict(
                xref="paper",
                x=0.005,
                xanchor="left",
                yref="y",
                y=band_hi,
                yanchor="bottom",
                text=f"target {band_lo:.0f}-{band_hi:.0f} deg",
                showarrow=False,
                font=dict(color=BAND_EDGE_COLOUR, size=14),
            )
        )
    if best_deg is not None and math.isfinite(best_deg):
        y_lo, y_hi = min(y_lo, best_deg - 5.0), max(y_hi, best_deg + 5.0)
        shapes.append(
            dict(
                type="line",
                xref="paper",
                x0=0,
                x1=1,
                yref="y",
                y0=best_deg,
                y1=best_deg,
                line=dict(color=BEST_COLOUR, width=2, dash="dash"),
                layer="below",
            )
        )
        annotations.append(
            dict(
                xref="paper",
                x=0.995,
                xanchor="right",
                yref="y",
                y=best_deg,
                yanchor="bottom",
                text=f"your best {best_deg:.0f} deg",
                showarrow=False,
                font=dict(color=BEST_COLOUR, size=14),
            )
        )
    x0: list[float] = []
    y0: list[float | None] = []
    if initial is not None:
        first = extend_angle_trace(initial[0], initial[1], max(1, len(initial[0])))
        if first is not None:
            x0, y0 = first[0]["x"][0], first[0]["y"][0]  # type: ignore[assignment]
    fig = go.Figure(
        data=[
            go.Scatter(
                x=x0,
                y=y0,
                mode="lines",
                name="dorsiflexion",
                line=dict(color=TRACE_COLOUR, width=3),
                hoverinfo="skip",
            )
        ]
    )
    fig.update_layout(
        height=height_px,
        margin=dict(l=70, r=20, t=20, b=55),
        paper_bgcolor="white",
        plot_bgcolor="white",
        font=dict(color=TEXT_COLOUR, size=15),
        showlegend=False,
        template="none",  # the default template would add kilobytes to every redraw sent to the browser
        shapes=shapes,
        annotations=annotations,
        uirevision="live",
        xaxis=dict(title=dict(text="time (s)"), autorange=True, **_AXIS_STYLE),
        yaxis=dict(title=dict(text="dorsiflexion (deg)"), range=[y_lo, y_hi], autorange=False, **_AXIS_STYLE),
    )
    return fig


def extend_angle_trace(
    t_s: Sequence[float] | np.ndarray,
    dorsiflexion_rad: Sequence[float] | np.ndarray,
    max_points: int,
) -> tuple[dict[str, list[list[float | None]]], list[int], int] | None:
    """Convert new live points into a `dcc.Graph.extendData` value for trace 0 of `live_angle_figure`.

    Parameters
    ----------
    t_s : (N,) array-like
        Session-clock times, s.
    dorsiflexion_rad : (N,) array-like
        Dorsiflexion at those times, rad.
    max_points : int
        Points the trace keeps; older points are dropped by the browser.

    Returns
    -------
    tuple or None
        ``({"x": [[...]], "y": [[...]]}, [0], max_points)`` with the angle in deg rounded to 0.1 deg and the
        time rounded to 1 ms (smaller messages), a missing angle (NaN) as None so the line breaks there;
        None when there are no new points. Only the newest `max_points` points are sent.
    """
    t = np.asarray(t_s, dtype=np.float64).reshape(-1)
    a = np.asarray(dorsiflexion_rad, dtype=np.float64).reshape(-1)
    if t.shape != a.shape:
        raise ValueError(f"t_s and dorsiflexion_rad differ in length: {t.shape} vs {a.shape}")
    if max_points < 1:
        raise ValueError(f"max_points must be >= 1, got {max_points}")
    if t.size == 0:
        return None
    t, a = t[-max_points:], a[-max_points:]
    x = np.round(t, 3).tolist()
    y = [float(v) if math.isfinite(v) else None for v in np.round(np.degrees(a), 1)]
    return {"x": [x], "y": [y]}, [0], max_points


def hold_ring_svg(fraction: float | None, label: str, *, size_px: int = 120) -> str:
    """Build the hold timer ring: an SVG circle that fills clockwise with `fraction` and shows `label` inside.

    Parameters
    ----------
    fraction : float or None
        Part of the hold done, 0..1 (clipped); None draws the empty track.
    label : str
        Short text in the middle (e.g. "12 s"); the page also says it in words next to the ring.
    size_px : int
        Width and height, px.

    Returns
    -------
    str
        A standalone SVG document.
    """
    f = 0.0 if fraction is None or not math.isfinite(fraction) else min(1.0, max(0.0, fraction))
    r = 0.4 * size_px
    c = size_px / 2.0
    circumference = 2.0 * math.pi * r
    stroke = 0.12 * size_px
    text = label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        f'viewBox="0 0 {size_px} {size_px}">'
        f'<circle cx="{c:g}" cy="{c:g}" r="{r:g}" fill="none" stroke="{RING_TRACK_COLOUR}" '
        f'stroke-width="{stroke:g}"/>'
        f'<circle cx="{c:g}" cy="{c:g}" r="{r:g}" fill="none" stroke="{RING_COLOUR}" stroke-width="{stroke:g}" '
        f'stroke-dasharray="{f * circumference:.2f} {circumference:.2f}" transform="rotate(-90 {c:g} {c:g})"/>'
        f'<text x="{c:g}" y="{c:g}" text-anchor="middle" dominant-baseline="central" '
        f'font-family="sans-serif" font-size="{0.2 * size_px:g}" font-weight="700" fill="{TEXT_COLOUR}">{text}</text>'
        "</svg>"
    )


def svg_data_uri(svg: str) -> str:
    """Return an SVG document as a data URI for an <img> (no file, nothing fetched)."""
    from urllib.parse import quote

    return "data:image/svg+xml;charset=utf-8," + quote(svg, safe="")

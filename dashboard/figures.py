"""Pure builders for the live view: the trace messages for the browser's canvas and the hold ring (no Dash, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

TEXT_COLOUR = "#1f2328"
RING_COLOUR = "#1a7f37"
RING_TRACK_COLOUR = "#d0d7de"


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


def trace_message(
    t_s: Sequence[float] | np.ndarray,
    dorsiflexion_rad: Sequence[float] | np.ndarray,
    *,
    max_points: int,
    window_s: float,
    reset: bool,
    target_band_deg: tuple[float, float] | None = None,
    best_deg: float | None = None,
    y_range_deg: tuple[float, float] = (-30.0, 50.0),
) -> dict[str, Any] | None:
    """What the browser's live trace (dashboard/assets/live_trace.js) needs from one poll: only the new points.

    Parameters
    ----------
    t_s, dorsiflexion_rad : (N,) new points: session-clock times, s, and angles, rad.
    max_points : points the browser keeps; only the newest `max_points` are sent.
    window_s : the visible time window, s.
    reset : start the trace afresh with these points (a new page, a new exercise or connection).
    target_band_deg : (lo, hi) band to reach, deg, drawn and labelled; None draws none.
    best_deg : the person's best so far, deg, drawn as a labelled dashed line; None draws none.
    y_range_deg : fixed vertical range, deg, widened to show the band and the best with a margin.

    Returns
    -------
    dict or None
        ``reset``, ``x`` (s, to 1 ms), ``y`` (deg to 0.1, None where the angle is missing, so the line breaks),
        and the drawing's settings (``band``, ``best``, ``y_range``, ``window_s``, ``max_points``: a few numbers,
        sent every time so that any message can start a drawing); None when there is nothing new to send.
    """
    t = np.asarray(t_s, dtype=np.float64).reshape(-1)
    a = np.asarray(dorsiflexion_rad, dtype=np.float64).reshape(-1)
    if t.shape != a.shape:
        raise ValueError(f"t_s and dorsiflexion_rad differ in length: {t.shape} vs {a.shape}")
    if max_points < 1 or window_s <= 0:
        raise ValueError(f"max_points must be >= 1 and window_s > 0, got {max_points}, {window_s}")
    if t.size == 0 and not reset:
        return None
    t, a = t[-max_points:], a[-max_points:]
    msg: dict[str, Any] = {
        "reset": reset,
        "x": np.round(t, 3).tolist(),
        "y": [float(v) if math.isfinite(v) else None for v in np.round(np.degrees(a), 1)],
    }
    y_lo, y_hi = y_range_deg
    if y_lo >= y_hi:
        raise ValueError(f"y_range_deg must be increasing, got {y_range_deg}")
    if target_band_deg is not None:
        band_lo, band_hi = target_band_deg
        if band_lo >= band_hi:
            raise ValueError(f"target_band_deg must be increasing, got {target_band_deg}")
        y_lo, y_hi = min(y_lo, band_lo - 5.0), max(y_hi, band_hi + 5.0)
    best = None if best_deg is None or not math.isfinite(best_deg) else round(float(best_deg), 1)
    if best is not None:
        y_lo, y_hi = min(y_lo, best - 5.0), max(y_hi, best + 5.0)
    return msg | {
        "band": None if target_band_deg is None else [float(v) for v in target_band_deg],
        "best": best,
        "y_range": [y_lo, y_hi],
        "window_s": float(window_s),
        "max_points": int(max_points),
    }


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

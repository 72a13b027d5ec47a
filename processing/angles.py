"""Heading-free ankle angles: each segment's tilt about its hinge and anterior axes, measured from gravity."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Side = Literal["left", "right"]


def rowwise_dot(a: FloatArray, b: FloatArray) -> FloatArray:
    """Dot product of each row of a (N, 3) with b (3,), element by element (bit-identical for any N, unlike
    BLAS matrix products, so streaming and batch agree exactly)."""
    return np.asarray(a[:, 0] * b[0] + a[:, 1] * b[1] + a[:, 2] * b[2])


def runs(labels: NDArray[np.generic]) -> list[tuple[int, int]]:
    """(start, end) index pairs of the runs of equal consecutive labels, in order (none for an empty array)."""
    bounds = [0, *(np.flatnonzero(labels[1:] != labels[:-1]) + 1).tolist(), len(labels)]
    return list(zip(bounds[:-1], bounds[1:], strict=True)) if len(labels) else []


def segment_angles(
    up: FloatArray, up_ref: FloatArray, axis: FloatArray, horizontal_limit_rad: float = math.radians(15.0)
) -> tuple[FloatArray, FloatArray]:
    """Sagittal and frontal tilt of a segment relative to its neutral stance, from gravity alone.

    Parameters
    ----------
    up : (N, 3) earth up in the sensor frame.
    up_ref : (3,) earth up in the sensor frame in the neutral stance.
    axis : (3,) hinge axis (unit, perpendicular to up_ref, pointing to the person's left).
    horizontal_limit_rad : how close to horizontal a segment may lie before its roll is unknown, rad.

    Returns
    -------
    pitch : (N,) rad, rotation about the hinge axis (+ = shin forward, or toes down), from the components of
        up in the plane perpendicular to the axis.
    roll : (N,) rad, rotation about the segment's anterior axis after the pitch (+ = top of the segment to the
        right; the ISB order: flexion first). NaN where the segment is within horizontal_limit_rad of lying
        horizontal along its anterior axis: rotation about a vertical axis does not move gravity.
    """
    anterior = np.cross(axis, up_ref)
    u_v = rowwise_dot(up, up_ref)
    u_s = rowwise_dot(up, axis)
    pitch = np.arctan2(-rowwise_dot(up, anterior), u_v)
    with np.errstate(divide="ignore", invalid="ignore"):
        roll = np.arctan(u_s / u_v)
    roll[np.hypot(u_s, u_v) < math.sin(horizontal_limit_rad)] = np.nan
    return pitch, roll


def ankle_angles(
    shin_pitch: FloatArray, shin_roll: FloatArray, foot_pitch: FloatArray, foot_roll: FloatArray, side: Side
) -> tuple[FloatArray, FloatArray]:
    """Anatomical ankle angles from the segments' tilts; the one place where the left leg's signs are made.

    Dorsiflexion (+) is the shin's forward tilt relative to the foot's, on either leg. Inversion (+) turns
    the sole towards the other leg: + foot roll (about the anterior axis) for the right leg, - for the left.

    Returns
    -------
    dorsiflexion, inversion : (N,) rad.
    """
    side_sign = 1.0 if side == "right" else -1.0
    return shin_pitch - foot_pitch, side_sign * (foot_roll - shin_roll)

"""Two-segment leg kinematics (shin and foot, an anchored contact point, turning) and its error-free IMU signals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sensors.simulation.trajectory import Channel, Piecewise

FloatArray = NDArray[np.float64]
GRAVITY_M_S2 = 9.81

# Person frame: x forward, y left, z up, origin at the heel's ground contact in the opening stance. Segment
# frames coincide with it in the neutral stance (shin vertical, foot flat).
TOES_FROM_HEEL_M = np.array([0.19, 0.0, 0.0])  # foot frame: ball of the foot, the pivot of a heel raise
ANKLE_FROM_HEEL_M = np.array([0.05, 0.0, 0.08])  # foot frame
FOOT_SENSOR_FROM_HEEL_M = np.array([0.13, 0.0, 0.07])  # foot frame, on the dorsum
SHIN_SENSOR_FROM_ANKLE_M = np.array([0.04, 0.0, 0.30])  # shin frame, front of the shin
KNEE_FROM_ANKLE_M = np.array([0.0, 0.0, 0.42])  # shin frame
ANCHOR_POINTS = ("heel", "toes", "ankle", "knee")
# The body's vertical axis (what the person turns about): in front of the heel, 10 cm medial.
TURN_AXIS_FROM_HEEL_M = np.array([0.05, 0.10, 0.0])

CHANNELS = (
    "shin_pitch",  # rad, + = top of the shin forward
    "shin_roll",  # rad, about the shin's anterior axis
    "foot_pitch",  # rad, + = toes down / heel up
    "foot_roll",  # rad, about the foot's anterior axis; + = the left edge of the foot down
    "leg_twist",  # rad, the whole leg rolling about the shin's long axis (foam roller)
    "heading",  # rad, the person turning about the vertical (counter-clockwise from above)
    "base_x",  # m, translation of the anchored point, person frame
    "base_y",
    "base_z",
)


def rot_x(a: FloatArray) -> FloatArray:
    """Rotation matrices about x, (N, 3, 3), angles a (N,) rad."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def rot_y(a: FloatArray) -> FloatArray:
    """Rotation matrices about y, (N, 3, 3), angles a (N,) rad."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def rot_z(a: FloatArray) -> FloatArray:
    """Rotation matrices about z, (N, 3, 3), angles a (N,) rad."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def pitch_roll(pitch: FloatArray, roll: FloatArray) -> FloatArray:
    """Ry(pitch) Rx(roll), (N, 3, 3), from (N,) angles in rad."""
    return np.moveaxis(_pitch_roll(np.asarray(pitch, dtype=np.float64), np.asarray(roll, dtype=np.float64)), -1, 0)


# Rotations inside the kinematics are (3, 3, N) arrays (component-major): elementwise arithmetic on
# contiguous (N,) rows is several times faster than batched 3x3 matrix products.


def _pitch_roll(pitch: FloatArray, roll: FloatArray) -> FloatArray:
    cp, sp, cr, sr = np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    zero = np.zeros_like(pitch)
    return np.array([[cp, sp * sr, sp * cr], [zero, cr, -sr], [-sp, cp * sr, cp * cr]])


def _mat_vec(r: FloatArray, v: FloatArray) -> FloatArray:
    """R v, (3, N), for rotations (3, 3, N) and a constant vector (3,)."""
    out = np.zeros(r.shape[1:])
    for j in range(3):
        if v[j] != 0.0:
            out += r[:, j] * v[j]
    return out


def _turn(c: FloatArray, s: FloatArray, x: FloatArray) -> FloatArray:
    """Rz(angle) x for (3, ...) vectors or (3, 3, N) rotations, given the angle's cosine and sine (N,)."""
    return np.array([c * x[0] - s * x[1], s * x[0] + c * x[1], x[2]])


def _twist(shin: FloatArray, foot: FloatArray, angle: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Both segments turned by angle (N,) about the shin's long axis (its z column)."""
    c, s = np.cos(angle), np.sin(angle)
    a = shin[:, 2]
    cols = []
    for j in range(3):
        v = foot[:, j]
        cross = np.array([a[1] * v[2] - a[2] * v[1], a[2] * v[0] - a[0] * v[2], a[0] * v[1] - a[1] * v[0]])
        cols.append(v * c + cross * s + a * np.sum(a * v, axis=0) * (1.0 - c))
    new_shin = np.stack([shin[:, 0] * c + shin[:, 1] * s, shin[:, 1] * c - shin[:, 0] * s, shin[:, 2]], axis=1)
    return new_shin, np.stack(cols, axis=1)


def _segments(v: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Shin and foot orientations (3, 3, N), segment -> person frame (heading not included).

    shin = Ry(shin_pitch) Rx(shin_roll) Rz(twist); foot = T Ry(foot_pitch) Rx(foot_roll), where T turns the
    foot with the leg's twist about the shin's long axis, so twisting the leg leaves the ankle angles unchanged.
    """
    shin = _pitch_roll(v["shin_pitch"], v["shin_roll"])
    foot = _pitch_roll(v["foot_pitch"], v["foot_roll"])
    if np.any(v["leg_twist"] != 0.0):
        shin, foot = _twist(shin, foot, v["leg_twist"])
    return shin, foot


def segment_rotations(v: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Shin and foot orientations (N, 3, 3), segment -> person frame (heading not included), from channel values."""
    shin, foot = _segments({k: np.asarray(x, dtype=np.float64) for k, x in v.items()})
    return np.moveaxis(shin, -1, 0), np.moveaxis(foot, -1, 0)


class _Points:
    """Positions (3, N) of the leg's points relative to the heel, person frame, computed when first asked."""

    def __init__(self, shin: FloatArray, foot: FloatArray) -> None:
        self.shin, self.foot = shin, foot
        self._cache: dict[str, FloatArray] = {}

    def __getitem__(self, name: str) -> FloatArray:
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def _compute(self, name: str) -> FloatArray:
        if name == "heel":
            return np.zeros(self.foot.shape[1:])
        if name in _FOOT_POINTS:
            return _mat_vec(self.foot, _FOOT_POINTS[name])
        return self["ankle"] + _mat_vec(self.shin, _SHIN_POINTS[name])


_FOOT_POINTS = {"toes": TOES_FROM_HEEL_M, "ankle": ANKLE_FROM_HEEL_M, "foot_sensor": FOOT_SENSOR_FROM_HEEL_M}
_SHIN_POINTS = {"knee": KNEE_FROM_ANKLE_M, "shin_sensor": SHIN_SENSOR_FROM_ANKLE_M}


def relative_points(r_shin: FloatArray, r_foot: FloatArray) -> dict[str, FloatArray]:
    """Positions (N, 3) m of the anchor points and sensors relative to the heel, from (N, 3, 3) orientations."""
    pts = _Points(np.moveaxis(r_shin, 0, -1), np.moveaxis(r_foot, 0, -1))
    return {k: pts[k].T for k in (*ANCHOR_POINTS, "foot_sensor", "shin_sensor")}


@dataclass
class Anchor:
    """A point of the leg held still in the world (the foot's contact, or the knee resting) while weighted.

    Anchors hand over smoothly (weights blend during a still moment), so the leg's position stays C2.

    Attributes
    ----------
    point : one of ANCHOR_POINTS.
    offset_m : (3,) position of the point minus the base translation, person frame, m.
    weight : its weight over script time, 0..1 (the weights of all anchors sum to 1).
    """

    point: str
    offset_m: FloatArray
    weight: Piecewise


@dataclass
class LegKinematics:
    """Shin and foot motion of one leg over time; everything a sensor on it feels follows from it.

    Orientations (segment -> earth) are Rz(heading) times `segment_rotations`; dorsiflexion = shin pitch - foot
    pitch, inversion = side_sign * (foot roll - shin roll). Positions follow from the anchored point (heel or
    toes on the ground, or the knee resting), the base translation, and the person turning about their
    vertical axis.

    Attributes
    ----------
    channels : one Channel per name in CHANNELS.
    anchors : the anchor hand-overs, in time order.
    heading_rad : facing direction at the start, about earth z, rad.
    side_sign : +1 for the right leg, -1 for the left.
    duration_s : end of the script, s (None = endless).
    cycle_s : (start, period) if the script repeats endlessly after start (times wrap into the cycle), s.
    """

    channels: dict[str, Channel]
    anchors: list[Anchor]
    heading_rad: float
    side_sign: int
    duration_s: float | None
    cycle_s: tuple[float, float] | None = None
    turn_axis_m: FloatArray = field(default_factory=lambda: TURN_AXIS_FROM_HEEL_M.copy())

    def script_time(self, t_s: FloatArray) -> FloatArray:
        """Script time of true times t_s (s): the same, or wrapped into the cycle of an endless routine."""
        t = np.asarray(t_s, dtype=np.float64)
        if self.cycle_s is None:
            return t
        start, period = self.cycle_s
        return np.where(t > start + period, start + np.mod(t - start, period), t)

    def values(self, t_s: FloatArray, names: tuple[str, ...] = CHANNELS) -> dict[str, FloatArray]:
        """Channel values (N,) at true times t_s (s)."""
        t = np.asarray(t_s, dtype=np.float64)
        ts = self.script_time(t)
        return {name: self.channels[name].value(t, ts) for name in names}

    def _pose(self, t_s: FloatArray, points: tuple[str, ...]) -> tuple[FloatArray, FloatArray, dict[str, FloatArray]]:
        """World orientations (3, 3, N) of shin and foot, and world positions (3, N) of the named points."""
        t = np.asarray(t_s, dtype=np.float64)
        ts = self.script_time(t)
        v = {name: self.channels[name].value(t, ts) for name in CHANNELS}
        shin, foot = _segments(v)
        rel = _Points(shin, foot)
        heel = np.array([v["base_x"], v["base_y"], v["base_z"]])
        lo, hi = (float(ts.min()), float(ts.max())) if len(ts) else (0.0, 0.0)
        for a in self.anchors:
            w = a.weight.constant_over(lo, hi)
            if w is None:
                heel += a.weight.value(ts) * (a.offset_m[:, None] - rel[a.point])
            elif w != 0.0:
                heel += w * (a.offset_m[:, None] - rel[a.point])
        heading = v["heading"] + self.heading_rad
        c, s = np.cos(heading), np.sin(heading)
        axis = (self.turn_axis_m * np.array([1.0, self.side_sign, 1.0]))[:, None]
        world = {k: axis + _turn(c, s, heel + rel[k] - axis) for k in points}
        return _turn(c, s, shin), _turn(c, s, foot), world

    def segment(self, role: str, t_s: FloatArray, step_s: float = 1e-4) -> tuple[FloatArray, FloatArray]:
        """Orientation (N, 3, 3) segment to earth and body-frame angular velocity (N, 3) rad/s at t_s (s).

        The angular velocity is the central difference of the orientation (step step_s), exact to
        O(step_s^2), about 1e-8 rad/s for human motion.
        """
        t = np.asarray(t_s, dtype=np.float64)
        n = len(t)
        r_shin, r_foot, _ = self._pose(np.concatenate([t - step_s, t, t + step_s]), ())
        r = r_foot if role == "foot" else r_shin
        w = _body_rate(r[..., :n], r[..., n : 2 * n], r[..., 2 * n :], step_s)
        return np.moveaxis(r[..., n : 2 * n], -1, 0), w.T

    def sensor_position(self, role: str, t_s: FloatArray) -> FloatArray:
        """World position (N, 3) m of the sensor on a segment (origin: the heel in the opening stance)."""
        return self.point_position(f"{role}_sensor", t_s)

    def point_position(self, point: str, t_s: FloatArray) -> FloatArray:
        """World position (N, 3) m of a point of the leg: heel, toes, ankle, knee, shin_sensor or foot_sensor."""
        return self._pose(np.asarray(t_s, dtype=np.float64), (point,))[2][point].T

    def ideal_imu(
        self, role: str, t_s: FloatArray, step_s: float = 1e-3, chunk: int = 50_000
    ) -> tuple[FloatArray, FloatArray]:
        """Error-free specific force (N, 3) m/s^2 and angular rate (N, 3) rad/s in the segment frame at t_s (s).

        The sensor's linear acceleration is the central second difference of its position and the angular
        rate the central difference of its orientation (step step_s); both are exact to O(step_s^2) for
        these smooth trajectories (about 1e-6 in SI units).
        """
        t_all = np.asarray(t_s, dtype=np.float64)
        f_out, w_out = np.empty((len(t_all), 3)), np.empty((len(t_all), 3))
        point = f"{role}_sensor"
        for i in range(0, len(t_all), chunk):
            t = t_all[i : i + chunk]
            n = len(t)
            r_shin, r_foot, world = self._pose(np.concatenate([t - step_s, t, t + step_s]), (point,))
            p = world[point]
            f_world = (p[:, :n] - 2.0 * p[:, n : 2 * n] + p[:, 2 * n :]) / step_s**2
            f_world[2] += GRAVITY_M_S2
            r = r_foot if role == "foot" else r_shin
            r0 = r[..., n : 2 * n]
            f_out[i : i + n] = np.sum(r0 * f_world[:, None, :], axis=0).T
            w_out[i : i + n] = _body_rate(r[..., :n], r0, r[..., 2 * n :], step_s).T
        return f_out, w_out

    def angles(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """True ankle dorsiflexion and inversion (N,) rad at times t_s (s)."""
        v = self.values(t_s, ("shin_pitch", "shin_roll", "foot_pitch", "foot_roll"))
        return v["shin_pitch"] - v["foot_pitch"], self.side_sign * (v["foot_roll"] - v["shin_roll"])


def _body_rate(r_before: FloatArray, r: FloatArray, r_after: FloatArray, step_s: float) -> FloatArray:
    """Body-frame angular velocity (3, N) from (3, 3, N) orientations a step before and after: vee(R^T dR/dt)."""
    d = (r_after - r_before) / (2.0 * step_s)

    def m(i: int, j: int) -> FloatArray:  # (R^T dR/dt)[i, j]
        return np.asarray(r[0, i] * d[0, j] + r[1, i] * d[1, j] + r[2, i] * d[2, j])

    return 0.5 * np.array([m(2, 1) - m(1, 2), m(0, 2) - m(2, 0), m(1, 0) - m(0, 1)])


def random_mounting(rng: np.random.Generator, max_tilt_rad: float = np.radians(10.0)) -> FloatArray:
    """Random sensor-to-segment rotation (3, 3).

    The board in any of 24 axis-aligned poses, any rotation about the segment's z axis (the limb axis of the
    shin, the dorsum normal of the foot) and a tilt of up to max_tilt_rad about a random horizontal axis.
    """
    perms = [
        p for p in (np.eye(3)[list(o)] * np.array(s)[:, None] for o in _PERMS for s in _SIGNS) if np.linalg.det(p) > 0
    ]
    base = perms[int(rng.integers(len(perms)))]
    limb = rot_z(np.array([rng.uniform(0.0, 2.0 * np.pi)]))[0]
    axis_angle = rng.uniform(0.0, 2.0 * np.pi)
    tilt = rng.uniform(0.0, max_tilt_rad)
    tilt_r = rot_z(np.array([axis_angle]))[0] @ rot_x(np.array([tilt]))[0] @ rot_z(np.array([-axis_angle]))[0]
    return np.asarray(limb @ tilt_r @ base)


_PERMS = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
_SIGNS = [(a, b, c) for a in (1, -1) for b in (1, -1) for c in (1, -1)]

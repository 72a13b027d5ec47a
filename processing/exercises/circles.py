"""Ankle circles: the foot traces circles (dorsiflexion x inversion); circles counted per direction.

The centre of the circles is the mean of each angle over the last `centre_window_s` (longer than one
circle, so it follows the person without following the circle itself), but never over samples from before
the foot last came to rest (still for `settle_s`): before the first circle it is where the foot rested, not
where it was before (an ankle pump or the lift of the foot a few seconds earlier would put the resting foot
at radius ~1, in a region, and the set's first move would count as a quarter). Each sample's offset from the
centre is normalised per axis by `scale_*_rad`. A sample lies in one of four regions when its normalised
radius is at least 1, its angle atan2(inversion, dorsiflexion) is within `cone_rad` of an axis, and the foot
is moving (a centre shifting while the foot rests enters nothing; the speed is measured from the last known
sample, across a packet-loss gap of up to `max_gap_s`, so the samples between close gaps still count):
0 = toes up (dorsiflexion), 1 = inverted (sole towards the other leg), 2 = toes down, 3 = everted. The gaps
between the cones are hysteresis: moving along a boundary does not flicker between regions.

Each move into the next region around is a quarter turn: +1 "inward" (0 -> 1 -> 2 -> 3, the phase angle
increases: the toes go from up towards the other leg), -1 "outward". A circle is four quarter turns in one
direction; the next circle starts where it ended. A quarter turn the other way is a change of direction:
the circle being drawn counts if it had three quarters (a set's last circle, whose first quarter was missed
while the centre was still settling, or that stopped short), and a new one starts. A move that passes near the
centre (normalised radius below 0.5: across it, not around it) is ignored; one that goes around it but
skips a region (a lopsided circle) is two quarters. No new
region for the time of a whole usual circle (at least 2 s) is a stop: the circle being drawn ends there
(counting if it had three quarters). Wobbles never reach a region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from processing.events import Event
from processing.exercises._stream import StreamAnalyser, trailing_mean
from processing.exercises.base import AngleStream

FloatArray = NDArray[np.float64]

_QUARTERS = 4
_MIN_LAST_QUARTERS = 3
_STALL_QUARTERS = 4.0  # no new region for this many usual quarters (and _STALL_MIN_S): the circle stopped
_STALL_MIN_S = 2.0
_AROUND_RADIUS = 0.5  # a move between regions that came nearer the centre went across it, not around
_DEFAULT_QUARTER_S = 0.75  # a quarter of a 3 s circle, until the set's own pace is known, s
_MAX_RANGE_S = 30.0  # a circle's ranges are measured over at most its last 30 s


@dataclass(frozen=True)
class CircleRule:
    """What a circle is.

    Attributes
    ----------
    centre_window_s : trailing window whose mean is the centre, s.
    scale_dorsiflexion_rad, scale_inversion_rad : normalising offsets from the centre; a region needs a
        normalised radius of at least 1, rad.
    cone_rad : half-width of each region's cone around its axis, rad.
    min_speed_rad_s, speed_window_s : a region is only entered while the foot moves at least this fast
        (displacement in dorsiflexion x inversion over the window), rad/s and s.
    max_gap_s : the speed may be measured across a gap (NaN angles) of at most this long, s.
    settle_s : the foot still (known and not moving) for this long has come to rest: the centre is not
        taken over samples before that rest began, s.
    """

    centre_window_s: float = 6.0
    scale_dorsiflexion_rad: float = math.radians(8.0)
    scale_inversion_rad: float = math.radians(6.0)
    cone_rad: float = math.radians(35.0)
    min_speed_rad_s: float = math.radians(12.0)
    speed_window_s: float = 0.25
    max_gap_s: float = 1.0
    settle_s: float = 1.0


class AnkleCircles(StreamAnalyser):
    """Counts ankle circles per direction; emits a "circle" event at the end of each.

    Event data: direction ("inward" | "outward"), start_s, end_s, range_dorsiflexion_rad, range_inversion_rad,
    count (circles in that direction so far).

    Parameters
    ----------
    rule : what a circle is.
    target_per_direction : circles to do each way.
    """

    def __init__(self, rule: CircleRule | None = None, target_per_direction: int = 20) -> None:
        super().__init__()
        self.rule = rule or CircleRule()
        self.target_per_direction = target_per_direction
        self.history_s = self.rule.centre_window_s + _MAX_RANGE_S + 5.0
        self.counts = {"inward": 0, "outward": 0}
        self.circles: list[dict[str, Any]] = []
        self._region = -1  # last region visited (-1: none yet)
        self._left_t_s = -math.inf  # last sample in that region, s
        self._dir = 0  # +1 inward, -1 outward, 0 not yet known
        self._quarters = 0  # quarter turns of the current circle
        self._start_t_s = -math.inf  # start of the current circle, s
        self._moved_t_s = -math.inf  # last move into another region, s
        self._lowest = math.inf  # least normalised radius since the last sample in a region

    def _process(self, ext: AngleStream, first: int) -> list[Event]:
        region, radius = self._regions(ext, first)
        t = ext.t_s[first:]
        inside = np.flatnonzero(region >= 0)
        visited = region[inside]
        previous = np.concatenate([[self._region], visited[:-1]])
        events: list[Event] = []
        for p in np.flatnonzero(visited != previous):
            k = int(inside[p])
            lo = int(inside[p - 1]) + 1 if p > 0 else 0
            between = radius[lo:k]
            lowest = float(np.nanmin(between, initial=math.inf))
            if p > 0:
                self._left_t_s = float(t[inside[p - 1]])
            else:
                lowest = min(lowest, self._lowest)
            events += self._move(ext, first + k, int(previous[p]), int(visited[p]), lowest)
        after = radius[int(inside[-1]) + 1 :] if inside.size else radius
        self._lowest = min(float(np.nanmin(after, initial=math.inf)), math.inf if inside.size else self._lowest)
        if visited.size:
            self._region = int(visited[-1])
            self._left_t_s = float(t[inside[-1]])
        return events

    def _regions(self, ext: AngleStream, first: int) -> tuple[NDArray[np.int64], FloatArray]:
        """Region of each new sample (-1: none), and its normalised radius."""
        rule = self.rule
        n_centre = self.samples(rule.centre_window_s)
        # the foot came to rest where it was still for settle_s: the centre is not older than that rest
        lo = max(0, first - n_centre + 1)
        idx = np.arange(len(ext))
        still = np.zeros(len(ext), dtype=bool)
        known = np.isfinite(ext.dorsiflexion_rad) & np.isfinite(ext.inversion_rad)
        moving_from_lo = self._moving(ext, known, lo)
        still[lo:] = known[lo:] & ~moving_from_lo
        run_start = np.maximum.accumulate(np.where(still, -1, idx)) + 1
        settled = still & (idx - run_start + 1 == self.samples(rule.settle_s))
        since = np.maximum.accumulate(np.where(settled, run_start, 0))[first:]
        normalised = []
        for x, scale in (
            (ext.dorsiflexion_rad, rule.scale_dorsiflexion_rad),
            (ext.inversion_rad, rule.scale_inversion_rad),
        ):
            normalised.append((x[first:] - trailing_mean(x, first, n_centre, since)) / scale)
        u, v = normalised
        radius = np.hypot(u, v)
        moving = moving_from_lo[first - lo :]
        angle = np.arctan2(v, u)
        sector = np.round(angle / (0.5 * math.pi))
        in_cone = np.abs(angle - sector * 0.5 * math.pi) <= rule.cone_rad
        region = np.where((radius >= 1.0) & moving & in_cone, np.mod(sector, _QUARTERS), -1).astype(np.int64)
        return region, radius

    def _moving(self, ext: AngleStream, known: NDArray[np.bool_], start: int) -> NDArray[np.bool_]:
        """Whether the foot moves at ext indices >= start: its displacement since speed_window_s ago (or, if
        that sample is unknown, since the last known sample before it, at most max_gap_s earlier) is at least
        min_speed_rad_s x the time between them. known: samples with both angles known."""
        rule = self.rule
        lag = self.samples(rule.speed_window_s)
        last_known = np.maximum.accumulate(np.where(known, np.arange(len(ext)), -1))
        i = np.arange(start, len(ext))
        earlier = last_known[np.maximum(i - lag, 0)]
        ok = (earlier >= 0) & (i - earlier <= lag + self.samples(rule.max_gap_s))
        j = np.where(ok, earlier, i)
        moved = np.hypot(ext.dorsiflexion_rad[i] - ext.dorsiflexion_rad[j], ext.inversion_rad[i] - ext.inversion_rad[j])
        return ok & (moved >= rule.min_speed_rad_s * (i - j) * (self.dt_s or 0.0))

    def _move(self, ext: AngleStream, k: int, old: int, new: int, lowest: float) -> list[Event]:
        """The foot entered region new (from old) at ext index k; lowest: least radius since it left old."""
        if old < 0:
            return []
        step = (new - old) % _QUARTERS
        t_s = float(ext.t_s[k])
        elapsed, self._moved_t_s = t_s - self._moved_t_s, t_s
        events: list[Event] = []
        if self._dir != 0 and elapsed > max(_STALL_MIN_S, _STALL_QUARTERS * self._quarter_s()):
            events += self._close(ext, k, last=True)
            self._dir = 0
        if lowest < _AROUND_RADIUS or (step == 2 and self._dir == 0):
            return events
        if step == 2:
            self._quarters += 2
        elif self._dir == 0:
            self._dir, self._quarters, self._start_t_s = (1 if step == 1 else -1), 1, self._left_t_s
        elif (step == 1) == (self._dir > 0):
            self._quarters += 1
        else:
            events += self._close(ext, k, last=True)
            self._dir, self._quarters, self._start_t_s = -self._dir, 1, self._left_t_s
        if self._quarters >= _QUARTERS:
            events += self._close(ext, k, last=False)
        return events

    def _quarter_s(self) -> float:
        """Usual duration of a quarter turn in this set (median of the last circles), s."""
        recent = [c["end_s"] - c["start_s"] for c in self.circles[-5:]]
        return float(np.median(recent)) / _QUARTERS if recent else _DEFAULT_QUARTER_S

    def _close(self, ext: AngleStream, k: int, last: bool) -> list[Event]:
        """End the current circle at ext index k (a full one, or the last one of a set if long enough)."""
        quarters, self._quarters = self._quarters, 0
        if self._dir == 0 or quarters < (_MIN_LAST_QUARTERS if last else _QUARTERS):
            return []
        t = ext.t_s
        end_s = float(t[k]) if not last else self._left_t_s
        start_s = self._start_t_s
        self._start_t_s = float(t[k])
        lo = max(self.lookback_start(k), int(np.searchsorted(t, max(start_s, end_s - _MAX_RANGE_S))))
        ranges = []
        for x in (ext.dorsiflexion_rad, ext.inversion_rad):
            seg = x[lo : k + 1]
            seg = seg[np.isfinite(seg)]
            ranges.append(float(seg.max() - seg.min()) if seg.size else 0.0)
        direction = "inward" if self._dir > 0 else "outward"
        self.counts[direction] += 1
        data: dict[str, Any] = {
            "direction": direction,
            "start_s": start_s,
            "end_s": end_s,
            "range_dorsiflexion_rad": ranges[0],
            "range_inversion_rad": ranges[1],
            "count": self.counts[direction],
        }
        self.circles.append(data)
        return [Event("circle", float(t[k]), data)]

    def finish(self) -> list[Event]:
        """End of the set: the circle being drawn counts if it had three quarters."""
        if len(self._tail) == 0:
            return []
        events = self._close(self._tail, len(self._tail) - 1, last=True)
        self._dir = 0
        return events

    def progress(self) -> dict[str, Any]:
        """Circles toward the target: count (both directions, each capped at its target), inward, outward."""
        cap = self.target_per_direction
        return {
            "count": min(self.counts["inward"], cap) + min(self.counts["outward"], cap),
            "target": 2 * cap,
            "unit": "circles",
            "inward": self.counts["inward"],
            "outward": self.counts["outward"],
            "target_per_direction": cap,
        }


def ankle_circles() -> AnkleCircles:
    """A fresh ankle circles analyser (20 circles each direction)."""
    return AnkleCircles()

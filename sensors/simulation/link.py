"""A sensor's clock and BLE link: sample times, 4-sample packets, loss bursts, late arrivals, ClockAligner times."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sensors.clock import ClockAligner

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
PACKET_SAMPLES = 4
MIN_LATENCY_S = 0.005  # sensor -> radio -> host, before waiting for the next connection event
EXACT_ALIGNMENT_S = 20.0  # sensor time over which the ClockAligner is refitted after every packet
ALIGNMENT_CHUNK_S = (5.0, 30.0)  # after that, once per chunk: 5 % of the time so far, within these bounds


@dataclass(frozen=True)
class LinkModel:
    """One sensor's clock and link.

    Attributes
    ----------
    clock_offset_s : sensor clock reading at true time 0, s.
    clock_drift_ppm : sensor clock rate error, ppm (positive: it runs fast).
    first_sample_s : true time of the first sample, s (the two sensors are not synchronised).
    connection_interval_s : BLE connection interval; a packet waits for the next connection event, s.
    stalls_per_min : how often the link stalls (queued packets then arrive at once), per minute.
    stall_s : (min, max) duration of a stall, s.
    loss_bursts_per_min : how often a run of packets is lost, per minute (0: no loss).
    loss_burst_s : (min, max) duration of a loss burst, s.
    loss_after_s : no loss before this true time (keeps the calibration stance whole), s.
    """

    clock_offset_s: float = 0.0
    clock_drift_ppm: float = 0.0
    first_sample_s: float = 0.0
    connection_interval_s: float = 0.015
    stalls_per_min: float = 4.0
    stall_s: tuple[float, float] = (0.03, 0.15)
    loss_bursts_per_min: float = 0.0
    loss_burst_s: tuple[float, float] = (0.05, 0.5)
    loss_after_s: float = 0.0

    @staticmethod
    def random(
        rng: np.random.Generator,
        rate_hz: float,
        *,
        max_drift_ppm: float = 100.0,
        loss_bursts_per_min: float = 0.0,
        loss_burst_s: tuple[float, float] = (0.05, 0.5),
        loss_after_s: float = 0.0,
    ) -> LinkModel:
        """A sensor switched on some time ago (offset up to 1 h), drifting up to max_drift_ppm, on a typical link."""
        return LinkModel(
            clock_offset_s=float(rng.uniform(1.0, 3600.0)),
            clock_drift_ppm=float(rng.uniform(-max_drift_ppm, max_drift_ppm)),
            first_sample_s=float(rng.uniform(0.0, 1.0 / rate_hz)),
            connection_interval_s=float(rng.uniform(0.0075, 0.030)),
            stalls_per_min=float(rng.uniform(1.0, 8.0)),
            loss_bursts_per_min=loss_bursts_per_min,
            loss_burst_s=loss_burst_s,
            loss_after_s=loss_after_s,
        )

    def sensor_time(self, true_s: FloatArray) -> FloatArray:
        """Sensor clock reading (s) at true times (s)."""
        return self.clock_offset_s + np.asarray(true_s) * (1.0 + self.clock_drift_ppm * 1e-6)

    def true_time(self, sensor_s: FloatArray) -> FloatArray:
        """True time (s) of sensor clock readings (s)."""
        return (np.asarray(sensor_s) - self.clock_offset_s) / (1.0 + self.clock_drift_ppm * 1e-6)


@dataclass
class LinkTrace:
    """What happened on one sensor's link (diagnostics and tests).

    Attributes
    ----------
    model : the link's parameters.
    packet_first_seq : (P,) sequence number of the first sample of each delivered packet.
    sent_s, arrival_s : (P,) true time each delivered packet was sent and arrived on the host, s.
    lost_packets : number of packets lost.
    loss_bursts : (start_s, end_s) true-time windows in which packets were lost (overlapping ones merged).
    samples : number of samples the sensor produced (delivered or not).
    """

    model: LinkModel
    packet_first_seq: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sent_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    arrival_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    lost_packets: int = 0
    loss_bursts: list[tuple[float, float]] = field(default_factory=list)
    samples: int = 0


def sample_times(link: LinkModel, rate_hz: float, duration_s: float) -> tuple[FloatArray, FloatArray]:
    """Sensor timestamps (microsecond resolution, as in a dorsi packet) and true times of a sensor's samples.

    The sensor samples at rate_hz on its own clock from `first_sample_s` until duration_s of true time.
    """
    first = round(float(link.sensor_time(np.array([link.first_sample_s]))[0]) * 1e6) / 1e6
    period = 1.0 / rate_hz
    n = int(math.floor((float(link.sensor_time(np.array([duration_s]))[0]) - first) / period)) + 1
    sensor_t = np.round((first + np.arange(max(n, 0)) * period) * 1e6) / 1e6
    true_t = link.true_time(sensor_t)
    keep = true_t < duration_s
    return sensor_t[keep], true_t[keep]


def transmit(
    link: LinkModel, true_t: FloatArray, rng: np.random.Generator, *, arrivals: bool
) -> tuple[NDArray[np.bool_], LinkTrace]:
    """Pack samples into 4-sample packets, lose bursts of them, and time the arrivals of the rest.

    Returns the mask of delivered samples and the link trace (arrivals only if `arrivals`).
    """
    n = len(true_t)
    packet = np.arange(n) // PACKET_SAMPLES
    n_packets = int(packet[-1]) + 1 if n else 0
    last = np.minimum(np.arange(n_packets) * PACKET_SAMPLES + PACKET_SAMPLES - 1, n - 1)
    sent = true_t[last] if n else np.zeros(0)
    lost = np.zeros(n_packets, dtype=bool)
    bursts: list[tuple[float, float]] = []
    end_s = float(true_t[-1]) if n else 0.0
    if link.loss_bursts_per_min > 0.0 and end_s > link.loss_after_s:
        span = end_s - link.loss_after_s
        for _ in range(int(rng.poisson(link.loss_bursts_per_min * span / 60.0))):
            start = float(rng.uniform(link.loss_after_s, end_s))
            stop = start + float(rng.uniform(*link.loss_burst_s))
            hit = (sent >= start) & (sent <= stop)
            if np.any(hit):
                lost |= hit
                bursts.append((start, stop))
    delivered = ~lost
    trace = LinkTrace(link, (np.nonzero(delivered)[0] * PACKET_SAMPLES).astype(np.int64), sent[delivered])
    trace.lost_packets = int(np.sum(lost))
    trace.samples = n
    for start, stop in sorted(bursts):
        if trace.loss_bursts and start <= trace.loss_bursts[-1][1]:
            trace.loss_bursts[-1] = (trace.loss_bursts[-1][0], max(stop, trace.loss_bursts[-1][1]))
        else:
            trace.loss_bursts.append((start, stop))
    if arrivals:
        trace.arrival_s = _arrivals(link, trace.sent_s, rng)
    return delivered[packet], trace


def _arrivals(link: LinkModel, sent_s: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Host arrival times (s) of packets sent at sent_s: always late, quantised to connection events, bursty."""
    ci = link.connection_interval_s
    phase = float(rng.uniform(0.0, ci))
    ready = sent_s + MIN_LATENCY_S
    arrival = phase + np.ceil((ready - phase) / ci) * ci + rng.exponential(0.001, len(sent_s))
    if len(sent_s):
        end_s = float(sent_s[-1])
        for _ in range(int(rng.poisson(link.stalls_per_min * end_s / 60.0))):
            start = float(rng.uniform(0.0, end_s))
            release = start + float(rng.uniform(*link.stall_s))
            held = (arrival >= start) & (arrival < release)
            arrival[held] = release + rng.exponential(0.0005, int(np.sum(held)))
    return np.maximum.accumulate(arrival)


def align_to_session(
    sensor_t: FloatArray, packet_first_seq: IntArray, sample_seq: IntArray, arrival_s: FloatArray
) -> FloatArray:
    """Session times (s) of delivered samples, as the app maps them: a ClockAligner fed per notification.

    The app adds (last sample's sensor time, arrival time) for every notification, then maps its samples.
    That is replayed exactly for the first EXACT_ALIGNMENT_S of sensor time; after that the aligner is fed
    and refitted once per chunk of ALIGNMENT_CHUNK_S (by then its fit moves by far less than a millisecond
    per chunk), which keeps a 30-minute session fast to simulate.
    """
    aligner = ClockAligner()
    out = np.empty(len(sensor_t))
    # delivered samples are grouped by packet: index range of each packet in the sample arrays
    starts = np.searchsorted(sample_seq, packet_first_seq)
    stops = np.append(starts[1:], len(sample_seq))
    last_t = sensor_t[stops - 1]
    t0 = float(sensor_t[0]) if len(sensor_t) else 0.0
    p = 0
    n_packets = len(packet_first_seq)
    while p < n_packets:
        if last_t[p] - t0 < EXACT_ALIGNMENT_S:
            q = p + 1
            aligner.add(float(last_t[p]), float(arrival_s[p]))
        else:
            chunk_s = float(np.clip(0.05 * (last_t[p] - t0), *ALIGNMENT_CHUNK_S))
            q = int(np.searchsorted(last_t, last_t[p] + chunk_s))
            _add_chunk(aligner, last_t[p:q], arrival_s[p:q])
        out[starts[p] : stops[q - 1]] = aligner.to_session(sensor_t[starts[p] : stops[q - 1]])
        p = q
    return out


def _add_chunk(aligner: ClockAligner, sensor_t: FloatArray, arrival_s: FloatArray) -> None:
    """Add a run of observations, leaving the aligner as adding each in turn would.

    Per bin the aligner keeps the earliest arrival and prunes old bins when a bin first appears, so the
    first observation of each bin and the bin's earliest are all it needs to see.
    """
    keys = np.floor(sensor_t / aligner.bin_s)
    late = arrival_s - sensor_t
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    bounds = np.r_[first, len(keys)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        aligner.add(float(sensor_t[a]), float(arrival_s[a]))
        k = a + int(np.argmin(late[a:b]))
        if k != a:
            aligner.add(float(sensor_t[k]), float(arrival_s[k]))

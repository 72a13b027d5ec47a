"""Heel-lift and pronation detectors on synthetic foot angles with known episodes, sway and noise."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from processing.compensation import CompensationDetector
from processing.events import Event
from processing.exercises.base import AngleStream

RATE_HZ = 100.0
RAMP_S = 0.15
SET_S = 300.0
PEAK_DEG = {"heel_lift": (4.0, 12.0), "pronation": (5.0, 10.0)}


def sway(t: np.ndarray, rng: np.random.Generator, peak_deg: float) -> np.ndarray:
    """Slow postural sway: three sinusoids of 0.1-0.8 Hz whose sum peaks near peak_deg."""
    amp = rng.uniform(0.5, 1.0, 3)
    amp *= peak_deg / amp.sum()
    freq, phase = rng.uniform(0.1, 0.8, 3), rng.uniform(0.0, 2.0 * math.pi, 3)
    return np.sum(amp * np.sin(2.0 * math.pi * freq * t[:, None] + phase), axis=1)


def trapezoid(t: np.ndarray, start_s: float, end_s: float, peak_deg: float) -> np.ndarray:
    """An episode whose half-height crossings are start_s and end_s, with RAMP_S ramps."""
    up = np.clip((t - (start_s - RAMP_S / 2)) / RAMP_S, 0.0, 1.0)
    down = np.clip(((end_s + RAMP_S / 2) - t) / RAMP_S, 0.0, 1.0)
    return peak_deg * np.minimum(up, down)


def foot_set(kind: str, seed: int, episodes: bool = True, sway_peak_deg: float = 2.0) -> tuple[AngleStream, list]:
    """A 5-minute set: foot angles with sway and noise, episodes of 0.5-3 s every 5-15 s, and (for heel lift)
    deliberate negative pitch (an eccentric drop's forefoot lift, a heel dropped off a step)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(SET_S * RATE_HZ)) / RATE_HZ
    angle = sway(t, rng, sway_peak_deg) + rng.normal(0.0, 0.2, len(t))
    truth = []
    t0 = 5.0
    while t0 < SET_S - 20.0:
        duration, peak = rng.uniform(0.5, 3.0), rng.uniform(*PEAK_DEG[kind])
        if episodes:
            angle += trapezoid(t, t0, t0 + duration, peak)
            truth.append({"start_s": t0, "end_s": t0 + duration, "peak_deg": peak})
        t0 += duration + rng.uniform(2.0, 6.0)
        if kind == "heel_lift":
            lowered = rng.uniform(3.0, 8.0)
            angle -= trapezoid(t, t0, t0 + lowered, rng.uniform(15.0, 25.0))
            t0 += lowered
        t0 += rng.uniform(3.0, 10.0)
    zero = np.zeros_like(t)
    pitch, pronation = (angle, zero) if kind == "heel_lift" else (zero, angle)
    rad = np.radians
    return AngleStream(t, zero, zero, zero, rad(pitch), rad(pronation), zero, zero), truth


def run(detector: CompensationDetector, stream: AngleStream, chunks: list[int] | None = None) -> list[Event]:
    events, i = [], 0
    for n in chunks or [len(stream)]:
        events += detector.step(stream.slice(i, i + n))
        i += n
    return events


def match(events: list[Event], truth: list[dict[str, Any]]) -> tuple[int, int]:
    """(episodes found, alerts that match no episode)."""
    started = [e.data["start_s"] for e in events if e.kind == "compensation_started"]
    found = sum(any(tr["start_s"] - 0.3 <= s <= tr["end_s"] for s in started) for tr in truth)
    false = sum(not any(tr["start_s"] - 0.3 <= s <= tr["end_s"] for tr in truth) for s in started)
    return found, false


@pytest.mark.parametrize("kind", ["heel_lift", "pronation"])
def test_episodes_are_found_at_least_95_percent_of_the_time_with_at_most_one_false_alert_per_set(kind: str) -> None:
    found = total = 0
    for seed in range(8):
        stream, truth = foot_set(kind, seed)
        events = run(CompensationDetector(kind), stream)
        hits, false = match(events, truth)
        assert false <= 1
        found, total = found + hits, total + len(truth)
    assert total >= 100
    assert found / total >= 0.95


@pytest.mark.parametrize("kind", ["heel_lift", "pronation"])
def test_episode_times_follow_the_angle(kind: str) -> None:
    stream, truth = foot_set(kind, 7, sway_peak_deg=0.5)
    events = run(CompensationDetector(kind), stream)
    ended = [e for e in events if e.kind == "compensation"]
    assert len(ended) == len(truth)
    for e, tr in zip(ended, truth, strict=True):
        # the detector's start and end are where the angle crosses its thresholds, inside the ramps
        assert abs(e.data["start_s"] - tr["start_s"]) < RAMP_S + 0.1
        assert abs(e.data["end_s"] - tr["end_s"]) < RAMP_S + 0.1
        assert e.data["kind"] == kind and e.t_s >= e.data["end_s"]
        assert math.degrees(e.data["peak_rad"]) == pytest.approx(tr["peak_deg"], abs=1.5)
    started = [e for e in events if e.kind == "compensation_started"]
    assert [e.data["start_s"] for e in started] == [e.data["start_s"] for e in ended]
    for s in started:
        assert s.t_s - s.data["start_s"] >= 0.25  # recognised after the minimum duration, not before


@pytest.mark.parametrize("kind", ["heel_lift", "pronation"])
def test_sway_noise_and_deliberate_negative_pitch_never_alert(kind: str) -> None:
    for seed in range(4):
        stream, _ = foot_set(kind, 20 + seed, episodes=False)
        assert run(CompensationDetector(kind), stream) == []


def test_a_short_twitch_is_not_an_episode() -> None:
    t = np.arange(1000) / RATE_HZ
    pitch = trapezoid(t, 3.0, 3.1, 8.0)  # 0.1 s above half height
    zero = np.zeros_like(t)
    stream = AngleStream(t, zero, zero, zero, np.radians(pitch), zero, zero, zero)
    assert run(CompensationDetector("heel_lift"), stream) == []


@pytest.mark.parametrize("kind", ["heel_lift", "pronation"])
def test_any_chunking_gives_identical_events(kind: str) -> None:
    stream, _ = foot_set(kind, 3)
    whole = run(CompensationDetector(kind), stream)
    rng = np.random.default_rng(1)
    chunks: list[int] = []
    while sum(chunks) < len(stream):
        chunks.append(int(rng.choice([0, 1, 2, 5, 64, 999])))
    chunked = run(CompensationDetector(kind), stream, chunks)

    def dump(events: list[Event]) -> list[tuple[str, float, str]]:
        return [(e.kind, e.t_s, json.dumps(e.data, sort_keys=True, allow_nan=False)) for e in events]

    assert whole and dump(chunked) == dump(whole)


def test_a_sensor_gap_neither_starts_nor_ends_an_episode() -> None:
    t = np.arange(1000) / RATE_HZ
    pitch = trapezoid(t, 2.0, 5.0, 8.0)
    pitch[300:340] = np.nan  # inside the episode: it goes on
    pitch[700:760] = np.nan  # at rest: nothing starts
    zero = np.zeros_like(t)
    stream = AngleStream(t, zero, zero, zero, np.radians(pitch), zero, zero, zero)
    events = run(CompensationDetector("heel_lift"), stream)
    assert [e.kind for e in events] == ["compensation_started", "compensation"]
    assert events[1].data["start_s"] == pytest.approx(2.0, abs=0.1)
    assert events[1].data["end_s"] == pytest.approx(5.0, abs=0.1)


def test_the_calibration_ankle_pump_can_be_waited_out() -> None:
    """Fed from the moment the foot's axis is found (mid-pump), the detector waits for the foot to be flat."""
    t = np.arange(1200) / RATE_HZ
    pitch = trapezoid(t, -0.5, 0.8, 15.0) + trapezoid(t, 6.0, 7.5, 6.0)  # the pump's end, then a real lift
    zero = np.zeros_like(t)
    stream = AngleStream(t, zero, zero, zero, np.radians(pitch), zero, zero, zero)
    waiting = run(CompensationDetector("heel_lift", wait_rest_s=1.0), stream)
    assert [(e.kind, round(e.data["start_s"], 1)) for e in waiting] == [
        ("compensation_started", 6.0),
        ("compensation", 6.0),
    ]
    assert len(run(CompensationDetector("heel_lift"), stream)) == 4  # without waiting, the pump alerts
    chunked = run(CompensationDetector("heel_lift", wait_rest_s=1.0), stream, [1, 3, 150, 7, 200, 839])
    assert [(e.kind, e.t_s, e.data) for e in chunked] == [(e.kind, e.t_s, e.data) for e in waiting]


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="heel_lift, pronation"):
        CompensationDetector("knee_valgus")  # type: ignore[arg-type]

"""BLE faults: a sensor vanishing mid-set over the Bumble link, garbage on the air, short losses vs rep counts."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from dashboard.live_feed import LiveFeed
from processing.pipeline import Pipeline
from sensors.ble.emulated_sensor import EmulatedSensor
from sensors.ble.virtual_radio import VirtualRadio
from sensors.ble_source import BleSource
from sensors.samples import ROLES, SampleBlock
from sensors.sessions import load_session
from sensors.simulator import simulate

pytestmark = pytest.mark.ble


def wait_until(feed: LiveFeed, condition, timeout_s: float, what: str) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        snap = feed.snapshot(0)
        if condition(snap):
            return snap
        assert snap["state"] != "error", snap["message"]
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; events: {[e['text'] for e in feed.snapshot(0)['events']]}")


@pytest.mark.slow
def test_foot_sensor_vanishes_mid_set_and_comes_back(tmp_path: Path) -> None:
    feed = LiveFeed(tmp_path, exercise="band_mobilisation", emulated=True, rate_hz=100)
    feed.connect()
    try:
        snap = wait_until(feed, lambda s: s["rep_count"] >= 2, 90, "two reps before the drop-out")
        reps_before = snap["rep_count"]
        samples_before = {r: snap["sensors"][r]["samples"] for r in ROLES}
        feed.drop_out("foot", 3.0)
        wait_until(feed, lambda s: any(e["kind"] == "gap" for e in s["events"]), 20, "the foot to come back")
        snap = wait_until(feed, lambda s: s["rep_count"] >= reps_before + 2, 60, "two more reps after it")
        kinds = [(e["kind"], e["text"]) for e in snap["events"]]
        path = feed.session_path
    finally:
        feed.stop()
    assert path is not None
    texts = [t for _, t in kinds]
    assert any(k == "disconnected" and "foot" in t for k, t in kinds), texts
    assert any(k == "reconnected" and "foot" in t for k, t in kinds), texts
    gap_text = next(t for k, t in kinds if k == "gap")
    assert gap_text.startswith("foot sensor: gap of") and "samples lost" in gap_text
    meta, blocks = load_session(path)
    (gap,) = [g for g in meta["gaps"] if g["sensor"] == "foot"]
    assert 3.0 <= gap["end_s"] - gap["start_s"] < 6.0
    foot, shin = blocks["foot"], blocks["shin"]
    # the foot has a hole exactly there; the shin went on recording through it, sample by sample
    assert not np.any((foot.t_s > gap["start_s"] + 0.05) & (foot.t_s < gap["end_s"] - 0.05))
    in_gap = (shin.t_s > gap["start_s"]) & (shin.t_s < gap["end_s"])
    assert in_gap.sum() >= 0.9 * 100 * (gap["end_s"] - gap["start_s"])
    assert np.all(np.diff(shin.seq) == 1)
    assert samples_before["shin"] < len(shin) and samples_before["foot"] < len(foot)
    assert not meta["gaps"] or all(g["sensor"] == "foot" for g in meta["gaps"])


def test_random_garbage_on_the_air_is_counted_and_never_ends_the_stream() -> None:
    """Notifications of random bytes (wrong version, torn, concatenated) amid the samples of a live link."""

    class Still:
        duration_s = None

        def sample(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            n = len(t_s)
            return np.tile([0.0, 0.0, 9.81], (n, 1)), np.zeros((n, 3))

    async def main() -> tuple[int, int, int, list[SampleBlock]]:
        radio = VirtualRadio()
        shin = EmulatedSensor(radio, "dorsi-S1", Still())
        foot = EmulatedSensor(radio, "dorsi-F1", Still())
        await shin.start()
        await foot.start()
        src = BleSource(
            "dorsi-S1",
            "dorsi-F1",
            rate_hz=100,
            scanner_backend=radio.scanner_backend,
            client_backend=radio.client_backend,
        )
        rng = np.random.default_rng(11)
        blocks: list[SampleBlock] = []
        injected = 0
        try:
            stream = src.stream()
            deadline = time.monotonic() + 20
            while sum(len(b) for b in blocks if b.role == "foot") < 400:
                assert time.monotonic() < deadline
                item = await asyncio.wait_for(stream.__anext__(), 5)
                if isinstance(item, SampleBlock):
                    blocks.append(item)
                    if item.role == "foot" and injected < 40:
                        assert foot._samples_char is not None
                        junk = bytes(rng.integers(0, 256, int(rng.integers(1, 60)), dtype=np.uint8))
                        foot.queue_notification(foot._samples_char, junk)
                        injected += 1
            await asyncio.sleep(0.1)
        finally:
            await src.stop()
            await shin.stop()
            await foot.stop()
            await radio.close()
        return injected, src.counters["foot"].malformed, src.counters["shin"].malformed, blocks

    injected, foot_malformed, shin_malformed, blocks = asyncio.run(main())
    assert injected == 40
    # every junk notification is rejected and counted (one may hide a sample count that fits: at most 40)
    assert 30 <= foot_malformed <= injected
    assert shin_malformed == 0
    foot = SampleBlock.concat([b for b in blocks if b.role == "foot"])
    assert np.all(np.diff(foot.t_s) > 0)
    assert np.all(np.diff(foot.seq) >= 1)


def _feed(pipeline: Pipeline, blocks: dict[str, SampleBlock], keep: dict[str, np.ndarray], packet: int = 4) -> int:
    """Feed both sensors' samples in 4-sample notifications in arrival order, skipping the lost ones."""
    items = []
    for role, b in blocks.items():
        for i in range(0, len(b), packet):
            idx = np.arange(i, min(i + packet, len(b)))
            idx = idx[keep[role][idx]]
            if len(idx):
                items.append((float(b.t_s[idx[-1]]), role, idx))
    items.sort(key=lambda x: x[0])
    for _, role, idx in items:
        b = blocks[role]
        pipeline.step(SampleBlock(role, b.seq[idx], b.t_s[idx], b.acc[idx], b.gyr[idx]))  # type: ignore[arg-type]
    pipeline.finish()
    return int(pipeline.rep_count)


@pytest.mark.parametrize("seed", [3, 8])
def test_short_losses_neither_create_nor_lose_reps(seed: int) -> None:
    sim = simulate("band_mobilisation", reps=10, rate_hz=100.0, seed=seed, clocks=False)
    truth = len(sim.truth.reps)
    blocks = {r: sim.blocks[r] for r in ROLES}
    clean = _feed(Pipeline("band_mobilisation", "right"), blocks, {r: np.ones(len(b), bool) for r, b in blocks.items()})
    rng = np.random.default_rng(seed)
    keep = {}
    t_cal = 8.0  # keep the calibration stance and ankle pumps whole
    for role, b in blocks.items():
        k = np.ones(len(b), bool)
        # random single losses (5 % of 4-sample notifications) and bursts of 50-250 ms, 12 per minute
        packets = np.arange(len(b)) // 4
        drop = rng.random(packets[-1] + 1) < 0.05
        k &= ~drop[packets] | (b.t_s < t_cal)
        for start in rng.uniform(t_cal, float(b.t_s[-1]), int(12 * b.t_s[-1] / 60)):
            k &= ~((b.t_s >= start) & (b.t_s < start + rng.uniform(0.05, 0.25)))
        keep[role] = k
    lossy = _feed(Pipeline("band_mobilisation", "right"), blocks, keep)
    lost_share = 1 - np.mean(np.concatenate(list(keep.values())))
    assert lost_share > 0.05, lost_share
    assert clean == truth
    assert lossy == clean, f"{lossy} reps with {lost_share:.0%} of samples lost, {clean} without"

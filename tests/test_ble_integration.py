"""Integration over the real Bumble BLE stack: bleak's public API and BleSource vs emulated dorsi sensors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError, BleakGATTProtocolError

from sensors.ble.emulated_sensor import EmulatedSensor, LossInjector, advertising_data
from sensors.ble.virtual_radio import VirtualRadio
from sensors.ble_source import BleSource, SensorConnectionError, SensorNotFoundError, SourceEvent, scan
from sensors.profiles import dorsi
from sensors.samples import SampleBlock

pytestmark = pytest.mark.ble

GRAVITY = 9.81


class RestingSensor:
    """A sensor lying still, with a slow sine on x so that samples differ."""

    duration_s = None

    def sample(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(t_s, dtype=np.float64)
        acc = np.zeros((t.size, 3))
        acc[:, 0] = 0.5 * np.sin(2 * np.pi * 0.5 * t)
        acc[:, 2] = GRAVITY
        gyr = np.zeros((t.size, 3))
        gyr[:, 1] = 0.2 * np.sin(2 * np.pi * 0.5 * t)
        return acc, gyr


def emulated_source(radio: VirtualRadio, rate_hz: int = 100, **kwargs: Any) -> BleSource:
    """A BleSource for the two emulated sensors of a test's radio."""
    return BleSource(
        "dorsi-S1",
        "dorsi-F1",
        rate_hz=rate_hz,
        scanner_backend=radio.scanner_backend,
        client_backend=radio.client_backend,
        **kwargs,
    )


def run(test: Callable[..., Awaitable[None]], **sensor_kwargs: Any) -> None:
    """Run `test(radio, shin, foot)` in a fresh loop with two emulated sensors on a fresh radio."""

    async def main() -> None:
        radio = VirtualRadio()
        shin = EmulatedSensor(radio, "dorsi-S1", RestingSensor(), clock_offset_s=12.0, clock_drift_ppm=80.0)
        foot = EmulatedSensor(
            radio,
            "dorsi-F1",
            RestingSensor(),
            battery_pct=55,
            clock_offset_s=3000.0,
            clock_drift_ppm=-60.0,
            **sensor_kwargs,
        )
        await shin.start()
        await foot.start()
        try:
            await asyncio.wait_for(test(radio, shin, foot), 40)
        finally:
            await shin.stop()
            await foot.stop()
            await radio.close()

    asyncio.run(main())


async def collect(
    agen: AsyncIterator[SampleBlock | SourceEvent],
    until: Callable[[list[SampleBlock], list[SourceEvent]], bool],
    timeout_s: float,
) -> tuple[list[SampleBlock], list[SourceEvent]]:
    """Read a source's stream until `until(blocks, events)` holds; returns both lists."""
    blocks: list[SampleBlock] = []
    events: list[SourceEvent] = []
    deadline = time.monotonic() + timeout_s
    while not until(blocks, events):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out; events so far: {events}"
        item = await asyncio.wait_for(agen.__anext__(), remaining)
        (blocks if isinstance(item, SampleBlock) else events).append(item)
    return blocks, events


async def read_to_end(
    agen: AsyncIterator[SampleBlock | SourceEvent], timeout_s: float = 5.0
) -> tuple[list[SampleBlock], list[SourceEvent]]:
    """Read a (stopped) source's stream to its end; returns its blocks and events."""
    blocks: list[SampleBlock] = []
    events: list[SourceEvent] = []

    async def read() -> None:
        async for item in agen:
            (blocks if isinstance(item, SampleBlock) else events).append(item)

    await asyncio.wait_for(read(), timeout_s)
    return blocks, events


SOURCE_TASK_PREFIXES = ("consume-", "reconnect-", "ble-source-")


def source_tasks_left() -> list[str]:
    """Names of BleSource tasks still running."""
    return [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(SOURCE_TASK_PREFIXES) and not t.done()]


def test_advertisement_fits_legacy_payload() -> None:
    assert len(advertising_data("dorsi-S1")) == 31
    with pytest.raises(ValueError, match="longer than 8"):
        advertising_data("dorsi-S10")


def test_public_bleak_api_scan_connect_read_notify() -> None:
    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        found = await BleakScanner.discover(timeout=0.3, return_adv=True, backend=radio.scanner_backend)
        by_name = {adv.local_name: (dev, adv) for dev, adv in found.values()}
        assert set(by_name) == {"dorsi-S1", "dorsi-F1"}
        for _dev, adv in by_name.values():
            assert adv.service_uuids == [dorsi.SERVICE_UUID]  # de-duplicated despite the repeated scan response
            assert dorsi.is_dorsi_advertisement(adv.local_name, adv.service_uuids)
        assert by_name["dorsi-S1"][0].address == shin.address

        clients = {}
        for name in ("dorsi-S1", "dorsi-F1"):
            t0 = time.perf_counter()
            client = BleakClient(by_name[name][0], backend=radio.client_backend)
            await client.connect()
            assert time.perf_counter() - t0 < 1.0
            clients[name] = client
        shin_c, foot_c = clients["dorsi-S1"], clients["dorsi-F1"]
        assert shin_c.is_connected and foot_c.is_connected
        assert shin_c.mtu_size == 247

        assert (await foot_c.read_gatt_char(dorsi.BATTERY_LEVEL_UUID))[0] == 55
        assert (await shin_c.read_gatt_char(dorsi.BATTERY_LEVEL_UUID))[0] == 87
        cfg = dorsi.SensorConfig.decode(bytes(await shin_c.read_gatt_char(dorsi.CONFIG_UUID)))
        assert (cfg.rate_hz, cfg.streaming) == (dorsi.DEFAULT_RATE_HZ, False)
        assert (await shin_c.read_gatt_char(dorsi.FIRMWARE_REVISION_UUID)) == b"1.0.0"
        assert shin_c.services.get_service(dorsi.DEVICE_INFO_SERVICE_UUID) is not None

        # unsupported read and malformed writes are rejected at once, not after the 30 s GATT timeout
        t0 = time.perf_counter()
        with pytest.raises(BleakGATTProtocolError) as err:
            await shin_c.read_gatt_char(dorsi.SAMPLES_UUID)
        assert err.value.args[0] == 0x02
        assert time.perf_counter() - t0 < 0.5
        for bad in (b"\x03\x2c\x01", b"\x09", b"", b"\x04\x07\x00"):
            with pytest.raises(BleakGATTProtocolError):
                await shin_c.write_gatt_char(dorsi.CONTROL_UUID, bad, response=True)
        assert shin.rejected_writes == 4
        with pytest.raises(BleakGATTProtocolError):
            await shin_c.write_gatt_char(dorsi.CONFIG_UUID, b"\x00", response=True)

        # 200 Hz: 4 samples per notification = 62 bytes, more than the 20 a default MTU would carry
        received: list[bytes] = []
        await shin_c.start_notify(dorsi.SAMPLES_UUID, lambda _c, d: received.append(bytes(d)))
        await shin_c.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_set_rate(200), response=True)
        await shin_c.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_start(), response=True)
        cfg = dorsi.SensorConfig.decode(bytes(await shin_c.read_gatt_char(dorsi.CONFIG_UUID)))
        assert (cfg.rate_hz, cfg.streaming) == (200, True)
        await asyncio.sleep(0.5)
        n_fast = len(received)
        # a rate change while streaming: sequence numbers continue, one sample per notification at 50 Hz
        await shin_c.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_set_rate(50), response=True)
        await asyncio.sleep(0.3)
        await shin_c.stop_notify(dorsi.SAMPLES_UUID)
        assert n_fast > 15
        assert {len(d) for d in received[:n_fast]} == {14 + 4 * 12}
        assert {len(d) for d in received[n_fast + 1 :]} == {14 + 12}
        decoder = dorsi.StreamDecoder("shin")
        block = SampleBlock.concat([b for d in received for b in decoder.feed(d)])
        assert np.all(np.diff(block.seq) == 1)
        steps = np.diff(block.t_s)
        assert np.allclose(steps[: 4 * n_fast - 4], 0.005, atol=2e-6)
        assert np.allclose(steps[-5:], 0.02, atol=2e-6)
        assert np.allclose(block.acc[:, 2], GRAVITY, atol=0.01)

        # a disconnect during a GATT request surfaces as BleakError, and the disconnected callback runs
        dropped = asyncio.Event()
        foot_c2 = foot_c
        foot_c2._backend.set_disconnected_callback(dropped.set)
        read = asyncio.create_task(foot_c2.read_gatt_char(dorsi.CONFIG_UUID))
        await asyncio.sleep(0)
        foot.vanish()
        with pytest.raises(BleakError):
            await read
        await asyncio.wait_for(dropped.wait(), 1.0)
        assert not foot_c2.is_connected

        # connecting to a sensor that is gone times out, and the pending connect is cleared for the next one
        with pytest.raises(BleakError, match="not found"):
            await BleakClient(by_name["dorsi-F1"][0], backend=radio.client_backend, timeout=0.3).connect()
        foot.reappear()
        again = BleakClient(by_name["dorsi-F1"][0], backend=radio.client_backend, timeout=2.0)
        await again.connect()
        assert again.is_connected
        await again.disconnect()
        await shin_c.disconnect()
        assert not shin_c.is_connected

    run(body)


def test_scan_helper_finds_both_sensors() -> None:
    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        found = await scan(0.3, backend=radio.scanner_backend)
        assert sorted(f.name for f in found) == ["dorsi-F1", "dorsi-S1"]
        assert {f.profile for f in found} == {"dorsi"}
        assert all(f.rssi < 0 for f in found)

    run(body)


def test_ble_source_streams_two_sensors_without_loss() -> None:
    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        src = emulated_source(radio, rate_hz=100)
        stream = src.stream()
        latencies: list[float] = []

        def until(blocks: list[SampleBlock], _events: list[SourceEvent]) -> bool:
            if blocks:
                latencies.append(src.now_s() - float(blocks[-1].t_s[-1]))
            return (
                sum(len(b) for b in blocks if b.role == "foot") >= 1000
                and any(b.role == "shin" for b in blocks[-5:])
                and sum(len(b) for b in blocks if b.role == "shin") >= 1000
            )

        t0 = time.monotonic()
        blocks, events = await collect(stream, until, timeout_s=20)
        elapsed = time.monotonic() - t0
        await src.stop()
        # the counters went on while stop() ran: what was delivered meanwhile is still in the stream
        rest_blocks, rest_events = await read_to_end(stream)
        blocks += rest_blocks
        events += rest_events
        assert elapsed >= 10.0
        assert [(e.role, e.kind) for e in events] == [("shin", "connected"), ("foot", "connected")]
        for role, sensor in (("shin", shin), ("foot", foot)):
            joined = SampleBlock.concat([b for b in blocks if b.role == role])
            assert np.all(np.diff(joined.seq) == 1), f"{role}: sequence gap"
            assert np.all(np.diff(joined.t_s) > 0)
            # 100 Hz on the session clock, whatever the sensor clock's drift
            assert np.median(np.diff(joined.t_s)) == pytest.approx(0.01, rel=1e-3)
            c = src.counters[role]
            assert (c.lost_samples, c.seq_gaps, c.malformed, c.reconnects) == (0, 0, 0, 0)
            assert c.samples == len(joined)
            # every sample the sensor sent was delivered, also those still queued when stop() began
            assert len(joined) == sensor.samples_sent
            assert not c.connected
            assert sensor.config.rate_hz == 100
        assert src.counters["foot"].battery_pct == 55
        # both sensors' samples of the same moment land at the same session time (within 20 ms)
        shin_b = SampleBlock.concat([b for b in blocks if b.role == "shin"])
        foot_b = SampleBlock.concat([b for b in blocks if b.role == "foot"])
        t_mid = shin_b.t_s[len(shin_b) // 2]
        x_shin = np.interp(t_mid, shin_b.t_s, shin_b.acc[:, 0])
        x_foot = np.interp(t_mid, foot_b.t_s, foot_b.acc[:, 0])
        assert abs(x_shin - x_foot) < 0.5 * 2 * np.pi * 0.5 * 0.02 + 0.01
        lat = np.array(latencies[len(latencies) // 2 :])
        assert np.median(lat) < 0.02

    run(body)


def test_ble_source_reconnects_and_reports_the_gap() -> None:
    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        src = emulated_source(radio, rate_hz=100)
        stream = src.stream()
        blocks, events = await collect(stream, lambda b, _e: sum(len(x) for x in b if x.role == "shin") >= 150, 10)
        foot.inject_malformed("version")
        foot.inject_malformed("truncated")
        t_vanish = src.now_s()
        shin.vanish()

        async def come_back() -> None:
            await asyncio.sleep(2.0)
            shin.reappear()

        back = asyncio.create_task(come_back())

        def reconnected_with_data(b: list[SampleBlock], e: list[SourceEvent]) -> bool:
            return any(x.kind == "gap" for x in e) and sum(len(x) for x in b if x.role == "shin") >= 250

        more_blocks, more_events = await collect(stream, reconnected_with_data, 15)
        await back
        await src.stop()
        blocks += more_blocks
        events += more_events
        kinds = [(e.role, e.kind) for e in events]
        assert kinds[:2] == [("shin", "connected"), ("foot", "connected")]
        assert kinds[2:5] == [("shin", "disconnected"), ("shin", "reconnected"), ("shin", "gap")]
        gap = events[4]
        assert gap.detail["start_s"] == pytest.approx(t_vanish, abs=0.05)
        assert 2.0 <= gap.detail["end_s"] - gap.detail["start_s"] < 3.0
        assert gap.detail["lost_samples"] == pytest.approx((gap.detail["end_s"] - gap.detail["start_s"]) * 100, abs=3)
        c = src.counters["shin"]
        assert (c.reconnects, c.seq_gaps, c.lost_samples) == (1, 1, gap.detail["lost_samples"])
        # the foot kept streaming through the shin's gap, without loss; its malformed packets were counted
        foot_b = SampleBlock.concat([b for b in blocks if b.role == "foot"])
        in_gap = (foot_b.t_s > gap.detail["start_s"]) & (foot_b.t_s < gap.detail["end_s"])
        assert in_gap.sum() >= 190
        assert np.all(np.diff(foot_b.seq) == 1)
        assert src.counters["foot"].malformed == 2
        assert src.counters["foot"].lost_samples == 0
        shin_b = SampleBlock.concat([b for b in blocks if b.role == "shin"])
        assert np.all(np.diff(shin_b.t_s) > 0)

    run(body)


def test_injected_loss_is_counted_exactly() -> None:
    loss = LossInjector(drop_probability=0.05, burst_probability=0.01, burst_length=4, seed=1)

    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        src = emulated_source(radio, rate_hz=200)
        stream = src.stream()
        await collect(stream, lambda b, _e: sum(len(x) for x in b if x.role == "foot") >= 600, 10)
        await asyncio.sleep(0.1)  # let the last notification sent be consumed
        delivered_last = src.counters["foot"].samples
        await src.stop()
        assert loss.dropped_notifications > 5
        c = src.counters["foot"]
        # every drop before the last delivered sample shows up as lost samples
        assert c.lost_samples + delivered_last <= foot.samples_sent + loss.dropped_samples
        assert c.lost_samples >= loss.dropped_samples - 4 * 4
        assert c.seq_gaps >= 1
        assert src.counters["shin"].lost_samples == 0

    run(body, loss=loss)


def test_missing_sensor_is_named() -> None:
    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        src = BleSource(
            "dorsi-S1",
            "dorsi-X9",
            scanner_backend=radio.scanner_backend,
            client_backend=radio.client_backend,
            scan_timeout_s=0.5,
        )
        with pytest.raises(SensorNotFoundError, match="foot sensor 'dorsi-X9' not found"):
            await src.start()

    run(body)


def test_stop_at_any_moment_leaves_no_connection_and_no_task() -> None:
    # a start takes about 80 ms here: scanning, then connecting the shin, then the foot
    delays_s = (0.0, 0.005, 0.015, 0.025, 0.035, 0.045, 0.055, 0.065, 0.08, 0.12, 0.3)

    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        for delay_s in delays_s:
            for how in ("stop", "cancel the reader"):
                src = emulated_source(radio)
                items: list[SampleBlock | SourceEvent] = []

                async def read_all(src: BleSource = src, items: list[SampleBlock | SourceEvent] = items) -> None:
                    async for item in src.stream():
                        items.append(item)

                reader = asyncio.create_task(read_all())
                await asyncio.sleep(delay_s)
                if how == "stop":
                    await src.stop()
                    await asyncio.wait_for(reader, 2.0)  # stream() ended
                else:  # Ctrl-C, or the live feed's task cancelled
                    reader.cancel()
                    with pytest.raises(asyncio.CancelledError):
                        await asyncio.wait_for(reader, 2.0)  # the cancel is honoured, not swallowed
                await asyncio.sleep(0.2)  # a connect left behind would complete meanwhile
                where = f"{how} {delay_s} s after the start"
                assert not shin.connected and not foot.connected, where
                assert not shin.config.streaming and not foot.config.streaming, where
                assert source_tasks_left() == [], where
                assert not any(c.connected for c in src.counters.values()), where
                shin_b = [x for x in items if isinstance(x, SampleBlock) and x.role == "shin"]
                if shin_b:
                    assert np.all(np.diff(SampleBlock.concat(shin_b).seq) == 1), where

    run(body)


def test_sensor_reboot_keeps_every_sample_and_is_reported() -> None:
    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        src = emulated_source(radio, rate_hz=100)
        stream = src.stream()
        blocks, events = await collect(stream, lambda b, _e: sum(len(x) for x in b if x.role == "foot") >= 300, 10)
        # the foot sensor reboots: its clock (at 3000 s, past 2^31 us) and its sample count restart from 0
        foot.vanish()
        await foot.stop()
        foot.clock_offset_s = -foot.true_time_s() * (1.0 + foot.clock_drift_ppm * 1e-6)
        sent_before_reboot = foot.samples_sent
        await foot.start()
        foot.reappear()

        def restarted_with_data(b: list[SampleBlock], e: list[SourceEvent]) -> bool:
            after = [x for x in b if x.role == "foot" and x.t_sensor_s is not None and x.t_sensor_s[0] < 100]
            return any(x.kind == "sensor_restarted" for x in e) and sum(len(x) for x in after) >= 200

        more_blocks, more_events = await collect(stream, restarted_with_data, 15)
        await src.stop()
        rest_blocks, rest_events = await read_to_end(stream)
        blocks += more_blocks + rest_blocks
        events += more_events + rest_events

        foot_kinds = [e.kind for e in events if e.role == "foot"]
        assert foot_kinds == ["connected", "disconnected", "reconnected", "sensor_restarted"]
        (restart,) = [e for e in events if e.kind == "sensor_restarted"]
        detail = restart.detail
        assert detail["previous_sensor_t_s"] > 3000.0 and detail["sensor_t_s"] < 5.0
        # the new numbering starts below the last number delivered before the reboot
        assert detail["seq"] < detail["previous_seq"]

        joined = SampleBlock.concat([b for b in blocks if b.role == "foot"])
        assert joined.t_sensor_s is not None
        after = joined.t_sensor_s < 100.0
        n_after = int(after.sum())
        n_before = len(after) - n_after
        assert not after[:n_before].any() and after[n_before:].all(), "samples before and after interleaved"
        before_seq, after_seq = joined.seq[~after], joined.seq[after]
        assert np.all(np.diff(before_seq) == 1) and np.all(np.diff(after_seq) == 1)
        assert after_seq[0] == detail["seq"]
        assert before_seq[-1] == detail["previous_seq"]
        # every sample the rebooted sensor sent was delivered
        assert n_after == foot.samples_sent - sent_before_reboot
        # one session clock across the reboot
        assert np.all(np.diff(joined.t_s) > 0)
        assert restart.t_s == pytest.approx(float(joined.t_s[after][0]))
        c = src.counters["foot"]
        assert (c.restarts, c.reconnects, c.lost_samples, c.seq_gaps) == (1, 1, 0, 0)
        assert c.samples == len(joined)
        # after the reboot, the foot's samples line up with the shin's again (the clock fit was restarted)
        shin_b = SampleBlock.concat([b for b in blocks if b.role == "shin"])
        foot_after_t, foot_after_x = joined.t_s[after], joined.acc[after, 0]
        t_mid = foot_after_t[len(foot_after_t) // 2]
        x_shin = np.interp(t_mid, shin_b.t_s, shin_b.acc[:, 0])
        x_foot = np.interp(t_mid, foot_after_t, foot_after_x)
        assert abs(x_shin - x_foot) < 0.5 * 2 * np.pi * 0.5 * 0.02 + 0.01

    run(body)


def _notification(seq: int, t_us: int, n: int = 2) -> bytes:
    raw = np.zeros((n, 6), dtype=np.int16)
    raw[:, 2] = 4018  # 1 g at +-8 g
    return dorsi.encode_packet(seq, t_us, 10_000, raw)


def test_stop_drains_queued_notifications_and_a_reboot_loses_nothing() -> None:
    """Crafted notifications through the source's own path: received before stop(), across a reboot."""

    async def main() -> None:
        src = BleSource("dorsi-S1", "dorsi-F1", rate_hz=100)  # platform backends, never used
        queue = src._links["foot"].queue  # where the notification callback puts what arrives
        # 50 min after power-up (sensor time past 2^31 us), 100 Hz, two samples per notification
        seq, t_us = 300_000, 3_000_000_000
        for k in range(100):
            queue.put_nowait((10.0 + 0.02 * k + 0.005, _notification(seq + 2 * k, t_us + 20_000 * k)))
        # the sensor reboots; it is back 3 s later, counting again from power-up
        for k in range(100):
            queue.put_nowait((15.0 + 0.02 * k + 0.005, _notification(300 + 2 * k, 3_000_000 + 20_000 * k)))
        await src.stop()
        blocks, events = await read_to_end(src.stream())
        assert [(e.role, e.kind) for e in events] == [("foot", "sensor_restarted")]
        joined = SampleBlock.concat(blocks)
        assert len(joined) == 400
        assert joined.seq.tolist() == list(range(seq, seq + 200)) + list(range(300, 500))
        assert np.all(np.diff(joined.t_s) > 0)
        assert joined.t_s[200] == pytest.approx(15.005 - 0.01, abs=1e-3)  # on the arrivals, not 2^32 us on
        assert events[0].t_s == pytest.approx(joined.t_s[200])
        assert events[0].detail["last_sample_s"] == pytest.approx(joined.t_s[199])
        c = src.counters["foot"]
        assert (c.samples, c.restarts, c.lost_samples, c.seq_gaps, c.malformed) == (400, 1, 0, 0, 0)

    asyncio.run(main())


@pytest.mark.parametrize("error", [TimeoutError(), EOFError("D-Bus connection lost")])
def test_unreachable_sensor_raises_a_bleak_error_naming_it(error: Exception) -> None:
    async def body(radio: VirtualRadio, shin: EmulatedSensor, foot: EmulatedSensor) -> None:
        class FootUnreachable(radio.client_backend):  # type: ignore[name-defined,misc]
            async def connect(self, pair: bool, **kwargs: Any) -> None:
                if self.address == foot.address:
                    raise error
                await super().connect(pair, **kwargs)

        src = BleSource(
            "dorsi-S1",
            "dorsi-F1",
            scanner_backend=radio.scanner_backend,
            client_backend=FootUnreachable,
        )
        with pytest.raises(SensorConnectionError, match=r"foot sensor 'dorsi-F1'.*switched on") as raised:
            async for _item in src.stream():
                pass
        assert isinstance(raised.value, BleakError)
        assert raised.value.__cause__ is error
        await asyncio.sleep(0.1)
        assert not shin.connected  # connected before the foot failed, and disconnected again
        assert source_tasks_left() == []

    run(body)

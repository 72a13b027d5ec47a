"""WitMotion and Movella DOT end to end over the real Bumble BLE stack: their emulated GATT servers through bleak's
public API, BleSource streaming mixed pairs at different rates and reconnecting, `scan` and the `dorsi` CLI."""

from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakGATTProtocolError

from sensors.ble.emulated_base import EmulatedPeripheral, legacy_advertisement
from sensors.ble.emulated_bystander import BYSTANDERS, EmulatedBystander
from sensors.ble.emulated_movella_dot import EmulatedMovellaDot
from sensors.ble.emulated_sensor import EmulatedSensor
from sensors.ble.emulated_witmotion import EmulatedWitMotion
from sensors.ble.virtual_radio import VirtualRadio
from sensors.ble_source import BleSource, SensorNotSupportedError, SourceEvent, scan
from sensors.profiles import movella_dot as dot
from sensors.profiles import witmotion
from sensors.samples import SampleBlock
from tests.test_ble_integration import GRAVITY, RestingSensor, collect, read_to_end

pytestmark = pytest.mark.ble

Sensors = dict[str, Any]


def on_radio(
    body: Callable[..., Awaitable[None]], make: Callable[[VirtualRadio], Sensors], timeout_s: float = 40
) -> None:
    """Run `body(radio, sensors)` in a fresh loop with the sensors `make(radio)` returns, started and stopped."""

    async def main() -> None:
        radio = VirtualRadio()
        sensors = make(radio)
        for s in sensors.values():
            await s.start()
        try:
            await asyncio.wait_for(body(radio, sensors), timeout_s)
        finally:
            for s in sensors.values():
                await s.stop()
            await radio.close()

    asyncio.run(main())


def source(radio: VirtualRadio, shin: str, foot: str, rate_hz: Any) -> BleSource:
    return BleSource(shin, foot, rate_hz, radio.scanner_backend, radio.client_backend, scan_timeout_s=3.0)


def joined(blocks: list[SampleBlock], role: str) -> SampleBlock:
    return SampleBlock.concat([b for b in blocks if b.role == role])


def test_emulated_advertisements_fit_the_31_byte_legacy_payload():
    # Flags (3) + name "WT901-S1" (10) + the 128-bit ffe5 service (18): exactly 31
    assert len(legacy_advertisement("WT901-S1", (witmotion.SERVICE_UUID,))) == 31
    with pytest.raises(ValueError, match="exceeds 31"):
        legacy_advertisement("WT901BLE68", (witmotion.SERVICE_UUID,))
    # Flags + "Movella DOT" (13) + manufacturer data: company 0x0886 and a 6-byte address (10)
    assert len(legacy_advertisement("Movella DOT", (), (dot.COMPANY_ID, bytes(6)))) == 26
    for spec in BYSTANDERS.values():
        assert len(legacy_advertisement(spec.name, spec.service_uuids, spec.manufacturer)) <= 31


def test_registry_tells_supported_lookalike_and_unrelated_devices_apart():
    from sensors.profiles.base import Advertised
    from sensors.profiles.registry import classify, profile_for_services

    assert classify(Advertised("dorsi-A1")).profile.name == "dorsi"
    for name in ("BLE-IMU9", "IMU 6DOF", "MetaWear", "bno055 board"):
        verdict = classify(Advertised(name))
        assert verdict.profile is None and "IMU-like name" in verdict.unsupported_reason, name
    for name in ("HRM-Pro", "Galaxy Buds", None, "Simulator"):
        assert not classify(Advertised(name, ("0000180d-0000-1000-8000-00805f9b34fb",))).looks_like_imu, name
    found = profile_for_services(["0000180A-0000-1000-8000-00805F9B34FB", dot.MEASUREMENT_SERVICE_UUID.upper()])
    assert found is dot.PROFILE
    assert profile_for_services(["0000ffe5-0000-1000-8000-00805f9b34fb"]) is None  # "9b": not WitMotion's


def test_witmotion_gatt_layout_commands_and_packets_through_bleak():
    async def body(radio: VirtualRadio, s: Sensors) -> None:
        wit: EmulatedWitMotion = s["wit"]
        found = await BleakScanner.discover(timeout=0.3, return_adv=True, backend=radio.scanner_backend)
        ((device, adv),) = found.values()
        assert adv.local_name == "WT901-S1" and adv.service_uuids == [witmotion.SERVICE_UUID]
        client = BleakClient(device, backend=radio.client_backend)
        await client.connect()
        service = client.services.get_service(witmotion.SERVICE_UUID)
        chars = {c.uuid: c.properties for c in service.characteristics}
        assert chars == {witmotion.NOTIFY_UUID: ["notify"], witmotion.WRITE_UUID: ["write-without-response"]}

        received: list[tuple[float, bytes]] = []
        await client.start_notify(witmotion.NOTIFY_UUID, lambda _c, d: received.append((time.monotonic(), bytes(d))))
        await asyncio.sleep(1.0)
        assert 8 <= len(received) <= 12 and {len(d) for _t, d in received} == {20}  # 10 Hz after power-up

        async def write(data: bytes) -> None:
            await client.write_gatt_char(witmotion.WRITE_UUID, data, response=False)
            await asyncio.sleep(0.05)

        await write(bytes.fromhex("ffaa030b00"))  # 200 Hz, but locked: ignored
        assert wit.rate_hz == 10 and wit.ignored_commands == 1
        for cmd in witmotion.cmd_set_rate(200):
            await write(cmd)
        received.clear()
        await asyncio.sleep(1.0)
        samples = witmotion.decode_notification(b"".join(d for _t, d in received)).samples
        assert 180 <= len(samples) <= 220
        assert {len(d) for _t, d in received} == {80}  # 4 packets per notification, like the real capture
        assert np.mean([sm.acc_m_s2[2] for sm in samples]) == pytest.approx(GRAVITY, abs=0.01)

        received.clear()
        await write(witmotion.cmd_read_register(witmotion.REG_BATTERY_CENTIVOLT))
        await asyncio.sleep(0.05)
        reply = [witmotion.battery_from_notification(d) for _t, d in received]
        assert 60 in reply  # 3.85 V
        await client.disconnect()

        # the saved rate survives a power cycle; an unsaved change does not
        await wit.stop()
        await wit.start()
        assert wit.rate_hz == 200

    on_radio(body, lambda radio: {"wit": EmulatedWitMotion(radio, "WT901-S1", RestingSensor())})


def test_dot_gatt_layout_rate_measurement_and_battery_through_bleak():
    async def body(radio: VirtualRadio, s: Sensors) -> None:
        found = await BleakScanner.discover(timeout=0.3, return_adv=True, backend=radio.scanner_backend)
        ((device, adv),) = found.values()
        assert adv.local_name == "DOT-S1" and dot.COMPANY_ID in adv.manufacturer_data
        client = BleakClient(device, backend=radio.client_backend)
        await client.connect()
        for uuid in (dot.CONFIG_SERVICE_UUID, dot.MEASUREMENT_SERVICE_UUID, dot.BATTERY_SERVICE_UUID):
            assert client.services.get_service(uuid) is not None
        assert bytes(await client.read_gatt_char(dot.BATTERY_UUID)) == bytes([71, 1])
        assert len(await client.read_gatt_char(dot.DEVICE_INFO_UUID)) == 34
        control = bytes(await client.read_gatt_char(dot.DEVICE_CONTROL_UUID))
        assert len(control) == 32 and dot.output_rate_of(control) == 60 and control[8:14] == b"DOT-S1"

        received: list[bytes] = []
        await client.start_notify(dot.LONG_PAYLOAD_UUID, lambda _c, d: received.append(bytes(d)))
        await asyncio.sleep(0.3)
        assert received == []  # nothing before the measurement control write
        with pytest.raises(BleakGATTProtocolError):
            await client.write_gatt_char(dot.DEVICE_CONTROL_UUID, bytes(31), response=True)
        bad_rate = bytearray(dot.cmd_output_rate(60))
        bad_rate[24] = 100
        with pytest.raises(BleakGATTProtocolError):
            await client.write_gatt_char(dot.DEVICE_CONTROL_UUID, bytes(bad_rate), response=True)
        await client.write_gatt_char(dot.DEVICE_CONTROL_UUID, dot.cmd_output_rate(30), response=True)
        assert dot.output_rate_of(bytes(await client.read_gatt_char(dot.DEVICE_CONTROL_UUID))) == 30
        with pytest.raises(BleakGATTProtocolError):  # a payload mode the emulation does not serve
            await client.write_gatt_char(dot.CONTROL_UUID, bytes.fromhex("010110"), response=True)

        await client.write_gatt_char(dot.CONTROL_UUID, dot.cmd_measurement(True), response=True)
        assert bytes(await client.read_gatt_char(dot.CONTROL_UUID)) == bytes.fromhex("01011a")
        await asyncio.sleep(1.0)
        await client.write_gatt_char(dot.CONTROL_UUID, dot.cmd_measurement(False), response=True)
        n_streamed = len(received)
        await asyncio.sleep(0.2)
        assert len(received) == n_streamed  # stopped
        assert 27 <= n_streamed <= 33 and {len(d) for d in received} == {44 + 4}
        payloads = [dot.decode_payload(d)[0] for d in received]
        steps_us = np.diff([p.t_us for p in payloads])
        assert set(steps_us) <= {33_333, 33_334}
        assert np.mean([p.acc_m_s2[2] for p in payloads]) == pytest.approx(GRAVITY, abs=1e-4)
        assert payloads[0].quaternion == pytest.approx((1, 0, 0, 0), abs=0.03)  # lying flat
        await client.disconnect()

    on_radio(
        body,
        lambda radio: {
            "dot": EmulatedMovellaDot(
                radio, "DOT-S1", RestingSensor(), battery_pct=71, charging=True, payload_padding_bytes=4
            )
        },
    )


def test_mixed_pair_witmotion_shin_at_100_hz_and_dorsi_foot_at_200_hz():
    async def body(radio: VirtualRadio, s: Sensors) -> None:
        src = source(radio, "WT901-S1", "dorsi-F1", {"shin": 100, "foot": 200})
        stream = src.stream()

        def enough(blocks: list[SampleBlock], _e: list[SourceEvent]) -> bool:
            return sum(len(b) for b in blocks if b.role == "shin") >= 800

        blocks, events = await collect(stream, enough, 20)
        await src.stop()
        more, more_events = await read_to_end(stream)
        blocks += more
        assert [(e.role, e.kind) for e in events + more_events] == [("shin", "connected"), ("foot", "connected")]
        for role, sensor, period_s in (("shin", s["shin"], 0.01), ("foot", s["foot"], 0.005)):
            b = joined(blocks, role)
            assert np.all(np.diff(b.seq) == 1) and np.all(np.diff(b.t_s) > 0)
            assert np.median(np.diff(b.t_s)) == pytest.approx(period_s, rel=1e-3)
            assert len(b) == sensor.samples_sent  # every sample sent was delivered
            c = src.counters[role]
            assert (c.lost_samples, c.malformed, c.samples) == (0, 0, len(b))
        assert src.rates_hz == {"shin": 100, "foot": 200}
        shin_c, foot_c = src.counters["shin"], src.counters["foot"]
        assert (shin_c.profile, shin_c.rate_hz, shin_c.battery_pct) == ("witmotion", 100, 90)  # 3.95 V
        assert (foot_c.profile, foot_c.rate_hz, foot_c.battery_pct) == ("dorsi", 200, 64)
        assert s["shin"].rate_hz == 100 and s["foot"].rate_hz == 200
        # the WitMotion's times come from arrivals and its rate, yet the same moment lines up with the dorsi's
        shin_b, foot_b = joined(blocks, "shin"), joined(blocks, "foot")
        t = np.linspace(shin_b.t_s[100], shin_b.t_s[-100], 50)
        x_shin = np.interp(t, shin_b.t_s, shin_b.acc[:, 0])
        x_foot = np.interp(t, foot_b.t_s, foot_b.acc[:, 0])
        # 0.5 m/s^2 at 0.5 Hz changes at most 1.57 m/s^2 per s: 0.04 m/s^2 is about 20 ms
        assert np.max(np.abs(x_shin - x_foot)) < 0.04

    on_radio(
        body,
        lambda radio: {
            "shin": EmulatedWitMotion(radio, "WT901-S1", RestingSensor(), battery_v=3.95, clock_drift_ppm=300.0),
            "foot": EmulatedSensor(radio, "dorsi-F1", RestingSensor(), battery_pct=64, clock_offset_s=40.0),
        },
    )


def test_dot_streams_at_60_hz_when_asked_for_100_with_padded_payloads():
    async def body(radio: VirtualRadio, s: Sensors) -> None:
        src = source(radio, "DOT-S1", "dorsi-F1", 100)
        stream = src.stream()
        blocks, _events = await collect(stream, lambda b, _e: sum(len(x) for x in b if x.role == "shin") >= 240, 15)
        await src.stop()
        blocks += (await read_to_end(stream))[0]
        b = joined(blocks, "shin")
        assert src.rates_hz == {"shin": 60, "foot": 100}
        assert s["shin"].rate_hz == 60
        assert np.all(np.diff(b.seq) == 1)
        assert np.median(np.diff(b.t_s)) == pytest.approx(1 / 60, rel=1e-3)
        c = src.counters["shin"]
        assert (c.profile, c.malformed, c.lost_samples, c.battery_pct) == ("movella_dot", 0, 0, 88)
        assert len(b) == s["shin"].samples_sent
        assert np.mean(b.acc[:, 2]) == pytest.approx(GRAVITY, abs=1e-3)

    on_radio(
        body,
        lambda radio: {
            "shin": EmulatedMovellaDot(
                radio, "DOT-S1", RestingSensor(), battery_pct=88, payload_padding_bytes=19, clock_offset_s=4200.0
            ),
            "foot": EmulatedSensor(radio, "dorsi-F1", RestingSensor()),
        },
    )


@pytest.mark.parametrize("model", ["witmotion", "movella_dot"])
def test_a_drop_out_is_reconnected_and_its_gap_counted(model):
    async def body(radio: VirtualRadio, s: Sensors) -> None:
        shin: EmulatedPeripheral = s["shin"]
        src = source(radio, shin.name, "dorsi-F1", 100)
        stream = src.stream()
        blocks, events = await collect(stream, lambda b, _e: sum(len(x) for x in b if x.role == "shin") >= 100, 10)
        last_before, sent_before = shin.last_sent_n, shin.samples_sent
        shin.vanish()
        await asyncio.sleep(2.0)
        shin.reappear()

        def back(b: list[SampleBlock], e: list[SourceEvent]) -> bool:
            return any(x.kind == "gap" for x in e) and sum(len(x) for x in b if x.role == "shin") >= 250

        more, more_events = await collect(stream, back, 15)
        await src.stop()
        rest, rest_events = await read_to_end(stream)
        blocks += more + rest
        events += more_events + rest_events
        assert [e.kind for e in events if e.role == "shin"] == ["connected", "disconnected", "reconnected", "gap"]
        (gap,) = [e for e in events if e.kind == "gap"]
        # the truth: samples the sensor took between the last one delivered before and the last one sent
        true_lost = (shin.last_sent_n - last_before) - (shin.samples_sent - sent_before)
        assert true_lost > 100
        tolerance = 3 if model == "witmotion" else 0  # estimated from arrivals vs counted from timestamps
        assert abs(gap.detail["lost_samples"] - true_lost) <= tolerance
        c = src.counters["shin"]
        assert (c.reconnects, c.seq_gaps, c.lost_samples) == (1, 1, gap.detail["lost_samples"])
        b = joined(blocks, "shin")
        assert np.all(np.diff(b.t_s) > 0)
        assert gap.detail["end_s"] - gap.detail["start_s"] == pytest.approx((true_lost + 1) * b_period(src), rel=0.05)
        assert src.counters["foot"].lost_samples == 0

    def make(radio: VirtualRadio) -> Sensors:
        shin = (
            EmulatedWitMotion(radio, "WT901-S1", RestingSensor(), clock_drift_ppm=-200.0)
            if model == "witmotion"
            else EmulatedMovellaDot(radio, "DOT-S1", RestingSensor(), clock_offset_s=4294.0)  # wraps meanwhile
        )
        return {"shin": shin, "foot": EmulatedSensor(radio, "dorsi-F1", RestingSensor())}

    on_radio(body, make)


def b_period(src: BleSource) -> float:
    rate = src.rates_hz["shin"]
    assert rate is not None
    return 1.0 / rate


def _bystanders_and_sensors(radio: VirtualRadio) -> Sensors:
    sensors: Sensors = {
        # a WitMotion whose advertisement carries only its (long) name: its GATT table tells what it is
        "wit": EmulatedWitMotion(radio, "WT901BLE68", RestingSensor(), battery_v=3.85, advertise_service=False),
        "dot": EmulatedMovellaDot(radio, "Movella DOT", RestingSensor(), battery_pct=92),
        "dorsi": EmulatedSensor(radio, "dorsi-F1", RestingSensor(), battery_pct=55),
    }
    for kind, spec in BYSTANDERS.items():
        sensors[kind] = EmulatedBystander(radio, spec)
    return sensors


def test_scan_lists_models_and_batteries_and_says_why_the_others_are_not_supported():
    async def body(radio: VirtualRadio, s: Sensors) -> None:
        found = await scan(
            0.5, radio.scanner_backend, client_backend=radio.client_backend, probe=True, include_unsupported=True
        )
        supported = {f.name: (f.profile, f.model, f.battery_pct) for f in found if f.supported}
        assert supported == {
            "WT901BLE68": ("witmotion", "WitMotion WT901BLECL / WT9011DCL", 60),
            "Movella DOT": ("movella_dot", "Movella DOT", 92),
            "dorsi-F1": ("dorsi", "dorsi open sensor", 55),
        }
        reasons = {f.address: f.unsupported_reason for f in found if not f.supported}
        assert set(reasons) == {s[k].address for k in ("witmotion_ble4", "dot_lookalike", "generic_imu")}
        assert "BLE 4.0" in reasons[s["witmotion_ble4"].address]
        assert "0x0886" in reasons[s["dot_lookalike"].address]
        assert "IMU-like name" in reasons[s["generic_imu"].address]
        assert [f.supported for f in found] == [True] * 3 + [False] * 3  # supported ones first
        assert not any(s[k].connected for k in ("wit", "dot", "dorsi"))  # the probes disconnected

        # without probing nothing is connected: batteries unknown, the silent WitMotion not confirmed
        quick = await scan(0.5, radio.scanner_backend, include_unsupported=True)
        by_address = {f.address: f for f in quick}
        real_dot, silent_wit = by_address[s["dot"].address], by_address[s["wit"].address]
        assert real_dot.supported and real_dot.battery_pct is None
        assert not silent_wit.supported and "check its services" in silent_wit.unsupported_reason
        assert [f.name for f in await scan(0.5, radio.scanner_backend)] == sorted(["Movella DOT", "dorsi-F1"])

    on_radio(body, _bystanders_and_sensors)


def test_ble_source_identifies_by_gatt_and_refuses_an_unsupported_device():
    async def body(radio: VirtualRadio, s: Sensors) -> None:
        refused = source(radio, "WT901BLE", "dorsi-F1", 100)  # the WitMotion BLE 4.0 bystander
        with pytest.raises(SensorNotSupportedError, match=r"shin sensor 'WT901BLE' is not a supported.*BLE 4\.0"):
            await refused.start()
        src = source(radio, "WT901BLE68", "Movella DOT", 100)
        stream = src.stream()
        blocks, _e = await collect(stream, lambda b, _e: sum(len(x) for x in b if x.role == "foot") >= 60, 10)
        await src.stop()
        await read_to_end(stream)
        assert (src.counters["shin"].profile, src.counters["foot"].profile) == ("witmotion", "movella_dot")
        assert src.rates_hz == {"shin": 100, "foot": 60}

    on_radio(body, _bystanders_and_sensors)


def dorsi_cli(*args: Any, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *map(str, args)], capture_output=True, text=True, timeout=timeout
    )


def test_cli_scan_shows_emulated_models_and_unsupported_bystanders():
    args = ["scan", "--emulated", "--emulated-shin", "witmotion", "--emulated-foot", "movella_dot", "--timeout-s", 0.5]
    proc = dorsi_cli(*args, "--emulated-bystander", "all", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["WT901-S1"] | {"address": None} == {
        "name": "WT901-S1",
        "address": None,
        "rssi_dbm": -50,
        "supported": True,
        "profile": "witmotion",
        "model": "WitMotion WT901BLECL / WT9011DCL",
        "battery_pct": 90,
        "reason": None,
    }
    assert (rows["DOT-F1"]["profile"], rows["DOT-F1"]["battery_pct"]) == ("movella_dot", 64)
    unsupported = {name for name, r in rows.items() if not r["supported"]}
    assert unsupported == {"WT901BLE", "Movella DOT", "BLE-IMU9"} and "HRM-Pro" not in rows
    text = dorsi_cli(*args, "--emulated-bystander", "dot_lookalike", "--no-battery").stdout
    assert "battery unknown" in text and "Movella DOT" in text and "not supported: named like a Movella DOT" in text


def _record_session_takes_models() -> bool:
    try:
        from dashboard.recording import record_session
    except Exception:  # the dashboard cannot be imported right now
        return False
    return "emulated_models" in inspect.signature(record_session).parameters


@pytest.mark.skipif(
    not _record_session_takes_models(),
    reason="needs dashboard.recording.record_session(emulated_models=...) and LiveFeed support (see issue 6)",
)
def test_cli_records_a_mixed_pair_over_ble(tmp_path: Path):
    data = tmp_path / "data"
    proc = dorsi_cli(
        "record", "--emulated", "--emulated-shin", "witmotion", "--emulated-foot", "movella_dot",
        "--data-dir", data, "--duration-s", 8, "--rate-hz", 100,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    counters = summary["counters"]
    assert (counters["shin"]["profile"], counters["shin"]["rate_hz"]) == ("witmotion", 100)
    assert (counters["foot"]["profile"], counters["foot"]["rate_hz"]) == ("movella_dot", 60)
    session = Path(summary["path"])
    for role, period_s in (("shin", 0.01), ("foot", 1 / 60)):
        assert counters[role]["lost_samples"] == 0
        rows = np.loadtxt(session / f"samples_{role}.csv", delimiter=",", skiprows=1)
        assert len(rows) == summary["samples"][role] > 7 / period_s
        assert np.all(np.diff(rows[:, 0]) == 1)
        assert np.median(np.diff(rows[:, 2])) == pytest.approx(period_s, rel=1e-3)

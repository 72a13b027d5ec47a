"""Benchmark of the emulated BLE path: connect time and notification delivery through bleak over Bumble.

One line per sensor model: two emulated sensors of that model, configured and started through the model's
profile (the same GATT steps BleSource takes), streamed for `--seconds`.
Run: .venv/bin/python -m tests.benchmarks.bench_ble [--seconds 30] [--rate-hz 200] [--model all]
Emulation figures (no radio timing, no RF loss): keep timing claims for real hardware.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np
from bleak import BleakClient, BleakScanner

from sensors.ble.emulated_base import EmulatedPeripheral
from sensors.ble.emulated_movella_dot import EmulatedMovellaDot
from sensors.ble.emulated_sensor import EmulatedSensor
from sensors.ble.emulated_witmotion import EmulatedWitMotion
from sensors.ble.virtual_radio import VirtualRadio
from sensors.profiles.base import DeviceProfile, StreamDecoder
from sensors.profiles.registry import PROFILES


class _Still:
    duration_s = None

    def sample(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(t_s)
        return np.tile([0.0, 0.0, 9.80665], (n, 1)), np.zeros((n, 3))


def _make(radio: VirtualRadio, model: str, i: int) -> EmulatedPeripheral:
    if model == "witmotion":
        return EmulatedWitMotion(radio, f"WT901-B{i}", _Still())
    if model == "movella_dot":
        return EmulatedMovellaDot(radio, f"DOT-B{i}", _Still())
    return EmulatedSensor(radio, f"dorsi-B{i}", _Still())


async def run(seconds: float, rate_hz: int, model: str) -> None:
    """Connect two sensors of `model`, stream, and print connect and delivery figures."""
    profile: DeviceProfile = PROFILES[model]
    rate = profile.rate_for(rate_hz)
    radio = VirtualRadio()
    sensors = [_make(radio, model, i) for i in (1, 2)]
    for s in sensors:
        await s.start()
    connect_ms: list[float] = []
    latency_ms: list[float] = []
    received = {s.name: 0 for s in sensors}
    clients = []
    for s in sensors:
        device = await BleakScanner.find_device_by_name(s.name, timeout=5.0, backend=radio.scanner_backend)
        assert device is not None, s.name
        client = BleakClient(device, backend=radio.client_backend)
        t0 = time.perf_counter()
        await client.connect()
        connect_ms.append((time.perf_counter() - t0) * 1e3)
        decoder = profile.new_decoder("shin", rate)

        def on_notify(_c: object, data: bytearray, s: EmulatedPeripheral = s, decoder: StreamDecoder = decoder) -> None:
            now_true_s = s.true_time_s()
            for block, _restart in decoder.feed_marking_restarts(bytes(data), now_true_s):
                received[s.name] += len(block)
                if model != "witmotion":  # no timestamps in WitMotion packets
                    # the sensor's clock has no offset or drift here: its time is true time
                    latency_ms.append((now_true_s - float(block.t_s[-1])) * 1e3)

        for step in profile.configure(rate):
            await client.write_gatt_char(step.uuid, step.data, response=step.response)
            await asyncio.sleep(step.pause_s)
        await client.start_notify(profile.notify_uuid, on_notify)
        for step in profile.start(rate):
            await client.write_gatt_char(step.uuid, step.data, response=step.response)
        clients.append(client)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    for client in clients:
        for step in profile.stop():
            await client.write_gatt_char(step.uuid, step.data, response=step.response)
        await client.disconnect()
    for s in sensors:
        await s.stop()
    await radio.close()
    print(f"{profile.model}, 2 sensors x {rate} Hz for {seconds:.0f} s:")
    print(f"  connect + MTU + discovery: median {statistics.median(connect_ms):.0f} ms over {len(connect_ms)}")
    if latency_ms:
        lat = np.array(latency_ms)
        print(
            f"  delivery (last sample due -> bleak callback): median {np.median(lat):.1f} ms, "
            f"p95 {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms"
        )
    else:
        print("  delivery: not measurable from the packets (no timestamps)")
    expected = seconds * rate
    print(
        f"  samples received per sensor: {sorted(received.values())} (about {expected:.0f} expected); "
        f"process CPU {cpu * 100:.0f}% of one core"
    )


def main() -> None:
    """Parse arguments and run."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--rate-hz", type=int, default=200, help="asked of every model; each uses its nearest rate")
    ap.add_argument("--model", default="all", choices=("all", *PROFILES))
    args = ap.parse_args()
    for model in PROFILES if args.model == "all" else (args.model,):
        asyncio.run(run(args.seconds, args.rate_hz, model))


if __name__ == "__main__":
    main()

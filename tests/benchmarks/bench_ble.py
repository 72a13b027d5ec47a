"""Benchmark of the emulated BLE path: connect time and notification delivery through bleak over Bumble.

Run: .venv/bin/python -m tests.benchmarks.bench_ble [--seconds 30] [--rate-hz 200]
Emulation figures (no radio timing, no RF loss): keep timing claims for real hardware.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np
from bleak import BleakClient, BleakScanner

from sensors.ble.emulated_sensor import EmulatedSensor
from sensors.ble.virtual_radio import VirtualRadio
from sensors.profiles import dorsi


class _Still:
    duration_s = None

    def sample(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(t_s)
        return np.tile([0.0, 0.0, 9.80665], (n, 1)), np.zeros((n, 3))


async def run(seconds: float, rate_hz: int) -> None:
    """Connect two sensors, stream, and print connect and delivery figures."""
    radio = VirtualRadio()
    sensors = [EmulatedSensor(radio, f"dorsi-B{i}", _Still()) for i in (1, 2)]
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
        decoder = dorsi.StreamDecoder("shin")

        def on_notify(
            _c: object, data: bytearray, s: EmulatedSensor = s, decoder: dorsi.StreamDecoder = decoder
        ) -> None:
            now_true_s = s.true_time_s()
            for block in decoder.feed(bytes(data)):
                received[s.name] += len(block)
                # the sensor's clock has no offset or drift here: its time is true time
                latency_ms.append((now_true_s - float(block.t_s[-1])) * 1e3)

        await client.start_notify(dorsi.SAMPLES_UUID, on_notify)
        await client.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_set_rate(rate_hz), response=True)
        await client.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_start(), response=True)
        clients.append(client)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    for client in clients:
        await client.write_gatt_char(dorsi.CONTROL_UUID, dorsi.cmd_stop(), response=True)
        await client.disconnect()
    for s in sensors:
        await s.stop()
    await radio.close()
    lat = np.array(latency_ms)
    print(f"connect + MTU + discovery: median {statistics.median(connect_ms):.0f} ms over {len(connect_ms)}")
    print(
        f"delivery (last sample due -> bleak callback), 2 sensors x {rate_hz} Hz for {seconds:.0f} s: "
        f"median {np.median(lat):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms"
    )
    expected = seconds * rate_hz
    print(
        f"samples received per sensor: {sorted(received.values())} (about {expected:.0f} expected); "
        f"process CPU {cpu * 100:.0f}% of one core"
    )


def main() -> None:
    """Parse arguments and run."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--rate-hz", type=int, default=200, choices=dorsi.SUPPORTED_RATES_HZ)
    args = ap.parse_args()
    asyncio.run(run(args.seconds, args.rate_hz))


if __name__ == "__main__":
    main()

"""`dorsi calibrate-sensors`: stream both sensors while they are laid on a table in many positions, fit and keep
each accelerometer's calibration."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sensors import accel_calibration
from sensors.accel_calibration import (
    ASK_STILL_S,
    ENOUGH_POSES,
    AccelCalibrationError,
    distinct_positions,
    faces_seen,
    rest_poses,
)
from sensors.ble_source import BleSource
from sensors.emulated_rig import EmulatedRig
from sensors.samples import ROLES, Role, SampleBlock

PROGRESS_S = 1.0
INSTRUCTIONS = (
    f"Lay each sensor on a firm table and keep your hands off for {ASK_STILL_S:g} s; then turn it onto "
    f"another face. Do all six faces, then a few positions tilted on an edge or a corner ({ENOUGH_POSES} or "
    "more in all). Both sensors can be done together, side by side."
)


async def _stop_when(stop: threading.Event, duration_s: float, source: BleSource) -> None:
    """Stop the source on Ctrl-C or after duration_s, even while no sample arrives (sensors reconnecting)."""
    deadline = time.monotonic() + duration_s
    while not stop.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await source.stop()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _progress(blocks: list[SampleBlock]) -> tuple[str, bool]:
    """How far one sensor's calibration has come, in words, and whether it has enough positions."""
    b = SampleBlock.concat(blocks) if blocks else None
    poses = rest_poses(b.t_s, b.acc, b.gyr) if b is not None else np.zeros((0, 3))
    faces, distinct = faces_seen(poses), distinct_positions(poses)
    done = distinct >= ENOUGH_POSES and len(faces) == 6
    return f"{distinct} positions, faces {' '.join(faces) or 'none'}" + (" (enough)" if done else ""), done


def calibrate_sensors(
    data_dir: Path,
    *,
    emulated: bool,
    shin: str | None,
    foot: str | None,
    rate_hz: int,
    duration_s: float,
    stop: threading.Event,
    log: Callable[[str], None],
    emulated_models: Mapping[Role, str] | None = None,
) -> dict[str, Any]:
    """Stream until both sensors have rested in enough positions (or duration_s, or `stop`), then fit each
    sensor's accelerometer calibration and keep it in data_dir; returns what was kept or why not, per role.

    Raises bleak.exc.BleakError (the sensors' own subclasses name the sensor) when a sensor cannot be reached.
    """
    blocks: dict[Role, list[SampleBlock]] = {r: [] for r in ROLES}
    names: dict[Role, str] = {}
    models: dict[Role, str | None] = {}

    async def run() -> None:
        async with contextlib.AsyncExitStack() as stack:
            if emulated:
                rig = await stack.enter_async_context(EmulatedRig(models=emulated_models or {}, tumble=True))
                names.update(rig.names)
                source = BleSource(
                    rig.names["shin"], rig.names["foot"], rate_hz, rig.scanner_backend, rig.client_backend
                )
            else:
                assert shin is not None and foot is not None
                names.update({"shin": shin, "foot": foot})
                source = BleSource(shin, foot, rate_hz)
            stack.push_async_callback(source.stop)
            stack.push_async_callback(_cancel, asyncio.create_task(_stop_when(stop, duration_s, source)))
            log(INSTRUCTIONS)
            last = 0.0
            said: dict[Role, str] = {}
            async for item in source.stream():
                if isinstance(item, SampleBlock):
                    blocks[item.role].append(item)
                now = time.monotonic()
                if now - last >= PROGRESS_S:
                    last = now
                    status = {r: _progress(blocks[r]) for r in ROLES}
                    for role, (text, _) in status.items():
                        if text != said.get(role):
                            log(f"{role} ({names[role]}): {text}")
                            said[role] = text
                    if all(done for _, done in status.values()):
                        break
            for role in ROLES:
                models[role] = source.counters[role].model

    asyncio.run(run())
    result: dict[str, Any] = {}
    for role in ROLES:
        entry: dict[str, Any] = {"sensor": names.get(role)}
        try:
            if not blocks[role]:
                raise AccelCalibrationError("no samples arrived")
            cal = accel_calibration.fit_block(SampleBlock.concat(blocks[role]))
        except AccelCalibrationError as e:
            entry["error"] = str(e)
        else:
            path = accel_calibration.save(data_dir, names[role], cal, models.get(role))
            entry.update(file=str(path), **cal.to_json())
        result[role] = entry
    return result

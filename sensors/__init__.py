"""Everything that touches a sensor: BLE, device profiles, emulation, clocks, recording and replay."""

"""BLE transport: the Bumble-backed bleak backend, the virtual radio and emulated peripherals."""

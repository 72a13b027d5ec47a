"""dorsi tests: unit, integration over the Bumble BLE stack, browser, and on-demand benchmarks."""

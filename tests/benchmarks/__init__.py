"""On-demand benchmarks (not part of the test suite); each module runs with `python -m`."""

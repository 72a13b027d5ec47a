#!/usr/bin/env bash
# Set everything up and run the whole test suite: lint, types, then pytest (unit, BLE over Bumble, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check sensors processing dashboard tests
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"

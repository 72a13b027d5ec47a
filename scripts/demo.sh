#!/usr/bin/env bash
# Set everything up and start the demo: emulated sensors on a virtual radio, recorded, live dashboard on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dorsi demo "$@"

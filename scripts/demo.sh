#!/usr/bin/env bash
# Set everything up and start the demo: emulated sensors on a virtual radio, recorded, live dashboard on 127.0.0.1.
# The first run seeds 6 weeks of simulated history (labelled demo data) into the demo data directory, so that the
# Sessions and Progress pages have something to show; pass --history-weeks 0 to skip it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dorsi demo "$@"

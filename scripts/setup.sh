#!/usr/bin/env bash
# Create .venv (if needed) and install dorsi with its locked dependencies. Needs only python3 >= 3.11 and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "dorsi needs Python >= 3.11, found " + sys.version' 
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    echo "python3 -m venv is unavailable (Debian: package python3-venv); using virtualenv instead" >&2
    "$PY" -m pip install --quiet --user --break-system-packages virtualenv 2>/dev/null \
      || "$PY" -m pip install --quiet --user virtualenv
    "$PY" -m virtualenv --quiet .venv
  fi
fi
stamp=.venv/.dorsi-lock-installed
if [ ! -f "$stamp" ] || ! cmp -s requirements.lock "$stamp"; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.lock
  cp requirements.lock "$stamp"
fi
if [ ! -x .venv/bin/dorsi ] || ! cmp -s pyproject.toml .venv/.dorsi-pyproject-installed; then
  log=$(mktemp)
  if ! .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e . >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
  cp pyproject.toml .venv/.dorsi-pyproject-installed
fi

#!/usr/bin/env bash
# Runs the whole suite offscreen; called by `make test` (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
export PYTHONHASHSEED=0
exec .venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"

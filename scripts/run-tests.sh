#!/usr/bin/env bash
# Runs the whole suite offscreen; called by `make test` (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
export PYTHONHASHSEED=0
# The whole suite (no arguments) starts with the linter: it takes a second.
if [ $# -eq 0 ]; then
    .venv/bin/ruff check --quiet .
fi
exec .venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"

#!/usr/bin/env bash
# The engine's tests (pytest) in the engine's own environment.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PYTHONPATH=src/engine/python "$VOICE_DRAFT_PYTHON" -m pytest -q -p no:cacheprovider test/engine "$@"

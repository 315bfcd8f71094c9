#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent (re-runs take seconds):
# Debian packages, Node dependencies, the engine's virtual environment and the
# offline default model (built once into the user's cache).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
begin

step "Debian packages"
need_debs dict-devil python3-venv openssh-server openssh-client rsync

step "Node dependencies"
# onnxruntime-node's install script fetches CUDA files from the network; the CPU binary ships in the package.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: the registry reachable here lacks node-llama-cpp's
  # Windows/macOS binaries, so the lock cannot list them and `npm ci` refuses it;
  # `npm install` installs exactly the locked versions and leaves the lock as it is.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund
else
  echo "up to date"
fi

step "Training engine environment ($ENGINE_VENV)"
# From the locks (src/engine/python/locks): the CPU build of torch on a Linux machine without an
# NVIDIA GPU, PyPI's elsewhere; VOICE_DRAFT_TORCH=cpu|cuda overrides. Seconds when the venv is current.
t=$(date +%s)
PYTHONPATH=src/engine/python python3 -m voice_draft_engine setup \
  --venv "$ENGINE_VENV" --torch "${VOICE_DRAFT_TORCH:-auto}" \
  | node scripts/show-events.mjs
echo "engine environment: $(elapsed "$t")"

step "Offline default model (SmolLM2-135M-Instruct)"
t=$(date +%s)
PYTHONPATH=src/engine/python "$ENGINE_PY" -m voice_draft_engine model build-default | node scripts/show-events.mjs
echo "default model: $(elapsed "$t")"

step "Offline default model for writing (ONNX export for transformers.js)"
DEFAULT_ONNX="$VOICE_DRAFT_CACHE/models/smollm2-135m-instruct-onnx"
t=$(date +%s)
# Complete and of the current export format (an older format's q8 ran 10x slower).
if PYTHONPATH=src/engine/python "$ENGINE_PY" -c 'import sys; from pathlib import Path; from voice_draft_engine.export.onnx_folder import is_complete; sys.exit(0 if is_complete(Path(sys.argv[1])) else 1)' "$DEFAULT_ONNX"; then
  echo "up to date"
else
  PYTHONPATH=src/engine/python "$ENGINE_PY" -m voice_draft_engine export \
    --model "$VOICE_DRAFT_CACHE/models/smollm2-135m-instruct" --out "$DEFAULT_ONNX" | node scripts/show-events.mjs
fi
echo "default model's ONNX export: $(elapsed "$t")"

echo "set-up done in $(elapsed "$start")"

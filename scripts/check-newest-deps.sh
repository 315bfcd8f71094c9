#!/usr/bin/env bash
# Before a lock bump: do the export and training still work with the newest releases?
# Builds a scratch venv with the newest release of every engine dependency (pyproject.toml's
# names with their upper bounds dropped: the upper bounds are the tested range, and this asks
# what lies past it; torch stays the locked build, since a newer one means gigabytes of CUDA
# here), runs the engine's export and training tests there, and prints the versions and what
# failed. Changes nothing in the repository or the engine's own venv.
# Usage: bash scripts/check-newest-deps.sh [pytest args]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ENGINE="$ROOT/src/engine/python"
TORCH_BUILD="${VOICE_DRAFT_TORCH:-cpu}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step "Scratch venv with the newest releases ($work)"
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
pip_q() { "$py" -m pip install -q --disable-pip-version-check "$@"; }
pip_q --require-hashes --no-deps -r "$ENGINE/locks/torch-$TORCH_BUILD.txt"
pip_q --require-hashes --no-deps -r "$ENGINE/locks/model-source.txt"
# Every dependency and extra of the engine, with its lower bound and no upper bound.
"$py" - "$ENGINE/pyproject.toml" > "$work/newest.in" <<'PY'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
reqs = project["dependencies"] + [r for extra in ("export", "eval", "dev") for r in project["optional-dependencies"][extra]]
for req in reqs:
    name = re.match(r"[A-Za-z0-9_.-]+", req).group(0)
    low = re.search(r">=\s*[0-9][^,;\s]*", req)
    if name != "torch":
        print(name + (low.group(0) if low else ""))
PY
torch_version=$("$py" -c 'import importlib.metadata as m; print(m.version("torch"))')
echo "torch==$torch_version" > "$work/keep-torch.txt"
pip_q --upgrade -c "$work/keep-torch.txt" -r "$work/newest.in"

step "Versions"
"$py" - <<'PY'
import importlib.metadata as m
for d in ("torch", "transformers", "peft", "accelerate", "safetensors", "huggingface_hub", "onnx", "onnxruntime",
          "onnx-ir", "gguf", "numpy", "scikit-learn"):
    try:
        print(f"  {d:16} {m.version(d)}")
    except m.PackageNotFoundError:
        print(f"  {d:16} (not installed)")
PY

step "Export and training tests on the newest releases"
set +e
VOICE_DRAFT_ALLOW_UNTESTED=1 PYTHONPATH="$ENGINE" "$py" -m pytest -q -p no:cacheprovider -rf \
  test/engine/test_export_onnx.py test/engine/test_export_command.py test/engine/test_train_tiny.py \
  test/engine/test_default_model.py test/engine/test_loop.py "$@"
code=$?
set -e
if [ "$code" = 0 ]; then
  echo "The newest releases pass: a lock bump to them can go ahead (scripts/lock-engine.sh, then versions.py's ranges)."
else
  echo "Failures above: the newest releases break the engine; fix it before bumping the lock." >&2
fi
exit "$code"

#!/usr/bin/env bash
# The main job, end to end on this machine with the offline default model:
# set-up, a sample workspace (or the folder you name), training data, a short
# CPU training run, the export, and text written with the new voice beside the
# base model's. Usage: npm run demo [-- <folder of markdown essays>]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
begin

bash scripts/setup.sh
step "Build"
node esbuild.mjs >/dev/null
cli() { node dist/cli.js "$@"; }

step "Engine check"
cli doctor

WORKSPACE="${1:-$VOICE_DRAFT_CACHE/sample-workspace}"
if [ -z "${1:-}" ]; then
  step "Sample workspace: The Devil's Dictionary (public domain, Debian's dict-devil)"
  rm -rf "$WORKSPACE"
  cli sample-workspace "$WORKSPACE" --notes 150
fi

RUNS="${VOICE_DRAFT_DEMO_RUNS:-$HOME/.voice-draft/runs}"
# A short run that fits a CPU: 30 steps of 512 tokens, short canaries.
# On a GPU, leave these out (the defaults train 3 epochs with early stopping).
step "Training a voice on $WORKSPACE"
t=$(date +%s)
out="$(mktemp)"
cli train "$WORKSPACE" --runs "$RUNS" --max-steps "${VOICE_DRAFT_DEMO_STEPS:-30}" \
  --config '{"max_seq_len":256,"micro_batch_size":2,"gradient_accumulation_steps":1,"eval_every":10,"canary_samples":1,"canary_max_new_tokens":32}' | tee "$out"
RUN="$(tail -n 1 "$out")"
echo "trained and exported in $(elapsed "$t"): $RUN"

step "Writing with the voice (and the base model, for comparison)"
cli write "$RUN" "The lawyer rose to address the court, and"
cli write "$RUN" --rewrite --max-tokens 120 "Money is a thing people want a lot. It makes them do bad things and they say it is for good reasons."

echo
echo "Voice folder: $RUN"
echo "Dashboard: install the VSIX (npm run package), open the workspace, run 'Voice Draft: Show Training Dashboard'."
echo "demo done in $(elapsed "$start")"

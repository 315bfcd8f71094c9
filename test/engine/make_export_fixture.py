"""Export a LoRA run with the engine's CLI and dump PyTorch's reference answers as JSON.

The Node parity tests (test/unit/export/*.test.ts) run this with the engine's Python,
then load the export with transformers.js / node-llama-cpp and compare:

    python test/engine/make_export_fixture.py --out DIR --base tiny:llama [--steps 20] [--base-gguf]

DIR/run/ is the exported run folder; DIR/fixture.json holds, per prompt, the token ids,
PyTorch's greedy continuation and last-position logits for the merged voice and for the
base, the top-2 logit gap at each greedy step (to tell a near tie from a real
disagreement), and the export's own events (sizes, times).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENGINE = ROOT / "src" / "engine" / "python"
sys.path[:0] = [str(HERE), str(ENGINE)]

from export_fixtures import greedy, make_lora_run, make_tiny_qwen2, prompt_ids  # noqa: E402


def run_export(args: list[str]) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(ENGINE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "voice_draft_engine", "export", *args], env=env,
                          capture_output=True, text=True, check=False)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not events or events[-1].get("event") != "export.done":
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"export failed (exit {proc.returncode}): {events[-1] if events else 'no events'}")
    return events


def top2_gaps(model, ids: list[int], continuation: list[int]) -> tuple[list[float], list[int]]:
    """logit(top1) - logit(top2), and the raw top-1 token, at each greedy step (teacher-forced)."""
    import torch

    full = torch.tensor([ids + continuation])
    with torch.no_grad():
        logits = model(input_ids=full).logits[0, len(ids) - 1: len(ids) - 1 + len(continuation)]
    top = logits.topk(2, dim=-1)
    return (top.values[:, 0] - top.values[:, 1]).tolist(), top.indices[:, 0].tolist()


def last_logits(model, ids: list[int]) -> list[float]:
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0, -1].tolist()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--base", default="tiny:llama",
                   help="base model spec (models.resolve_base_model), or tiny-qwen2: a random Qwen2 built here")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--b-std", type=float, default=0.5, help="std of the adapter's B weights (its strength)")
    p.add_argument("--base-gguf", action="store_true", help="also write gguf/base.gguf (f32)")
    p.add_argument("--no-base", action="store_true", help="skip onnx-base/")
    args = p.parse_args()

    from voice_draft_engine.export.weights import load_causal_lm, load_tokenizer, load_voice, read_run
    from voice_draft_engine.models import resolve_base_model

    started = time.monotonic()
    run = args.out / "run"
    spec = args.base
    if spec == "tiny-qwen2":  # an absolute-path base, as a writer's own model folder would be
        spec = str(make_tiny_qwen2(args.out / "tiny-qwen2", resolve_base_model("tiny:llama")))
    make_lora_run(run, spec, resolve_base_model(spec), b_std=args.b_std)
    export_args = ["--run", str(run)]
    if args.base_gguf:
        export_args += ["--base-gguf", "--base-gguf-dtype", "f32"]
    if args.no_base:
        export_args.append("--no-base")
    t = time.monotonic()
    events = run_export(export_args)
    export_seconds = time.monotonic() - t

    weights = read_run(run)
    voice = load_voice(weights)
    base = load_causal_lm(weights.base_dir)
    tokenizer = load_tokenizer(weights.tokenizer_dir)
    prompts = []
    for ids in prompt_ids(tokenizer):
        entry = {"ids": ids}
        for name, model in (("voice", voice), ("base", base)):
            tokens = greedy(model, ids, args.steps)
            gaps, raw_top1 = top2_gaps(model, ids, tokens)
            # greedy() keeps EOS out for all the steps (min_new_tokens), as the transformers.js
            # side does; a runtime without that rule may stop where PyTorch's raw top-1 is EOS.
            eos = model.config.eos_token_id
            eos_ids = set(eos if isinstance(eos, list) else [eos])
            eos_at = next((i for i, t in enumerate(raw_top1) if t in eos_ids), -1)
            entry[name] = {"greedy": tokens, "top2_gap": gaps, "eos_at": eos_at,
                           "last_logits": last_logits(model, ids)}
        prompts.append(entry)
    fixture = {
        "base_spec": args.base,
        "run": str(run),
        "steps": args.steps,
        "prompts": prompts,
        "events": [e for e in events if e["event"] in ("export.artifact", "export.done")],
        "export_seconds": round(export_seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
    }
    (args.out / "fixture.json").write_text(json.dumps(fixture), encoding="utf-8")
    sys.stderr.write(f"fixture written in {fixture['seconds']} s (export {fixture['export_seconds']} s)\n")


if __name__ == "__main__":
    main()

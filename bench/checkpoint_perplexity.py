"""Held-out perplexity of every kept checkpoint of a run, and of averages of the last ones.

`eval` scores the run's voice (the checkpoint training chose). This scores each checkpoint the
run kept (`checkpoints/step-NNNNNN/adapter`, LoRA runs; raise `keep_checkpoints` in the run's
config.json to keep them all) with eval's own code — the same held-out essays, window, stride
and bootstrap — so "what did choosing by voice cost" and "would an average of the last k
checkpoints have done better" are read off one table. An average is of the merged weights
(base + B·A of each checkpoint), which is what an exported voice holds.

Usage (the engine's venv python; RUN is a trained run folder):
  PYTHONPATH=src/engine/python ~/.cache/voice-draft/engine/venv/bin/python bench/checkpoint_perplexity.py \
      RUN [--average 2 --average 3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path)
    p.add_argument("--average", type=int, action="append", default=[],
                   help="also score the average of the last K checkpoints (repeatable)")
    args = p.parse_args()

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from voice_draft_engine.config import TrainConfig
    from voice_draft_engine.model_setup import load_tokenizer
    from voice_draft_engine.models import resolve_base_model
    from voice_draft_engine.voice_metrics.perplexity import perplexity_report, score_documents, token_ids
    from voice_draft_engine.voice_metrics.settings import EvalSettings

    run: Path = args.run
    settings = EvalSettings()
    cfg = TrainConfig.from_dict(json.loads((run / "config.json").read_text(encoding="utf-8")))
    base_dir = resolve_base_model(cfg.base_model)
    documents = [json.loads(line) for line in (run / "dataset" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    held_out = [d["text"] for d in documents if d.get("split") == "val" and d.get("text")]
    docs = token_ids(load_tokenizer(base_dir), held_out, settings.perplexity_tokens)

    def fresh_base() -> Any:
        return AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32).eval()

    base = fresh_base()
    base_scores = score_documents(base, docs, settings.context, settings.stride)
    base_weights = base.state_dict()

    def delta(checkpoint: Path) -> dict[str, Any]:
        merged = PeftModel.from_pretrained(fresh_base(), str(checkpoint / "adapter")).merge_and_unload().state_dict()
        return {k: merged[k] - w for k, w in base_weights.items() if not torch.equal(merged[k], w)}

    def report(name: str, weights_delta: dict[str, Any]) -> None:
        model = fresh_base()
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if k in weights_delta:
                    v.add_(weights_delta[k])
        r = perplexity_report(base_scores, score_documents(model, docs, settings.context, settings.stride),
                              settings.resamples, settings.seed)
        low, high = r.get("ratio_ci") or (float("nan"), float("nan"))
        print(f"| {name} | {r['ratio']:.3f} [{low:.3f}–{high:.3f}] | {r['tuned']:.2f} |", flush=True)

    checkpoints = sorted(c for c in (run / "checkpoints").glob("step-*") if (c / "adapter").is_dir())
    print(f"{run.name}: {len(held_out)} held-out essays; base perplexity {base_scores.perplexity():.2f}\n")
    print("| checkpoint | perplexity × base [95% CI] | perplexity |\n|---|---|---|")
    deltas = {}
    for c in checkpoints:
        deltas[c.name] = delta(c)
        report(c.name, deltas[c.name])
    for k in args.average:
        last = list(deltas)[-k:]
        if len(last) < k:
            continue
        report(f"average of {', '.join(last)}", {key: sum(deltas[n][key] for n in last) / k for key in deltas[last[0]]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

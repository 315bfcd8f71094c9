"""Optimizer probe: the same batches under optimizer variants, held-out loss at fixed steps.

A recipe run (bench/voice_recipe.py) costs ~25 min of a CPU and mixes everything a run does;
this trains only the loop on a run folder's dataset (no synthetic drafts, no judges), so a change
to the optimizer is read off the validation loss at the same step of the same schedule.
Variants are `name:lr:ratio`, where ratio is the learning rate of LoRA's B matrices over A's
(LoRA+, Hayou et al. 2024; 1 is plain LoRA).

Measured (MacDowell, 60-step cosine schedule, loss at step 30, 2 EPYC cores, fp32):
plain lr 1e-3 3.399; LoRA+ ratio 4 at lr 1e-3 3.454 (worse; the step-10 training loss 3.53 against
3.26), so the default keeps one learning rate.

Usage (the engine's venv python):
  PYTHONPATH=src/engine/python ~/.cache/voice-draft/engine/venv/bin/python bench/optimizer_probe.py \
      --run RUN_DIR --variant default:1e-3:1 --variant plus4:1e-3:4 [--steps 60] [--stop-at 30] [--eval-every 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def probe(run: Path, name: str, lr: float, ratio: float, steps: int, stop_at: int, eval_every: int) -> None:
    import torch
    from voice_draft_engine.config import TrainConfig
    from voice_draft_engine.data import load_dataset
    from voice_draft_engine.loop import evaluate, token_loss_sum
    from voice_draft_engine.model_setup import prepare_model
    from voice_draft_engine.models import resolve_base_model
    from voice_draft_engine.train import lr_lambda, make_batches

    cfg = TrainConfig.from_dict(json.loads((run / "config.json").read_text(encoding="utf-8")))
    cfg.learning_rate, cfg.max_steps = lr, steps
    torch.manual_seed(cfg.seed)  # the same adapter init for every variant
    prepared = prepare_model(resolve_base_model(cfg.base_model), cfg, "cpu")
    batches = make_batches(load_dataset(run / "dataset"), prepared.tokenizer, cfg)
    model = prepared.model.train()
    a = [p for n, p in model.named_parameters() if p.requires_grad and "lora_B" not in n]
    b = [p for n, p in model.named_parameters() if p.requires_grad and "lora_B" in n]
    optimizer = torch.optim.AdamW([{"params": a, "lr": lr}, {"params": b, "lr": lr * ratio}],
                                  weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg, steps))
    micro = [m for epoch in batches.epochs for m in epoch]
    began, k = time.monotonic(), 0
    for step in range(1, stop_at + 1):
        group = micro[k:k + cfg.gradient_accumulation_steps]
        k += len(group)
        trained = sum(m.n_labels for m in group)
        loss = 0.0
        for m in group:
            part = token_loss_sum(model, m) / trained
            part.backward()
            loss += float(part.detach())
        torch.nn.utils.clip_grad_norm_(a + b, cfg.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        line = {"variant": name, "step": step, "loss": round(loss, 4), "s": round(time.monotonic() - began)}
        if step % eval_every == 0 or step == stop_at:
            line["val_loss"] = round(evaluate(model, batches.val_batches, token_loss_sum), 4)
        if step % 10 == 0 or "val_loss" in line:
            print(json.dumps(line), flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", type=Path, required=True, help="a run folder (config.json and dataset/)")
    p.add_argument("--variant", action="append", required=True, help="name:learning_rate:B/A ratio")
    p.add_argument("--steps", type=int, default=60, help="the schedule's length")
    p.add_argument("--stop-at", type=int, help="stop after this step (default: --steps)")
    p.add_argument("--eval-every", type=int, default=30)
    args = p.parse_args()
    for v in args.variant:
        name, lr, ratio = v.split(":")
        probe(args.run, name, float(lr), float(ratio), args.steps, args.stop_at or args.steps, args.eval_every)
    return 0


if __name__ == "__main__":
    sys.exit(main())

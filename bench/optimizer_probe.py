"""Optimizer probe: the same batches under optimizer variants, held-out loss at fixed steps.

A recipe run (bench/voice_recipe.py) costs ~25 min of a CPU and mixes everything a run does;
this trains only the loop on a run folder's dataset (no synthetic drafts, no judges), so a change
to the optimizer is read off the validation loss at the same step of the same schedule.
Variants are `name:lr:ratio`, where ratio is the learning rate of LoRA's B matrices over A's
(LoRA+, Hayou et al. 2024; 1 is plain LoRA).

Measured (MacDowell, 60-step cosine schedule, loss at step 30, 2 EPYC cores, fp32):
plain lr 1e-3 3.399; LoRA+ ratio 4 at lr 1e-3 3.454 (worse; the step-10 training loss 3.53 against
3.26), so the default keeps one learning rate.

A fourth field adapts only the top N of the model's layers (the backward pass then stops at the
lowest adapted one, so a step is cheaper and more of them fit the CPU's budget). Read at equal
seconds, not equal steps (each line prints both). Measured (MacDowell, 2 EPYC cores, fp32, the
as-shipped run's dataset): all 30 layers, 60-step schedule, val loss 3.125 at step 30 after 421 s
(~12.5 s a step); the top 15 layers, a 105-step schedule (1.75x the steps, the speed a 6-step
trial suggested), 3.158 at step 52 after 519 s (~9.4 s a step: 1.33x, not 1.75x). Fewer layers
lost even with more time, so the default adapts every layer.

`--perplexity` ends each variant with held-out perplexity, tuned / base, scored by eval's own code
(voice_metrics/perplexity.py) on the run's held-out essays; `--fim-pairs off` leaves the
fill-in-the-middle pairs out of training and of the validation loss, as a CPU run now does
(config.fim_pairs; name it, `on` or `off`: a run the engine resolved on a CPU already says off).
Measured (`--variant default:1e-3:1 --steps 30 --perplexity --fim-pairs on`, then `off`; the
as-shipped runs' datasets, without their synthetic drafts; one seed; 2 EPYC cores, fp32). The
validation losses were read over every tier, fim rows included, in both columns (the probe now
leaves them out with the pairs); the intervals are each against the base and overlap:

| corpus | with the fim pairs | without |
|---|---|---|
| MacDowell | 0.876 [0.866, 0.886], val 3.135 | 0.864 [0.850, 0.874], val 3.129 |
| Bierce | 0.812 [0.793, 0.821], val 3.489 | 0.804 [0.785, 0.814], val 3.483 |

Usage (the engine's venv python):
  PYTHONPATH=src/engine/python ~/.cache/voice-draft/engine/venv/bin/python bench/optimizer_probe.py \
      --run RUN_DIR --variant default:1e-3:1 --variant plus4:1e-3:4 [--variant top15:1e-3:1:15] \
      [--steps 60] [--stop-at 30] [--eval-every 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def top_layers_target(model_dir: Path, top: int) -> str | None:
    """A PEFT target regex for the projections of the top `top` transformer blocks (Llama and
    Qwen name them *_proj), or None for every block (the config's "all-linear")."""
    from transformers import AutoConfig

    if top <= 0:
        return None
    blocks = AutoConfig.from_pretrained(model_dir).num_hidden_layers
    keep = "|".join(str(i) for i in range(blocks - top, blocks))
    return rf".*\.layers\.({keep})\.(self_attn|mlp)\.[a-z_]+_proj"


def held_out_perplexity(model, tokenizer, dataset, base_cache: Path) -> dict:
    """eval's perplexity section for `model` against the base (its adapter disabled; cached per run)."""
    from voice_draft_engine.voice_metrics.perplexity import DocumentScores, perplexity_report, score_documents, token_ids

    docs = token_ids(tokenizer, [d["text"] for d in dataset.documents if d.get("split") == "val" and d.get("text")], 30_000)
    model.eval()
    cached = json.loads(base_cache.read_text(encoding="utf-8")) if base_cache.exists() else None
    # The report pairs base and tuned scores by document: a cache of other documents (a rebuilt
    # dataset) is scored anew.
    if cached is not None and cached.get("doc_lengths") == [len(d) for d in docs]:
        base = DocumentScores(cached["nll"], cached["tokens"])
    else:
        if not hasattr(model, "disable_adapter"):
            raise SystemExit("--perplexity needs a LoRA run (the base is the same model with its adapter disabled)")
        with model.disable_adapter():
            base = score_documents(model, docs)
        base_cache.write_text(json.dumps({"nll": base.nll, "tokens": base.tokens, "doc_lengths": [len(d) for d in docs]}),
                              encoding="utf-8")
    return perplexity_report(base, score_documents(model, docs))


def probe(run: Path, name: str, lr: float, ratio: float, steps: int, stop_at: int, eval_every: int, top: int = 0,
          fim_pairs: bool | None = None, perplexity: bool = False) -> None:
    import torch
    from voice_draft_engine.config import TrainConfig
    from voice_draft_engine.data import load_dataset
    from voice_draft_engine.loop import LoopArgs, LoopHooks, LoopState, token_loss_sum, train
    from voice_draft_engine.model_setup import prepare_model
    from voice_draft_engine.models import resolve_base_model
    from voice_draft_engine.train import lr_lambda, make_batches

    cfg = TrainConfig.from_dict(json.loads((run / "config.json").read_text(encoding="utf-8")))
    cfg.learning_rate, cfg.max_steps = lr, steps
    cfg.lora_target_modules = top_layers_target(resolve_base_model(cfg.base_model), top) or cfg.lora_target_modules
    if fim_pairs is not None:
        cfg.fim_pairs = fim_pairs
    torch.manual_seed(cfg.seed)  # the same adapter init for every variant
    prepared = prepare_model(resolve_base_model(cfg.base_model), cfg, "cpu")
    dataset = load_dataset(run / "dataset")
    batches = make_batches(dataset, prepared.tokenizer, cfg)
    trained = [(n, p) for n, p in prepared.model.named_parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": [p for n, p in trained if "lora_B" not in n], "lr": lr},
                                   {"params": [p for n, p in trained if "lora_B" in n], "lr": lr * ratio}],
                                  weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg, steps))  # the whole schedule's shape
    began = time.monotonic()
    say = lambda **line: print(json.dumps({"variant": name, **line, "s": round(time.monotonic() - began)}), flush=True)
    # The engine's own loop (loop.py), stopped at stop_at: only the optimizer differs between variants.
    train(prepared.model, optimizer, scheduler, batches.epochs, token_loss_sum, state=LoopState(),
          args=LoopArgs(grad_accum=cfg.gradient_accumulation_steps, max_grad_norm=cfg.max_grad_norm,
                        max_steps=stop_at, eval_every=eval_every, log_every=10),
          hooks=LoopHooks(on_metrics=lambda m: say(step=m.step, loss=round(m.loss, 4)),
                          on_eval=lambda step, val_loss, _best: say(step=step, val_loss=round(val_loss, 4))),
          eval_batches=batches.val_batches)
    if perplexity:
        report = held_out_perplexity(prepared.model, prepared.tokenizer, dataset, run / "probe-base-perplexity.json")
        say(perplexity_ratio=round(report["ratio"], 4), interval=[round(x, 4) for x in report["ratio_ci"]],
            tuned=round(report["tuned"], 2), base=round(report["base"], 2))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", type=Path, required=True, help="a run folder (config.json and dataset/)")
    p.add_argument("--variant", action="append", required=True,
                   help="name:learning_rate:B/A ratio[:top N layers adapted]")
    p.add_argument("--steps", type=int, default=60, help="the schedule's length")
    p.add_argument("--stop-at", type=int, help="stop after this step (default: --steps)")
    p.add_argument("--eval-every", type=int, default=30)
    p.add_argument("--fim-pairs", choices=("on", "off"), help="train the fill-in-the-middle pairs or not "
                                                             "(default: what the run's config says)")
    p.add_argument("--perplexity", action="store_true", help="end with held-out perplexity, tuned / base")
    args = p.parse_args()
    for v in args.variant:
        name, lr, ratio, *top = v.split(":")
        probe(args.run, name, float(lr), float(ratio), args.steps, args.stop_at or args.steps, args.eval_every,
              int(top[0]) if top else 0, None if args.fim_pairs is None else args.fim_pairs == "on", args.perplexity)
    return 0


if __name__ == "__main__":
    sys.exit(main())

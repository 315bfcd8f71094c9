"""Validation-loss cost: one evaluation over every held-out row against the CPU's cap.

A run evaluates its validation loss at every quarter epoch and at the last step; on a CPU each
evaluation is a forward pass over the held-out rows, paid 4-7 times a run. This times one such
evaluation, on the model the judges ask (a plain copy, as `judge_model.py` makes it), with all the
held-out rows and with `val_max_tokens` of them, and prints rows, tokens, loss and seconds for
each, so the cap's saving and how far its loss sits from the full set's are read off one run.

Usage (the engine's venv python; DATASET is a dataset folder, as `data --out` writes it):
  PYTHONPATH=src/engine/python ~/.cache/voice-draft/engine/venv/bin/python bench/val_loss_cost.py \
      DATASET [DATASET ...] [--cap 16384]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def measure(dataset_dir: Path, cap: int | None) -> None:
    from voice_draft_engine.config import TrainConfig
    from voice_draft_engine.data import load_dataset
    from voice_draft_engine.hardware import apply_hardware_defaults, detect
    from voice_draft_engine.judge_model import plain_copy
    from voice_draft_engine.loop import evaluate, token_loss_sum
    from voice_draft_engine.model_setup import prepare_model
    from voice_draft_engine.models import resolve_base_model
    from voice_draft_engine.train import make_batches

    cfg = TrainConfig()
    apply_hardware_defaults(cfg, set(), detect())
    prepared = prepare_model(resolve_base_model(cfg.base_model), cfg, "cpu")
    judged = plain_copy(prepared.model, prepared.autocast_dtype or prepared.dtype)
    dataset = load_dataset(dataset_dir)
    for tokens in (None, cap or cfg.val_max_tokens):
        cfg.val_max_tokens = tokens
        batches = make_batches(dataset, prepared.tokenizer, cfg).val_batches
        began = time.perf_counter()
        loss = evaluate(judged, batches, token_loss_sum)  # the copy is in its dtype: no autocast
        seconds = time.perf_counter() - began
        rows = sum(int(b.input_ids.shape[0]) for b in batches)
        print(f"{dataset_dir.name:24} cap {str(tokens):>6}: {rows:4} rows, {sum(b.n_labels for b in batches):6} tokens "
              f"scored, loss {loss:.4f}, {seconds:6.1f} s", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("datasets", nargs="+", type=Path)
    p.add_argument("--cap", type=int, default=None,
                   help="held-out tokens per evaluation (default: this CPU's val_max_tokens)")
    args = p.parse_args()
    for folder in args.datasets:
        measure(folder, args.cap)


if __name__ == "__main__":
    main()

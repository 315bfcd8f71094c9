"""How long the engine takes to write its samples: one prompt after another (each prompt's
samples in one `generate`, as the engine did before sampling.py) against sampling.sample_many's
batches, on the same openings of a corpus, with the same model and sampling.

    PYTHONPATH=src/engine/python ~/.cache/voice-draft/engine/venv/bin/python bench/generation_batch.py \
        --corpus ../shared/corpora/bierce-notes --prompts 8 --samples 2 --max-new-tokens 64

Prints the seconds of each way, the ratio, and the tokens written per second. The model is
the offline default (float32, as eval asks it); --bf16 asks a bf16 copy (the training-time
judges' on a CPU with native bf16).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src" / "engine" / "python"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "bierce-notes")
    p.add_argument("--prompts", type=int, default=8)
    p.add_argument("--samples", type=int, default=2)
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--max-prompt-tokens", type=int, default=384)
    p.add_argument("--rows", type=int, nargs="*", default=[16], help="rows per batch to try")
    p.add_argument("--bf16", action="store_true")
    args = p.parse_args()

    import torch
    from transformers import AutoModelForCausalLM

    from voice_draft_engine.model_setup import load_tokenizer
    from voice_draft_engine.models import resolve_base_model
    from voice_draft_engine.sampling import Ask, Warping, sample_many
    from voice_draft_engine.voice_metrics.continuations import continuation_prompts, fit_opening

    folder = resolve_base_model("offline:smollm2-135m-instruct", None)
    tokenizer = load_tokenizer(folder)
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.bfloat16 if args.bf16 else torch.float32).eval()
    docs = [{"doc": f.name, "title": f.stem, "text": f.read_text(encoding="utf-8")}
            for f in sorted(args.corpus.rglob("*.md"))]
    cuts = continuation_prompts(docs, args.prompts)
    asks = [Ask(tokenizer(fit_opening(tokenizer, c.opening, args.max_prompt_tokens))["input_ids"], args.samples,
                1000 + i, args.max_new_tokens) for i, c in enumerate(cuts)]
    warp = Warping(temperature=0.8, top_k=50)
    rows = sum(a.samples for a in asks)
    print(f"{len(asks)} openings of {args.corpus.name} (mean {sum(len(a.input_ids) for a in asks) / len(asks):.0f} "
          f"tokens), {args.samples} samples of up to {args.max_new_tokens} tokens, "
          f"{'bf16' if args.bf16 else 'float32'}, {torch.get_num_threads()} threads")

    def timed(max_rows: int) -> tuple[float, int]:
        t = time.perf_counter()
        out = sample_many(model, asks, warp, pad_id=tokenizer.pad_token_id, eos_id=tokenizer.eos_token_id,
                          max_rows=max_rows)
        return time.perf_counter() - t, sum(len(r) for rs in out for r in rs)

    one_s, one_tokens = timed(max(a.samples for a in asks))  # one prompt's samples per batch
    print(f"one prompt at a time: {one_s:6.1f} s  {one_tokens / one_s:6.1f} tokens/s")
    for n in args.rows:
        s, tokens = timed(n)
        print(f"batches of {n:2d} rows:   {s:6.1f} s  {tokens / s:6.1f} tokens/s  ({s / one_s:.2f}x the time, "
              f"{rows} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

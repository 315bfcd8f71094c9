"""Voice-recipe bench: which training recipe makes a voice readers attribute to the writer?

For each corpus and recipe: build the dataset once (the CLI's `data`, or a prebuilt one),
train the offline default model in a fresh run folder (`engine train`), score it
(`engine eval`: base vs tuned on held-out essays) and print one row:

  ppl x      held-out perplexity, tuned / base (< 1: the writer's unseen text surprises it less)
  gap        Burrows' Delta gap closed toward the writer's own held-out text (1 = as close as the writer)
  attr       share of tuned paragraphs a writer-vs-base classifier attributes to the writer
  resid      share of samples with chat residue ("Sure! Here's...", "your essay")
  len x      median words of a tuned continuation / the writer's next paragraph
  ... each for plain continuations (`cont`, what ghost text does) and instruction tasks
  (`task`, T2/T3/T4 prompts asked in the run's framing), then training minutes.

Usage (the engine's venv python; CPU: each recipe trains up to --steps optimizer steps):
  PYTHONPATH=src/engine/python ~/.cache/voice-draft/engine/venv/bin/python bench/voice_recipe.py \
      [--corpus DIR ...] [--recipe NAME ...] [--steps 60] [--out DIR] [--datasets DIR] [--as-shipped]
`--list` prints the recipes. `--as-shipped` leaves out the bench's shared settings and --steps,
so a recipe trains as a writer's run does (the time budget is measured that way). The bench
prints figures; it never fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "src" / "engine" / "python"
CORPORA = [ROOT.parent / "shared" / "corpora" / "macdowell-essays", ROOT.parent / "shared" / "corpora" / "bierce-notes"]

# What every recipe shares: the CPU default's shape (hardware.training_defaults), short
# canaries (they cost time on a CPU and are not what is measured here), an evaluation every
# 10 steps; rank 16 unless a recipe says otherwise.
COMMON: dict[str, Any] = {"max_seq_len": 512, "micro_batch_size": 2, "gradient_accumulation_steps": 2,
                          "eval_every": 10, "canary_samples": 1, "canary_max_new_tokens": 32,
                          "early_stopping_patience": 3, "lora_r": 16, "lora_alpha": 32}
ATTENTION = ["q_proj", "k_proj", "v_proj", "o_proj"]
# name -> (config overrides, dataset mix): "all" trains every pair; "raw+T3" keeps the rows
# that continue text; "instructions" drops the raw continuation segments.
RECIPES: dict[str, tuple[dict[str, Any], str]] = {
    "chat lr1e-4 (old default)": ({"framing": "chat", "learning_rate": 1e-4}, "all"),
    "chat lr1e-3": ({"framing": "chat", "learning_rate": 1e-3}, "all"),
    "plain lr1e-4": ({"framing": "plain", "learning_rate": 1e-4}, "all"),
    "plain lr3e-4": ({"framing": "plain", "learning_rate": 3e-4}, "all"),
    "plain lr1e-3": ({"framing": "plain", "learning_rate": 1e-3}, "all"),
    "plain lr1e-3 attn-only": ({"framing": "plain", "learning_rate": 1e-3, "lora_target_modules": ATTENTION}, "all"),
    "plain lr1e-3 r64 (default)": ({"framing": "plain", "learning_rate": 1e-3, "lora_r": 64, "lora_alpha": 128}, "all"),
    # The default with the fill-in-the-middle pairs trained (a GPU's default; a CPU leaves them out).
    "plain lr1e-3 r64 fim": ({"framing": "plain", "learning_rate": 1e-3, "lora_r": 64, "lora_alpha": 128,
                              "fim_pairs": True}, "all"),
    "plain lr2e-3 r64": ({"framing": "plain", "learning_rate": 2e-3, "lora_r": 64, "lora_alpha": 128}, "all"),
    "plain lr1e-3 r4": ({"framing": "plain", "learning_rate": 1e-3, "lora_r": 4, "lora_alpha": 8}, "all"),
    "plain lr1e-3 raw+T3": ({"framing": "plain", "learning_rate": 1e-3}, "raw+T3"),
    "plain lr1e-3 no-raw": ({"framing": "plain", "learning_rate": 1e-3}, "instructions"),
    "plain full-FT lr5e-5": ({"framing": "plain", "learning_rate": 5e-5, "full_finetune": True}, "all"),
    "plain full-FT lr2e-4": ({"framing": "plain", "learning_rate": 2e-4, "full_finetune": True}, "all"),
}


def engine(python: str, *args: str, log: Path) -> list[dict[str, Any]]:
    """Run an engine command; its JSON-line events (stdout) are returned, its log kept."""
    path = os.pathsep.join(p for p in (str(ENGINE), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "HF_HUB_OFFLINE": "1"}
    with open(log, "a", encoding="utf-8") as err:
        proc = subprocess.run([python, "-m", "voice_draft_engine", *args], stdout=subprocess.PIPE, stderr=err,
                              text=True, env=env)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0:
        last = events[-1] if events else {}
        raise RuntimeError(f"engine {args[0]} failed: {last.get('message', '?')} (log: {log})")
    return events


def dataset_for(corpus: Path, out: Path, prebuilt: Path | None, val_ratio: float) -> Path:
    """The corpus's dataset: from --datasets (a folder per corpus name), else built by the CLI."""
    if prebuilt is not None:
        return prebuilt / corpus.name
    target = out / "datasets" / corpus.name
    if not (target / "train.jsonl").is_file():
        cli = ROOT / "dist" / "cli.js"
        if not cli.is_file():
            subprocess.run(["node", "esbuild.mjs"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["node", str(cli), "data", str(corpus), "--out", str(target), "--val-ratio", str(val_ratio)],
                       check=True, stdout=subprocess.DEVNULL)
    return target


def mixed(rows: list[str], mix: str) -> list[str]:
    keep = {"all": None, "raw+T3": {"raw", "T3"}, "instructions": {"T1", "T2", "T3", "T4"}}[mix]
    return rows if keep is None else [r for r in rows if json.loads(r)["tier"] in keep]


def prepare_run(dataset: Path, run: Path, overrides: dict[str, Any], mix: str, shared: dict[str, Any]) -> None:
    if run.exists():
        shutil.rmtree(run)
    (run / "dataset").mkdir(parents=True)
    for f in dataset.iterdir():
        if f.is_file():
            text = f.read_text(encoding="utf-8")
            if f.name == "train.jsonl":
                text = "".join(r + "\n" for r in mixed(text.splitlines(), mix) if r.strip())
            (run / "dataset" / f.name).write_text(text, encoding="utf-8")
    (run / "config.json").write_text(json.dumps({**shared, **overrides}), encoding="utf-8")


def row(name: str, corpus: str, run: Path, train_s: float, steps: int) -> dict[str, Any]:
    e = json.loads((run / "eval.json").read_text(encoding="utf-8"))
    s = e["summary"]
    return {"recipe": name, "corpus": corpus, "steps": steps, "train_min": round(train_s / 60, 1),
            "ppl_ratio": e["perplexity"].get("ratio"),
            "cont_gap": s.get("gap_closed_continuation"), "cont_attr": s.get("attributed_continuation"),
            "cont_resid": s.get("chat_residue_continuation"), "cont_len": s.get("length_ratio_continuation"),
            "task_gap": s.get("gap_closed"), "task_attr": s.get("attributed_to_writer"),
            "task_resid": s.get("chat_residue_instruction"),
            "base_cont_attr": s.get("attributed_continuation_base")}


def fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "—"
    return f"{100 * v:.0f}%" if pct else (f"{v:.2f}" if isinstance(v, float) else str(v))


def print_table(rows: list[dict[str, Any]]) -> None:
    head = ["recipe", "corpus", "steps", "min", "ppl x", "cont gap", "cont attr", "cont resid", "cont len x",
            "task gap", "task attr", "task resid"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["recipe"], r["corpus"], str(r["steps"]), fmt(r["train_min"]), fmt(r["ppl_ratio"]),
                 fmt(r["cont_gap"], True), fmt(r["cont_attr"], True), fmt(r["cont_resid"], True), fmt(r["cont_len"]),
                 fmt(r["task_gap"], True), fmt(r["task_attr"], True), fmt(r["task_resid"], True)]
        print("| " + " | ".join(cells) + " |")
    base = [r for r in rows if r.get("base_cont_attr") is not None]
    if base:
        print("base model's continuations attributed to the writer: " +
              ", ".join(f"{r['corpus']} {fmt(r['base_cont_attr'], True)}" for r in base[:len(CORPORA)]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", action="append", type=Path, help="a folder of markdown essays (repeatable)")
    p.add_argument("--recipe", action="append", help="a recipe name (repeatable; default: all)")
    p.add_argument("--steps", type=int, default=60, help="optimizer steps per recipe (early stopping may end sooner)")
    p.add_argument("--as-shipped", action="store_true",
                   help="the engine's own defaults for everything a recipe leaves out (this hardware's steps, "
                        "evaluation schedule, canaries): the minutes are what a writer waits for")
    p.add_argument("--out", type=Path, default=Path("/tmp/voice-recipe-bench"))
    p.add_argument("--datasets", type=Path, help="prebuilt datasets, one folder per corpus name")
    p.add_argument("--val-ratio", type=float, default=0.2, help="held-out share when building datasets")
    p.add_argument("--eval", default="--samples 2 --prompts 12", help="extra arguments for `engine eval`")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--device", help="train and score on this device (cpu, cuda)")
    p.add_argument("--list", action="store_true")
    args = p.parse_args()
    if args.list:
        for name, (cfg, mix) in RECIPES.items():
            print(f"{name:28} {json.dumps(cfg)} data: {mix}")
        return 0
    names = args.recipe or list(RECIPES)
    shared = {} if args.as_shipped else {**COMMON, "max_steps": args.steps}
    corpora = args.corpus or CORPORA
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for corpus in corpora:
        dataset = dataset_for(corpus, args.out, args.datasets, args.val_ratio)
        for name in names:
            overrides, mix = RECIPES[name]
            if args.device:
                overrides = {**overrides, "device": args.device}
            run = args.out / "runs" / corpus.name / name.replace(" ", "_").replace("(", "").replace(")", "")
            prepare_run(dataset, run, overrides, mix, shared)
            log = run / "bench.log"
            started = time.monotonic()
            try:
                events = engine(args.python, "train", "--run", str(run), log=log)
                train_s = time.monotonic() - started
                done = next(e for e in events if e["event"] == "train.done")
                engine(args.python, "eval", "--run", str(run), *args.eval.split(), log=log)
                rows.append(row(name, corpus.name, run, train_s, int(done.get("steps", args.steps))))
            except (RuntimeError, StopIteration) as e:
                print(f"{name} on {corpus.name}: {e}", file=sys.stderr)
                continue
            print(json.dumps(rows[-1]), flush=True)
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: how much does a short training make the offline default sound like the writer?

One shared corpus, the whole pipeline as a writer runs it: the TypeScript CLI
builds the dataset and trains the offline default model (SmolLM2-135M-Instruct)
for a fixed number of steps on this machine, then `voice-draft eval` scores the
run (perplexity, stylometry, attribution, habits, length) and prints the table.
Run it before and after a change and compare. It prints figures; it never fails
a build (a failed stage is reported and exits non-zero only for this script).

    python3 bench/voice_fidelity.py [--corpus bierce-notes] [--steps 12] [--seq-len 512] [--lr X]
                                    [--samples 2] [--prompts 12] [--max-new-tokens 160]
                                    [--perplexity-tokens 12000] [--threads N] [--keep]

Standard library only: it drives the CLI, which drives the engine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
# Each corpus's essays folder (bierce-notes/by-letter repeats the notes, so only notes/).
CORPUS_FOLDERS = {"bierce-notes": "bierce-notes/notes", "macdowell-essays": "macdowell-essays"}


def engine_python() -> str:
    """The engine's interpreter: VOICE_DRAFT_PYTHON, else the engine venv, else this one."""
    explicit = os.environ.get("VOICE_DRAFT_PYTHON")
    if explicit:
        return explicit
    cache = Path(os.environ.get("VOICE_DRAFT_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "voice-draft")
    venv = cache / "engine" / "venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def cli(*args: str, env: dict[str, str], capture: bool = True) -> subprocess.CompletedProcess[str]:
    """`voice-draft <args>` from the sources (tsx), progress on this terminal's stderr."""
    return subprocess.run(["node", "--import", "tsx", "src/cli.ts", *args], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE if capture else None, stderr=None)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default="bierce-notes", help="a shared corpus name or a folder of markdown essays")
    # Sized for a 2-core CPU: a 135M-parameter step is ~6 x 135M x tokens FLOPs, about
    # 40 CPU-seconds at 4 x 512 tokens, so 12 steps and a small evaluation stay near
    # 10-15 minutes on an idle machine. Raise them on a GPU.
    p.add_argument("--steps", type=int, default=12, help="optimizer steps of training (default 12)")
    p.add_argument("--seq-len", type=int, default=512, help="training sequence length (default 512)")
    p.add_argument("--lr", type=float, help="learning rate (default: the engine's)")
    p.add_argument("--samples", type=int, default=2, help="eval samples per prompt and model (default 2)")
    p.add_argument("--prompts", type=int, default=12, help="held-out prompts (default 12)")
    p.add_argument("--max-new-tokens", type=int, default=160, help="tokens per eval sample (default 160)")
    p.add_argument("--perplexity-tokens", type=int, default=12000, help="held-out tokens for perplexity (default 12000)")
    p.add_argument("--seed", type=int, default=1234, help="eval seed (default 1234)")
    p.add_argument("--threads", type=int, help="torch CPU threads (OMP_NUM_THREADS) for the engine; default: torch's own")
    p.add_argument("--keep", action="store_true", help="keep the run folder (printed) instead of deleting it")
    args = p.parse_args()

    corpus = Path(args.corpus) if Path(args.corpus).is_dir() else CORPORA / CORPUS_FOLDERS.get(args.corpus, args.corpus)
    if not corpus.is_dir():
        print(f"skipped: corpus not found at {corpus}")
        return 0
    env = dict(os.environ)
    env["VOICE_DRAFT_PYTHON"] = engine_python()
    if args.threads:
        # On a shared machine one thread can be faster: idle OpenMP threads spin for CPU.
        env["OMP_NUM_THREADS"] = str(args.threads)
    work = Path(tempfile.mkdtemp(prefix="voice-fidelity-"))
    runs = work / "runs"
    print(f"corpus {corpus}\nengine python {env['VOICE_DRAFT_PYTHON']}\nruns {runs}\n"
          f"threads {env.get('OMP_NUM_THREADS', 'torch default')}", flush=True)
    try:
        # Canaries are the dashboard's business; one short sample each keeps them from
        # dominating a CPU benchmark. Everything else is the writer's default config.
        t0 = time.monotonic()
        extra = json.dumps({"canary_samples": 1, "canary_max_new_tokens": 48, "max_seq_len": args.seq_len})
        lr = ["--lr", str(args.lr)] if args.lr else []
        train = cli("train", str(corpus), "--max-steps", str(args.steps), "--runs", str(runs), *lr,
                    "--no-export", "--config", extra, env=env)
        train_s = time.monotonic() - t0
        if train.returncode != 0:
            print(f"training failed (exit {train.returncode})")
            return 1
        run = Path(train.stdout.strip().splitlines()[-1])
        t1 = time.monotonic()
        scored = cli("eval", str(run), "--samples", str(args.samples), "--prompts", str(args.prompts),
                     "--max-new-tokens", str(args.max_new_tokens), "--seed", str(args.seed),
                     "--perplexity-tokens", str(args.perplexity_tokens), env=env)
        eval_s = time.monotonic() - t1
        if scored.returncode != 0:
            print(f"evaluation failed (exit {scored.returncode})")
            return 1
        scores = json.loads((run / "eval.json").read_text(encoding="utf-8"))
        manifest = json.loads((run / "dataset" / "manifest.json").read_text(encoding="utf-8"))
        done = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()
                if '"train.done"' in line]
        print()
        print(f"voice fidelity: {corpus}, {manifest['documents']['train']} training / "
              f"{manifest['documents']['val']} held-out documents, {manifest['pairs']['train']} pairs, "
              f"{args.steps} steps (seq {args.seq_len}) of {scores['settings']['model']['base_model']} "
              f"on {scores['settings']['model']['device']}")
        if done:
            print(f"best val loss {done[-1].get('best_val_loss')} at step {done[-1].get('best_step')}")
        print(scored.stdout.rstrip())
        load = os.getloadavg()[1] if hasattr(os, "getloadavg") else float("nan")
        print(f"\ntimes: dataset + training {train_s:.0f} s, evaluation {eval_s:.0f} s "
              f"(load average {load:.1f} on {os.cpu_count()} CPUs: wall times are only comparable on a quiet machine)")
        print("summary " + json.dumps(scores["summary"]))
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Rewrite bench (issue #20): does "Rewrite in my voice" give the writer a paragraph they can paste?

Held-out paragraphs of a run's dataset are made plain (the de-styling pass training uses),
rewritten by the base model and by each tuned voice the way the editor asks, and scored
(voice_metrics/rewrite.py): share attributed to the writer (plain inputs, base, tuned, the
writer's own), Burrows' Delta to the writer, content kept (content-word recall against the
draft), chat residue; each as the model wrote it and after the editor's own cleanup
(src/inference/rewriteCleanup.ts, through bench/rewrite_cleanup.ts). With --candidates N, each
voice also writes N rewrites per paragraph and the one the voice score ranks first (among
those the content check does not flag) is scored too: what the writer sees first in the preview.

Usage (the engine's venv python; no training, generation only):
  PYTHONPATH=src/engine/python ~/.cache/voice-draft/engine/venv/bin/python bench/rewrite_voice.py \
      --run "tuned=/path/to/run" [--run "tuned+drafts=/path/to/other/run"] [--paragraphs 50] \
      [--candidates 3] [--base-samples RUN/eval.json] [--out results.json]
The runs must share the base model and the held-out documents (the first run's are used).
The bench prints figures; it never fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(ROOT / "src" / "engine" / "python"))

from voice_draft_engine.voice_metrics.attribution import fit_writer_classifier, paragraphs  # noqa: E402
from voice_draft_engine.content_kept import content_kept  # noqa: E402
from voice_draft_engine.voice_metrics.generation import load_run_models  # noqa: E402
from voice_draft_engine.voice_metrics.rewrite import generate_rewrites, rewrite_items, score_rewrites  # noqa: E402
from voice_draft_engine.voice_metrics.base_pool import base_pool  # noqa: E402
from voice_draft_engine.drafts.synthetic import model_identity  # noqa: E402


def node(request: dict[str, Any]) -> Any:
    """The editor's TypeScript, run on the request (bench/rewrite_cleanup.ts)."""
    out = subprocess.run(["node", "--import", "tsx", str(ROOT / "bench" / "rewrite_cleanup.ts")], cwd=ROOT,
                         input=json.dumps(request), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def templates_of(run: Path) -> dict[str, Any]:
    manifest = json.loads((run / "dataset" / "manifest.json").read_text(encoding="utf-8"))
    return manifest.get("prompts") or node({"op": "templates"})  # a dataset from before the wording was written


def base_samples(path: Path) -> list[str]:
    """The base model's plain samples from an eval.json (tasks and continuations): the classifier's other side."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [s["base"] for s in data.get("samples", []) if s.get("base")]


def pool_of(run: Path, documents: list[dict[str, Any]]) -> list[str]:
    """The base pool eval uses (voice_metrics/base_pool.py): read from the cache, written when absent."""
    pair = load_run_models(run)
    with pair.use("base") as model:
        return base_pool(model, pair.tokenizer, [d for d in documents if d.get("split") == "train" and d.get("text")],
                         model_identity(Path(pair.info["base_path"])))


def cleaned(items: list[Any], outputs: list[str]) -> tuple[list[str], int]:
    """What the editor would put in the preview: the passage, or the draft when nothing usable came back."""
    read = node({"op": "clean", "items": [{"output": o, "draft": i.plain} for i, o in zip(items, outputs)]})
    texts = [r["text"] if r["text"] is not None else i.plain for i, r in zip(items, read)]
    return texts, sum(r["text"] is None for r in read)


PARAPHRASE = ("Rewrite this paragraph in plain, simple words. Keep every name, number and fact. "
              "Write only the new paragraph.\n\n{paragraph}")


def paraphrased(run: Path, items: list[Any], seed: int) -> list[Any]:
    """Each paragraph as the base model restates it (adapter off, the editor's cleanup cutting its chat);
    a paragraph it gave nothing usable for is left out."""
    import dataclasses

    from voice_draft_engine.canaries import Canary, generate

    pair = load_run_models(run)
    made = []
    with pair.use("base") as model:
        for i, item in enumerate(items):
            sampling = {"temperature": 0.7, "top_k": 40, "top_p": 1.0, "num_samples": 1, "seed": seed + 10_000 + i,
                        "max_new_tokens": 2 * len(pair.tokenizer(item.paragraph)["input_ids"]) + 32}
            made.append(generate(model, pair.tokenizer, Canary(item.id, PARAPHRASE.format(paragraph=item.paragraph),
                                                              sampling["max_new_tokens"]), None, sampling)[0])
    read = node({"op": "clean", "items": [{"output": o, "draft": i.paragraph} for i, o in zip(items, made)]})
    kept = [dataclasses.replace(i, plain=r["text"]) for i, r in zip(items, read) if r["text"]]
    print(f"paraphrased inputs: {len(kept)} of {len(items)} usable", file=sys.stderr)
    return kept


def pick_by_voice(items: list[Any], candidates: list[list[str]], probability: Any) -> list[str]:
    """Per paragraph, the candidate the voice score ranks first among those the content check does not flag."""
    out = []
    for item, options in zip(items, candidates):
        clean = [o for o in options if not content_kept(item.plain, o).flags] or options
        scores = probability(clean)
        out.append(clean[int(scores.argmax())])
    return out


def pct(v: Any) -> str:
    return "—" if v is None else f"{100 * v:.0f}%"


def num(v: Any) -> str:
    return "—" if v is None else f"{v:.2f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", action="append", required=True, help="LABEL=RUN_FOLDER of a trained voice (repeatable)")
    p.add_argument("--paragraphs", type=int, default=50)
    p.add_argument("--candidates", type=int, default=0, help="rewrites per paragraph ranked by the voice score (0: off)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--no-base-pool", dest="base_pool", action="store_false",
                   help="fit the classifier on the eval's base samples alone (as before the base pool)")
    p.add_argument("--base-samples", type=Path, help="an eval.json whose base samples fit the classifier (default: the first run's)")
    p.add_argument("--out", type=Path)
    p.add_argument("--inputs", choices=("destyled", "paraphrased"), default="destyled",
                   help="plain inputs: training's de-styling pass (keeps every fact and most words), or the base "
                        "model's paraphrase of each paragraph (plainer, unchecked: content is then measured against it)")
    p.add_argument("--reuse", type=Path, help="an earlier --out file: its generations (same paragraphs, labels, seed) are not redone")
    args = p.parse_args()
    runs = [(label, Path(path).resolve()) for label, path in (r.split("=", 1) for r in args.run)]
    first = runs[0][1]
    documents = read_jsonl(first / "dataset" / "documents.jsonl")
    items = rewrite_items(documents, args.paragraphs)
    templates = templates_of(first)
    if args.inputs == "paraphrased":
        items = paraphrased(first, items, args.seed)
    writer_texts = [d["text"] for d in documents if d.get("split") == "train" and d.get("text")]
    base_texts = base_samples(args.base_samples or first / "eval.json")
    pool = pool_of(first, documents) if args.base_pool else []
    print(f"{len(items)} held-out paragraphs from {len({i.doc for i in items})} essays "
          f"({args.paragraphs} asked for); classifier: {len(base_texts)} base samples and a base pool of "
          f"{len(pool)}", file=sys.stderr)
    base_texts += pool
    earlier = json.loads(args.reuse.read_text(encoding="utf-8")) if args.reuse else {}
    generated: dict[str, list[list[str]]] = {}
    if (earlier.get("items") == [i.id for i in items] and earlier.get("seed") == args.seed
            and earlier.get("inputs", "destyled") == args.inputs):
        generated.update(earlier.get("generated", {}))
    outputs: dict[str, list[str]] = {}
    picks: dict[str, list[str]] = {}
    timing: dict[str, float] = {}
    probability = fit_writer_classifier([q for t in writer_texts for q in paragraphs(t)],
                                        [q for t in base_texts for q in paragraphs(t)] or base_texts, args.seed)
    for k, (label, run) in enumerate(runs):
        pair = None
        for side in (["base"] if k == 0 else []) + ["tuned"]:
            name = side if side == "base" else label
            n = max(1, args.candidates) if side == "tuned" else 1
            made = generated.get(name)
            if made is None:  # an earlier run's generations are reused as they are (fewer candidates: no pick)
                pair = pair or load_run_models(run)
                started = time.monotonic()
                with pair.use(side) as model:
                    made = generate_rewrites(model, pair.tokenizer, templates, items, seed=args.seed, samples=n,
                                             progress=lambda i, w=name: print(f"  {w}: {i}/{len(items)}", file=sys.stderr)
                                             if i % 10 == 0 else None)
                timing[name] = round(time.monotonic() - started, 1)
                generated[name] = made
            else:
                timing[name] = earlier.get("timing", {}).get(name, 0.0)
                made = [m[:n] for m in made]
            outputs[name] = [m[0] for m in made]
            if side == "tuned" and args.candidates > 1 and all(len(m) >= args.candidates for m in made):
                picks[f"{label} best of {args.candidates}"] = pick_by_voice(items, made, probability)
    raw = score_rewrites(items, {**outputs, **picks}, writer_texts, base_texts, args.seed, args.inputs)
    clean: dict[str, list[str]] = {}
    kept_draft: dict[str, int] = {}
    for name, texts in {**outputs, **picks}.items():
        clean[name], kept_draft[name] = cleaned(items, texts)
    after = score_rewrites(items, clean, writer_texts, base_texts, args.seed, args.inputs)

    head = ["", "attributed to the writer", "mean P(writer)", "Delta to writer", "content kept (recall vs draft)",
            "flagged", "chat residue as written", "after the editor's cleanup: residue / attributed / kept draft",
            "length ×", "minutes"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    a, mp, d = raw["attributed"] or {}, raw["mean_probability"] or {}, raw["delta"] or {}
    for side in ["plain"] + list(outputs) + list(picks) + ["writer"]:
        c = raw["content"].get(side, {})
        r = raw["chat_residue"].get(side)
        res = f"{r['with_residue']}/{r['samples']}" if r else "—"
        ca = after["chat_residue"].get(side)
        cleaned_cell = (f"{ca['with_residue']}/{ca['samples']} / {pct((after['attributed'] or {}).get(side))} / "
                        f"{kept_draft[side]}") if ca else "—"
        label = {"plain": f"plain inputs ({args.inputs})", "writer": "the writer's own paragraphs"}.get(side, side)
        print(f"| {label} | {pct(a.get(side))} | {num(mp.get(side))} | {num(d.get(side) if isinstance(d, dict) else None)} | "
              f"{num(c.get('recall'))} | {pct(c.get('flagged_share'))} | {res} | {cleaned_cell} | "
              f"{num(raw['length_ratio'].get(side))} | {num(timing[side] / 60) if side in timing else '—'} |")
    if args.out:
        args.out.write_text(json.dumps({"raw": raw, "cleaned": after, "timing": timing, "kept_draft": kept_draft,
                                        "items": [i.id for i in items], "seed": args.seed, "generated": generated,
                                        "inputs": args.inputs,
                                        "runs": {label: str(run) for label, run in runs}}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

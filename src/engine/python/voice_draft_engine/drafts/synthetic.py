"""Synthetic T1 pairs for a run: which paragraphs, the plain drafts, the cache, the report.

Called by train.py before the batches are made (it needs the base model for a paraphrase):
- sources: paragraphs of MIN_WORDS+ words of the training documents (`split: "train"` in
  documents.jsonl; held-out documents never), in documents with no real T1 pair (real drafts
  win), taken in turns across documents so a cap spreads evenly;
- each gets a plain draft (destyle.py, and with `synthetic_drafts: "paraphrased"` the base
  model's restatement, paraphrase.py) kept only when checks.judge passes it;
- each kept draft becomes a T1 pair in the dataset's own shape, asked in the dataset's own
  rewrite wording (manifest.json `prompts`, written by src/core/dataset/prompts.ts), the
  writer's real paragraph as the answer (only inputs are made up: docs/architecture.md).
The drafts are cached per corpus, method and base model in the engine's cache
(`synthetic-drafts/<key>.json`), and written with the report to `<run>/synthetic-drafts.json`,
which a resumed run reads back so it trains on exactly the same pairs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import regex as re

from ..files import write_json
from ..paths import cache_root
from ..chat_residue import writer_patterns
from . import destyle as destyle_module
from .checks import judge
from .destyle import destyle

log = logging.getLogger(__name__)

FILE = "synthetic-drafts.json"
FORMAT = 1
METHODS = ("destyled", "paraphrased", "off")
MIN_WORDS = 20  # src/core/dataset/build.ts counts the same paragraphs for the data report
EXAMPLES = 5
SEED = 2020


@dataclass
class Source:
    doc: str
    index: int  # the paragraph's place in its document
    title: str
    paragraph: str


@dataclass
class Outcome:
    """What a run trains on and what the writer is shown."""

    pairs: list[dict[str, Any]]
    report: dict[str, Any]
    examples: list[dict[str, Any]] = field(default_factory=list)


def is_prose(paragraph: str) -> bool:
    """Twenty words of running prose: not a heading, a list of notes, or musical notation."""
    tokens = paragraph.split()
    wordy = sum(1 for t in tokens if re.fullmatch(r"[\"'“‘(]*\p{L}[\p{L}'’-]*[.,;:!?\"'”’)]*", t))
    return len(tokens) >= MIN_WORDS and wordy >= 0.8 * len(tokens)


def sources(documents: list[dict[str, Any]], train_examples: list[dict[str, Any]]) -> list[Source]:
    """The training documents' prose paragraphs, documents taking turns; none from a held-out
    document, none from a document that has a real draft (a T1 pair of its own)."""
    with_drafts = {str(e.get("doc")) for e in train_examples if e.get("tier") == "T1" and not e.get("synthetic")}
    per_doc: list[list[Source]] = []
    for d in sorted(documents, key=lambda d: str(d.get("doc"))):
        doc = str(d.get("doc", ""))
        if d.get("split") != "train" or doc in with_drafts or not d.get("text"):
            continue
        paras = [p.strip() for p in re.split(r"\n\s*\n", str(d["text"])) if p.strip()]
        picked = [Source(doc, i, str(d.get("title") or ""), p) for i, p in enumerate(paras) if is_prose(p)]
        if picked:
            per_doc.append(picked)
    out: list[Source] = []
    for i in range(max((len(p) for p in per_doc), default=0)):
        out += [p[i] for p in per_doc if i < len(p)]
    return out


def request(templates: dict[str, Any], index: int, title: str, draft: str, answer: str) -> list[dict[str, str]]:
    """The rewrite request in the dataset's own words: templates take turns (as the dataset builder
    varies them), skipping any whose fixed wording the answer itself contains."""
    options = templates.get("T1") or []
    for k in range(len(options)):
        t = options[(index + k) % len(options)]
        text = t["titled"] if title else t["untitled"]
        fixed = [p.strip(" \n\"().:,—-").lower() for p in re.split(r"\{title\}|\{draft\}", text)]
        if not any(len(p) >= 12 and p in answer.lower() for p in fixed):
            break
    user = re.sub(r"\{(title|draft)\}", lambda m: title if m.group(1) == "title" else draft, text)
    messages = [{"role": "user", "content": user}]
    if templates.get("system"):
        messages.insert(0, {"role": "system", "content": str(templates["system"])})
    return messages


def cache_key(method: str, model_id: str, items: list[Source]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([FORMAT, destyle_module.VERSION, method, model_id if method == "paraphrased" else ""]).encode())
    for s in items:
        h.update(s.paragraph.encode("utf-8") + b"\0")
    return h.hexdigest()[:24]


def model_identity(base_dir: Path | None) -> str:
    """The base model's files (names and sizes) and config: a changed model makes new paraphrases."""
    if base_dir is None:
        return ""
    parts = [str(base_dir.name)]
    config = base_dir / "config.json"
    if config.is_file():
        parts.append(hashlib.sha256(config.read_bytes()).hexdigest())
    parts += [f"{p.name}:{p.stat().st_size}" for p in sorted(base_dir.glob("*.safetensors"))]
    return "|".join(parts)


Progress = Callable[[dict[str, Any]], None]


def make_drafts(items: list[Source], method: str, *, model: Any = None, tokenizer: Any = None, writer_texts: list[str],
                progress: Progress | None = None, should_stop: Callable[[], bool] = lambda: False
                ) -> list[dict[str, Any]] | None:
    """Per source: {plain, kept, reason, recall, changed, restated (sentences), sentences}; None when stopped."""
    patterns = writer_patterns(writer_texts)
    plain = [destyle(s.paragraph) for s in items]
    restated_counts = [0] * len(items)
    sentence_counts = [0] * len(items)
    if method == "paraphrased" and model is not None and items:
        from .paraphrase import merge, restate, sentences

        split = [sentences(p) for p in plain]
        flat = [s for ss in split for s in ss]
        started = time.monotonic()

        def on_batch(done: int) -> bool:
            if progress is not None:
                spent = time.monotonic() - started
                progress({"stage": "paraphrase", "done": done, "total": len(flat),
                          "eta_s": round(spent / max(1, done) * (len(flat) - done), 1)})
            return not should_stop()

        new = restate(model, tokenizer, flat, SEED, on_batch)
        if new is None:
            return None
        at = 0
        for i, ss in enumerate(split):
            plain[i], restated_counts[i] = merge(ss, new[at:at + len(ss)], patterns)
            sentence_counts[i] = len(ss)
            at += len(ss)
    out = []
    for s, p, r, n in zip(items, plain, restated_counts, sentence_counts):
        v = judge(s.paragraph, p, patterns)
        out.append({"plain": p, "kept": v.kept, "reason": v.reason, "recall": round(v.recall, 3),
                    "changed": round(v.changed, 3), "restated": r, "sentences": n})
    return out


def synthetic_drafts(run_dir: Path, dataset: Any, method: str, cap: int | None, *, model: Any = None,
                     tokenizer: Any = None, base_dir: Path | None = None, resumed: bool = False, write: bool = True,
                     progress: Progress | None = None, should_stop: Callable[[], bool] = lambda: False
                     ) -> Outcome | None:
    """The run's synthetic T1 pairs and their report (written to `<run>/synthetic-drafts.json`);
    None when a stop was asked for while making them. `write`: this process writes the run's file
    (rank 0 of several; the others are called `resumed` and read it)."""
    started = time.monotonic()
    path = run_dir / FILE
    if resumed and path.is_file():  # the interrupted run's very pairs
        saved = json.loads(path.read_text(encoding="utf-8"))
        return Outcome(saved.get("pairs", []), saved.get("report", {}), saved.get("examples", []))
    templates = _templates(run_dir / "dataset" / "manifest.json")
    all_sources = sources(dataset.documents, dataset.train)
    report: dict[str, Any] = {"method": method, "eligible": len(all_sources), "cap": cap, "tried": 0, "kept": 0,
                              "rejected": {}, "seconds": 0.0, "cached": False, "restated_sentences": None}
    if method == "off" or not all_sources or templates is None:
        report["skipped"] = ("turned off (synthetic_drafts: \"off\")" if method == "off"
                             else "no training paragraph of 20+ words in an essay without a real draft" if not all_sources
                             else "the dataset was built before synthetic drafts: build it again")
        outcome = Outcome([], report)
        if write:
            _save(path, outcome)
        return outcome
    items = all_sources[:cap] if cap is not None else all_sources
    key = cache_key(method, model_identity(base_dir), items)
    cache = cache_root() / "synthetic-drafts" / f"{key}.json"
    made = _read_cache(cache, len(items))
    if made is None:
        if progress is not None:
            progress({"stage": method, "done": 0, "total": len(items), "eta_s": None})
        made = make_drafts(items, method, model=model, tokenizer=tokenizer, progress=progress, should_stop=should_stop,
                           writer_texts=[str(d.get("text", "")) for d in dataset.documents if d.get("split") == "train"])
        if made is None:
            return None
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_json(cache, {"format": FORMAT, "key": key, "drafts": made})
    else:
        report["cached"] = True
    pairs, examples = [], []
    for i, (s, m) in enumerate(zip(items, made)):
        if not m["kept"]:
            report["rejected"][m["reason"]] = report["rejected"].get(m["reason"], 0) + 1
            continue
        pairs.append({"id": f"{s.doc}#T1s-{s.index}", "doc": s.doc, "tier": "T1", "synthetic": method,
                      "messages": request(templates, i, s.title, m["plain"], s.paragraph)
                      + [{"role": "assistant", "content": s.paragraph}]})
        if len(examples) < EXAMPLES:
            examples.append({"doc": s.doc, "paragraph": s.paragraph, "plain": m["plain"], "recall": m["recall"],
                             "changed": m["changed"]})
    report.update(tried=len(items), kept=len(pairs), seconds=round(time.monotonic() - started, 2),
                  # A few, short, for the train.started event and the dashboard; the file has them whole.
                  examples=[{"plain": e["plain"][:300], "paragraph": e["paragraph"][:300], "doc": e["doc"]}
                            for e in examples[:3]])
    if method == "paraphrased":
        report["restated_sentences"] = {"restated": sum(m["restated"] for m in made),
                                        "sentences": sum(m["sentences"] for m in made)}
    outcome = Outcome(pairs, report, examples)
    if write:
        _save(path, outcome)
    return outcome


def _templates(manifest: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    prompts = data.get("prompts") if isinstance(data, dict) else None
    if not isinstance(prompts, dict) or not prompts.get("T1"):
        return None
    return prompts


def _read_cache(path: Path, expected: int) -> list[dict[str, Any]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    drafts = data.get("drafts") if isinstance(data, dict) else None
    return drafts if isinstance(drafts, list) and len(drafts) == expected else None


def _save(path: Path, outcome: Outcome) -> None:
    write_json(path, {"format": FORMAT, "report": outcome.report, "examples": outcome.examples, "pairs": outcome.pairs})

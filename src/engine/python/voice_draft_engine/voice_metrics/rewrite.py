"""The rewrite, measured (issue #20): held-out paragraphs made plain, rewritten, and scored.

Each held-out prose paragraph (documents take turns) gets its plain draft (drafts/destyle.py:
the same pass training uses, so nothing is invented and nothing of the writer's facts is lost)
and each model is asked to rewrite it exactly as the editor asks (the dataset's first rewrite
wording, manifest.json `prompts`, through the chat template; sampled at the editor's rewrite
settings). Scores, per side (`plain` inputs, `base` and `tuned` rewrites, the `writer`'s own
paragraphs):
- attributed: share a writer-vs-base classifier (attribution.fit_writer_classifier: the
  writer's training paragraphs against the base model's plain samples) takes for the writer;
- delta: Burrows' Delta of the pooled texts to the writer's corpus (lower: closer);
- content: content-word recall and chrF against the draft and the share flagged
  (../content_kept.py, the editor's own check), also the recall against the writer's original;
- chat_residue: share of outputs with chat talk (../chat_residue.py), as the model wrote them;
- length_ratio: median output words / draft words.
Outputs are scored as the model wrote them (the editor's cleanup, src/inference/rewriteCleanup.ts,
would cut preamble and commentary; bench/rewrite_voice.py reports both).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import regex as re

from ..drafts.destyle import destyle
from ..drafts.synthetic import is_prose, request
from .attribution import fit_writer_classifier, paragraphs
from ..chat_residue import chat_residue
from ..content_kept import content_kept
from ..editor_sampling import REWRITE
from .stylometry import DeltaSpace, word_count



@dataclass
class RewriteItem:
    id: str
    doc: str
    title: str
    paragraph: str  # the writer's own
    plain: str  # its plain draft: what the model is asked to rewrite


def rewrite_items(documents: list[dict[str, Any]], limit: int) -> list[RewriteItem]:
    """Held-out prose paragraphs (training documents never), documents taking turns."""
    per_doc: list[list[RewriteItem]] = []
    for d in sorted(documents, key=lambda d: str(d.get("doc"))):
        if d.get("split") != "val" or not d.get("text"):
            continue
        paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", str(d["text"])) if p.strip()]
        items = [RewriteItem(f"{d.get('doc')}#p{i}", str(d.get("doc")), str(d.get("title") or ""), p, destyle(p))
                 for i, p in enumerate(paras) if is_prose(p)]
        if items:
            per_doc.append(items)
    turns = [p[i] for i in range(max((len(p) for p in per_doc), default=0)) for p in per_doc if i < len(p)]
    return turns[:limit]


def rewrite_messages(templates: dict[str, Any], item: RewriteItem) -> list[dict[str, str]]:
    """The editor's request (src/inference/prompt.ts buildRewritePrompt): the first T1 wording."""
    first = {"system": templates.get("system"), "T1": (templates.get("T1") or [])[:1]}
    return request(first, 0, item.title, item.plain, "")


def generate_rewrites(model: Any, tokenizer: Any, templates: dict[str, Any], items: Sequence[RewriteItem], *,
                      seed: int, samples: int = 1, progress: Callable[[int], None] | None = None) -> list[list[str]]:
    """`samples` rewrites per item (item i under seed + i), each capped near twice its draft's length."""
    from ..canaries import Canary, generate_many

    asked = []
    for i, item in enumerate(items):
        messages = rewrite_messages(templates, item)
        draft_tokens = len(tokenizer(item.plain, add_special_tokens=False)["input_ids"])
        # Drawn as the editor's rewrite is (editor_sampling.REWRITE): what a writer gets.
        sampling = {"temperature": REWRITE.temperature, "top_k": REWRITE.top_k, "top_p": REWRITE.top_p,
                    "repetition_penalty": REWRITE.repetition_penalty, "num_samples": samples, "seed": seed + i,
                    "max_new_tokens": min(600, 2 * draft_tokens + 32)}
        system = next((m["content"] for m in messages if m["role"] == "system"), None)
        user = next(m["content"] for m in messages if m["role"] == "user")
        asked.append((Canary(item.id, user, sampling["max_new_tokens"]), system, sampling))
    return generate_many(model, tokenizer, asked, progress=progress)


def score_rewrites(items: Sequence[RewriteItem], outputs: dict[str, list[str]], writer_texts: list[str],
                   base_texts: list[str], seed: int = 0, inputs: str = "destyled") -> dict[str, Any]:
    """The section's figures for each side in `outputs` (e.g. base, tuned: one text per item);
    `inputs` names how the items' plain drafts were made."""
    writer_paras = [p for t in writer_texts for p in paragraphs(t)]
    base_paras = [p for t in base_texts for p in paragraphs(t)] or [t for t in base_texts if t.strip()]
    sides: dict[str, list[str]] = {"plain": [i.plain for i in items], **outputs, "writer": [i.paragraph for i in items]}
    report: dict[str, Any] = {"inputs": inputs, "paragraphs": len(items),
                              "attributed": {}, "mean_probability": {}, "delta": {}}
    if len(writer_paras) >= 2 and len(base_paras) >= 2:
        probability = fit_writer_classifier(writer_paras, base_paras, seed)
        for side, texts in sides.items():
            p = probability([t if t.strip() else "." for t in texts])
            report["attributed"][side] = round(float((p >= 0.5).mean()), 4)
            report["mean_probability"][side] = round(float(p.mean()), 4)
        report["classifier"] = {"writer_paragraphs": len(writer_paras), "base_paragraphs": len(base_paras)}
    else:
        report["attributed"] = None
        report["skipped"] = f"too few paragraphs to fit the classifier (writer {len(writer_paras)}, base {len(base_paras)})"
    try:
        space = DeltaSpace.fit(writer_texts)
        report["delta"] = {side: _round(space.delta([t for t in texts if t.strip()] or ["."])) for side, texts in sides.items()}
    except ValueError as e:
        report["delta"] = {"skipped": str(e)}
    report["content"] = {}
    for side, texts in outputs.items():
        checks = [content_kept(i.plain, t) for i, t in zip(items, texts)]
        report["content"][side] = {
            "recall": _mean([c.recall for c in checks]), "chrF": _mean([c.chrf for c in checks]),
            "flagged_share": _mean([1.0 if c.flags else 0.0 for c in checks]),
            "recall_of_original": _mean([content_kept(i.paragraph, t).recall for i, t in zip(items, texts)]),
        }
    report["chat_residue"] = {side: chat_residue(texts, writer_texts).as_json() for side, texts in outputs.items()}
    report["length_ratio"] = {side: _round(statistics.median(word_count(t) / max(1, word_count(i.plain))
                                                             for i, t in zip(items, texts)) if texts else None)
                              for side, texts in outputs.items()}
    report["samples"] = [{"id": i.id, "doc": i.doc, "paragraph": i.paragraph, "plain": i.plain,
                          **{side: texts[k] for side, texts in outputs.items()}} for k, i in enumerate(items)]
    return report


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def rewrite_section(pair: Any, dataset_dir: Any, documents: list[dict[str, Any]], limit: int, seed: int,
                    writer_texts: list[str], base_texts: list[str],
                    progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """eval.json's `rewrite`: `limit` held-out paragraphs rewritten by the base model and the voice, scored."""
    import json
    from pathlib import Path

    try:
        manifest = json.loads((Path(dataset_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    templates = manifest.get("prompts") if isinstance(manifest, dict) else None
    if not isinstance(templates, dict) or not templates.get("T1"):
        return {"skipped": "the dataset was built before the rewrite wording was written into manifest.json: build it again"}
    items = rewrite_items(documents, limit)
    if not items:
        return {"skipped": "the held-out essays have no prose paragraph of 20+ words"}
    outputs: dict[str, list[str]] = {}
    for k, side in enumerate(("base", "tuned")):
        def report(done: int, k: int = k, side: str = side) -> None:
            if progress is not None:
                progress((k * len(items) + done) / (2 * len(items)), f"rewriting held-out paragraphs with the {side} model "
                                                                     f"({done}/{len(items)})")
        with pair.use(side) as model:
            outputs[side] = [s[0] for s in generate_rewrites(model, pair.tokenizer, templates, items, seed=seed,
                                                             progress=report)]
    return score_rewrites(items, outputs, writer_texts, base_texts, seed)


def rewrite_summary(section: dict[str, Any] | None) -> dict[str, Any]:
    """eval.json summary keys for the rewrite (null when the section was skipped)."""
    s = section or {}
    attributed = s.get("attributed") or {}
    content = s.get("content") or {}
    residue = s.get("chat_residue") or {}
    return {
        "rewrite_attributed": attributed.get("tuned"),
        "rewrite_attributed_base": attributed.get("base"),
        "rewrite_attributed_plain": attributed.get("plain"),
        "rewrite_content_recall": (content.get("tuned") or {}).get("recall"),
        "rewrite_chat_residue": (residue.get("tuned") or {}).get("share"),
        "rewrite_chat_residue_base": (residue.get("base") or {}).get("share"),
    }

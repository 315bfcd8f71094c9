"""`eval --run DIR`: base vs tuned on the run's held-out documents, written to eval.json.

Stages (each an `eval.progress` event): load the run, score the held-out text
(perplexity), generate (fixed seeds) from two kinds of prompt made of the held-out
documents, then the model-free scores (stylometry, attribution, habits, chat residue,
length) for each kind:

- tasks: the held-out documents' titles and openings (T2/T3/T4), asked the way the run
  was trained (its framing: a document to continue, or the chat template);
- continuations: the essay before a paragraph boundary as plain text, as ghost text
  asks, each sample cut at its first paragraph break and set beside the writer's own
  next paragraph (`continuation` in eval.json). eval.json is written atomically at the end, so a cancelled or
failed evaluation never leaves a half-written file over a good one; the stream
ends with `eval.done {path, summary}` or `error`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import statistics
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

from ..checkpoint import write_json
from ..framing import document_prompt, opening_of, titles_by_doc
from ..protocol import EngineError, EventSink
from . import generation
from .attribution import attribute, paragraphs
from .base_pool import base_pool
from ..drafts.synthetic import model_identity
from ..chat_residue import chat_residue
from .continuations import (ContinuationPrompt, body_paragraph_words, continuation_prompts, more_continuations_wanted,
                            sample_continuations)
from .bootstrap import DEFAULT_CONFIDENCE
from .habits import HABITS, habit_rates, length_report
from .rewrite import rewrite_section, rewrite_summary
from .settings import EvalSettings
from .perplexity import perplexity_report, score_documents, token_ids
from .stylometry import delta_words, delta_words_needed, style_report, word_count
from ..events import EvalDone, EvalProgress

log = logging.getLogger(__name__)

EVAL_FORMAT = 1


class Cancelled(Exception):
    pass


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise Cancelled()


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass
class Prompt:
    id: str
    doc: str
    tier: str  # the tier whose shape the prompt has (T2/T4: from a title, T3: from an opening)
    messages: list[dict[str, str]]
    user: str  # the user's words: shown with the samples, and they decide whether an "I" in the answer is invented
    # The plain framing's prompt (framing.py): the document the model continues; None asks `messages`.
    document: str | None = None

    @property
    def asked(self) -> list[dict[str, str]] | str:
        return self.document if self.document is not None else self.messages


def held_out_prompts(val_pairs: list[dict[str, Any]], limit: int, titles: dict[str, str] | None = None,
                     framing: str = "chat") -> list[Prompt]:
    """Prompts from the held-out documents' own pairs: titles (T2/T4) and openings (T3).

    The dataset builder already wrote them in the exact shape training used,
    system message included; the writer's answer is dropped. Documents take
    turns, and titles alternate with openings, so a small `limit` still covers
    several documents and both kinds.
    """
    by_kind: dict[str, list[Prompt]] = {"title": [], "opening": []}
    for pair in sorted(val_pairs, key=lambda p: str(p.get("id"))):
        tier = pair.get("tier")
        messages = pair.get("messages")
        if tier not in ("T2", "T3", "T4") or not isinstance(messages, list) or not messages:
            continue
        prompt_messages = [m for m in messages if m.get("role") != "assistant"]
        user = " ".join(m.get("content", "") for m in prompt_messages if m.get("role") == "user")
        kind = "opening" if tier == "T3" else "title"
        document = None
        if framing == "plain":  # asked as training asked it: the start of the document
            title = (titles or {}).get(str(pair.get("doc", "")))
            document = document_prompt(title, opening_of(pair) if tier == "T3" else "")
            user = document
        by_kind[kind].append(Prompt(str(pair["id"]), str(pair.get("doc", "")), tier, prompt_messages, user, document))
    out: list[Prompt] = []
    titles, openings = by_kind["title"], by_kind["opening"]
    for i in range(max(len(titles), len(openings))):
        for bucket in (titles, openings):
            if i < len(bucket) and len(out) < limit:
                out.append(bucket[i])
    return out


def _writer_lengths(train_pairs: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Words of the writer's answers per tier: what a prompt of that tier should get back."""
    out: dict[str, list[int]] = {}
    for pair in train_pairs:
        messages = pair.get("messages")
        if isinstance(messages, list) and messages and messages[-1].get("role") == "assistant":
            out.setdefault(str(pair.get("tier")), []).append(word_count(messages[-1].get("content", "")))
    return out


class Progress:
    """`eval.progress` events; percent is the share of the stages' estimated work (generation dominates).
    It never goes back: when a stage finds more to do (continuations topped up), it waits there."""

    WEIGHTS = {"load": 5, "perplexity": 20, "generate": 50, "rewrite": 15, "scores": 10}

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self.percent = 0.0

    def stage(self, stage: str, fraction: float, message: str) -> None:
        names = list(self.WEIGHTS)
        before = sum(self.WEIGHTS[s] for s in names[:names.index(stage)])
        self.percent = max(self.percent, before + self.WEIGHTS[stage] * min(max(fraction, 0.0), 1.0))
        self.sink.emit(EvalProgress(stage=stage, message=message, percent=round(self.percent, 1)))


def run_eval(sink: EventSink, run_dir: str | os.PathLike[str], settings: EvalSettings | None = None) -> int:
    run = Path(run_dir).resolve()
    settings = settings or EvalSettings()
    # Cancel from the client is SIGTERM; Ctrl-C in a terminal is SIGINT: both stop cleanly.
    previous = {s: signal.signal(s, _on_sigterm) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        summary, path = evaluate(sink, run, settings)
    except Cancelled:
        sink.error("cancelled", "Evaluation cancelled; eval.json was left as it was.", "")
        return 1
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    sink.emit(EvalDone(path=str(path), summary=summary))
    return 0


def evaluate(sink: EventSink, run: Path, settings: EvalSettings) -> tuple[dict[str, Any], Path]:
    started = time.monotonic()
    if settings.temperature <= 0:  # greedy: a second sample of a prompt would be a copy of the first
        settings = replace(settings, samples=1)
    progress = Progress(sink)
    if not run.is_dir():
        raise EngineError("run_not_found", f"No run folder at {run}.", "Pick a run folder (it holds config.json and dataset/).")
    sink.attach_run(run)
    dataset = run / "dataset"
    documents = _read_jsonl(dataset / "documents.jsonl")
    if not documents:
        raise EngineError("no_documents", f"{dataset / 'documents.jsonl'} is missing or empty.",
                          "Evaluation needs the dataset's documents.jsonl: rebuild the dataset with this version.")
    writer_texts = [d["text"] for d in documents if d.get("split") == "train" and d.get("text")]
    # Held-out documents by id: the stylometry floor is cut from the document each prompt came from.
    heldout_docs = {str(d.get("doc") or f"#{i}"): d["text"] for i, d in enumerate(documents)
                    if d.get("split") == "val" and d.get("text")}
    heldout_texts = list(heldout_docs.values())
    if not heldout_texts or not writer_texts:
        raise EngineError("no_heldout", "The dataset has no held-out (or no training) documents to evaluate on.",
                          "Raise voiceDraft.data.validationRatio or add essays, then rebuild the dataset.")
    framing = _run_framing(run)
    prompts = held_out_prompts(_read_jsonl(dataset / "val.jsonl"), settings.prompts, titles_by_doc(documents), framing)
    # In the order they are asked: the first continuation_prompts, then more where Delta needs them.
    cont_available = continuation_prompts([d for d in documents if d.get("split") == "val" and d.get("text")],
                                          max(settings.continuation_prompts, settings.continuation_prompts_max))
    cont_prompts = cont_available[:settings.continuation_prompts]
    if not prompts:
        raise EngineError("no_prompts", "The held-out documents have no title or opening pairs (T2/T3/T4) to prompt with.",
                          "Add longer essays, or raise voiceDraft.data.validationRatio, then rebuild the dataset.")

    progress.stage("load", 0.0, "loading the base model and the run's adapter")
    pair = generation.load_run_models(run, sink)
    tokenizer, model_info = pair.tokenizer, pair.info
    progress.stage("load", 1.0, f"loaded {model_info['base_model']} and the run's {model_info['tuned']} on {model_info['device']}")

    # ---- perplexity of the writer's unseen text
    docs = token_ids(tokenizer, heldout_texts, settings.perplexity_tokens)
    scored = 0

    def ppl_progress(which: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            nonlocal scored
            scored += 1
            progress.stage("perplexity", scored / (2 * total), f"scoring held-out text with the {which} model ({done}/{total})")
        return report

    with pair.use("base") as model:
        base_scores = score_documents(model, docs, settings.context, settings.stride, ppl_progress("base"))
    with pair.use("tuned") as model:
        tuned_scores = score_documents(model, docs, settings.context, settings.stride, ppl_progress("tuned"))
    perplexity = perplexity_report(base_scores, tuned_scores, settings.resamples, settings.seed)

    # ---- generation, same prompts and seeds for both
    total = 2 * settings.samples * (len(prompts) + len(cont_prompts))
    made = 0

    def gen_progress(which: str, n: int) -> None:
        nonlocal made
        made += n
        progress.stage("generate", made / total, f"writing with the {which} model ({made}/{total} samples)")

    def continue_openings(model: Any, which: str, openings: list[ContinuationPrompt], first: int = 0) -> list[Any]:
        """Plain continuations of `openings`, the `first`-th of all asked onwards (seeds follow the index)."""
        return sample_continuations(
            model, tokenizer, openings, samples=settings.samples, seed=settings.seed, first=first,
            max_new_tokens=settings.continuation_tokens, warp=settings.warp, max_prompt_tokens=settings.max_prompt_tokens,
            progress=lambda n: gen_progress(which, n))

    outputs: dict[str, list[generation.Sample]] = {}
    continued: dict[str, list[Any]] = {}
    pool: list[str] = []
    for which in ("base", "tuned"):
        with pair.use(which) as model:
            if which == "base" and settings.base_pool > 0:
                pool = base_pool(model, tokenizer, [d for d in documents if d.get("split") == "train" and d.get("text")],
                                 model_identity(Path(model_info["base_path"])), prompts=settings.base_pool,
                                 progress=lambda done, n: progress.stage(
                                     "generate", 0.0, f"the base model's own writing, for attribution ({done}/{n} openings)"))
            outputs[which] = generation.sample_prompts(
                model, tokenizer, [p.asked for p in prompts], samples=settings.samples, seed=settings.seed,
                max_new_tokens=settings.max_new_tokens, warp=settings.warp, max_prompt_tokens=settings.max_prompt_tokens,
                progress=lambda n, w=which: gen_progress(w, n))
            continued[which] = continue_openings(model, which, cont_prompts)

    # Continuations too short for a Delta to be trusted (a writer of short notes): more openings,
    # unless the held-out text itself is too short to be the floor of a trusted Delta.
    needed = delta_words_needed(writer_texts, settings.mfw)
    if needed is not None and sum(map(word_count, heldout_texts)) < needed:
        needed = None
    while needed is not None:
        words = delta_words(heldout_docs, [s.text for s in continued["base"]], [s.text for s in continued["tuned"]],
                            [cont_prompts[s.prompt].doc for s in continued["tuned"]])
        more = more_continuations_wanted(words, needed, len(cont_prompts), len(cont_available),
                                         settings.continuation_prompts_max)
        if more == 0:
            break
        batch = cont_available[len(cont_prompts):len(cont_prompts) + more]
        total += 2 * settings.samples * len(batch)
        progress.stage("generate", made / total, f"continuations hold {words} words per side and a trusted Delta needs "
                                                 f"{needed}: continuing {len(batch)} more openings")
        for which in ("base", "tuned"):
            with pair.use(which) as model:
                continued[which] += continue_openings(model, which, batch, first=len(cont_prompts))
        cont_prompts = cont_prompts + batch

    base_texts = [s.text for s in outputs["base"]] + [s.text for s in continued["base"]]
    # The rewrite (issue #20): held-out paragraphs made plain, rewritten by each model as the editor asks.
    rewrite = (rewrite_section(pair, dataset, documents, settings.rewrite_paragraphs, settings.seed, writer_texts,
                               base_texts + pool, lambda f, m: progress.stage("rewrite", f, m))
               if settings.rewrite_paragraphs > 0 else {"skipped": "--rewrite-paragraphs 0"})
    progress.stage("scores", 0.0, "stylometry, attribution and habits")
    report = _scores(prompts, outputs, writer_texts, heldout_docs, _read_jsonl(dataset / "train.jsonl"), settings, progress,
                     base_texts, pool)
    report["perplexity"] = perplexity
    report["rewrite"] = rewrite
    report["continuation"] = _continuation_scores(cont_prompts, continued, writer_texts, heldout_docs, settings, base_texts,
                                                  pool)
    report["samples"] = [
        {"prompt_id": prompts[s.prompt].id, "mode": "task", "tier": prompts[s.prompt].tier, "seed": s.seed,
         "prompt": prompts[s.prompt].user[:400],
         "base": outputs["base"][i].text, "tuned": outputs["tuned"][i].text}
        for i, s in enumerate(outputs["tuned"])
    ] + [
        {"prompt_id": cont_prompts[s.prompt].id, "mode": "continuation", "tier": "continuation", "seed": s.seed,
         "prompt": cont_prompts[s.prompt].opening[-400:], "reference": cont_prompts[s.prompt].reference,
         "base": continued["base"][i].text, "tuned": continued["tuned"][i].text}
        for i, s in enumerate(continued["tuned"])
    ]
    summary = _summary(report)
    out = {
        "format": EVAL_FORMAT,
        "summary": summary,
        "perplexity": perplexity,
        "stylometry": report["stylometry"],
        "attribution": report["attribution"],
        "habits": report["habits"],
        "length": report["length"],
        "chat_residue": report["chat_residue"],
        "continuation": report["continuation"],
        "rewrite": report["rewrite"],
        "settings": {**asdict(settings), "confidence": DEFAULT_CONFIDENCE, "model": model_info, "framing": framing,
                     "prompts_used": len(prompts), "continuations_used": len(cont_prompts),
                     "continuation_words_needed": needed,
                     "heldout_documents": len(heldout_texts),
                     "writer_documents": len(writer_texts)},
        "samples": report["samples"],
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.monotonic() - started, 1),
    }
    path = run / "eval.json"
    # Temp file + rename: readers never see half a file. A cancel arriving during these
    # milliseconds (SIGTERM from the editor, Ctrl-C in a terminal) is ignored rather than
    # leaving the temp file behind or saying the old eval.json was kept when it was replaced.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    write_json(path, _finite(out))
    progress.stage("scores", 1.0, "eval.json written")
    return summary, path


def _scores(prompts: list[Prompt], outputs: dict[str, list[generation.Sample]], writer_texts: list[str],
            heldout_docs: dict[str, str], train_pairs: list[dict[str, Any]], settings: EvalSettings,
            progress: Progress, base_texts: list[str], pool: list[str]) -> dict[str, Any]:
    texts = {k: [s.text for s in v] for k, v in outputs.items()}

    # Stylometry on matched lengths: each base/tuned pair cut to the shorter side, the
    # floor cut from the held-out document the prompt came from (stylometry.style_report).
    try:
        stylometry = style_report(writer_texts, heldout_docs, texts["base"], texts["tuned"],
                                  sources=[prompts[s.prompt].doc for s in outputs["tuned"]], n_words=settings.mfw,
                                  resamples=settings.resamples, seed=settings.seed)
    except ValueError as e:  # a corpus too small to give word frequencies a spread
        stylometry = {"skipped": str(e), "gap_closed": None, "reliable": False, "unreliable_reason": str(e)}
    progress.stage("scores", 0.3, "attribution classifier")

    attribution = _attribution(writer_texts, heldout_docs, texts, settings, base_texts, pool)
    progress.stage("scores", 0.8, "habits and length")

    # Habits: per habit, base vs tuned with the writer's own rate beside them.
    user_words = [prompts[s.prompt].user for s in outputs["tuned"]]
    rates = {
        "base": habit_rates(texts["base"], user_words),
        "tuned": habit_rates(texts["tuned"], user_words),
        "writer": habit_rates(writer_texts),
    }
    habits = {h: {k: rates[k][h] for k in ("base", "tuned", "writer")} for h in HABITS}
    habits["words"] = {k: rates[k]["words"] for k in ("base", "tuned", "writer")}
    habits["counts"] = {k: rates[k]["counts"] for k in ("base", "tuned", "writer")}

    # Length per tier against the writer's median answer for that tier.
    writer_lengths = _writer_lengths(train_pairs)
    length: dict[str, Any] = {}
    for tier in sorted({p.tier for p in prompts}):
        picks = [i for i, s in enumerate(outputs["tuned"]) if prompts[s.prompt].tier == tier]
        rep = {k: length_report([outputs[k][i].text for i in picks], writer_lengths.get(tier, []),
                                settings.max_new_tokens, [outputs[k][i].truncated for i in picks])
               for k in ("base", "tuned")}
        length[tier] = {
            "writer_median_words": rep["tuned"]["writer_median_words"],
            "median_words": {"base": rep["base"]["median_words"], "tuned": rep["tuned"]["median_words"]},
            "ratio_to_writer": {"base": rep["base"]["ratio"], "tuned": rep["tuned"]["ratio"]},
            "truncated_share": {"base": rep["base"]["truncated_share"], "tuned": rep["tuned"]["truncated_share"]},
            "samples": rep["tuned"]["samples"],
        }
    residue = {k: chat_residue(texts[k], writer_texts).as_json() for k in ("base", "tuned")}
    return {"stylometry": stylometry, "attribution": attribution, "habits": habits, "length": length,
            "chat_residue": residue}


def _attribution(writer_texts: list[str], heldout_docs: dict[str, str], texts: dict[str, list[str]],
                 settings: EvalSettings, base_texts: list[str], pool: list[str]) -> dict[str, Any]:
    """Tuned paragraphs attributed by a writer-vs-base classifier. Its base side is every
    base sample of the evaluation (tasks and continuations) and the base pool (base_pool.py):
    fitted on one kind's ~20 paragraphs alone, it took 60% of the base model's own
    continuations for MacDowell's (cross-validated) against 23-31% with both kinds, and a floor
    that high says little. The floor is measured on the evaluation's own base paragraphs."""
    writer_paras = [p for t in writer_texts for p in paragraphs(t)]
    heldout_paras = [p for t in heldout_docs.values() for p in paragraphs(t)]
    base_paras = [p for t in base_texts for p in paragraphs(t)]
    tuned_paras = [p for t in texts["tuned"] for p in paragraphs(t)]
    counts = {"writer": len(writer_paras), "base": len(base_paras), "tuned": len(tuned_paras)}
    if min(counts.values()) < settings.min_paragraphs:
        # A classifier fitted on a handful of paragraphs reports noise: say why instead.
        return {"tuned_share": None, "paragraphs": counts,
                "skipped": f"too few paragraphs of 40+ words (writer {counts['writer']}, base {counts['base']}, "
                           f"tuned {counts['tuned']}; {settings.min_paragraphs} each needed): "
                           "raise --samples or --max-new-tokens"}
    return attribute(writer_paras, base_paras, tuned_paras, heldout_paras, seed=settings.seed,
                     resamples=settings.resamples, pool_paragraphs=[p for t in pool for p in paragraphs(t)]).as_json()


def _continuation_scores(prompts: list[ContinuationPrompt], samples: dict[str, list[Any]], writer_texts: list[str],
                         heldout_docs: dict[str, str], settings: EvalSettings, base_texts: list[str],
                         pool: list[str]) -> dict[str, Any]:
    """Ghost text's own figures: stylometry, attribution, chat residue and paragraph length of
    the plain continuations, the writer's own next paragraphs beside them."""
    texts = {k: [s.text for s in v] for k, v in samples.items()}
    if not prompts:
        return {"skipped": "the held-out documents have no paragraph of 25+ words after another"}
    try:
        stylometry = style_report(writer_texts, heldout_docs, texts["base"], texts["tuned"],
                                  sources=[prompts[s.prompt].doc for s in samples["tuned"]], n_words=settings.mfw,
                                  resamples=settings.resamples, seed=settings.seed)
    except ValueError as e:
        stylometry = {"skipped": str(e), "gap_closed": None, "reliable": False, "unreliable_reason": str(e)}
    writer_paragraphs = body_paragraph_words(list(heldout_docs.values()))
    references = [word_count(prompts[s.prompt].reference) for s in samples["tuned"]]
    lengths = {k: length_report(texts[k], writer_paragraphs, settings.continuation_tokens, [s.truncated for s in v])
               for k, v in samples.items()}
    return {
        "stylometry": stylometry,
        "attribution": _attribution(writer_texts, heldout_docs, texts, settings, base_texts, pool),
        "chat_residue": {k: chat_residue(texts[k], writer_texts).as_json() for k in ("base", "tuned")},
        "length": {"writer_median_words": lengths["tuned"]["writer_median_words"],
                   "reference_median_words": statistics.median(references) if references else None,
                   "median_words": {k: lengths[k]["median_words"] for k in lengths},
                   "ratio_to_writer": {k: lengths[k]["ratio"] for k in lengths},
                   "truncated_share": {k: lengths[k]["truncated_share"] for k in lengths},
                   "samples": lengths["tuned"]["samples"]},
    }


def _run_framing(run: Path) -> str:
    """How the run was trained to be asked (config.json's framing; runs from before it: chat)."""
    try:
        config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "chat"
    return config.get("framing", "chat") if isinstance(config, dict) else "chat"


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    """A few headline numbers for the dashboard header, status messages and the CLI."""
    p, s, a, h = report["perplexity"], report["stylometry"], report["attribution"], report["habits"]
    c = report["continuation"]

    def habit_total(which: str) -> float | None:
        values = [h[k][which] for k in ("hashtags", "calls_to_action", "stock_phrases")]
        return None if any(v is None for v in values) else round(sum(values), 3)

    return {
        "perplexity_base": p["base"],
        "perplexity_tuned": p["tuned"],
        "delta_base": s.get("delta", {}).get("base"),
        "delta_tuned": s.get("delta", {}).get("tuned"),
        "delta_floor": s.get("delta", {}).get("floor"),
        "gap_closed": s.get("gap_closed"),
        # False: too little text, or no measurable gap (stylometry.unreliable_reason says which).
        "gap_closed_reliable": s.get("reliable"),
        "delta_words": s.get("words_used"),
        "delta_min_words": s.get("min_words"),
        "attributed_to_writer": a.get("tuned_share"),
        "slop_per_1000_words_base": habit_total("base"),
        "slop_per_1000_words_tuned": habit_total("tuned"),
        "chat_residue_instruction": report["chat_residue"]["tuned"]["share"],
        "chat_residue_instruction_base": report["chat_residue"]["base"]["share"],
        # Plain continuations, as ghost text writes them.
        "attributed_continuation": c.get("attribution", {}).get("tuned_share"),
        "attributed_continuation_base": c.get("attribution", {}).get("base_share"),
        "gap_closed_continuation": c.get("stylometry", {}).get("gap_closed"),
        "gap_closed_continuation_reliable": c.get("stylometry", {}).get("reliable"),
        "chat_residue_continuation": c.get("chat_residue", {}).get("tuned", {}).get("share"),
        "chat_residue_continuation_base": c.get("chat_residue", {}).get("base", {}).get("share"),
        "length_ratio_continuation": c.get("length", {}).get("ratio_to_writer", {}).get("tuned"),
        # The rewrite of plain held-out paragraphs (rewrite.py).
        **rewrite_summary(report.get("rewrite")),
    }


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: write null, as the event stream does."""
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value

"""Canaries: the same prompts answered by the base model and by the tuned one.

Validation loss alone misleads ("the loss lied", docs/architecture.md), so after
each epoch the tuned model answers a few fixed prompts, next to the base model's
answers from before training. The default prompts follow the seeds: a topic the writer covers
(a training document's title), one they never wrote about, and a long-form piece.
Samples use fixed seeds, the same for base and tuned, so the differences are the
adapter's doing; the sampling settings are recorded with them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from .files import write_json
from .config import TrainConfig
from .data import Dataset, format_prompt, has_chat_template
from .framing import document_prompt
from .events import Sampling, TrainCanary

FILE = "canaries.json"
NOVEL_TOPIC = "Write a short essay about assembling flat-pack furniture with a friend."
LONG_FORM = "Write a long essay, in several paragraphs, about what a city sounds like at night."
# The same topics as essay titles, for the plain framing.
NOVEL_TITLE = "Assembling Flat-Pack Furniture with a Friend"
LONG_TITLE = "What a City Sounds Like at Night"


@dataclass
class Canary:
    id: str
    prompt: str  # what the writer reads: the instruction, or the document's title
    max_new_tokens: int
    # The plain framing's prompt (framing.document_prompt): the model continues this text.
    # None: `prompt` is a user message, asked through the chat template.
    document: str | None = None


def _covered_title(dataset: Dataset) -> str | None:
    """The longest training document's title: a topic the writer certainly covers."""
    train_docs = [d for d in dataset.documents if d.get("split", "train") == "train" and d.get("title")]
    if train_docs:
        title = str(max(train_docs, key=lambda d: (d.get("words", 0), d["doc"]))["title"])
    else:  # no documents.jsonl: the document with the most pairs, named after its file
        counts = Counter(str(e.get("doc", "")) for e in dataset.train if e.get("doc"))
        if not counts:
            return None
        doc = max(counts, key=lambda d: (counts[d], d))
        title = Path(doc).stem.replace("-", " ").replace("_", " ")
    return title.title() if title.isupper() else title


def default_canaries(dataset: Dataset, cfg: TrainConfig) -> list[Canary]:
    n = cfg.canary_max_new_tokens
    title = _covered_title(dataset)
    if cfg.framing == "plain":  # the start of an essay with that title, continued as ghost text would be
        topics = [("covered-topic", title, n)] if title else []
        topics += [("novel-topic", NOVEL_TITLE, n), ("long-form", LONG_TITLE, 2 * n)]
        return [Canary(cid, t, tokens, document_prompt(t)) for cid, t, tokens in topics]
    canaries = []
    if title:
        canaries.append(Canary("covered-topic", f"Write a short essay titled \"{title}\".", n))
    canaries.append(Canary("novel-topic", NOVEL_TOPIC, n))
    canaries.append(Canary("long-form", LONG_FORM, 2 * n))
    return canaries


def configured_canaries(dataset: Dataset, cfg: TrainConfig) -> list[Canary]:
    if cfg.canary_prompts is None:
        return default_canaries(dataset, cfg)
    plain = cfg.framing == "plain"
    return [Canary(p["id"], p["prompt"], int(p.get("max_new_tokens", cfg.canary_max_new_tokens)),
                   p.get("document", document_prompt(p["prompt"]) if plain else None))
            for p in cfg.canary_prompts]


def common_system_message(dataset: Dataset) -> str | None:
    """The system message most training pairs carry: canaries are asked the same way."""
    systems = Counter(m["content"] for e in dataset.train for m in e.get("messages", []) if m["role"] == "system")
    return systems.most_common(1)[0][0] if systems else None


def sampling_for(cfg: TrainConfig, canary: Canary, index: int) -> dict[str, Any]:
    return {"do_sample": True, "temperature": cfg.canary_temperature, "top_k": cfg.canary_top_k, "top_p": 1.0,
            "repetition_penalty": cfg.canary_repetition_penalty, "repetition_window": cfg.canary_repetition_window,
            "max_new_tokens": canary.max_new_tokens, "num_samples": cfg.canary_samples,
            "seed": cfg.canary_seed + index}


def canary_ids(tokenizer: Any, canary: Canary, system: str | None) -> list[int]:
    """The tokens the model continues: the document's start (plain framing) or the chat prompt."""
    if canary.document is not None:
        return list(tokenizer(canary.document, add_special_tokens=True)["input_ids"])
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": canary.prompt}]
    return list(tokenizer(format_prompt(tokenizer, messages), add_special_tokens=not has_chat_template(tokenizer))["input_ids"])


def generate_many(model: Any, tokenizer: Any, asked: Sequence[tuple[Canary, str | None, dict[str, Any]]],
                  autocast_dtype: Any = None, progress: Callable[[int], None] | None = None) -> list[list[str]]:
    """Samples for each (canary, system message, sampling), written in batches (sampling.py);
    each canary's reproducible from its `sampling["seed"]` whatever else is asked with it.
    `progress` hears how many canaries are done."""
    from .sampling import Ask, Warping, sample_many

    texts: list[list[str]] = [[] for _ in asked]
    # One batch asks with one warping: canaries that differ go apart.
    by_warp: dict[Warping, list[int]] = {}
    for i, (_, _, s) in enumerate(asked):
        warp = Warping(float(s["temperature"]), int(s["top_k"]), float(s.get("top_p", 1.0)),
                       float(s.get("repetition_penalty", 1.0)), int(s.get("repetition_window", 0)))
        by_warp.setdefault(warp, []).append(i)
    done = 0
    for warp, which in by_warp.items():
        asks = [Ask(canary_ids(tokenizer, asked[i][0], asked[i][1]), int(asked[i][2]["num_samples"]),
                    int(asked[i][2]["seed"]), int(asked[i][2]["max_new_tokens"])) for i in which]
        before = done
        rows = sample_many(model, asks, warp, pad_id=_pad_id(tokenizer),
                           eos_id=tokenizer.eos_token_id, autocast_dtype=autocast_dtype,
                           progress=None if progress is None else lambda n, b=before: progress(b + n))
        for i, samples in zip(which, rows):
            texts[i] = [tokenizer.decode(r, skip_special_tokens=True).strip() for r in samples]
        done += len(which)
    return texts


def generate(model: Any, tokenizer: Any, canary: Canary, system: str | None, sampling: dict[str, Any],
             autocast_dtype: Any = None) -> list[str]:
    """Samples for one canary, reproducible from `sampling["seed"]`, leaving the global
    RNG as it was (training must not depend on how many canaries ran)."""
    return generate_many(model, tokenizer, [(canary, system, sampling)], autocast_dtype)[0]


def per_sample_progress(progress: Callable[[int], None], samples: int) -> Callable[[int], None]:
    """generate_many counts prompts done (in total); eval's progress counts samples (added)."""
    reported = 0

    def report(prompts_done: int) -> None:
        nonlocal reported
        progress(samples * (prompts_done - reported))
        reported = prompts_done

    return report


def _pad_id(tokenizer: Any) -> int:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return int(pad if pad is not None else 0)  # masked out: any id will do


class CanaryBook:
    """canaries.json: the prompts, their sampling, base samples, tuned samples per epoch."""

    def __init__(self, run_dir: Path, canaries: list[Canary], system: str | None, cfg: TrainConfig) -> None:
        self.path = run_dir / FILE
        self.canaries = canaries
        self.system = system
        self.sampling = {c.id: sampling_for(cfg, c, i) for i, c in enumerate(canaries)}
        self.base: dict[str, list[str]] = {}
        self.epochs: list[dict[str, Any]] = []

    def load_existing(self) -> None:
        """On resume: keep base samples and earlier epochs, if they were for these prompts."""
        import json

        if not self.path.exists():
            return
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if [p["id"] for p in data.get("prompts", [])] == [c.id for c in self.canaries]:
            self.base = data.get("base", {})
            self.epochs = data.get("epochs", [])

    def save(self) -> None:
        write_json(self.path, {
            "format": 1,
            "system": self.system,
            "prompts": [asdict(c) | {"sampling": self.sampling[c.id]} for c in self.canaries],
            "base": self.base,
            "epochs": self.epochs,
        })

    def _write(self, model: Any, tokenizer: Any, autocast_dtype: Any) -> dict[str, list[str]]:
        written = generate_many(model, tokenizer, [(c, self.system, self.sampling[c.id]) for c in self.canaries],
                                autocast_dtype)
        return {c.id: texts for c, texts in zip(self.canaries, written)}

    def generate_base(self, base_model: Any, tokenizer: Any, autocast_dtype: Any = None) -> None:
        """Base samples, from the base model before training (judge_model.JudgeModels.base)."""
        self.base.update(self._write(base_model, tokenizer, autocast_dtype))
        self.save()

    def record_epoch(self, epoch: int, step: int, model: Any, tokenizer: Any, sink: Any,
                     autocast_dtype: Any = None) -> None:
        tuned = self._write(model, tokenizer, autocast_dtype)
        for c in self.canaries:
            sink.emit(TrainCanary(epoch=epoch, step=step, prompt_id=c.id, prompt=c.prompt,
                                  sampling=Sampling(**self.sampling[c.id]), base=self.base.get(c.id, []), tuned=tuned[c.id]))
        self.epochs = [e for e in self.epochs if e["epoch"] != epoch] + [{"epoch": epoch, "step": step, "tuned": tuned}]
        self.save()

    def has_epoch(self, epoch: int) -> bool:
        return any(e["epoch"] == epoch for e in self.epochs)

"""Canaries: the same prompts answered by the base model and by the tuned one.

Validation loss alone misleads ("the loss lied", docs/architecture.md), so after
each epoch the tuned model answers a few fixed prompts, next to the base model's
answers from before training. The default prompts follow the seeds: a topic the writer covers
(a training document's title), one they never wrote about, and a long-form piece.
Samples use fixed seeds, the same for base and tuned, so the differences are the
adapter's doing; the sampling settings are recorded with them.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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
            "max_new_tokens": canary.max_new_tokens, "num_samples": cfg.canary_samples,
            "seed": cfg.canary_seed + index}


def generate(model: Any, tokenizer: Any, canary: Canary, system: str | None, sampling: dict[str, Any],
             autocast_dtype: Any = None) -> list[str]:
    """Samples for one canary, reproducible from `sampling["seed"]`, leaving the global
    RNG as it was (training's dropout must not depend on how many canaries ran)."""
    import torch

    device = next(model.parameters()).device
    if canary.document is not None:
        inputs = tokenizer(canary.document, add_special_tokens=True, return_tensors="pt").to(device)
    else:
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": canary.prompt}]
        inputs = tokenizer(format_prompt(tokenizer, messages), add_special_tokens=not has_chat_template(tokenizer),
                           return_tensors="pt").to(device)
    was_training = model.training
    model.eval()
    devices = [device.index or 0] if device.type == "cuda" else []
    amp = (torch.autocast(device_type=device.type, dtype=autocast_dtype) if autocast_dtype is not None
           else contextlib.nullcontext())
    try:
        with torch.random.fork_rng(devices=devices), torch.no_grad(), amp:
            torch.manual_seed(sampling["seed"])
            out = model.generate(
                **inputs, do_sample=True, temperature=sampling["temperature"], top_k=sampling["top_k"],
                top_p=sampling["top_p"], max_new_tokens=sampling["max_new_tokens"],
                num_return_sequences=sampling["num_samples"], use_cache=True,
                pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    finally:
        model.train(was_training)
    start = inputs["input_ids"].shape[1]
    return [tokenizer.decode(row[start:], skip_special_tokens=True).strip() for row in out]


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

    def generate_base(self, base_model: Any, tokenizer: Any, autocast_dtype: Any = None) -> None:
        """Base samples, from the base model before training (judge_model.JudgeModels.base)."""
        for c in self.canaries:
            self.base[c.id] = generate(base_model, tokenizer, c, self.system, self.sampling[c.id], autocast_dtype)
        self.save()

    def record_epoch(self, epoch: int, step: int, model: Any, tokenizer: Any, sink: Any,
                     autocast_dtype: Any = None) -> None:
        tuned = {}
        for c in self.canaries:
            tuned[c.id] = generate(model, tokenizer, c, self.system, self.sampling[c.id], autocast_dtype)
            sink.emit(TrainCanary(epoch=epoch, step=step, prompt_id=c.id, prompt=c.prompt,
                                  sampling=Sampling(**self.sampling[c.id]), base=self.base.get(c.id, []), tuned=tuned[c.id]))
        self.epochs = [e for e in self.epochs if e["epoch"] != epoch] + [{"epoch": epoch, "step": step, "tuned": tuned}]
        self.save()

    def has_epoch(self, epoch: int) -> bool:
        return any(e["epoch"] == epoch for e in self.epochs)

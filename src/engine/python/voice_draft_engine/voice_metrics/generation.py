"""The run's base and tuned models for evaluation, and seeded samples from them.

Loading and sampling are the trainer's (model_setup.load_tuned_model,
canaries.generate_many), so evaluation sees the models exactly as training and the
canaries did. For a LoRA run on a GPU one PEFT model serves both sides: the base
model is the same object with its adapter disabled; on a CPU each side is a plain
copy (the adapter merged in, or left out). A full fine-tune has its own model
folder, so its base is loaded beside it.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..editor_sampling import Warping
from ..protocol import EngineError, EventSink


@dataclass
class Sample:
    prompt: int  # index into the prompt list
    seed: int
    text: str
    tokens: int  # tokens of the text as the tokenizer re-reads it
    truncated: bool  # probably stopped by max_new_tokens rather than by the model


class ModelPair:
    """`with pair.use("base") as model:` / `pair.use("tuned")`: the model on each side."""

    def __init__(self, tuned: Any, tokenizer: Any, base: Any | None, info: dict[str, Any]) -> None:
        self.tuned = tuned
        self.tokenizer = tokenizer
        self._base = base  # None: the tuned model is a PEFT model whose adapter can be disabled
        self.info = info

    @contextlib.contextmanager
    def use(self, side: str) -> Iterator[Any]:
        if side == "tuned":
            yield self.tuned
        elif self._base is not None:
            yield self._base
        else:
            with self.tuned.disable_adapter():
                yield self.tuned


def load_run_models(run: Path, sink: EventSink | None = None) -> ModelPair:
    from ..config import TrainConfig
    from ..model_setup import load_tokenizer, load_tuned_model, pick_device
    from ..models import resolve_base_model

    full = (run / "model" / "config.json").is_file()
    if not full and not (run / "adapter" / "adapter_config.json").is_file():
        raise EngineError("no_adapter", f"{run.name} has no trained voice yet (no adapter/ or model/ in the run folder).",
                          "Train the voice first (Voice Draft: Train Voice Adapter), then evaluate it.")
    config_path = run / "config.json"
    if not config_path.is_file():
        raise EngineError("config_missing", f"{config_path} is missing: the base model of this run is unknown.",
                          "Evaluate a run folder written by the engine's train command.")
    cfg = TrainConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")), str(config_path))
    device = pick_device(cfg.device)
    base_dir = resolve_base_model(cfg.base_model, sink)
    # float32 everywhere (load_tuned_model's choice): scores must not move with the precision.
    tuned, tokenizer = load_tuned_model(run, merge=False, device=device)
    base = None
    if not full and device == "cpu":
        # On a CPU each side gets its own plain model, as training's judges do (judge_model.py):
        # the adapter merged in for the tuned side, left out for the base, so neither pays for
        # LoRA's extra multiplies on every token. A GPU keeps the one PEFT model (memory).
        import torch

        from ..judge_model import plain_copy

        base = plain_copy(tuned, torch.float32, adapter=False)
        tuned = tuned.merge_and_unload().eval()
    if full:
        import torch
        from transformers import AutoModelForCausalLM

        base = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32).to(device).eval()
        tokenizer = load_tokenizer(base_dir)
    info = {"base_model": cfg.base_model, "base_path": str(base_dir), "tuned": "model" if full else "adapter",
            "device": device}
    return ModelPair(tuned, tokenizer, base, info)


_PARAGRAPHS = re.compile(r"\n\s*\n")


def fit_messages(tokenizer: Any, messages: list[dict[str, str]], max_tokens: int) -> list[dict[str, str]]:
    """The prompt's messages, with the oldest paragraphs of a long opening dropped to fit `max_tokens`.

    An opening (T3) can be half an essay; continuation depends on how it ends,
    so the user message's first paragraph (the instruction) and last paragraphs stay.
    """
    from ..data import prompt_ids

    if len(prompt_ids(tokenizer, messages)) <= max_tokens:
        return messages
    user_at = max(i for i, m in enumerate(messages) if m.get("role") == "user")
    paras = _PARAGRAPHS.split(messages[user_at]["content"])
    trial = [dict(m) for m in messages]
    while len(paras) > 2:
        del paras[1]
        trial[user_at]["content"] = "\n\n".join(paras)
        if len(prompt_ids(tokenizer, trial)) <= max_tokens:
            return trial
    words = trial[user_at]["content"].split(" ")  # one huge paragraph: keep its end
    while len(words) > 1 and len(prompt_ids(tokenizer, trial)) > max_tokens:
        words = words[len(words) // 4:]
        trial[user_at]["content"] = " ".join(words)
    return trial


def sample_prompts(model: Any, tokenizer: Any, prompts: list[list[dict[str, str]] | str], *, samples: int, seed: int,
                   max_new_tokens: int, warp: Warping, max_prompt_tokens: int = 768,
                   progress: Callable[[int], None] | None = None) -> list[Sample]:
    """`samples` completions of every prompt (prompt-major order), prompt i under seed + i.
    A prompt is chat messages, or a document's start in the plain framing (continued as is).

    Base and tuned are called with the same seeds, so their differences are the
    tuning's. Each prompt draws from its own generator (sampling.py), so nothing else shifts its stream.
    """
    from ..canaries import Canary, generate_many, per_sample_progress
    from .continuations import fit_opening

    asked = []
    for i, prompt in enumerate(prompts):
        sampling = {**asdict(warp), "max_new_tokens": max_new_tokens, "num_samples": samples, "seed": seed + i}
        if isinstance(prompt, str):
            asked.append((Canary(f"eval-{i}", prompt[-400:], max_new_tokens, fit_opening(tokenizer, prompt, max_prompt_tokens)),
                          None, sampling))
        else:
            fitted = fit_messages(tokenizer, prompt, max_prompt_tokens)
            system = next((m["content"] for m in fitted if m.get("role") == "system"), None)
            user = "\n\n".join(m["content"] for m in fitted if m.get("role") == "user")
            asked.append((Canary(f"eval-{i}", user, max_new_tokens), system, sampling))
    written = generate_many(model, tokenizer, asked, progress=None if progress is None else per_sample_progress(progress, samples))
    out: list[Sample] = []
    for i, texts in enumerate(written):
        for text in texts:
            tokens = len(tokenizer(text, add_special_tokens=False)["input_ids"])
            # Text only comes back; a re-read within a few tokens of the cap
            # means the model was still writing when it was stopped.
            out.append(Sample(i, seed + i, text, tokens, tokens >= max_new_tokens - 3))
    return out

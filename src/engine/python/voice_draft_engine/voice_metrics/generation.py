"""The run's model for evaluation, and seeded sampling from it.

One PEFT model serves both sides: the tuned model is the base with the run's
adapter, the base model is the same object inside `disable_adapter()`. Sampling
is seeded per (sample, batch), and batches always hold the same prompts, so
the same run, settings and seed give the same texts on the same machine.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..protocol import EngineError, EventSink

log = logging.getLogger(__name__)

DEFAULT_BASE_MODEL = "offline:smollm2-135m-instruct"


@dataclass
class Sample:
    prompt: int  # index into the prompt list
    seed: int
    text: str
    tokens: int
    truncated: bool  # stopped by max_new_tokens, not by the model


def load_run_model(run: Path, sink: EventSink | None = None) -> tuple[Any, Any, dict[str, Any]]:
    """(model with the run's adapter, tokenizer, description) for a trained run folder."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..models import resolve_base_model

    adapter = run / "adapter"
    if not (adapter / "adapter_config.json").is_file():
        raise EngineError("no_adapter", f"{run.name} has no trained adapter ({adapter} is missing).",
                          "Train the voice first (Voice Draft: Train Voice Adapter), then evaluate it.")
    config: dict[str, Any] = {}
    if (run / "config.json").is_file():
        config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    spec = str(config.get("base_model") or DEFAULT_BASE_MODEL)
    base_dir = resolve_base_model(spec, sink)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    # bf16 on GPUs that have it; float32 on CPU, where bf16 matmuls are slow and
    # the scores should not depend on reduced precision.
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=dtype).to(device)
    model = PeftModel.from_pretrained(model, str(adapter)).eval()
    return model, tokenizer, {"base_model": spec, "base_path": str(base_dir), "adapter": str(adapter),
                              "device": device, "dtype": str(dtype).removeprefix("torch.")}


def format_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The prompt as training formatted it, up to where the model starts answering."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    # Base models without a chat template: plain prompt text and a separator (DESIGN §6).
    return "\n\n".join(m["content"] for m in messages) + "\n\n"


_PARAGRAPHS = re.compile(r"\n\s*\n")


def fit_prompt(tokenizer: Any, messages: list[dict[str, str]], max_tokens: int) -> tuple[str, bool]:
    """The formatted prompt, with the oldest paragraphs of a long opening dropped to fit `max_tokens`.

    An opening (T3) can be half an essay; continuation depends on how it ends,
    so its first paragraph (the instruction) and its last paragraphs are kept.
    """
    text = format_prompt(tokenizer, messages)
    if len(tokenizer(text, add_special_tokens=False)["input_ids"]) <= max_tokens:
        return text, False
    user_at = max(i for i, m in enumerate(messages) if m.get("role") == "user")
    paras = _PARAGRAPHS.split(messages[user_at]["content"])
    while len(paras) > 2:
        del paras[1]
        trial = [dict(m) for m in messages]
        trial[user_at]["content"] = "\n\n".join(paras)
        text = format_prompt(tokenizer, trial)
        if len(tokenizer(text, add_special_tokens=False)["input_ids"]) <= max_tokens:
            return text, True
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return tokenizer.decode(ids[-max_tokens:]), True  # one huge paragraph: keep its end


def sample_prompts(model: Any, tokenizer: Any, prompts: list[list[dict[str, str]]], *, samples: int, seed: int,
                   max_new_tokens: int, temperature: float, top_p: float, batch_size: int,
                   max_prompt_tokens: int = 768, progress: Callable[[int], None] | None = None) -> list[Sample]:
    """`samples` completions of every prompt, in (sample, prompt) order, each batch under its own seed."""
    import torch

    device = next(model.parameters()).device
    texts = [fit_prompt(tokenizer, m, max_prompt_tokens)[0] for m in prompts]
    pad_side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # decoder-only: pad on the left so every row ends where it continues
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    out: list[Sample] = []
    try:
        for s in range(samples):
            for b in range(0, len(texts), batch_size):
                batch = texts[b:b + batch_size]
                enc = tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
                batch_seed = seed + 1000 * s + b
                torch.manual_seed(batch_seed)
                with torch.no_grad():
                    generated = model.generate(
                        **enc, do_sample=True, temperature=temperature, top_p=top_p, top_k=0,
                        max_new_tokens=max_new_tokens, pad_token_id=pad_id,
                    )
                new = generated[:, enc["input_ids"].shape[1]:]
                for row, ids in enumerate(new.tolist()):
                    ended = _strip_after_eos(ids, tokenizer, pad_id)
                    out.append(Sample(
                        prompt=b + row, seed=batch_seed, text=tokenizer.decode(ended, skip_special_tokens=True).strip(),
                        tokens=len(ended), truncated=len(ended) >= max_new_tokens,
                    ))
                if progress is not None:
                    progress(len(batch))
    finally:
        tokenizer.padding_side = pad_side
    return out


def _strip_after_eos(ids: list[int], tokenizer: Any, pad_id: int) -> list[int]:
    stops = {pad_id}
    eos = tokenizer.eos_token_id
    if isinstance(eos, int):
        stops.add(eos)
    elif isinstance(eos, list):
        stops.update(eos)
    for i, t in enumerate(ids):
        if t in stops:
            return ids[:i]
    return ids

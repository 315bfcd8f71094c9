"""The base model's restatement of a plain draft, one sentence at a time, checked, never trusted.

A model asked to restate a paragraph drifts: asked here to restate "a walking tour should be
gone upon alone", SmolLM2-135M-Instruct wrote that it "must not only take place on your own
but also with others"; other paragraphs came back verbatim. So each sentence of the de-styled
draft is restated on its own (short requests keep a small model on track, and a failure costs
one sentence, not the paragraph), and a restatement replaces its sentence only when it passes
checks.judge against it (every name, number, negation and quotation kept, none added, 80% of
the content words, no chat talk, a sane length, not a copy). What fails keeps the de-styled
sentence, so the draft as a whole still says everything the writer's paragraph says.

Measured on MacDowell with SmolLM2-135M-Instruct on 2 CPU cores: 24 tok/s in batches of 8,
and 0 of 24 sentences passed (it drops names, invents, or copies); hence the CPU default is
the de-styled draft alone (TrainConfig.synthetic_drafts). A bigger base model on a GPU
restates far better; the checks are the same.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Sequence

import regex as re

from .checks import judge

INSTRUCTION = ("Rewrite this sentence in plain, simple words. Keep every name, number and fact. "
               "Write only the new sentence.\n\n{sentence}")
BATCH = 8
TEMPERATURE = 0.7
TOP_K = 40


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!][\"'”’]?)\s+(?=[\p{Lu}\"“\d])", text) if s.strip()]


def first_sentence_block(text: str) -> str:
    """The answer up to its first blank line: a small model often adds a second try or commentary."""
    return re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0].strip()


def restate(model: Any, tokenizer: Any, items: Sequence[str], seed: int,
            on_batch: Callable[[int], bool] | None = None) -> list[str] | None:
    """The model's restatement of each sentence (adapter off), in batches; None when `on_batch`
    (called with the number done so far) asks to stop."""
    import torch

    from ..data import format_prompt, has_chat_template

    device = next(model.parameters()).device
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # generation continues from the right end of every row
    disable = getattr(model, "disable_adapter", None)
    out: list[str] = []
    was_training = model.training
    model.eval()
    try:
        with (disable() if disable is not None else contextlib.nullcontext()), torch.no_grad():
            for start in range(0, len(items), BATCH):
                chunk = items[start:start + BATCH]
                prompts = [format_prompt(tokenizer, [{"role": "user", "content": INSTRUCTION.format(sentence=s)}])
                           for s in chunk]
                enc = tokenizer(prompts, return_tensors="pt", padding=True,
                                add_special_tokens=not has_chat_template(tokenizer)).to(device)
                longest = max(len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in chunk)
                with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
                    torch.manual_seed(seed + start)
                    rows = model.generate(**enc, do_sample=True, temperature=TEMPERATURE, top_k=TOP_K,
                                          max_new_tokens=int(longest * 1.6) + 8, pad_token_id=tokenizer.pad_token_id,
                                          eos_token_id=tokenizer.eos_token_id)
                width = enc["input_ids"].shape[1]
                out += [first_sentence_block(tokenizer.decode(r[width:], skip_special_tokens=True)) for r in rows]
                if on_batch is not None and not on_batch(len(out)):
                    return None
    finally:
        tokenizer.padding_side = side
        model.train(was_training)
    return out


def merge(plain_sentences: Sequence[str], restated: Sequence[str], writer_patterns: set[str]) -> tuple[str, int]:
    """The draft with each sentence's restatement where it passed the checks; and how many did."""
    kept = 0
    parts = []
    for plain, new in zip(plain_sentences, restated):
        if judge(plain, new, writer_patterns, model_made=True).kept:
            parts.append(new)
            kept += 1
        else:
            parts.append(plain)
    return " ".join(parts), kept

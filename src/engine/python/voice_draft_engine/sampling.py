"""Seeded samples of many prompts, written side by side in one batch.

Everything the engine writes to be read or scored (canaries, the voice check, the base
pool, eval's samples and rewrites) asks the model through `sample_many`. On a CPU a
decoding step of a small model costs about the same for one row as for sixteen (the
weights are read once per step either way), so writing every prompt's samples in one
batch instead of one prompt after another cuts the wall time several-fold.

Each prompt keeps its own random stream: its rows are drawn from a generator seeded
with the prompt's seed, so a prompt's samples do not depend on which prompts share its
batch (up to floating-point rounding: padding and batch size change the last bits of the
logits, which can flip a near-tie in a half-precision model), and base and tuned models
asked with the same prompts and seeds differ only by the tuning. The draw is Hugging Face's
repetition penalty (as the editor's decoder applies it: over the last `repetition_window`
tokens of the row's prompt and what it has written, never its padding), transformers' own
temperature, top-k and top-p warpers, then a multinomial draw, as in `model.generate(do_sample=True)`; it happens in a logits
processor that leaves only the drawn token, so generate's greedy path handles the padding,
the cache and the end of each row. (Other sampling-only settings a model's generation_config.json may carry, such as
min_p, are not applied.)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .editor_sampling import Warping

# Rows per batch. On 2 EPYC cores (float32), 8 Bierce openings x 2 samples x 64 tokens took
# 66.7 s one opening at a time, 17.4 s in batches of 8 rows, 16.4 s in one of 16
# (bench/generation_batch.py); more rows add prefill memory for little gain.
MAX_ROWS = 16


@dataclass(frozen=True)
class Ask:
    """One prompt: its token ids, how many samples, their seed and length."""

    input_ids: list[int]
    samples: int
    seed: int
    max_new_tokens: int


def _seeded_draw(sampling: Warping, groups: list[tuple[int, int, Any]], padding: Any) -> Any:
    """A logits processor: per group of rows (start, end, generator), draw each row's next
    token from the warped distribution with that group's generator; the result's only
    finite score is the drawn token, so a greedy step takes it. `padding` (rows x prompt
    width, True where a row is left padding) keeps the pad token out of the penalty: the pad
    is often the end token, and a penalised end would make a row's length depend on its batch."""
    import torch
    from transformers.generation.logits_process import (LogitsProcessor, TemperatureLogitsWarper,
                                                         TopKLogitsWarper, TopPLogitsWarper)

    def penalize_repeats(input_ids: Any, scores: Any) -> Any:
        width = padding.shape[1]
        # A pad position stands in for the row's last prompt token, which is penalised anyway
        # (a window that reaches into a row's padding holds all of its prompt).
        last = input_ids[:, width - 1:width].expand(-1, width)
        ids = torch.cat([torch.where(padding, last, input_ids[:, :width]), input_ids[:, width:]], dim=1)
        if sampling.repetition_window:
            ids = ids[:, -sampling.repetition_window:]
        seen = torch.gather(scores, 1, ids)
        penalized = torch.where(seen < 0, seen * sampling.repetition_penalty, seen / sampling.repetition_penalty)
        return scores.scatter(1, ids, penalized)

    greedy = sampling.temperature <= 0
    warpers = [penalize_repeats] if sampling.repetition_penalty != 1.0 else []
    if not greedy:
        warpers.append(TemperatureLogitsWarper(sampling.temperature))
        if sampling.top_k:
            warpers.append(TopKLogitsWarper(sampling.top_k))
        if sampling.top_p < 1.0:
            warpers.append(TopPLogitsWarper(sampling.top_p))

    class SeededDraw(LogitsProcessor):
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            for warp in warpers:
                scores = warp(input_ids, scores)
            if greedy:  # the first of tied maxima, as the editor's argmax takes it: no draw at all
                drawn = scores.argmax(dim=-1)
            else:
                probs = torch.softmax(scores.float(), dim=-1)
                drawn = torch.empty(scores.shape[0], dtype=torch.long, device=scores.device)
                for start, end, generator in groups:
                    drawn[start:end] = torch.multinomial(probs[start:end], 1, generator=generator).squeeze(1)
            only = torch.full_like(scores, -float("inf"))
            return only.scatter_(1, drawn[:, None], 0.0)

    return SeededDraw()


def _batches(asks: Sequence[Ask], max_rows: int) -> list[list[int]]:
    """Indices of the asks, grouped into batches of at most max_rows rows (an ask with more
    samples than that goes alone); similar lengths together, so little of a batch is padding."""
    order = sorted(range(len(asks)), key=lambda i: (asks[i].max_new_tokens, len(asks[i].input_ids)))
    batches: list[list[int]] = []
    rows = 0
    for i in order:
        if batches and rows + asks[i].samples <= max_rows:
            batches[-1].append(i)
            rows += asks[i].samples
        else:
            batches.append([i])
            rows = asks[i].samples
    return batches


def sample_many(model: Any, asks: Sequence[Ask], sampling: Warping, *, pad_id: int, eos_id: int | None,
                autocast_dtype: Any = None, max_rows: int = MAX_ROWS,
                progress: Callable[[int], None] | None = None) -> list[list[list[int]]]:
    """Every ask's samples as new token ids (up to, not including, the end token), in the
    order asked. `progress` hears how many asks are done after each batch. The global RNG
    is left as it was: training must not depend on how many samples were written."""
    import torch

    device = next(model.parameters()).device
    out: list[list[list[int]]] = [[] for _ in asks]
    was_training = model.training
    model.eval()
    amp = (torch.autocast(device_type=device.type, dtype=autocast_dtype) if autocast_dtype is not None
           else contextlib.nullcontext())
    done = 0
    try:
        with torch.no_grad(), amp:
            for batch in _batches(asks, max_rows):
                for i, rows in zip(batch, _sample_batch(model, [asks[i] for i in batch], sampling, pad_id, eos_id,
                                                        device)):
                    out[i] = rows
                done += len(batch)
                if progress is not None:
                    progress(done)
    finally:
        model.train(was_training)
    return out


def _sample_batch(model: Any, asks: list[Ask], sampling: Warping, pad_id: int, eos_id: int | None,
                  device: Any) -> list[list[list[int]]]:
    import torch
    from transformers import LogitsProcessorList

    width = max(len(a.input_ids) for a in asks)
    ids, mask, groups = [], [], []
    for a in asks:  # left padding: every row's last prompt token at the same place
        gen = torch.Generator(device=device)
        gen.manual_seed(a.seed)
        groups.append((len(ids), len(ids) + a.samples, gen))
        pad = width - len(a.input_ids)
        for _ in range(a.samples):
            ids.append([pad_id] * pad + list(a.input_ids))
            mask.append([0] * pad + [1] * len(a.input_ids))
    longest = max(a.max_new_tokens for a in asks)
    rows = model.generate(
        input_ids=torch.tensor(ids, device=device), attention_mask=torch.tensor(mask, device=device),
        do_sample=False, num_beams=1, num_return_sequences=1, max_new_tokens=longest, min_new_tokens=0, use_cache=True,
        logits_processor=LogitsProcessorList([_seeded_draw(sampling, groups, torch.tensor(mask, device=device) == 0)]),
        pad_token_id=pad_id, eos_token_id=eos_id)[:, width:].tolist()
    answers = []
    for a, (start, end, _) in zip(asks, groups):
        answers.append([_until_end(row[:a.max_new_tokens], eos_id) for row in rows[start:end]])
    return answers


def _until_end(row: list[int], eos_id: int | None) -> list[int]:
    return row[:row.index(eos_id)] if eos_id is not None and eos_id in row else row

"""Held-out perplexity of the writer's unseen text, base vs tuned.

Token-weighted: exp(total negative log-likelihood / total tokens) over all
held-out documents, so a long essay counts for its length, as in a loss. The
text is scored as plain prose (no chat template), the way inline continuation
meets it. The base model is the same PEFT model with its adapter disabled, so
both figures come from one set of weights in memory and the same tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .bootstrap import DEFAULT_RESAMPLES, percentile_interval, ratio_ci, resample_weights


@dataclass
class DocumentScores:
    nll: list[float] = field(default_factory=list)  # summed negative log-likelihood per document
    tokens: list[int] = field(default_factory=list)  # scored tokens per document

    def perplexity(self) -> float:
        total = sum(self.tokens)
        return math.exp(sum(self.nll) / total) if total else float("nan")


def token_ids(tokenizer, texts: Sequence[str], token_budget: int) -> list[list[int]]:
    """Each document's token ids, the last one cut so the total stays within `token_budget`.

    The budget bounds the time on a CPU; documents keep their order so the same
    run always scores the same tokens.
    """
    out: list[list[int]] = []
    left = token_budget
    for text in texts:
        if left <= 1:
            break
        ids = tokenizer(text, add_special_tokens=True)["input_ids"][:left]
        if len(ids) > 1:
            out.append(ids)
            left -= len(ids)
    return out


def score_documents(model, docs: Sequence[list[int]], max_length: int = 1024, stride: int = 512,
                    progress: Callable[[int, int], None] | None = None) -> DocumentScores:
    """Summed NLL and token count per document, with a sliding window for long ones.

    Windows of `max_length` tokens advance by `stride`; each token is scored
    once, with up to max_length - stride tokens of context before it (the
    standard strided evaluation; the first token of a document has no context
    and is not scored).
    """
    import torch

    device = next(model.parameters()).device
    scores = DocumentScores()
    for d, ids in enumerate(docs):
        nll, count, scored_to = 0.0, 0, 1  # scored_to: first token index not yet scored
        for start in range(0, len(ids) - 1, stride):
            end = min(start + max_length, len(ids))
            window = torch.tensor([ids[start:end]], device=device)
            with torch.no_grad():
                logits = model(input_ids=window).logits[0, :-1].float()
            targets = window[0, 1:]
            first = max(scored_to - start - 1, 0)  # predictions for tokens already scored are skipped
            losses = torch.nn.functional.cross_entropy(logits[first:], targets[first:], reduction="sum")
            nll += float(losses)
            count += int(targets.numel() - first)
            scored_to = end
            if end == len(ids):
                break
        scores.nll.append(nll)
        scores.tokens.append(count)
        if progress is not None:
            progress(d + 1, len(docs))
    return scores


# Intervals resample documents: with fewer there is nothing to resample.
MIN_RESAMPLED_DOCUMENTS = 2


def perplexity_report(base: DocumentScores, tuned: DocumentScores, resamples: int = DEFAULT_RESAMPLES,
                      seed: int = 0) -> dict:
    """eval.json's `perplexity` section; intervals resample documents (paired for the ratio)."""
    b_nll, t_nll = np.array(base.nll), np.array(tuned.nll)
    tokens = np.array(base.tokens, dtype=np.float64)
    weights = resample_weights(len(tokens), resamples, seed) if len(tokens) else np.zeros((0, 0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        per_resample = np.exp((weights @ t_nll - weights @ b_nll) / (weights @ tokens))
    b, t = base.perplexity(), tuned.perplexity()
    ratio = t / b if b and math.isfinite(b) else float("nan")
    report = {
        "base": b,
        "tuned": t,
        "base_ci": ratio_ci(b_nll, tokens, transform=math.exp, resamples=resamples, seed=seed).as_json(),
        "tuned_ci": ratio_ci(t_nll, tokens, transform=math.exp, resamples=resamples, seed=seed).as_json(),
        # tuned/base < 1: the tuned model finds the writer's unseen text less surprising.
        "ratio": ratio,
        "ratio_ci": percentile_interval(per_resample, point=ratio).as_json(),
        "tokens": int(tokens.sum()),
        "documents": len(tokens),
    }
    if len(tokens) < MIN_RESAMPLED_DOCUMENTS:
        # Every resample of one document is that document: the intervals would be [p, p], a
        # certainty the figure does not have. None (null in eval.json), and why.
        nothing = [float("nan"), float("nan")]
        report.update(base_ci=nothing, tuned_ci=nothing, ratio_ci=nothing,
                      interval_note=f"{len(tokens)} held-out document: no interval (resampling needs {MIN_RESAMPLED_DOCUMENTS} or more)")
    return report

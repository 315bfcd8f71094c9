"""Evaluation settings: defaults in one place, each with the reason for its value.

Import-light (no numpy, no torch) so the engine's argument parser can show them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EvalSettings:
    # 2 samples x 12 prompts = 24 outputs per model: enough for intervals of a
    # useful width, and a few minutes for a 135M model on a CPU.
    samples: int = 2
    prompts: int = 12
    # ~150 words: several paragraphs, so attribution has paragraphs to judge.
    max_new_tokens: int = 200
    # Plain continuations (what ghost text writes): held-out essays cut at paragraph
    # boundaries; each sample is the first paragraph the model writes, within this many tokens
    # (a long paragraph of the writer's is ~150 words, ~200 tokens).
    continuation_prompts: int = 12
    continuation_tokens: int = 200
    # A writer of short notes gets short continuations: Bierce's 24 came to ~250 words per side,
    # where Delta over the writer's 100 most frequent words needs ~1,200 before it can be
    # trusted (stylometry.DeltaSpace.min_words). Then more held-out openings are continued, by
    # both models, up to this many in all (0: never more than continuation_prompts).
    continuation_prompts_max: int = 60
    # The rewrite (rewrite.py): held-out paragraphs made plain and rewritten by each model, as the
    # editor asks; 12 cost a few minutes for the 135M model on a CPU (0: leave the section out).
    rewrite_paragraphs: int = 12
    # Sampled as the canaries and the editor sample (temperature + top-k; transformers.js
    # ignores top-p), so the scores describe the text a writer will actually see.
    temperature: float = 0.8
    top_k: int = 50
    seed: int = 1234
    # Long openings (T3) lose their oldest paragraphs beyond this; the end is what gets continued.
    max_prompt_tokens: int = 768
    # Held-out tokens scored for perplexity; bounds the time on big corpora.
    perplexity_tokens: int = 30000
    context: int = 1024
    stride: int = 512
    resamples: int = 1000
    # Openings of the writer's training essays the base model continues (4 samples each, cached
    # per corpus and base model: base_pool.py) so the attribution classifier learns the base
    # model from ~100 texts instead of the evaluation's ~35 paragraphs (0: off).
    base_pool: int = 24
    # Fewer paragraphs (of 40+ words) per side than this and attribution is skipped, not guessed.
    min_paragraphs: int = 5
    mfw: int = 100

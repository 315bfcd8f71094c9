"""Evaluation settings: defaults in one place, each with the reason for its value.

Import-light (no numpy, no torch) so the engine's argument parser can show them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..editor_sampling import GHOST_TEXT, Warping


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
    # Every sample (tasks and continuations) drawn as the editor draws ghost text
    # (editor_sampling.GHOST_TEXT; *Evaluate Voice* passes the writer's own voiceDraft.inline.*
    # settings): the scores describe the text the writer is shown. At temperature 0 (greedy)
    # a prompt gets one sample: more would be copies, counted as evidence.
    temperature: float = GHOST_TEXT.temperature
    top_k: int = GHOST_TEXT.top_k
    repetition_penalty: float = GHOST_TEXT.repetition_penalty
    repetition_window: int = GHOST_TEXT.repetition_window
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

    @property
    def warp(self) -> Warping:
        return Warping(self.temperature, self.top_k, repetition_penalty=self.repetition_penalty,
                       repetition_window=self.repetition_window)

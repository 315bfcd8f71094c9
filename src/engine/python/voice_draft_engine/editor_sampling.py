"""How the editor draws its words, for everything the engine writes in its place.

Ghost text and the rewrite are written by the editor (src/inference/sampling.ts), with the
settings and defaults declared in package.json (voiceDraft.inline.*, voiceDraft.rewrite.*;
test_editor_sampling.py checks that these agree). What the engine writes to stand for them
is drawn the same way, so its scores describe the text a writer is shown: the canaries, the
voice check, the base pool the classifiers learn the base model from, and eval's samples
draw as ghost text; eval's rewrite section draws as the rewrite.

Drawn at 0.8 from the 50 likeliest with no penalty, as they were before, the same voices
scored as text no writer saw (README, "Scored as drawn for the writer").

Standard library only: the run's config (config.py) takes its canary defaults from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Warping:
    temperature: float  # 0: greedy (the likeliest token after the penalty), as the editor reads it
    top_k: int  # 0: no cut
    top_p: float = 1.0  # the editor has none; kept for the model's own defaults
    # Hugging Face's (and the editor's) repetition penalty: 1.0 leaves the logits alone.
    repetition_penalty: float = 1.0
    # The penalty looks at this many of the last tokens, prompt and answer (llama.cpp's and
    # Ollama's repeat_last_n). 0: every token of the prompt and the answer (the editor's default,
    # and what a record without a window drew).
    repetition_window: int = 0


# The penalty looks at the whole context. Over the last 64 tokens only (llama.cpp's window) the
# MacDowell voice wrote paragraphs nearer his length (0.72 of it, against 0.60) but both voices'
# continuations were taken for the writer's less often (MacDowell 72% -> 59%, Bierce 75% -> 57%)
# and were no closer to them by Delta (README, "Scored as drawn for the writer").
GHOST_TEXT = Warping(temperature=0.6, top_k=40, repetition_penalty=1.1)
REWRITE = Warping(temperature=0.5, top_k=40)
# How canaries, the voice check and the base pool drew before: what a run or a cache from
# before this module recorded when it recorded no sampling.
BEFORE_EDITOR_SAMPLING = Warping(temperature=0.8, top_k=50)

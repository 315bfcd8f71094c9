"""The engine draws what stands for the editor's writing (canaries, the voice check, eval's
continuations and rewrites) as the editor does: its constants are package.json's defaults."""

from __future__ import annotations

import json
from pathlib import Path

from voice_draft_engine.config import TrainConfig
from voice_draft_engine.editor_sampling import GHOST_TEXT, REWRITE, Warping
from voice_draft_engine.voice_metrics.settings import EvalSettings

SETTINGS = json.loads((Path(__file__).resolve().parents[2] / "package.json").read_text(encoding="utf-8"))[
    "contributes"]["configuration"]["properties"]


def default(key: str) -> object:
    return SETTINGS[f"voiceDraft.{key}"]["default"]


def test_ghost_text_and_rewrite_sampling_are_the_editors_defaults() -> None:
    for warp, section in ((GHOST_TEXT, "inline"), (REWRITE, "rewrite")):
        assert (warp.temperature, warp.top_k, warp.repetition_penalty, warp.top_p) == (
            default(f"{section}.temperature"), default(f"{section}.topK"), default(f"{section}.repetitionPenalty"), 1.0)
    assert GHOST_TEXT.repetition_window == default("inline.repetitionWindow")
    assert REWRITE.repetition_window == 0  # the rewrite's penalty (rewriteService.ts) looks at the whole draft


def test_canaries_the_base_pool_and_eval_draw_as_ghost_text() -> None:
    """What each asks the sampler for, as it asks (sampling dicts for canaries; Warping elsewhere)."""
    from voice_draft_engine.canaries import Canary, sampling_for
    from voice_draft_engine.voice_metrics import base_pool

    asked = sampling_for(TrainConfig(), Canary("c", "A title", 16), 0)
    assert Warping(asked["temperature"], asked["top_k"], asked["top_p"], asked["repetition_penalty"],
                   asked["repetition_window"]) == GHOST_TEXT
    assert EvalSettings().warp == GHOST_TEXT and base_pool.SAMPLING == GHOST_TEXT

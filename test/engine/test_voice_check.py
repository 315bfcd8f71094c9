"""The voice is chosen by voice: a quick score at every evaluation, the best-scoring checkpoint exported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tiny_runs import Recorder, make_run
from voice_draft_engine.checkpoint import list_checkpoints
from voice_draft_engine.loop import LoopState
from voice_draft_engine.train import chosen_checkpoint, train_run


@pytest.fixture(scope="module")
def scored(tiny_model_dir: Path, bierce_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    run = make_run(tmp_path_factory.mktemp("voice"), bierce_dataset, max_steps=6, keep_checkpoints=0)
    sink = Recorder()
    assert train_run(run, sink) == "done"
    sink.close()
    return run, sink.events


def test_every_evaluation_scores_the_voice_and_the_best_score_is_exported(scored) -> None:
    run, events = scored
    evals = [e["step"] for e in events if e["event"] == "train.eval"]
    voices = [e for e in events if e["event"] == "train.voice"]
    assert [v["step"] for v in voices] == evals and evals
    for v in voices:
        assert 0 <= v["score"] <= 1 and 0 <= v["attributed"] <= 1 and v["samples"] >= 1
    done = events[-1]
    best = max(voices, key=lambda v: v["score"])  # the first of equal scores: a later one must beat it
    assert done["chosen_by"] == "voice" and done["chosen_step"] == best["step"]
    assert done["best_voice_score"] == pytest.approx(best["score"], abs=1e-4)
    # The chosen checkpoint survives pruning beside the lowest-loss one (keep_checkpoints 0 keeps only those).
    assert {s for s, _ in list_checkpoints(run)} == {done["chosen_step"], done["best_step"]}
    check = json.loads((run / "voice-check.json").read_text())
    assert check["format"] == 1 and len(check["base"]) == len(check["prompts"]) * 2


def test_without_a_voice_score_the_loss_chooses() -> None:
    assert chosen_checkpoint(LoopState(best_step=8)) == (8, "loss")
    assert chosen_checkpoint(LoopState(best_step=8, best_voice_step=4, best_voice_score=0.6)) == (4, "voice")
    assert chosen_checkpoint(LoopState()) == (None, "loss")


def test_too_little_writing_turns_the_check_off_and_the_loss_chooses(tiny_model_dir: Path, small_dataset: Path,
                                                                      tmp_path: Path) -> None:
    run = make_run(tmp_path, small_dataset, max_steps=2)
    sink = Recorder()
    assert train_run(run, sink) == "done"
    sink.close()
    assert not [e for e in sink.events if e["event"] == "train.voice"]
    assert sink.events[-1]["chosen_by"] == "loss" and sink.events[-1]["chosen_step"] == sink.events[-1]["best_step"]

"""The voice is chosen by voice: a quick score at every evaluation, the best-scoring checkpoint exported."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import pytest

from tiny_runs import Recorder, make_run
from voice_draft_engine.checkpoint import list_checkpoints
from voice_draft_engine.data import load_dataset
from voice_draft_engine.editor_sampling import BEFORE_EDITOR_SAMPLING, GHOST_TEXT
from voice_draft_engine.loop import LoopState
from voice_draft_engine.train import chosen_checkpoint, train_run
from voice_draft_engine.voice_check import VoiceCheck
from voice_draft_engine.voice_metrics.attribution import paragraphs


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
    at_loss = next(v for v in voices if v["step"] == done["best_step"])
    lead, noise = best["score"] - at_loss["score"], math.hypot(best["stderr"], at_loss["stderr"])
    assert all(0 <= v["stderr"] <= 1 for v in voices) and any(v["stderr"] > 0 for v in voices)
    if best["step"] == at_loss["step"] or lead > noise + 1e-3:
        assert done["chosen_by"] == "voice" and done["chosen_step"] == best["step"]
    elif lead < noise - 1e-3:  # (events round to 4 decimals: a lead right at the noise is not judged)
        assert done["chosen_by"] == "loss" and done["chosen_step"] == done["best_step"]
    assert done["best_voice_score"] == pytest.approx(best["score"], abs=1e-4)
    # The best-voice and the lowest-loss checkpoints survive pruning (keep_checkpoints 0 keeps only those),
    # so the chosen one, and the writer's other candidate, are both at hand.
    assert {s for s, _ in list_checkpoints(run)} == {best["step"], done["best_step"]} and done["chosen_step"] in {best["step"], done["best_step"]}
    check = json.loads((run / "voice-check.json").read_text())
    assert check["format"] == 1 and len(check["base"]) == len(check["prompts"]) * 2
    assert check["sampling"] == asdict(GHOST_TEXT)  # drawn as the writer's ghost text is
    # The base side also learns from the base pool: the base model continuing training essays.
    pool_paragraphs = [p for t in check["pool"] for p in paragraphs(t)]
    assert len(check["pool"]) > len(check["base"]) and pool_paragraphs
    # The same classifier as numbers, for the editor's ranking of rewrites (voiceScore.ts).
    scorer = json.loads((run / "voice-score.json").read_text())
    assert scorer["format"] == 1
    assert scorer["paragraphs"]["base"] == len([t for t in check["base"] if t.strip()]) + len(pool_paragraphs)
    assert len(scorer["coef"]) == len(scorer["words"]["terms"]) + len(scorer["chars"]["terms"]) > 100


def test_a_resumed_check_keeps_drawing_as_its_base_answers_were_drawn(scored, bierce_dataset: Path,
                                                                       tmp_path: Path) -> None:
    """A run resumed across versions: its saved base answers were drawn at 0.8 from the top 50
    (voice-check.json then said nothing of its draw), so its checkpoints keep being drawn so."""
    run, _ = scored
    saved = json.loads((run / "voice-check.json").read_text())
    recorded = saved.pop("sampling")
    for written, expected in (({**saved, "sampling": recorded}, GHOST_TEXT), (saved, BEFORE_EDITOR_SAMPLING)):
        (tmp_path / "voice-check.json").write_text(json.dumps(written))
        check = VoiceCheck(tmp_path, load_dataset(bierce_dataset))
        assert check.start(None, None, resumed=True) and check.sampling == expected
        assert json.loads((tmp_path / "voice-check.json").read_text())["sampling"] == asdict(expected)


def test_without_a_voice_score_the_loss_chooses() -> None:
    assert chosen_checkpoint(LoopState(best_step=8)) == (8, "loss")
    assert chosen_checkpoint(LoopState(best_step=8, best_voice_step=4, best_voice_score=0.6)) == (4, "voice")
    assert chosen_checkpoint(LoopState()) == (None, "loss")


def test_the_voice_score_chooses_only_when_it_leads_the_lowest_loss_by_more_than_the_noise() -> None:
    # Bierce's 100 steps: step 20 scored 0.76, the lowest-loss step 80 scored 0.70.
    scores = [[20, 0.76, 0.1], [50, 0.55, 0.05], [80, 0.70, 0.1]]
    state = LoopState(best_step=80, best_voice_step=20, best_voice_score=0.76, voice_scores=scores)
    assert chosen_checkpoint(state) == (80, "loss")  # 0.06 < √(0.1² + 0.1²)
    state.best_step = 50
    assert chosen_checkpoint(state) == (20, "voice")  # 0.21 > √(0.1² + 0.05²)
    state.best_step = 20
    assert chosen_checkpoint(state) == (20, "voice")
    # A checkpoint from before the scores were kept: the best voice score, as it chose then.
    assert chosen_checkpoint(LoopState(best_step=80, best_voice_step=20, best_voice_score=0.76)) == (20, "voice")


def test_too_little_writing_turns_the_check_off_and_the_loss_chooses(tiny_model_dir: Path, small_dataset: Path,
                                                                      tmp_path: Path) -> None:
    run = make_run(tmp_path, small_dataset, max_steps=2)
    sink = Recorder()
    assert train_run(run, sink) == "done"
    sink.close()
    assert not [e for e in sink.events if e["event"] == "train.voice"]
    assert sink.events[-1]["chosen_by"] == "loss" and sink.events[-1]["chosen_step"] == sink.events[-1]["best_step"]


def test_the_writer_can_pick_another_kept_checkpoint(tiny_model_dir: Path, bierce_dataset: Path, tmp_path: Path,
                                                      engine_env: dict[str, str]) -> None:
    import subprocess
    import sys

    from safetensors.torch import load_file

    run = make_run(tmp_path, bierce_dataset, max_steps=4, keep_checkpoints=5)
    sink = Recorder()
    assert train_run(run, sink) == "done"
    sink.close()
    other = next(s for s, _ in list_checkpoints(run) if s != sink.events[-1]["chosen_step"])
    proc = subprocess.run([sys.executable, "-m", "voice_draft_engine", "choose", "--run", str(run), "--step", str(other)],
                          env=engine_env, capture_output=True, text=True, timeout=600)
    out = [json.loads(l) for l in proc.stdout.splitlines()]
    assert proc.returncode == 0 and out[-1] == {"event": "voice.chosen", "step": other, "by": "writer", "output": "adapter"}
    picked = load_file(str(run / "checkpoints" / f"step-{other:06d}" / "adapter" / "adapter_model.safetensors"))
    now = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    assert picked.keys() == now.keys() and all((picked[k] == now[k]).all() for k in picked)
    missing = subprocess.run([sys.executable, "-m", "voice_draft_engine", "choose", "--run", str(run), "--step", "999"],
                             env=engine_env, capture_output=True, text=True, timeout=600)
    error = json.loads(missing.stdout.splitlines()[-1])
    assert missing.returncode == 1 and error["code"] == "checkpoint_not_found" and "Kept checkpoints" in error["hint"]

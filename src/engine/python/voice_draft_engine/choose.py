"""`choose --run DIR --step N`: the writer picks which kept checkpoint is their voice.

Training exports the checkpoint with the best voice score (voice_check.py); the writer may
hear it differently in the canaries or the blind test. This rewrites the run's adapter/ (or
model/) from checkpoint N, the way training wrote the one it chose, and says so with
`voice.chosen {step, by: "writer", output}`, which readers of the run fold over train.done's
choice. An export afterwards (`export --run DIR`) makes it the voice the editor writes with.
"""

from __future__ import annotations

from pathlib import Path

from . import checkpoint as ckpt
from . import runlock
from .config import TrainConfig
from .protocol import EngineError, EventSink
from .versions import TRAIN, require_tested
from .events import VoiceChosen


def run_choose_command(sink: EventSink, run: str, step: int) -> int:
    from .model_setup import prepare_model
    from .models import resolve_base_model
    from .train import write_output

    require_tested(TRAIN, "Choosing a checkpoint")
    run_dir = Path(run).resolve()
    if not (run_dir / "config.json").is_file():
        raise EngineError("run_not_found", f"{run_dir} is not a trained run folder (no config.json).",
                          "Pick a run folder written by the engine's train command.")
    kept = [s for s, _ in ckpt.list_checkpoints(run_dir)]
    if step not in kept:
        raise EngineError("checkpoint_not_found", f"{run_dir.name} has no checkpoint at step {step}.",
                          f"Kept checkpoints: {', '.join(map(str, kept)) or 'none'} (training keeps the newest, "
                          "the lowest-loss and the best-voice ones; raise keep_checkpoints to keep more).")
    with runlock.acquire(run_dir, command="choose"):  # not while an engine trains it (it writes adapter/ too)
        sink.attach_run(run_dir)
        cfg = TrainConfig.load(run_dir / "config.json")
        prepared = prepare_model(resolve_base_model(cfg.base_model, sink), cfg, "cpu")
        output = write_output(run_dir, cfg, prepared.model, prepared.tokenizer, step)
        sink.emit(VoiceChosen(step=step, by="writer", output=output))
    return 0

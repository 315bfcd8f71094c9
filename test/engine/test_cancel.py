"""Cancel is SIGTERM (DESIGN §3): a real engine process finishes its step, checkpoints, says so."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from event_schema import train_stream_problems
from tiny_runs import cancel_at_first_step, make_run, train_to_end
from voice_draft_engine.checkpoint import list_checkpoints, read_state


def test_sigterm_leaves_a_usable_checkpoint_and_a_cancelled_event(tiny_model_dir: Path, small_dataset: Path,
                                                                   engine_env: dict[str, str], tmp_path: Path) -> None:
    # Checkpoints only every 1000 steps: the one we find must come from the SIGTERM.
    run = make_run(tmp_path, small_dataset, epochs=20, max_steps=12, eval_every=1000, gradient_accumulation_steps=1)
    proc = subprocess.Popen([sys.executable, "-m", "voice_draft_engine", "train", "--run", str(run)],
                            env=engine_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    events = cancel_at_first_step(proc)
    assert proc.wait(timeout=300) == 0
    assert train_stream_problems(events) == []
    cancelled = events[-1]
    assert cancelled["event"] == "train.cancelled" and 1 <= cancelled["step"] < 12
    assert cancelled["checkpoint"] == f"checkpoints/step-{cancelled['step']:06d}"
    [(step, path)] = list_checkpoints(run)
    assert step == cancelled["step"] and read_state(path).step == step
    assert (path / "adapter" / "adapter_model.safetensors").is_file() and not (run / "adapter").exists()
    assert [json.loads(l) for l in (run / "events.jsonl").read_text().splitlines()] == events

    # The checkpoint is usable: training resumes from it and finishes.
    resumed = train_to_end(run, resume=True)
    assert train_stream_problems(resumed) == []
    started = next(e for e in resumed if e["event"] == "train.started")  # after the synthetic drafts' events
    assert started["resumed_from"] == cancelled["checkpoint"] and "damaged_checkpoints" not in started
    assert [e["step"] for e in resumed if e["event"] == "train.progress"] == list(range(step + 1, 13))
    assert resumed[-1]["event"] == "train.done" and (run / "adapter" / "adapter_model.safetensors").is_file()

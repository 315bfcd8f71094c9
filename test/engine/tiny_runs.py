"""Run folders for the tiny Llama, shared by the engine tests and the fixture recorder."""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

from voice_draft_engine.events import Event
from voice_draft_engine.protocol import EventSink

# Small enough for seconds per epoch on two CPU cores, big enough to cross epochs,
# evaluate, checkpoint and early-stop-track.
TINY_CONFIG = {
    "base_model": "tiny:llama", "max_seq_len": 128, "epochs": 2, "micro_batch_size": 1,
    "gradient_accumulation_steps": 2, "learning_rate": 2e-2, "eval_every": 2, "early_stopping_patience": 20,
    "lora_r": 8, "lora_alpha": 16, "canary_samples": 2, "canary_max_new_tokens": 6, "keep_checkpoints": 1,
}


class Recorder(EventSink):
    """A real EventSink writing to memory; optionally asks for a stop after a given step,
    exactly as SIGTERM does (the same threading.Event)."""

    def __init__(self, stop: threading.Event | None = None, stop_after: int | None = None) -> None:
        super().__init__(stream=io.StringIO())
        self.stop, self.stop_after = stop, stop_after

    def emit(self, event: Event) -> dict[str, Any]:
        record = super().emit(event)
        if self.stop is not None and record["event"] == "train.progress" and record["step"] == self.stop_after:
            self.stop.set()
        return record

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._stream.getvalue().splitlines()]


def make_run(root: Path, dataset: Path, **overrides: Any) -> Path:
    run = root / "run"
    shutil.copytree(dataset, run / "dataset")
    (run / "config.json").write_text(json.dumps({**TINY_CONFIG, **overrides}))
    return run


def train_to_end(run: Path, *, resume: bool = False) -> list[dict[str, Any]]:
    """Train `run` in this process until it is done (train_run on a Recorder); its events."""
    from voice_draft_engine.train import train_run  # torch: only for the tests that train

    sink = Recorder()
    assert train_run(run, sink, resume=resume) == "done"
    sink.close()
    return sink.events


def cancel_at_first_step(proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    """An engine started with `train --run`, cancelled as the extension cancels it (SIGTERM)
    at its first train.progress: every event it wrote on stdout, to its end."""
    assert proc.stdout is not None
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "train.progress":
            proc.send_signal(signal.SIGTERM)
            break
    return events + [json.loads(line) for line in proc.stdout]

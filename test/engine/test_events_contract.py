"""The engine's event classes (voice_draft_engine/events.py) are the one description of its events:
the TypeScript types and checks and the event table of docs/contracts.md are generated from them."""

import subprocess
import sys
from pathlib import Path

from voice_draft_engine.events import BY_NAME, EVENTS, TERMINAL, TrainProgress

ROOT = Path(__file__).resolve().parents[2]


def test_the_typescript_types_and_the_contract_table_are_generated_from_the_event_classes():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "events_contract.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_an_event_goes_on_the_wire_with_its_name_and_without_the_fields_it_left_out():
    record = TrainProgress(step=3, epoch=0.5, loss=float("nan"), lr=1e-4, grad_norm=0.7, tokens_per_s=10.0,
                           eta_s=1.0, total_steps=9).record()
    assert record == {"event": "train.progress", "step": 3, "epoch": 0.5, "loss": None, "lr": 1e-4, "grad_norm": 0.7,
                      "tokens_per_s": 10.0, "eta_s": 1.0, "total_steps": 9}
    assert "damaged_checkpoints" not in BY_NAME["train.started"](config={}, dataset={}, device="cpu", dtype="float32",
                                                                   autocast=None, base_model={}, trainable_params=1,
                                                                   method="lora",
                                                                   steps_per_epoch=1, total_steps=1,
                                                                   resumed_from=None).record()


def test_every_event_has_one_class_and_the_terminal_ones_end_their_command():
    assert len(BY_NAME) == len(EVENTS)
    assert {"train.done", "train.cancelled", "error", "engine.ready", "export.done", "eval.done"} <= TERMINAL
    assert "train.progress" not in TERMINAL

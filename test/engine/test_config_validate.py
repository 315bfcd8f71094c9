"""TrainConfig refuses numbers that make no sense (issue #25, finding 7): negative or
non-finite values are config_invalid with a message naming the field, instead of
training with them (a negative max_grad_norm flipped every update)."""

from __future__ import annotations

import json

import pytest

from voice_draft_engine.config import TrainConfig
from voice_draft_engine.protocol import EngineError

BAD = [
    ({"max_grad_norm": -1.0}, "max_grad_norm"),
    ({"max_grad_norm": -0.5}, "max_grad_norm"),
    ({"weight_decay": -0.01}, "weight_decay"),
    ({"early_stopping_min_delta": -0.1}, "early_stopping_min_delta"),
    ({"keep_checkpoints": -1}, "keep_checkpoints"),
    ({"seed": -3}, "seed"),
    ({"canary_seed": -1}, "canary_seed"),
    ({"canary_top_k": -5}, "canary_top_k"),
    ({"canary_temperature": 0}, "canary_temperature"),
    ({"canary_temperature": -0.7}, "canary_temperature"),
    ({"canary_repetition_penalty": 0}, "canary_repetition_penalty"),
    ({"canary_repetition_window": -1}, "canary_repetition_window"),
    ({"learning_rate": -1e-3}, "learning_rate"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"epochs": -1}, "epochs"),
    ({"epochs": 0}, "epochs"),
    ({"max_steps": -1}, "max_steps"),
    ({"val_max_tokens": 0}, "val_max_tokens"),
    ({"lora_r": -8}, "lora_r"),
    ({"lora_alpha": 0}, "lora_alpha"),
]


@pytest.mark.parametrize("overrides,field", BAD, ids=[f"{k}={v}" for (o, _) in BAD for k, v in o.items()])
def test_out_of_range_values_are_config_invalid(overrides, field):
    with pytest.raises(EngineError) as info:
        TrainConfig.from_dict(overrides)
    assert info.value.code == "config_invalid"
    assert field in info.value.message


@pytest.mark.parametrize("text,field", [
    ('{"max_grad_norm": NaN}', "max_grad_norm"),
    ('{"weight_decay": Infinity}', "weight_decay"),
    ('{"learning_rate": NaN}', "learning_rate"),
    ('{"early_stopping_min_delta": NaN}', "early_stopping_min_delta"),
    ('{"canary_temperature": Infinity}', "canary_temperature"),
    ('{"max_grad_norm": -Infinity}', "max_grad_norm"),
])
def test_non_finite_numbers_from_json_are_config_invalid(text, field):
    # json.loads (what TrainConfig.load uses) reads these literals without complaint.
    with pytest.raises(EngineError) as info:
        TrainConfig.from_dict(json.loads(text))
    assert info.value.code == "config_invalid"
    assert field in info.value.message
    assert "finite" in info.value.message or "more than 0" in info.value.message


def test_zero_is_allowed_where_it_means_off():
    cfg = TrainConfig.from_dict({"max_grad_norm": 0, "weight_decay": 0, "keep_checkpoints": 0,
                                 "canary_top_k": 0, "early_stopping_min_delta": 0, "seed": 0})
    assert cfg.max_grad_norm == 0.0


def test_unknown_fields_are_named():
    with pytest.raises(EngineError) as info:
        TrainConfig.from_dict({"epoch": 2, "learnin_rate": 1e-3})
    assert info.value.code == "config_invalid"
    assert "epoch, learnin_rate" in info.value.message


def test_the_message_says_what_value_was_refused():
    with pytest.raises(EngineError) as info:
        TrainConfig.from_dict({"max_grad_norm": -1.0}, where="--config")
    assert info.value.message.startswith("--config: max_grad_norm must be 0 or more, not -1.0")


def test_a_config_resolved_before_the_canaries_penalty_keeps_drawing_without_one() -> None:
    """A run resumed across versions: its checkpoint's resolved config names the canaries'
    temperature but no penalty, and its base canaries were drawn without one."""
    from voice_draft_engine.editor_sampling import GHOST_TEXT

    before = TrainConfig.from_dict({"canary_temperature": 0.8, "canary_top_k": 50})
    assert (before.canary_temperature, before.canary_top_k, before.canary_repetition_penalty) == (0.8, 50, 1.0)
    assert TrainConfig.from_dict({}).canary_repetition_penalty == GHOST_TEXT.repetition_penalty
    assert TrainConfig.from_dict(TrainConfig().to_dict()).canary_repetition_penalty == GHOST_TEXT.repetition_penalty
    # Resolved before the penalty had a window, its canaries were penalised over the whole prompt, as now.
    assert before.canary_repetition_window == TrainConfig().canary_repetition_window == GHOST_TEXT.repetition_window == 0
    assert TrainConfig.from_dict({"canary_repetition_window": 64}).canary_repetition_window == 64

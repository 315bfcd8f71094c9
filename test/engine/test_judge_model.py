"""The judges' model on a CPU: a plain copy that answers exactly as the PEFT model does, with or
without its adapter, made once per step, and never a change to the model being trained."""

from __future__ import annotations

from pathlib import Path

import torch

from voice_draft_engine.config import TrainConfig
from voice_draft_engine.distributed import World
from voice_draft_engine.judge_model import JudgeModels, plain_copy
from voice_draft_engine.model_setup import prepare_model


def trained_a_little(tiny_model_dir: Path):
    """A LoRA model whose adapter changes its answers (B starts at zero)."""
    torch.manual_seed(0)
    prepared = prepare_model(tiny_model_dir, TrainConfig(base_model=str(tiny_model_dir), lora_r=8, lora_dropout=0.0))
    with torch.no_grad():
        for name, p in prepared.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
    return prepared


def logits(model, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=ids, use_cache=False).logits.float()


def test_the_copy_answers_as_the_model_with_and_without_its_adapter(tiny_model_dir: Path) -> None:
    prepared = trained_a_little(tiny_model_dir)
    model = prepared.model.eval()
    ids = torch.randint(0, 1000, (2, 24))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    tuned = logits(model, ids)
    with model.disable_adapter():
        base = logits(model, ids)
    assert (tuned - base).abs().max() > 1e-3  # the adapter does change the answers

    merged, unloaded = plain_copy(model, torch.float32), plain_copy(model, torch.float32, adapter=False)
    assert torch.allclose(logits(merged, ids), tuned, atol=1e-4)
    assert torch.allclose(logits(unloaded, ids), base, atol=1e-5)
    for copy in (merged, unloaded):
        assert not hasattr(copy, "disable_adapter") and not copy.training
        assert not any(p.requires_grad for p in copy.parameters())
    # The trained model keeps its adapter and every weight as it was.
    after = dict(model.named_parameters())
    assert after.keys() == before.keys() and all(torch.equal(after[n], before[n]) for n in before)
    assert torch.equal(logits(model, ids), tuned)

    half = plain_copy(model, torch.bfloat16)
    assert {p.dtype for p in half.parameters()} == {torch.bfloat16}
    assert (logits(half, ids) - tuned).abs().mean() < 0.05 * tuned.abs().mean()


def test_one_copy_per_step_on_a_cpu_and_the_model_itself_elsewhere(tiny_model_dir: Path) -> None:
    prepared = trained_a_little(tiny_model_dir)
    judges = JudgeModels.for_run(prepared, World())
    assert judges.copy_dtype == (prepared.autocast_dtype or torch.float32) and judges.autocast_dtype is None
    at_4 = judges.tuned(4)
    assert judges.tuned(4) is at_4 and judges.tuned(6) is not at_4 and at_4 is not prepared.model
    with judges.base() as base:
        assert base is not prepared.model and not hasattr(base, "disable_adapter")
    with judges.base(full_finetune_resumed=True) as base:
        assert base is None

    # Several processes (or a GPU): the model itself, its adapter switched off for the base.
    shared = JudgeModels.for_run(prepared, World(rank=0, size=2))
    assert shared.copy_dtype is None and shared.tuned(4) is prepared.model
    assert shared.autocast_dtype is prepared.autocast_dtype
    ids = torch.randint(0, 1000, (1, 12))
    with shared.base() as base:
        assert base is prepared.model
        switched_off = logits(base, ids)
    assert not torch.allclose(switched_off, logits(prepared.model, ids))

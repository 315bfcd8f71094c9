"""The training loop on the tiny Llama: learning, accumulation, clipping, early stopping, stopping."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from voice_draft_engine import data
from voice_draft_engine.config import TrainConfig
from voice_draft_engine.loop import LoopArgs, LoopHooks, LoopState, token_loss_sum, train
from voice_draft_engine.model_setup import prepare_model
from voice_draft_engine.train import lr_lambda


def fresh(tiny_model_dir: Path, **overrides):
    torch.manual_seed(0)  # the same LoRA init every time
    cfg = TrainConfig(base_model=str(tiny_model_dir), lora_dropout=0.0, **overrides)
    return prepare_model(tiny_model_dir, cfg)


@pytest.fixture(scope="module")
def windows(bierce_dataset: Path, tiny_model_dir: Path) -> list[data.Tokenized]:
    """Short pieces of real text (raw windows and a chat pair), quick to train on."""
    from voice_draft_engine.model_setup import load_tokenizer

    tok = load_tokenizer(tiny_model_dir)
    ds = data.load_dataset(bierce_dataset)
    raw = [e for e in ds.train if e["tier"] == "raw"][:3]
    pieces = [w for e in raw for w in data.tokenize_example(e, tok, 48)]
    short_pair = min((e for e in ds.train if e["tier"] == "T4"), key=lambda e: len(e["messages"][-1]["content"]))
    pair = data.tokenize_example(short_pair, tok, 4096)
    assert pair and len(pieces) >= 6
    return pair[:1] + pieces


def sgd(model, lr: float):
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=lr)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)


def adamw(model, lr: float):
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)


def trainable(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def frozen(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}


def test_loss_falls_and_only_the_adapter_moves(tiny_model_dir: Path, windows) -> None:
    prepared = fresh(tiny_model_dir)
    model = prepared.model
    batch = data.collate([windows[1:3]], data.pad_token_id(prepared.tokenizer))
    base_before, adapter_before = frozen(model), trainable(model)
    assert all(name.endswith(".weight") and "lora_" in name for name in adapter_before)

    losses: list[float] = []
    optimizer, scheduler = adamw(model, 3e-2)
    # The same batch six times: the loss must fall (the model can memorise it).
    outcome = train(model, optimizer, scheduler, [[batch] * 6], token_loss_sum, state=LoopState(),
                    hooks=LoopHooks(on_metrics=lambda m: losses.append(m.loss)))
    assert outcome == "done" and len(losses) == 6 and all(math.isfinite(l) for l in losses)
    assert losses[-1] < losses[0] - 0.1, losses
    assert sum(losses[-3:]) < sum(losses[:3]), losses  # a trend, not one lucky step

    for name, before in frozen(model).items():
        assert torch.equal(before, base_before[name]), f"base weight {name} changed"
    moved = [n for n, p in trainable(model).items() if not torch.equal(p, adapter_before[n])]
    assert len(moved) == len(adapter_before)  # every LoRA matrix learned something
    assert all(adapter_before[n].abs().sum() == 0 for n in adapter_before if "lora_B" in n)  # B starts at zero


def test_accumulation_weighs_every_token_the_same(tiny_model_dir: Path, windows) -> None:
    pad = data.pad_token_id(fresh(tiny_model_dir).tokenizer)
    short, long = [windows[1]], [windows[0], windows[2]]  # one raw window vs a chat pair and a window
    b_short, b_long = data.collate([short], pad), data.collate([long], pad)
    assert b_long.n_labels > 2 * b_short.n_labels

    # Two micro-batches accumulated into one step...
    a = fresh(tiny_model_dir).model
    train(a, *sgd(a, 0.5), [[b_short, b_long]], token_loss_sum, state=LoopState(), args=LoopArgs(grad_accum=2, max_grad_norm=None))
    # ...equal one batch holding both rows (with padding): a mean over all trained tokens.
    b = fresh(tiny_model_dir).model
    train(b, *sgd(b, 0.5), [[data.collate([short, long], pad)]], token_loss_sum, state=LoopState(),
          args=LoopArgs(grad_accum=1, max_grad_norm=None))
    after_a, after_b = trainable(a), trainable(b)
    for name in after_a:
        assert torch.allclose(after_a[name], after_b[name], atol=1e-6), name
    # The naive alternative (mean per micro-batch, then averaged) would land elsewhere.
    c = fresh(tiny_model_dir).model
    per_batch_mean = lambda m, batch: token_loss_sum(m, batch) * (b_short.n_labels + b_long.n_labels) / (2 * batch.n_labels)
    train(c, *sgd(c, 0.5), [[b_short, b_long]], per_batch_mean, state=LoopState(), args=LoopArgs(grad_accum=2, max_grad_norm=None))
    assert any(not torch.allclose(p, after_a[n], atol=1e-6) for n, p in trainable(c).items())


def test_clipping_bounds_the_update(tiny_model_dir: Path, windows) -> None:
    model = fresh(tiny_model_dir).model
    before = trainable(model)
    norms: list[float] = []
    batch = data.collate([windows[1:3]], 2)
    train(model, *sgd(model, 1.0), [[batch]], token_loss_sum, state=LoopState(), args=LoopArgs(max_grad_norm=1e-3),
          hooks=LoopHooks(on_metrics=lambda m: norms.append(m.grad_norm)))
    step = torch.sqrt(sum(((p - before[n]) ** 2).sum() for n, p in trainable(model).items()))
    assert norms[0] > 1e-2  # the reported norm is the one before clipping
    assert float(step) <= 1e-3 * 1.001


def test_the_loss_needs_logits_only_where_a_token_is_trained(tiny_model_dir: Path, windows) -> None:
    import torch.nn.functional as F

    model = fresh(tiny_model_dir).model
    batch = data.collate([windows[:2], windows[2:4]], 2)  # a chat pair with its prompt masked, and raw text
    assert 0 < batch.n_labels < batch.labels[:, 1:].numel()
    every = model(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False).logits[:, :-1]
    reference = F.cross_entropy(every.reshape(-1, every.size(-1)).float(), batch.labels[:, 1:].reshape(-1),
                                ignore_index=data.IGNORE, reduction="sum")
    reference_grads = torch.autograd.grad(reference, [p for p in model.parameters() if p.requires_grad])
    loss = token_loss_sum(model, batch)
    grads = torch.autograd.grad(loss, [p for p in model.parameters() if p.requires_grad])
    assert loss.item() == pytest.approx(reference.item(), rel=1e-5)
    assert all(torch.allclose(g, r, atol=1e-6) for g, r in zip(grads, reference_grads))
    nothing = data.collate([windows[:1]], 2)
    nothing.labels[:] = data.IGNORE
    assert token_loss_sum(model, nothing).item() == 0.0


def test_early_stopping_and_evaluation(tiny_model_dir: Path, windows) -> None:
    model = fresh(tiny_model_dir).model
    batch = data.collate([windows[1:3]], 2)
    evals: list[tuple[int, float, bool]] = []
    checkpoints: list[int] = []
    state = LoopState()
    # lr 0: the val loss cannot improve after the first evaluation, so patience 2 stops at step 3.
    outcome = train(model, *sgd(model, 0.0), [[batch] * 10], token_loss_sum, state=state, eval_batches=[batch],
                    args=LoopArgs(eval_every=1, patience=2),
                    hooks=LoopHooks(on_eval=lambda s, v, best: evals.append((s, v, best)),
                                    on_checkpoint=lambda s: checkpoints.append(s.step)))
    assert outcome == "early_stop" and state.step == 3
    assert [(s, best) for s, _, best in evals] == [(1, True), (2, False), (3, False)]
    assert state.best_step == 1 and state.best_val_loss == pytest.approx(evals[0][1])
    assert evals[0][1] == pytest.approx(float(token_loss_sum(model, batch).detach()) / batch.n_labels, rel=1e-5)
    assert checkpoints == [1, 2, 3]


def test_the_last_step_is_evaluated_and_the_judged_model_computes_the_val_loss(tiny_model_dir: Path, windows) -> None:
    model = fresh(tiny_model_dir).model
    batch = data.collate([windows[1:3]], 2)
    judge = fresh(tiny_model_dir, lora_r=4).model  # another model: the val loss must be its
    evals: list[tuple[int, float]] = []
    checkpoints: list[int] = []
    state = LoopState()
    # max_steps 5 is neither a multiple of eval_every nor an epoch's end: its weights are judged all the same.
    outcome = train(model, *sgd(model, 0.1), [[batch] * 10], token_loss_sum, state=state, eval_batches=[batch],
                    args=LoopArgs(eval_every=2, max_steps=5),
                    hooks=LoopHooks(on_eval=lambda s, v, best: evals.append((s, v)),
                                    on_checkpoint=lambda s: checkpoints.append(s.step), judged_model=lambda m: judge))
    assert outcome == "max_steps" and state.step == 5 and state.last_eval_step == 5
    assert [s for s, _ in evals] == [2, 4, 5] and checkpoints == [2, 4, 5]
    with torch.no_grad():
        judged = float(token_loss_sum(judge, batch)) / batch.n_labels
    assert all(v == pytest.approx(judged, rel=1e-5) for _, v in evals)


def test_stop_request_ends_between_steps_with_a_checkpoint(tiny_model_dir: Path, windows) -> None:
    model = fresh(tiny_model_dir).model
    batch = data.collate([windows[1:2]], 2)
    state = LoopState()
    metrics, saved = [], []
    outcome = train(model, *sgd(model, 0.1), [[batch] * 4, [batch] * 4], token_loss_sum, state=state,
                    args=LoopArgs(grad_accum=2),
                    hooks=LoopHooks(on_metrics=metrics.append, on_checkpoint=lambda s: saved.append(s.as_dict()),
                                    should_stop=lambda: len(metrics) == 3))
    assert outcome == "stopped"
    assert [m.step for m in metrics] == [1, 2, 3] and [m.epoch for m in metrics] == [0.5, 1.0, 1.5]
    assert metrics[0].total_steps == 4 and metrics[0].eta_s >= metrics[2].eta_s >= 0
    # Epoch 1 ended at step 2 (a checkpoint); the stop after step 3 saved the resume point.
    assert [(s["step"], s["epoch"], s["batch_in_epoch"]) for s in saved] == [(2, 1, 0), (3, 1, 2)]


def test_learning_rate_schedule() -> None:
    cfg = TrainConfig(learning_rate=1.0, warmup_ratio=0.1, min_lr_ratio=0.1)
    f = lr_lambda(cfg, 100)
    assert [round(f(s), 3) for s in (0, 4, 9)] == [0.091, 0.455, 0.909]  # warm-up over 10 steps
    assert f(10) == pytest.approx(1.0) and f(100) == pytest.approx(0.1)
    assert f(55) == pytest.approx(0.55)  # half-way down the cosine
    assert all(f(s) >= f(s + 1) for s in range(10, 100))
    constant = lr_lambda(TrainConfig(lr_schedule="constant", warmup_ratio=0.0), 100)
    assert {constant(s) for s in range(100)} == {1.0}

"""The training loop, nanoGPT-style: one function you can read top to bottom.

It knows nothing about runs, events or files. The caller hands it batches per epoch,
one `LoopArgs` (how to step, evaluate and stop) and one `LoopHooks` (what to tell the
caller between steps, the way mlx-lm's TrainingArgs and TrainingCallback do); everything the loop changes lives in `LoopState`, which checkpoints
save and resumes restore, so a resumed run takes exactly the steps the
interrupted one would have taken.

Loss normalisation: an optimizer step sums the token losses of its micro-batches
and divides by the number of trained tokens in the whole step, so every token
weighs the same whatever the micro-batch size (a mean per micro-batch would give a
short answer's tokens more weight than a long one's).

Several processes (DDP): the caller passes a `World` (distributed.py) and the model
wrapped by it; each process trains its share of every step's micro-batches, and sums
and stop decisions go through the World. A single process is a World of one.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from .config import TrainConfig
from .data import IGNORE, Batch
from .distributed import World


@dataclass
class LoopState:
    step: int = 0  # optimizer steps taken
    epoch: int = 0  # epochs completed; the current one is epochs[epoch]
    batch_in_epoch: int = 0  # micro-batches of the current epoch already consumed
    tokens_seen: int = 0
    best_val_loss: float | None = None
    best_step: int | None = None
    evals_without_improvement: int = 0
    last_eval_step: int | None = None
    # The caller's voice score at evaluations (train.py, voice_check.py): the loop only keeps it
    # here so a resumed run still knows which checkpoint sounded most like the writer.
    best_voice_score: float | None = None
    best_voice_step: int | None = None
    voice_scores: list[list[float]] = field(default_factory=list)  # [step, score, stderr] at each evaluation

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Metrics:
    step: int
    epoch: float
    loss: float
    lr: float
    grad_norm: float
    tokens_per_s: float
    eta_s: float
    total_steps: int


@dataclass(frozen=True)
class LoopArgs:
    """How the loop steps, evaluates and stops (TrainConfig's fields of the same meaning)."""

    grad_accum: int = 1
    max_grad_norm: float | None = 1.0
    max_steps: int | None = None
    eval_every: int | None = None  # also at each epoch's end and at max_steps
    patience: int | None = None  # evaluations without a better val loss before stopping early
    min_delta: float = 0.0
    log_every: int = 1

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> LoopArgs:
        return cls(grad_accum=cfg.gradient_accumulation_steps, max_grad_norm=cfg.max_grad_norm, max_steps=cfg.max_steps,
                   eval_every=cfg.eval_every, patience=cfg.early_stopping_patience,
                   min_delta=cfg.early_stopping_min_delta, log_every=cfg.log_every)


def _nothing(*_: Any) -> None:
    return None


@dataclass(frozen=True)
class LoopHooks:
    """What the loop tells its caller (and, for the val loss, asks it), always between steps; each
    does nothing unless given."""

    on_metrics: Callable[[Metrics], None] = _nothing
    on_eval: Callable[[int, float, bool], None] = _nothing  # step, val loss, a new best
    on_epoch_end: Callable[[int], None] = _nothing  # the epoch just completed, from 1
    on_checkpoint: Callable[[LoopState], None] = _nothing  # the state a resume needs
    should_stop: Callable[[], bool] = lambda: False
    judged_model: Callable[[Any], Any] = lambda model: model  # the model the val loss is computed with


def token_loss_sum(model: Any, batch: Batch, autocast_dtype: Any = None) -> Any:
    """Summed next-token cross-entropy over the batch's trained tokens (not the mean)."""
    import torch
    import torch.nn.functional as F

    device = next(model.parameters()).device
    batch = batch.to(device)
    amp = (torch.autocast(device_type=device.type, dtype=autocast_dtype) if autocast_dtype is not None
           else contextlib.nullcontext())
    # Logits only where the next token is trained: the vocabulary projection and the softmax over
    # ~49k words are a large share of a small model's step, and a masked prompt, a FIM pair's
    # prefix and suffix or the padding need neither (the same loss, summed over the same tokens).
    trained = batch.labels[:, 1:] != IGNORE
    keep = F.pad(trained, (0, 1), value=False)  # position t predicts token t + 1
    with amp:
        # No attention mask and use_cache off: restarting position ids then give each packed
        # example its own causal block (see data.py).
        logits = model(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False,
                       logits_to_keep=keep).logits
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), batch.labels[:, 1:][trained],
                           reduction="sum")


def evaluate(model: Any, batches: Sequence[Batch], loss_fn: Callable[[Any, Batch], Any],
             world: World = World()) -> float | None:
    """Mean loss per trained token over all batches (the val loss); None without data.
    With several processes each evaluates its shard and the sums are added up."""
    import torch

    if not batches:
        return None
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in world.shard(batches):
            total += float(loss_fn(model, batch))
            count += batch.n_labels
    model.train(was_training)
    total, count = world.sum(total), world.sum(count)
    return total / max(count, 1)


def steps_in_epoch(n_batches: int, grad_accum: int) -> int:
    return math.ceil(n_batches / grad_accum)


def train(
    model: Any,
    optimizer: Any,
    scheduler: Any,
    epochs: Sequence[Sequence[Batch]],
    loss_fn: Callable[[Any, Batch], Any],
    *,
    state: LoopState,
    args: LoopArgs = LoopArgs(),
    hooks: LoopHooks = LoopHooks(),
    eval_batches: Sequence[Batch] = (),
    world: World = World(),
) -> str:
    """Train until the epochs are done ("done"), max_steps ("max_steps"), val loss stops
    improving ("early_stop"), or hooks.should_stop() turns true between steps ("stopped").

    hooks.on_checkpoint is called after every evaluation, at every epoch end, and before
    returning "stopped", always between steps, with the state a resume needs.
    With several processes, every one of them calls train() and takes the same decisions.
    """
    import torch

    grad_accum, max_steps, eval_every = args.grad_accum, args.max_steps, args.eval_every

    params = [p for p in model.parameters() if p.requires_grad]
    total_steps = sum(steps_in_epoch(len(e), grad_accum) for e in epochs)
    if max_steps is not None:
        total_steps = min(total_steps, max_steps)
    step_times: list[float] = []
    model.train()

    def run_eval() -> bool:
        """Evaluate, track the best; True when patience ran out."""
        val_loss = evaluate(hooks.judged_model(model), eval_batches, loss_fn, world)
        state.last_eval_step = state.step
        if val_loss is None:
            return False
        improved = state.best_val_loss is None or val_loss < state.best_val_loss - args.min_delta
        if improved:
            state.best_val_loss, state.best_step = val_loss, state.step
            state.evals_without_improvement = 0
        else:
            state.evals_without_improvement += 1
        hooks.on_eval(state.step, val_loss, improved)
        return args.patience is not None and state.evals_without_improvement >= args.patience

    while state.epoch < len(epochs):
        batches = epochs[state.epoch]
        if not batches:  # nothing to learn from in this epoch: move on
            state.epoch += 1
            continue
        while state.batch_in_epoch < len(batches):
            if max_steps is not None and state.step >= max_steps:
                return "max_steps"
            t0 = time.perf_counter()
            group = batches[state.batch_in_epoch:state.batch_in_epoch + grad_accum]
            n_labels = max(sum(b.n_labels for b in group), 1)  # the whole step's, on every process
            # This process's micro-batches of the step (all of them in a single process), each
            # with the weight of its gradient; gradients are exchanged after the last one.
            share = world.share(group)
            loss_total = 0.0
            for i, (batch, weight) in enumerate(share):
                with world.gradient_sync(model, now=i == len(share) - 1):
                    loss = loss_fn(model, batch) / n_labels
                    (loss * weight).backward()
                loss_total += loss.item() * weight / world.size
            loss_total = world.sum(loss_total)
            if args.max_grad_norm:
                grad_norm = float(torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm))
            else:
                grad_norm = float(torch.norm(torch.stack([p.grad.norm() for p in params if p.grad is not None])))
            lr = optimizer.param_groups[0]["lr"]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)

            state.step += 1
            state.batch_in_epoch += len(group)
            tokens = sum(b.n_tokens for b in group)
            state.tokens_seen += tokens
            elapsed = time.perf_counter() - t0
            step_times = (step_times + [elapsed])[-20:]
            if state.step % args.log_every == 0 or state.step == total_steps:
                mean_step = sum(step_times) / len(step_times)
                hooks.on_metrics(Metrics(
                    step=state.step, epoch=state.epoch + state.batch_in_epoch / len(batches), loss=loss_total,
                    lr=lr, grad_norm=grad_norm, tokens_per_s=tokens / max(elapsed, 1e-9),
                    eta_s=mean_step * max(total_steps - state.step, 0), total_steps=total_steps))

            epoch_over = state.batch_in_epoch >= len(batches)
            # The last step is evaluated too: its weights can be the voice only if they were judged.
            due = (eval_every is not None and state.step % eval_every == 0) or state.step == max_steps
            if (due or epoch_over) and run_eval():
                hooks.on_checkpoint(state)
                return "early_stop"
            if epoch_over:
                hooks.on_epoch_end(state.epoch + 1)
                state.epoch += 1
                state.batch_in_epoch = 0
            if due or epoch_over:
                hooks.on_checkpoint(state)
            if world.any(hooks.should_stop()):
                if not (due or epoch_over):
                    hooks.on_checkpoint(state)
                return "stopped"
            if epoch_over:
                break
    return "done"

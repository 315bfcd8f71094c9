"""`train --run DIR [--resume]`: one run folder in, an adapter and a stream of events out.

The order of things (DESIGN §3):
  1. config: the run's config.json (overrides) resolved, or the newest checkpoint's on resume
  2. base model resolved (built, downloaded) and loaded; LoRA/QLoRA attached, or full fine-tuning
  3. dataset tokenized, packed per epoch (deterministically), config.json rewritten resolved
  4. train.started; the label mask and packing isolation checked on real batches
  5. base canaries (before any training), then the loop: progress, evals, checkpoints,
     canaries after each epoch, early stopping on val loss
  6. the best checkpoint's weights become adapter/ (atomically), then train.done
SIGTERM/SIGINT: the current step finishes, a checkpoint is written, train.cancelled.

With a `launcher` in the config, `train --run DIR` starts the launcher instead (launch.py)
and each of its processes runs train_run with `--worker` in a World of N (distributed.py):
all of them train, rank 0 alone writes.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import checkpoint as ckpt
from . import runlock
from .canaries import FILE as CANARIES_FILE
from .canaries import CanaryBook, common_system_message, configured_canaries
from .config import TrainConfig
from .data import (Batch, Dataset, Encoded, batches_of, check_mask, check_packing, encode_split, epoch_rows,
                   load_dataset, pack, pad_token_id)
from .default_model import save_tokenizer
from .drafts.synthetic import synthetic_drafts
from .distributed import World, joined
from .files import write_json
from .framing import titles_by_doc
from .hardware import apply_hardware_defaults, detect, recommend
from .loop import LoopState, Metrics, steps_in_epoch, token_loss_sum, train
from .model_setup import pick_device, prepare_model
from .models import resolve_base_model
from .protocol import EngineError, EventSink
from .versions import TRAIN, require_tested
from .voice_check import VoiceCheck

log = logging.getLogger(__name__)

# How many leading batches check_mask inspects: enough to see every tier, cheap to decode.
MASK_CHECK_BATCHES = 4


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (the extension's cancel) and SIGINT (Ctrl-C) ask for a clean stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request(signum: int, _frame: Any) -> None:
        log.info("%s received: stopping after the current step", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, request) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def lr_lambda(cfg: TrainConfig, total_steps: int) -> Any:
    warmup = round(cfg.warmup_ratio * total_steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if cfg.lr_schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def oom_error(cfg: TrainConfig, device: str, step: int) -> EngineError:
    """Out of GPU memory: say exactly what to change. We do not retry on our own with a
    smaller micro-batch: the resume guarantee (same steps as an uninterrupted run) holds
    only for an unchanged config, so the writer decides, and resumes from the checkpoint."""
    mb, ga = cfg.micro_batch_size or 1, cfg.gradient_accumulation_steps
    if mb > 1:
        change = (f"set micro_batch_size to {mb // 2} and gradient_accumulation_steps to {ga * 2} "
                  "(the same effective batch)")
    elif not cfg.gradient_checkpointing:
        change = "set gradient_checkpointing to true"
    elif not cfg.qlora and not cfg.full_finetune:
        change = "set qlora to true (4-bit base weights)"
    else:
        change = f"lower max_seq_len to {max(64, cfg.max_seq_len // 2)} or choose a smaller base model"
    return EngineError("cuda_oom", f"Out of GPU memory on {device} at step {step + 1} "
                                   f"(micro_batch_size {mb}, max_seq_len {cfg.max_seq_len}).",
                       f"In the run's config.json, {change}; then train again.")


def _relative(path: Path | None, run_dir: Path) -> str | None:
    return str(path.relative_to(run_dir)) if path is not None else None


# How to run, not what to train: a resume takes these from the run's config.json, so it may
# use another number of GPUs (the steps are the same whatever the number of processes).
EXECUTION_FIELDS = ("launcher", "processes")


def starting_point(run_dir: Path, resume: bool) -> tuple[TrainConfig, Path | None, list[tuple[Path, str]]]:
    """The config to train with, the checkpoint to resume from (None: from scratch) and the
    newer checkpoints that failed verification (checkpoint.checkpoint_problem), with why.

    A resume takes the newest intact checkpoint and trusts its own resolved config (the run's
    config.json may have been edited since; a different batch shape would break the resume
    guarantee), except for EXECUTION_FIELDS. Reads only: a fresh start then calls
    clear_earlier_attempt, a resume set_aside_damaged."""
    resume_from, damaged = ckpt.latest_intact_checkpoint(run_dir) if resume else (None, [])
    for path, problem in damaged:
        log.warning("--resume: checkpoint %s is damaged (%s); trying the one before it", path.name, problem)
    if resume and resume_from is None:
        log.warning("--resume: no intact checkpoint in %s; starting from the beginning", run_dir)
    if resume_from is not None:
        config = ckpt.read_config(resume_from)
        try:
            current = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = {}
        if isinstance(current, dict):
            config |= {k: current[k] for k in EXECUTION_FIELDS if k in current}
        return TrainConfig.from_dict(config, where=str(resume_from / "config.json")), resume_from, damaged
    cfg = TrainConfig.load(run_dir / "config.json")
    apply_hardware_defaults(cfg, set(_config_overrides(run_dir)), detect())
    return cfg, None, damaged


def set_aside_damaged(run_dir: Path, damaged: list[tuple[Path, str]]) -> list[dict[str, str]]:
    """Renames the damaged checkpoints (step-NNNNNN.damaged) so that no later prune keeps one of
    them in place of an intact checkpoint; what train.started says about them."""
    report = []
    for path, problem in damaged:
        moved = ckpt.set_aside(path) if path.is_dir() else path
        report.append({"checkpoint": _relative(path, run_dir), "problem": problem,
                       "moved_to": _relative(moved, run_dir)})
    return report


def _config_overrides(run_dir: Path) -> dict[str, Any]:
    """The fields the run's config.json sets (TrainConfig.load has checked them)."""
    try:
        data = json.loads((run_dir / "config.json").read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def clear_earlier_attempt(run_dir: Path) -> None:
    """A fresh start removes an earlier attempt's checkpoints and canaries."""
    for stale in (run_dir / ckpt.CHECKPOINTS, run_dir / CANARIES_FILE):
        if stale.is_dir():
            log.info("fresh start: removing %s from an earlier attempt", stale)
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()


def device_in(world: World, cfg: TrainConfig) -> str:
    """This process's device: the config's, or under a launcher the one its World gives it
    (the GPU of its local rank, or the CPU), which the config may only name loosely."""
    if world.device is None:
        return pick_device(cfg.device)
    if cfg.device not in ("auto", world.device, world.device.split(":")[0]):
        raise EngineError("config_invalid", f"device {cfg.device!r} with {world.size} processes: each process "
                                            f"trains on {'its own GPU' if world.device != 'cpu' else 'the CPU'}.",
                          "Set device to \"auto\" in the run's config.json, or launcher to \"none\".")
    return world.device


def batches_fingerprint(batches: "Batches") -> list[list[int]]:
    """What every process must agree on before step 1: the same micro-batches, epoch by epoch."""
    return [[len(epoch), sum(b.n_labels for b in epoch), sum(b.n_tokens for b in epoch)]
            for epoch in batches.epochs + [batches.val_batches]]


@dataclass
class Batches:
    train: Encoded
    val: Encoded
    epochs: list[list[Batch]]  # every epoch's micro-batches, shuffled and packed up front
    val_batches: list[Batch]
    steps_per_epoch: int
    total_steps: int


def make_batches(dataset: Dataset, tokenizer: Any, cfg: TrainConfig) -> Batches:
    titles = titles_by_doc(dataset.documents)
    train_set = encode_split(dataset.train, tokenizer, cfg.max_seq_len, cfg.framing, titles)
    if not train_set.examples:
        raise EngineError("dataset_invalid", f"No training example fits in max_seq_len={cfg.max_seq_len} tokens.",
                          "Raise max_seq_len in the run's config.json, or rebuild the dataset with shorter pairs.")
    val_set = encode_split(dataset.val, tokenizer, cfg.max_seq_len, cfg.framing, titles)
    pad, rows_per_batch = pad_token_id(tokenizer), cfg.micro_batch_size or 1
    epochs = [batches_of(epoch_rows(train_set.examples, e, cfg.seed, cfg.max_seq_len, cfg.packing), rows_per_batch, pad)
              for e in range(cfg.epochs)]
    val_batches = batches_of(pack(val_set.examples, cfg.max_seq_len, cfg.packing), rows_per_batch, pad)
    total = sum(steps_in_epoch(len(e), cfg.gradient_accumulation_steps) for e in epochs)
    return Batches(train_set, val_set, epochs, val_batches,
                   steps_per_epoch=steps_in_epoch(len(epochs[0]), cfg.gradient_accumulation_steps),
                   total_steps=min(total, cfg.max_steps) if cfg.max_steps is not None else total)


def train_run(run_dir: Path, sink: EventSink, resume: bool = False, stop: threading.Event | None = None,
              world: World | None = None) -> str:
    """Train the run in `run_dir`; returns "done" or "cancelled" (errors raise EngineError).
    In a World of several processes, every process calls it (only rank 0's sink speaks)."""
    started = time.monotonic()
    run_dir = Path(run_dir).resolve()
    stop = stop or threading.Event()
    world = world or World()
    if not run_dir.is_dir():
        raise EngineError("run_not_found", f"{run_dir} is not a folder.", "Create the run first.")
    sink.attach_run(run_dir)
    cfg, resume_from, damaged = starting_point(run_dir, resume)
    damaged_report = set_aside_damaged(run_dir, damaged) if world.main else []
    if resume_from is not None and world.main:
        ckpt.remove_leftovers(run_dir)  # half-written checkpoints of an engine that was killed
    if resume_from is None and world.main:
        clear_earlier_attempt(run_dir)
    cfg.processes = world.size if cfg.launcher != "none" else None  # resolved: what runs
    cfg.validate(str(run_dir / "config.json"))
    device = device_in(world, cfg)
    dataset = load_dataset(run_dir / "dataset")
    if cfg.micro_batch_size is None:
        cfg.micro_batch_size = int(recommend(detect())["micro_batch_size"])

    import torch

    torch.manual_seed(cfg.seed)  # adapter init; a resume restores the RNG from its checkpoint
    with world.main_first():  # one download or build of the base model, not one per process
        base_dir = resolve_base_model(cfg.base_model, sink)
    prepared = prepare_model(base_dir, cfg, device)
    model, tokenizer = prepared.model, prepared.tokenizer

    # Synthetic drafts (issue #20): plain inputs for the rewrite, the writer's paragraphs as answers.
    # Rank 0 makes them (and caches them); the other processes read what it wrote.
    with world.main_first():
        drafts = synthetic_drafts(
            run_dir, dataset, cfg.synthetic_drafts, cfg.synthetic_drafts_max, model=model, tokenizer=tokenizer,
            base_dir=base_dir, resumed=resume_from is not None or not world.main, write=world.main,
            progress=lambda p: sink.emit("train.drafts", **p, kept=None), should_stop=stop.is_set)
    if drafts is None:  # cancelled while making them: nothing trained, nothing to save
        sink.emit("train.cancelled", step=0, checkpoint=None)
        return "cancelled"
    dataset.train = dataset.train + drafts.pairs
    sink.emit("train.drafts", stage="done", done=drafts.report.get("tried", 0), total=drafts.report.get("tried", 0),
              kept=drafts.report.get("kept", 0), eta_s=0, method=drafts.report.get("method"),
              seconds=drafts.report.get("seconds"), rejected=drafts.report.get("rejected", {}),
              cached=drafts.report.get("cached", False), skipped=drafts.report.get("skipped"),
              examples=drafts.report.get("examples", []))
    batches = make_batches(dataset, tokenizer, cfg)
    world.check_same("the training batches", batches_fingerprint(batches))
    if cfg.eval_every is None:
        cfg.eval_every = max(1, batches.steps_per_epoch // 4)
    resolved = cfg.to_dict()
    if resume_from is None and world.main:
        write_json(run_dir / "config.json", resolved)

    sink.emit(
        "train.started",
        config=resolved,
        dataset={"train_pairs": batches.train.pairs, "val_pairs": batches.val.pairs,
                 "train_tokens": batches.train.tokens, "val_tokens": batches.val.tokens,
                 "train_rows": sum(len(b.targets) for b in batches.epochs[0]), "tiers": batches.train.tiers,
                 "truncated": batches.train.truncated + batches.val.truncated,
                 "dropped_too_long": batches.train.dropped + batches.val.dropped,
                 "synthetic_drafts": drafts.report},
        device=prepared.device,
        dtype=str(prepared.dtype).replace("torch.", ""),
        base_model={"spec": cfg.base_model, "path": str(base_dir), "params": prepared.total_params},
        trainable_params=prepared.trainable_params,
        method="full" if cfg.full_finetune else ("qlora" if cfg.qlora else "lora"),
        steps_per_epoch=batches.steps_per_epoch,
        total_steps=batches.total_steps,
        resumed_from=_relative(resume_from, run_dir),
        **({"damaged_checkpoints": damaged_report} if damaged_report else {}),
    )

    # DESIGN §2: the trainer checks the mask before step 1, on the batches it will train on.
    for batch in batches.epochs[0][:MASK_CHECK_BATCHES] + batches.val_batches[:1]:
        check_mask(batch, tokenizer)
    check_packing(model, batches.epochs[0][0], rtol=1e-3 if prepared.dtype == torch.float32 else 3e-2)

    book = CanaryBook(run_dir, configured_canaries(dataset, cfg), common_system_message(dataset), cfg)
    if resume_from is not None and world.main:
        book.load_existing()
    if world.main and not book.base and not stop.is_set():
        if resume_from is not None and cfg.full_finetune:
            log.warning("canaries.json is missing: no base samples for a resumed full fine-tune")
        else:
            book.generate_base(model, tokenizer, prepared.autocast_dtype)

    # Base continuations and the writer-vs-base classifier for the voice score at each evaluation.
    voice_check = VoiceCheck(run_dir, dataset)
    voice_on = world.main and not stop.is_set() and voice_check.start(model, tokenizer, resumed=resume_from is not None)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg, batches.total_steps))
    state = LoopState()
    if resume_from is not None:
        state = ckpt.restore_checkpoint(resume_from, model=model, optimizer=optimizer, scheduler=scheduler,
                                        full_finetune=cfg.full_finetune)
        log.info("resumed from %s (step %d)", resume_from.name, state.step)
    world.separate_rng(cfg.seed, state.step)
    trained = world.wrap(model)  # what the loop drives: the model itself, or DDP around it
    last_checkpoint = resume_from

    def on_metrics(m: Metrics) -> None:
        sink.emit("train.progress", step=m.step, epoch=round(m.epoch, 4), loss=round(m.loss, 5), lr=m.lr,
                  grad_norm=round(m.grad_norm, 5), tokens_per_s=round(m.tokens_per_s, 1), eta_s=round(m.eta_s, 1),
                  total_steps=m.total_steps)

    def on_eval(step: int, val_loss: float, improved: bool) -> None:
        sink.emit("train.eval", step=step, val_loss=round(val_loss, 5), val_ppl=round(math.exp(min(val_loss, 50)), 3),
                  best=improved)
        if voice_on:  # also when a stop is pending: a resumed run must choose as an uninterrupted one
            voice = voice_check.score(model, tokenizer, step)
            sink.emit("train.voice", **voice.as_event())
            if state.best_voice_score is None or voice.score > state.best_voice_score:
                state.best_voice_score, state.best_voice_step = voice.score, step

    def on_epoch_end(epoch: int) -> None:
        if not world.main:
            return
        if stop.is_set():
            log.info("skipping epoch %d canaries: a stop was requested", epoch)
            return
        book.record_epoch(epoch, state.step, model, tokenizer, sink, prepared.autocast_dtype)

    def on_checkpoint(s: LoopState) -> None:
        nonlocal last_checkpoint
        if not world.main:
            return
        path = ckpt.save_checkpoint(run_dir, model=model, optimizer=optimizer, scheduler=scheduler, state=s,
                                    config=resolved, full_finetune=cfg.full_finetune)
        ckpt.prune_checkpoints(run_dir, cfg.keep_checkpoints, s.best_step, s.best_voice_step)
        last_checkpoint = path
        sink.emit("train.checkpoint", step=s.step, path=_relative(path, run_dir))

    if world.any(stop.is_set()):  # cancelled while loading: nothing trained, nothing to save
        sink.emit("train.cancelled", step=state.step, checkpoint=_relative(last_checkpoint, run_dir))
        return "cancelled"
    try:
        outcome = train(
            trained, optimizer, scheduler, batches.epochs,
            lambda m, b: token_loss_sum(m, b, prepared.autocast_dtype),
            state=state, grad_accum=cfg.gradient_accumulation_steps, max_grad_norm=cfg.max_grad_norm,
            max_steps=cfg.max_steps, eval_batches=batches.val_batches, eval_every=cfg.eval_every,
            patience=cfg.early_stopping_patience, min_delta=cfg.early_stopping_min_delta, log_every=cfg.log_every,
            on_metrics=on_metrics, on_eval=on_eval, on_epoch_end=on_epoch_end, on_checkpoint=on_checkpoint,
            should_stop=stop.is_set, world=world,
        )
    except torch.cuda.OutOfMemoryError as e:
        raise oom_error(cfg, prepared.device, state.step) from e
    except RuntimeError as e:
        if "out of memory" in str(e).lower() and prepared.device != "cpu":
            raise oom_error(cfg, prepared.device, state.step) from e
        raise

    if outcome == "stopped":
        sink.emit("train.cancelled", step=state.step, checkpoint=_relative(last_checkpoint, run_dir))
        return "cancelled"

    if not world.main:  # rank 0 writes the rest; the others wait for it at the final barrier
        return "done"
    # Canaries for an epoch cut short (early stopping, max_steps), if not recorded yet.
    epoch_label = state.epoch + (1 if state.batch_in_epoch > 0 else 0)
    if epoch_label >= 1 and not book.has_epoch(epoch_label):
        book.record_epoch(epoch_label, state.step, model, tokenizer, sink, prepared.autocast_dtype)

    chosen, chosen_by = chosen_checkpoint(state)
    output = write_output(run_dir, cfg, model, tokenizer, chosen)
    sink.emit("train.done", adapter=output, best_step=state.best_step, best_val_loss=state.best_val_loss,
              steps=state.step, seconds=round(time.monotonic() - started, 2),
              stopped_early=outcome == "early_stop", outcome=outcome, full_model=cfg.full_finetune,
              chosen_step=chosen, chosen_by=chosen_by, best_voice_score=state.best_voice_score)
    return "done"


def chosen_checkpoint(state: LoopState) -> tuple[int | None, str]:
    """The step whose weights become the voice: the best voice score (voice_check.py), else
    the lowest val loss (a run where the check was off), else the last weights (None)."""
    if state.best_voice_step is not None:
        return state.best_voice_step, "voice"
    return state.best_step, "loss"


def write_output(run_dir: Path, cfg: TrainConfig, model: Any, tokenizer: Any, step: int | None) -> str:
    """The chosen checkpoint's weights (the last ones without one) as adapter/ (PEFT
    format), or model/ for full fine-tuning, with the tokenizer beside them."""
    if step is not None:
        best = run_dir / ckpt.CHECKPOINTS / ckpt.checkpoint_name(step)
        if best.is_dir():
            ckpt.load_weights(model, best, cfg.full_finetune)
        else:
            log.warning("best checkpoint %s is missing; keeping the final weights", best.name)
    name = "model" if cfg.full_finetune else "adapter"

    def fill(folder: Path) -> None:
        model.save_pretrained(str(folder))
        save_tokenizer(tokenizer, folder)

    ckpt.write_final(run_dir, name, fill)
    return name


def run_train_command(sink: EventSink, run: str, resume: bool, worker: bool = False) -> int:
    """`train --run DIR [--resume]`: under the config's launcher (launch.py), or here; `--worker`
    is one of the launcher's processes."""
    require_tested(TRAIN, "Training")
    if worker:  # the launcher that started this process holds the run's lock
        return _train_here(sink, run, resume, worker)
    # One engine per run folder (runlock.py): taken before anything is written there, so a
    # refused second engine leaves the first one's events.jsonl and checkpoints alone.
    lock = runlock.acquire(Path(run).resolve()) if Path(run).is_dir() else None
    try:
        from .launch import launch_if_configured

        code = launch_if_configured(sink, Path(run), resume)
        if code is not None:
            return code
        return _train_here(sink, run, resume, worker)
    finally:
        if lock is not None:
            lock.release()


def _train_here(sink: EventSink, run: str, resume: bool, worker: bool) -> int:
    stop = threading.Event()
    with stop_on_signals(stop), joined(worker) as world:
        outcome = train_run(Path(run), sink, resume=resume, stop=stop, world=world)
        world.barrier()  # every process ends once rank 0 has written everything
    return 0 if outcome in ("done", "cancelled") else 1

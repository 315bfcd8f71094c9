"""`train --run DIR [--resume]`: one run folder in, an adapter and a stream of events out.

A recipe in named steps; train_run reads top to bottom:
  1. start_run: the config (the run's config.json resolved, or the newest intact checkpoint's
     on resume); damaged checkpoints set aside, or an earlier attempt's files cleared
  2. setup_model: base model resolved (built, downloaded) and loaded; LoRA/QLoRA attached, or
     full fine-tuning
  3. setup_data: synthetic drafts, then the dataset tokenized and packed per epoch
     (deterministically); config.json rewritten resolved
  4. train.started; the label mask and packing isolation checked on real batches
  5. setup_judges: the model they ask (a merged copy on a CPU, judge_model.py), base canaries
     (before any training) and the voice check's classifier
  6. setup_optimizer: AdamW and the schedule, restored from the checkpoint on resume
  7. the loop (loop.py), told what to do between steps by a TrainingSession: progress, evals
     and voice scores, checkpoints, canaries after each epoch, early stopping on val loss
  8. finish: the chosen checkpoint's weights become adapter/ (atomically), then train.done
Every event goes through one Reporter. SIGTERM/SIGINT: the current step finishes, a
checkpoint is written, train.cancelled.

launch.py runs this command: here, or under the config's `launcher`, whose processes each run
train_run with `--worker` in a World of N (distributed.py): all of them train, rank 0 alone writes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import checkpoint as ckpt
from .canaries import FILE as CANARIES_FILE
from .canaries import CanaryBook, common_system_message, configured_canaries
from .config import TrainConfig
from .data import (Batch, Dataset, Encoded, batches_of, check_mask, check_packing, encode_split, epoch_rows,
                   load_dataset, pack, pad_token_id, spread_rows)
from .default_model import save_tokenizer
from .drafts.synthetic import synthetic_drafts
from .distributed import World
from .events import (ABSENT, BaseModel, DamagedCheckpoint, DatasetCounts, TrainCancelled, TrainCheckpoint, TrainDone,
                     TrainDrafts, TrainEval, TrainProgress, TrainStarted)
from .files import write_json
from .framing import titles_by_doc
from .hardware import apply_hardware_defaults, detect, recommend
from .judge_model import JudgeModels
from .loop import LoopArgs, LoopHooks, LoopState, Metrics, steps_in_epoch, token_loss_sum, train
from .model_setup import Prepared, pick_device, prepare_model
from .models import resolve_base_model
from .exhausted import is_out_of_memory, out_of_memory_error
from .protocol import EngineError, EventSink
from .voice_check import VoiceCheck, VoiceScore

log = logging.getLogger(__name__)

# How many leading batches check_mask inspects: enough to see every tier, cheap to decode.
MASK_CHECK_BATCHES = 4


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


@contextlib.contextmanager
def samples_out_of_memory() -> Iterator[None]:
    """Out of GPU memory while the judges write samples: their advice, not the optimizer's
    (run_loop turns a GPU allocation failure into oom_error's, which changes nothing here)."""
    try:
        yield
    except Exception as e:
        if is_out_of_memory(e):
            raise out_of_memory_error("generation", e) from e
        raise


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


def set_aside_damaged(run_dir: Path, damaged: list[tuple[Path, str]]) -> list[DamagedCheckpoint]:
    """Renames the damaged checkpoints (step-NNNNNN.damaged) so that no later prune keeps one of
    them in place of an intact checkpoint; what train.started says about them."""
    report = []
    for path, problem in damaged:
        moved = ckpt.set_aside(path) if path.is_dir() else path
        report.append(DamagedCheckpoint(checkpoint=str(_relative(path, run_dir)), problem=problem,
                                        moved_to=str(_relative(moved, run_dir))))
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


def trained_examples(examples: list[dict[str, Any]], cfg: TrainConfig) -> list[dict[str, Any]]:
    """The examples of the tiers this run trains on (all but "fim" when cfg.fim_pairs is false;
    the held-out loss leaves them out too, so it measures what is trained)."""
    return examples if cfg.fim_pairs else [e for e in examples if e.get("tier") != "fim"]


def make_batches(dataset: Dataset, tokenizer: Any, cfg: TrainConfig) -> Batches:
    titles = titles_by_doc(dataset.documents)
    train_set = encode_split(trained_examples(dataset.train, cfg), tokenizer, cfg.max_seq_len, cfg.framing, titles)
    if not train_set.examples:
        raise EngineError("dataset_invalid", f"No training example fits in max_seq_len={cfg.max_seq_len} tokens.",
                          "Raise max_seq_len in the run's config.json, or rebuild the dataset with shorter pairs.")
    val_set = encode_split(trained_examples(dataset.val, cfg), tokenizer, cfg.max_seq_len, cfg.framing, titles)
    pad, rows_per_batch = pad_token_id(tokenizer), cfg.micro_batch_size or 1
    epochs = [batches_of(epoch_rows(train_set.examples, e, cfg.seed, cfg.max_seq_len, cfg.packing), rows_per_batch, pad)
              for e in range(cfg.epochs)]
    val_rows = spread_rows(pack(val_set.examples, cfg.max_seq_len, cfg.packing), cfg.val_max_tokens)
    val_batches = batches_of(val_rows, rows_per_batch, pad)
    total = sum(steps_in_epoch(len(e), cfg.gradient_accumulation_steps) for e in epochs)
    return Batches(train_set, val_set, epochs, val_batches,
                   steps_per_epoch=steps_in_epoch(len(epochs[0]), cfg.gradient_accumulation_steps),
                   total_steps=min(total, cfg.max_steps) if cfg.max_steps is not None else total)


@dataclass
class RunStart:
    """Step 1's answer: what this run trains with, and from where."""

    run_dir: Path
    cfg: TrainConfig
    resume_from: Path | None
    damaged: list[DamagedCheckpoint]  # newer checkpoints a resume passed over, set aside


def start_run(run_dir: Path, resume: bool, world: World) -> RunStart:
    cfg, resume_from, damaged = starting_point(run_dir, resume)
    report = set_aside_damaged(run_dir, damaged) if world.main else []
    if resume_from is not None and world.main:
        ckpt.remove_leftovers(run_dir)  # half-written checkpoints of an engine that was killed
    if resume_from is None and world.main:
        clear_earlier_attempt(run_dir)
    cfg.processes = world.size if cfg.launcher != "none" else None  # resolved: what runs
    cfg.validate(str(run_dir / "config.json"))
    if cfg.micro_batch_size is None:
        cfg.micro_batch_size = int(recommend(detect())["micro_batch_size"])
    return RunStart(run_dir, cfg, resume_from, report)


def setup_model(start: RunStart, world: World, sink: EventSink) -> tuple[Prepared, Path]:
    """Step 2: the base model (resolved once, by rank 0 first) with the adapter attached."""
    import torch

    device = device_in(world, start.cfg)
    torch.manual_seed(start.cfg.seed)  # adapter init; a resume restores the RNG from its checkpoint
    with world.main_first():  # one download or build of the base model, not one per process
        base_dir = resolve_base_model(start.cfg.base_model, sink)
    return prepare_model(base_dir, start.cfg, device), base_dir


@dataclass
class TrainingData:
    dataset: Dataset
    batches: Batches
    drafts: dict[str, Any]  # the synthetic drafts' report


def setup_data(start: RunStart, prepared: Prepared, base_dir: Path, world: World, reporter: Reporter,
               stop: threading.Event) -> TrainingData | None:
    """Step 3: synthetic drafts (issue #20: plain inputs for the rewrite, the writer's paragraphs
    as answers), then the batches of every epoch; None when a stop came while drafts were made."""
    cfg, run_dir = start.cfg, start.run_dir
    dataset = load_dataset(run_dir / "dataset")
    # Rank 0 makes the drafts (and caches them); the other processes read what it wrote.
    with world.main_first():
        drafts = synthetic_drafts(
            run_dir, dataset, cfg.synthetic_drafts, cfg.synthetic_drafts_max, model=prepared.model,
            tokenizer=prepared.tokenizer, base_dir=base_dir, resumed=start.resume_from is not None or not world.main,
            write=world.main, progress=reporter.drafts_progress, should_stop=stop.is_set)
    if drafts is None:
        return None
    dataset.train = dataset.train + drafts.pairs
    reporter.drafts_done(drafts.report)
    batches = make_batches(dataset, prepared.tokenizer, cfg)
    world.check_same("the training batches", batches_fingerprint(batches))
    if cfg.eval_every is None:
        cfg.eval_every = max(1, batches.steps_per_epoch // 4)
    if start.resume_from is None and world.main:
        write_json(run_dir / "config.json", cfg.to_dict())
    return TrainingData(dataset, batches, drafts.report)


def check_batches(data: TrainingData, prepared: Prepared) -> None:
    """Step 4's checks: the label mask and packing isolation, on the very batches it will train on."""
    import torch

    batches = data.batches
    for batch in batches.epochs[0][:MASK_CHECK_BATCHES] + batches.val_batches[:1]:
        check_mask(batch, prepared.tokenizer)
    check_packing(prepared.model, batches.epochs[0][0], rtol=1e-3 if prepared.dtype == torch.float32 else 3e-2)


def setup_judges(start: RunStart, data: TrainingData, prepared: Prepared, base_dir: Path, world: World,
                 stop: threading.Event) -> tuple[JudgeModels, CanaryBook, VoiceCheck | None]:
    """Step 5: the model the judges ask (judge_model.py), the canaries' base samples and the
    voice check (None: off), both from the base model before any training."""
    cfg, resumed = start.cfg, start.resume_from is not None
    judges = JudgeModels.for_run(prepared, world)
    book = CanaryBook(start.run_dir, configured_canaries(data.dataset, cfg), common_system_message(data.dataset), cfg)
    voice_check = VoiceCheck(start.run_dir, data.dataset, base_dir)
    if not world.main or stop.is_set():
        return judges, book, None
    if resumed:
        book.load_existing()
    with judges.base(full_finetune_resumed=resumed and cfg.full_finetune) as base:
        if not book.base:
            if base is None:
                log.warning("canaries.json is missing: no base samples for a resumed full fine-tune")
            else:
                book.generate_base(base, prepared.tokenizer, judges.autocast_dtype)
        voice_on = not stop.is_set() and voice_check.start(base, prepared.tokenizer, resumed=resumed)
    return judges, book, voice_check if voice_on else None


def setup_optimizer(start: RunStart, model: Any, total_steps: int) -> tuple[Any, Any, LoopState]:
    """Step 6: AdamW and the learning-rate schedule, and the loop's state; a resume restores all three."""
    import torch

    cfg = start.cfg
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg, total_steps))
    if start.resume_from is None:
        return optimizer, scheduler, LoopState()
    state = ckpt.restore_checkpoint(start.resume_from, model=model, optimizer=optimizer, scheduler=scheduler,
                                    full_finetune=cfg.full_finetune)
    log.info("resumed from %s (step %d)", start.resume_from.name, state.step)
    return optimizer, scheduler, state


class Reporter:
    """Every event of a training, typed (events.py), through the one sink."""

    def __init__(self, sink: EventSink, run_dir: Path) -> None:
        self.sink, self.run_dir, self.began = sink, run_dir, time.monotonic()

    def drafts_progress(self, progress: dict[str, Any]) -> None:
        self.sink.emit(TrainDrafts(**progress, kept=None))

    def drafts_done(self, report: dict[str, Any]) -> None:
        tried = report.get("tried", 0)
        self.sink.emit(TrainDrafts(
            stage="done", done=tried, total=tried, kept=report.get("kept", 0), eta_s=0, method=report.get("method"),
            seconds=report.get("seconds"), rejected=report.get("rejected", {}), cached=report.get("cached", False),
            skipped=report.get("skipped"), examples=report.get("examples", [])))

    def started(self, start: RunStart, data: TrainingData, prepared: Prepared, base_dir: Path) -> None:
        cfg, b = start.cfg, data.batches
        self.sink.emit(TrainStarted(
            config=cfg.to_dict(),
            dataset=DatasetCounts(
                train_pairs=b.train.pairs, val_pairs=b.val.pairs, train_tokens=b.train.tokens, val_tokens=b.val.tokens,
                train_rows=sum(len(batch.targets) for batch in b.epochs[0]), tiers=b.train.tiers,
                truncated=b.train.truncated + b.val.truncated, dropped_too_long=b.train.dropped + b.val.dropped,
                synthetic_drafts=data.drafts),
            device=prepared.device,
            dtype=str(prepared.dtype).replace("torch.", ""),
            autocast=None if prepared.autocast_dtype is None else str(prepared.autocast_dtype).replace("torch.", ""),
            base_model=BaseModel(spec=cfg.base_model, path=str(base_dir), params=prepared.total_params),
            trainable_params=prepared.trainable_params,
            method="full" if cfg.full_finetune else ("qlora" if cfg.qlora else "lora"),
            steps_per_epoch=b.steps_per_epoch,
            total_steps=b.total_steps,
            resumed_from=_relative(start.resume_from, self.run_dir),
            damaged_checkpoints=start.damaged or ABSENT,
        ))

    def progress(self, m: Metrics) -> None:
        self.sink.emit(TrainProgress(step=m.step, epoch=round(m.epoch, 4), loss=round(m.loss, 5), lr=m.lr,
                                     grad_norm=round(m.grad_norm, 5), tokens_per_s=round(m.tokens_per_s, 1),
                                     eta_s=round(m.eta_s, 1), total_steps=m.total_steps))

    def evaluated(self, step: int, val_loss: float, improved: bool) -> None:
        self.sink.emit(TrainEval(step=step, val_loss=round(val_loss, 5), val_ppl=round(math.exp(min(val_loss, 50)), 3),
                                 best=improved))

    def voice(self, score: VoiceScore) -> None:
        self.sink.emit(score.event())

    def checkpoint(self, step: int, path: Path) -> None:
        self.sink.emit(TrainCheckpoint(step=step, path=str(_relative(path, self.run_dir))))

    def cancelled(self, step: int, checkpoint: Path | None) -> str:
        self.sink.emit(TrainCancelled(step=step, checkpoint=_relative(checkpoint, self.run_dir)))
        return "cancelled"

    def done(self, output: str, state: LoopState, outcome: str, cfg: TrainConfig) -> str:
        chosen, chosen_by = chosen_checkpoint(state)
        self.sink.emit(TrainDone(
            adapter=output, best_step=state.best_step, best_val_loss=state.best_val_loss, steps=state.step,
            seconds=round(time.monotonic() - self.began, 2), stopped_early=outcome == "early_stop", outcome=outcome,
            full_model=cfg.full_finetune, chosen_step=chosen, chosen_by=chosen_by,
            best_voice_score=state.best_voice_score))
        return "done"


class TrainingSession:
    """What the loop's hooks do in a run: report, score the voice at each evaluation, record
    canaries at each epoch's end, checkpoint; rank 0 alone writes."""

    def __init__(self, start: RunStart, prepared: Prepared, optimizer: Any, scheduler: Any, state: LoopState,
                 judges: JudgeModels, book: CanaryBook, voice_check: VoiceCheck | None, reporter: Reporter,
                 world: World, stop: threading.Event) -> None:
        self.start, self.prepared, self.optimizer, self.scheduler, self.state = start, prepared, optimizer, scheduler, state
        self.judges, self.book, self.voice_check = judges, book, voice_check
        self.reporter, self.world, self.stop = reporter, world, stop
        self.last_checkpoint = start.resume_from

    def hooks(self) -> LoopHooks:
        return LoopHooks(on_metrics=self.reporter.progress, on_eval=self.evaluated, on_epoch_end=self.epoch_ended,
                         on_checkpoint=self.checkpoint, should_stop=self.stop.is_set, judged_model=self.judged_model)

    def judged_model(self, training_model: Any) -> Any:
        """The model the val loss is computed with: the judges' copy on a CPU (judge_model.py)."""
        return training_model if self.judges.copy_dtype is None else self.judges.tuned(self.state.step)

    def evaluated(self, step: int, val_loss: float, improved: bool) -> None:
        self.reporter.evaluated(step, val_loss, improved)
        if self.voice_check is not None:  # also when a stop is pending: a resumed run must choose as an uninterrupted one
            with samples_out_of_memory():
                voice = self.voice_check.score(self.judges.tuned(step), self.prepared.tokenizer, step)
            self.reporter.voice(voice)
            self.state.voice_scores.append([step, voice.score, voice.stderr])
            if self.state.best_voice_score is None or voice.score > self.state.best_voice_score:
                self.state.best_voice_score, self.state.best_voice_step = voice.score, step

    def epoch_ended(self, epoch: int) -> None:
        if not self.world.main:
            return
        if self.stop.is_set():
            log.info("skipping epoch %d canaries: a stop was requested", epoch)
            return
        self.canaries(epoch)

    def canaries(self, epoch: int) -> None:
        step = self.state.step
        with samples_out_of_memory():
            self.book.record_epoch(epoch, step, self.judges.tuned(step), self.prepared.tokenizer, self.reporter.sink,
                                   self.judges.autocast_dtype)

    def checkpoint(self, s: LoopState) -> None:
        if not self.world.main:
            return
        cfg, run_dir = self.start.cfg, self.start.run_dir
        path = ckpt.save_checkpoint(run_dir, model=self.prepared.model, optimizer=self.optimizer,
                                    scheduler=self.scheduler, state=s, config=cfg.to_dict(),
                                    full_finetune=cfg.full_finetune)
        ckpt.prune_checkpoints(run_dir, cfg.keep_checkpoints, s.best_step, s.best_voice_step)
        self.last_checkpoint = path
        self.reporter.checkpoint(s.step, path)


def run_loop(session: TrainingSession, data: TrainingData) -> str:
    """Step 7: the loop over every epoch's batches; out of GPU memory becomes what to change."""
    cfg, prepared, state = session.start.cfg, session.prepared, session.state
    # A stop during an epoch's last evaluation skipped its canaries, and the checkpoint holds
    # exactly that epoch's end: they are written now, as the uninterrupted run wrote them.
    if session.world.main and state.epoch >= 1 and state.batch_in_epoch == 0 and not session.book.has_epoch(state.epoch):
        session.canaries(state.epoch)
    session.world.separate_rng(cfg.seed, state.step)
    try:
        return train(
            session.world.wrap(prepared.model),  # the model itself, or DDP around it
            session.optimizer, session.scheduler, data.batches.epochs,
            lambda m, b: token_loss_sum(m, b, prepared.autocast_dtype),
            state=state, args=LoopArgs.from_config(cfg), hooks=session.hooks(),
            eval_batches=data.batches.val_batches, world=session.world)
    except RuntimeError as e:
        if is_out_of_memory(e):
            raise oom_error(cfg, prepared.device, state.step) from e
        raise


def finish(session: TrainingSession, outcome: str) -> str:
    """Step 8 (rank 0): canaries for an epoch cut short (early stopping, max_steps) if not
    recorded yet, then the chosen checkpoint's weights as the run's output."""
    state, p = session.state, session.prepared
    epoch_label = state.epoch + (1 if state.batch_in_epoch > 0 else 0)
    if epoch_label >= 1 and not session.book.has_epoch(epoch_label):
        session.canaries(epoch_label)
    output = write_output(session.start.run_dir, session.start.cfg, p.model, p.tokenizer, chosen_checkpoint(state)[0])
    return session.reporter.done(output, state, outcome, session.start.cfg)


def train_run(run_dir: Path, sink: EventSink, resume: bool = False, stop: threading.Event | None = None,
              world: World | None = None) -> str:
    """Train the run in `run_dir`; returns "done" or "cancelled" (errors raise EngineError).
    In a World of several processes, every process calls it (only rank 0's sink speaks)."""
    run_dir = Path(run_dir).resolve()
    stop = stop or threading.Event()
    world = world or World()
    if not run_dir.is_dir():
        raise EngineError("run_not_found", f"{run_dir} is not a folder.", "Create the run first.")
    sink.attach_run(run_dir)
    reporter = Reporter(sink, run_dir)
    start = start_run(run_dir, resume, world)
    prepared, base_dir = setup_model(start, world, sink)
    data = setup_data(start, prepared, base_dir, world, reporter, stop)
    if data is None:  # cancelled while making the drafts: nothing trained, nothing to save
        return reporter.cancelled(0, None)
    reporter.started(start, data, prepared, base_dir)
    check_batches(data, prepared)
    judges, book, voice_check = setup_judges(start, data, prepared, base_dir, world, stop)
    optimizer, scheduler, state = setup_optimizer(start, prepared.model, data.batches.total_steps)
    session = TrainingSession(start, prepared, optimizer, scheduler, state, judges, book, voice_check, reporter,
                              world, stop)
    if world.any(stop.is_set()):  # cancelled while loading: nothing trained, nothing to save
        return reporter.cancelled(state.step, session.last_checkpoint)
    outcome = run_loop(session, data)
    if outcome == "stopped":
        return reporter.cancelled(state.step, session.last_checkpoint)
    if not world.main:  # rank 0 writes the rest; the others wait for it at the final barrier
        return "done"
    return finish(session, outcome)


def chosen_checkpoint(state: LoopState) -> tuple[int | None, str]:
    """The step whose weights become the voice: the best voice score (voice_check.py) when it
    beats the lowest-loss checkpoint's score by more than the two scores' combined standard
    error, else the lowest val loss (also a run where the check was off), else the last
    weights (None).

    Why not the best score alone: a check scores 16 short continuations (8 until batched
    sampling made them cheap), so one checkpoint can lead by luck. On Bierce's notes (100
    steps, 8 continuations) the best score alone chose step 20 (0.76) over the lowest-loss
    step 80 (0.70), the scores of steps 20-100 wandering 0.45-0.76 (README, Voice recipe,
    has what eval measured of both). A lead larger than the noise still wins: the loss can
    lie too."""
    if state.best_voice_step is None:
        return state.best_step, "loss"
    scores = {int(step): (score, stderr) for step, score, stderr in state.voice_scores}
    if state.best_step is None or state.best_step == state.best_voice_step or state.best_step not in scores \
            or state.best_voice_step not in scores:  # a run resumed from a checkpoint without the scores
        return state.best_voice_step, "voice"
    (voice, voice_err), (at_loss, loss_err) = scores[state.best_voice_step], scores[state.best_step]
    if voice - at_loss > math.hypot(voice_err, loss_err):
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

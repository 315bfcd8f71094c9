"""Every event the engine speaks, described once.

One class per event: its wire name, whether it ends a command, and its fields with
their types. The engine emits instances (`sink.emit(TrainProgress(step=...))`; `record()` is
the event as it goes on the wire). The TypeScript types and checks (src/core/runs/engineEvents.ts) and the event table of
docs/contracts.md are generated from these classes (`python3 scripts/events_contract.py
--write`), and the engine's tests check its streams against them.

A field is one of three kinds:
- `need`: the engine always sends it and a reader may rely on it: an event without it
  is malformed (the client rejects the line).
- `sent`: the engine always sends it, but readers must not rely on it: runs recorded by
  an older engine lack it.
- `maybe`: sent only where it applies.
Standard library only: the set-up runs this module before the engine's venv exists.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal


class _Absent:
    """A `maybe` field that was not given: left out of the event."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


def need(doc: str = "", *, min: float | None = None, max: float | None = None) -> Any:
    return field(metadata={"kind": "need", "doc": doc, "min": min, "max": max})


def sent(doc: str = "", *, min: float | None = None, max: float | None = None) -> Any:
    return field(metadata={"kind": "sent", "doc": doc, "min": min, "max": max})


def maybe(doc: str = "", *, min: float | None = None, max: float | None = None) -> Any:
    return field(default=ABSENT, metadata={"kind": "maybe", "doc": doc, "min": min, "max": max})


def _clean(value: Any) -> Any:
    """JSON has no NaN/Infinity: send null so every client can parse the line."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not ABSENT}
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


@dataclass(kw_only=True)
class Event:
    """One line of the engine's stream."""

    name: ClassVar[str]
    terminal: ClassVar[bool] = False
    """Nothing more follows for this command."""

    def record(self) -> dict[str, Any]:
        """The event as it goes on the wire: `{"event": name, ...fields}`, absent fields left out."""
        return {"event": self.name, **_clean(self)}


# --- Nested shapes ---------------------------------------------------------------------------

@dataclass(kw_only=True)
class Recommendation:
    """What this machine can train well."""

    base_model: str = need()
    micro_batch_size: int = need()
    qlora: bool = need()
    why: str = need()


@dataclass(kw_only=True)
class VersionCheck:
    installed: str | None = sent()
    tested: str = sent("the tested range, as a pip specifier")
    ok: bool = sent()


@dataclass(kw_only=True)
class DatasetCounts:
    train_pairs: int = need(min=0)
    val_pairs: int = need(min=0)
    train_tokens: int = sent(min=0)
    val_tokens: int = sent(min=0)
    train_rows: int = sent(min=0)
    tiers: dict[str, int] = sent()
    truncated: int = sent(min=0)
    dropped_too_long: int = sent(min=0)
    synthetic_drafts: dict[str, Any] = sent("the synthetic drafts' report (train.drafts)")


@dataclass(kw_only=True)
class BaseModel:
    spec: str = sent("as the config names it")
    path: str = sent("the folder it was loaded from")
    params: int = sent()


@dataclass(kw_only=True)
class DamagedCheckpoint:
    checkpoint: str = need()
    problem: str = need()
    moved_to: str = need()


@dataclass(kw_only=True)
class Sampling:
    do_sample: bool = sent()
    temperature: float = sent()
    top_k: int = sent()
    top_p: float = sent()
    repetition_penalty: float = sent("1 where absent")
    repetition_window: int = sent("0 (the whole prompt and answer) where absent")
    max_new_tokens: int = sent()
    seed: int = sent()
    num_samples: int = sent(min=1)


@dataclass(kw_only=True)
class SetupCommand:
    stage: str = sent()
    argv: list[str] = sent()


# --- Every command --------------------------------------------------------------------------

@dataclass(kw_only=True)
class EngineErrorEvent(Event):
    """The command failed; `code` says how (docs/contracts.md lists the codes per command)."""

    name = "error"
    terminal = True
    code: str = need()
    message: str = need()
    hint: str = sent("what the writer can do about it")


@dataclass(kw_only=True)
class StageProgress(Event):
    """How far a long step has come."""

    stage: str = need()
    message: str = need()
    percent: float = maybe(min=0, max=100)


# --- doctor, setup, model -------------------------------------------------------------------

@dataclass(kw_only=True)
class EngineReady(Event):
    """`doctor`: the engine runs here, with these libraries on this hardware."""

    name = "engine.ready"
    terminal = True
    protocol: int = need("the protocol version (1)")
    device: Literal["cuda", "mps", "cpu"] = need()
    python: str = need()
    torch: str = need()
    engine: str = sent("the engine's version")
    python_executable: str = sent()
    transformers: str | None = sent()
    peft: str | None = sent()
    bitsandbytes: str | None = sent()
    onnx: str | None = sent()
    versions: dict[str, VersionCheck] = sent("each library's installed version against its tested range")
    gpu: str | None = sent()
    gpu_memory_gib: float | None = sent()
    gpu_count: int = sent()
    bf16: bool = sent()
    cache: str = sent("the engine's cache folder")
    disk_free_gib: float = sent()
    recommendation: Recommendation = sent()


@dataclass(kw_only=True)
class SetupProgress(StageProgress):
    name = "setup.progress"


@dataclass(kw_only=True)
class SetupPlan(Event):
    """`setup --dry-run`: what the set-up would do."""

    name = "setup.plan"
    venv: str = sent()
    create_venv: bool = sent()
    torch: str = sent()
    locks: list[str] = sent()
    lock_digest: str = sent()
    up_to_date: bool = sent()
    commands: list[SetupCommand] = sent()


@dataclass(kw_only=True)
class SetupDone(Event):
    """The venv is ready (with `--dry-run`, what would be); the versions it verified."""

    name = "setup.done"
    terminal = True
    venv: str = need()
    python: str = sent()
    seconds: float = sent()
    dry_run: bool = maybe()
    torch_build: str = maybe()
    lock_digest: str = maybe()
    python_version: str = maybe()
    torch: str = maybe()
    transformers: str = maybe()
    peft: str = maybe()
    cuda: bool = maybe()


@dataclass(kw_only=True)
class ModelProgress(StageProgress):
    """Building the offline default model, or a download from the hub (`done` of `total` bytes)."""

    name = "model.progress"
    done: float = maybe()
    total: float = maybe()


@dataclass(kw_only=True)
class ModelReady(Event):
    """The offline default model's folder is built."""

    name = "model.ready"
    terminal = True
    path: str = need()
    params: int | None = sent()
    seconds: float = sent()


# --- train ----------------------------------------------------------------------------------

@dataclass(kw_only=True)
class TrainDrafts(Event):
    """Synthetic drafts, made before train.started: progress (`kept` null), then
    `stage: "done"` with `kept` of `total` and the rest of the report."""

    name = "train.drafts"
    stage: str = need("the method while they are made, then \"done\"")
    done: int = need(min=0)
    total: int = need(min=0)
    kept: int | None = need(min=0)
    eta_s: float | None = sent(min=0)
    method: str | None = maybe()
    seconds: float | None = maybe()
    rejected: dict[str, int] = maybe()
    cached: bool = maybe()
    skipped: str | None = maybe("why none were made (turned off, nothing eligible, a dataset from before them)")
    examples: list[dict[str, Any]] = maybe()


@dataclass(kw_only=True)
class TrainStarted(Event):
    """The batches are made and the model loaded: training begins (a resume starts a new segment)."""

    name = "train.started"
    config: dict[str, Any] = need("the resolved TrainConfig, every default written out")
    dataset: DatasetCounts = need()
    device: str = sent()
    dtype: str = sent("the base weights' dtype")
    autocast: str | None = sent("the dtype forward passes run in under torch.autocast (bf16 on a CPU that "
                                 "multiplies it natively, a full fine-tune's half dtype); null: the weights' own")
    base_model: BaseModel = sent()
    trainable_params: int = sent()
    method: Literal["lora", "qlora", "full"] = sent()
    steps_per_epoch: int = sent()
    total_steps: int = sent()
    resumed_from: str | None = sent("the checkpoint a resume continues from (`checkpoints/step-NNNNNN`)")
    damaged_checkpoints: list[DamagedCheckpoint] = maybe(
        "newer checkpoints a resume passed over because they failed their checksums, and where they were moved")


@dataclass(kw_only=True)
class TrainProgress(Event):
    """One optimizer step."""

    name = "train.progress"
    step: int = need(min=1)
    epoch: float = need("fractional")
    loss: float | None = need()
    lr: float = need()
    grad_norm: float | None = sent()
    tokens_per_s: float | None = sent(min=0)
    eta_s: float | None = sent(min=0)
    total_steps: int = sent()


@dataclass(kw_only=True)
class TrainEval(Event):
    """Validation loss, every `eval_every` steps, at each epoch's end and at the last step."""

    name = "train.eval"
    step: int = need(min=0)
    val_loss: float | None = need()
    val_ppl: float | None = sent()
    best: bool = sent("the lowest validation loss so far")


@dataclass(kw_only=True)
class TrainVoice(Event):
    """The quick voice score right after an evaluation: the run's continuations of fixed
    held-out openings, scored by a writer-vs-base classifier. Absent when the check is off."""

    name = "train.voice"
    step: int = need(min=0)
    score: float = need("mean probability that the continuations are the writer's", min=0, max=1)
    attributed: float = need("share of the continuations taken for the writer's", min=0, max=1)
    delta: float | None = need("Burrows' Delta of the pooled continuations to the writer (lower: closer)")
    samples: int = need(min=1)
    stderr: float = maybe("the score's standard error over the continuations: how far apart two checks must be to differ", min=0, max=1)


@dataclass(kw_only=True)
class TrainCheckpoint(Event):
    """A resume point, written after each evaluation."""

    name = "train.checkpoint"
    step: int = need(min=0)
    path: str = need("relative to the run folder: `checkpoints/step-NNNNNN`")


@dataclass(kw_only=True)
class TrainCanary(Event):
    """The same prompt answered by the base and the tuned model, after each epoch."""

    name = "train.canary"
    epoch: int = need("counted from 1 (recordings from older engines: from 0)")
    prompt_id: str = need()
    base: list[str] = need()
    tuned: list[str] = need()
    step: int = sent()
    prompt: str = sent()
    sampling: Sampling = sent()


@dataclass(kw_only=True)
class TrainDone(Event):
    """Training ended; the chosen weights are in `adapter/` (or `model/`)."""

    name = "train.done"
    terminal = True
    adapter: str = need("the folder of the trained weights: \"adapter\", or \"model\" after a full fine-tune")
    best_step: int | None = sent("the lowest validation loss's step")
    best_val_loss: float | None = sent()
    steps: int = sent()
    seconds: float = sent()
    stopped_early: bool = sent()
    outcome: Literal["done", "early_stop", "max_steps"] = sent()
    full_model: bool = sent()
    chosen_step: int | None = maybe("the checkpoint exported as the voice; null: the last weights (absent before the voice check)")
    chosen_by: Literal["voice", "loss"] = maybe("what chose it: the best voice score, or the validation loss (also when the best voice score beats the lowest-loss checkpoint's by no more than their standard errors)")
    best_voice_score: float | None = maybe(min=0, max=1)


@dataclass(kw_only=True)
class TrainCancelled(Event):
    """SIGTERM or SIGINT: the step finished and a checkpoint was written."""

    name = "train.cancelled"
    terminal = True
    step: int = sent(min=0)
    checkpoint: str | None = sent()


# --- choose, export, eval -------------------------------------------------------------------

@dataclass(kw_only=True)
class VoiceChosen(Event):
    """`choose`: the writer made kept checkpoint `step` the run's voice."""

    name = "voice.chosen"
    terminal = True
    step: int = need(min=0)
    by: Literal["writer"] = need()
    output: Literal["adapter", "model"] = need("where it was written")


@dataclass(kw_only=True)
class ExportProgress(StageProgress):
    name = "export.progress"


@dataclass(kw_only=True)
class ExportArtifact(Event):
    """A file the export wrote."""

    name = "export.artifact"
    path: str = need()
    bytes: int = need(min=0)
    seconds: float = sent()


@dataclass(kw_only=True)
class ExportDone(Event):
    """Absolute paths; null for the parts not written."""

    name = "export.done"
    terminal = True
    onnx: str | None = sent()
    onnx_base: str | None = sent()
    gguf: str | None = sent()
    seconds: float = sent()


@dataclass(kw_only=True)
class EvalProgress(StageProgress):
    name = "eval.progress"


@dataclass(kw_only=True)
class EvalDone(Event):
    """eval.json is written."""

    name = "eval.done"
    terminal = True
    path: str = need("eval.json")
    summary: dict[str, Any] = sent("the headline figures")


EVENTS: tuple[type[Event], ...] = (
    EngineReady, SetupProgress, SetupPlan, SetupDone, ModelProgress, ModelReady,
    TrainDrafts, TrainStarted, TrainProgress, TrainEval, TrainVoice, TrainCheckpoint, TrainCanary,
    TrainDone, TrainCancelled, VoiceChosen, ExportProgress, ExportArtifact, ExportDone,
    EvalProgress, EvalDone, EngineErrorEvent,
)
BY_NAME: dict[str, type[Event]] = {e.name: e for e in EVENTS}
TERMINAL: frozenset[str] = frozenset(e.name for e in EVENTS if e.terminal)

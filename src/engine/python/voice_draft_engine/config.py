"""Every training default, in one place, each with the reason it has that value.

A run's `config.json` holds the writer's overrides (any subset of these fields);
the engine rewrites it resolved, every field written out, when training starts,
and saves the same dict with every checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .framing import FRAMINGS
from .protocol import EngineError
from .editor_sampling import GHOST_TEXT

LAUNCHERS = ("none", "torchrun", "accelerate")
SYNTHETIC_DRAFTS = ("destyled", "paraphrased", "off")  # drafts/synthetic.py METHODS
FIX_HINT = ("Fix the run's config.json: its fields are the engine's TrainConfig fields "
            "(every one is listed, with its default, in the config of a train.started event).")


@dataclass
class TrainConfig:
    # --- What is trained -------------------------------------------------------------
    # Built offline from a wheel on PyPI (docs/architecture.md "Models"): trains on a CPU
    # in minutes and runs in the editor through transformers.js. A Hub id or a model folder works the same way.
    base_model: str = "offline:smollm2-135m-instruct"
    # Train every weight instead of an adapter. Only sensible for small models (memory grows
    # ~4x the model size with Adam); the output is then a full model folder, not a LoRA.
    full_finetune: bool = False
    # Rank 64: lower held-out loss than 16 (and 4) at the same steps on both sample corpora
    # (bench/voice_recipe.py); the adapter stays a few percent of a 135M model.
    lora_r: int = 64
    # alpha = 2r is the usual scale: the adapter's update starts at a moderate strength.
    lora_alpha: int = 128
    # A little dropout on the adapter path: small corpora over-fit fast.
    lora_dropout: float = 0.05
    # Voice lives in attention and MLP alike; adapting every linear projection (not the
    # embeddings or the output head) learns it best for the same rank.
    lora_target_modules: Any = "all-linear"
    # 4-bit base weights (bitsandbytes, CUDA only) so 7B-8B models fit a 24 GB GPU.
    qlora: bool = False

    # How the model is asked to write (framing.py): "plain" trains the generating pairs as
    # documents it continues, the way ghost text, the canaries and the evaluation ask; "chat"
    # puts every pair through the chat template. Plain won the recipe bench: an instruct model
    # asked through its template keeps answering like a chat assistant after tuning.
    framing: str = "plain"

    # --- Synthetic drafts (drafts/, issue #20) --------------------------------------------
    # Most writers keep no rough drafts, so the rewrite (T1: draft -> finished) has nothing to
    # learn from and the voice answers a rewrite request like a chat assistant. Training first
    # makes a plain version of the writer's paragraphs and learns plain -> the writer's paragraph
    # (only the input is made up). "destyled": a deterministic pass that cannot invent (dashes,
    # asides, intensifiers, archaic words, long sentences go; seconds for a corpus);
    # "paraphrased": also the base model's restatement, sentence by sentence, kept only where it
    # passes the content checks (on 2 CPU cores SmolLM2-135M wrote 24 tok/s and none of 24
    # sentences passed, so it is not the default); "off". Essays with a real draft get none.
    synthetic_drafts: str = "destyled"
    # Paragraphs turned into drafts at most (essays take turns); null: every one. 100 pairs are
    # about a quarter of the rows a CPU run trains on MacDowell's 21 essays.
    synthetic_drafts_max: int | None = 100
    # Train on the dataset's fill-in-the-middle pairs (tier "fim": text before + text after ->
    # the words between), so ghost text can be shown the text after the cursor. Left out of
    # config.json on a CPU: false (hardware.training_defaults). A pair is ~300 tokens of masked
    # prompt for ~30 trained, 15% of a CPU step's tokens; at equal steps the voice without them
    # read the writer's held-out essays a little better (bench/optimizer_probe.py, README "Voice
    # recipe"), and 76 pairs in 100 CPU steps had not taught the 135M model to gain from the text after.
    fim_pairs: bool = True

    # --- Optimisation ------------------------------------------------------------------
    # 1e-3: in a CPU's budget (60 steps) 1e-4 barely moves the voice (held-out perplexity
    # 0.92x base, 3% of paragraphs attributed to the writer) and 3e-4 gets half way; 1e-3 had
    # the lowest held-out loss on both sample corpora without early stopping (bench/voice_recipe.py).
    learning_rate: float = 1e-3
    # "cosine" decays to min_lr_ratio * learning_rate, so the last epoch polishes rather than
    # jumps; "constant" keeps it flat after warm-up (useful for comparing runs).
    lr_schedule: str = "cosine"
    # A short warm-up keeps the first updates (with fresh Adam moments) from overshooting.
    warmup_ratio: float = 0.05
    # Floor of the cosine schedule, as a fraction of the peak learning rate.
    min_lr_ratio: float = 0.1
    # LoRA matrices are small and start at zero; decay would mostly pull them back to the base.
    weight_decay: float = 0.0
    # Clipping guards against the occasional spike from an odd example (a poem, a table).
    max_grad_norm: float = 1.0
    # Essays are few: three passes learn the voice; early stopping ends sooner when val loss turns.
    epochs: int = 3
    # Optional cap on optimizer steps; None trains all epochs. Left out of config.json on a CPU,
    # it is 60, or 100 on a CPU that trains in bf16 (hardware.training_defaults: the ~30-minute budget on 2 cores).
    max_steps: int | None = None
    # Rows per forward pass. None: what `doctor` recommends for this hardware (2 on a CPU).
    micro_batch_size: int | None = None
    # Micro-batches summed into one optimizer step: a steadier gradient than one row gives,
    # without the memory of a big batch. Effective batch = micro_batch_size * this, whatever
    # the number of processes: under a launcher the processes share them (a multiple of processes).
    # Left out of config.json: hardware.training_defaults (2).
    gradient_accumulation_steps: int = 4
    # Long enough for a whole short essay and an opening + continuation; small models'
    # quality drops beyond their training context anyway. Left out of config.json:
    # hardware.training_defaults (512 on a CPU, where a step's time grows with it).
    max_seq_len: int = 1024
    # Pack several short examples into one row (attention stays within each example):
    # short notes would otherwise waste most of every row on padding.
    packing: bool = True
    # Recompute activations in the backward pass: ~30% slower, far less memory. For big models.
    gradient_checkpointing: bool = False
    seed: int = 42

    # --- Evaluation, early stopping, checkpoints ----------------------------------------
    # Optimizer steps between val-loss evaluations (each also writes a checkpoint).
    # None: four per epoch, enough resolution for early stopping on small data.
    eval_every: int | None = None
    # Tokens of the held-out set each val-loss evaluation reads, evenly spread over it; None reads
    # all. Left out of config.json on a CPU: hardware.training_defaults (a forward pass over a
    # fifth of the essays cost as much as ten training steps there, four times a run).
    val_max_tokens: int | None = None
    # Stop after this many evaluations in a row without a better val loss (small data
    # over-fits fast); the best checkpoint becomes the adapter.
    early_stopping_patience: int = 3
    # An improvement smaller than this does not count (noise on a small val set).
    early_stopping_min_delta: float = 0.0
    # Checkpoints kept besides the best one: the newest is the resume point.
    keep_checkpoints: int = 2
    # Optimizer steps between train.progress events.
    log_every: int = 1

    # --- Canaries: the same prompts, base vs tuned, after each epoch ----------------------
    # [{"id": ..., "prompt": ..., "max_new_tokens"?: n}]; None derives three from the dataset:
    # a topic the writer covers, one they never wrote about, and a long-form piece.
    canary_prompts: list[dict[str, Any]] | None = None
    # Several samples per prompt: one sample says little about a voice. A CPU writes 2 of 160
    # tokens (hardware.training_defaults: the ~30-minute budget on 2 cores).
    canary_samples: int = 3
    canary_max_new_tokens: int = 200
    # Sampling as the editor samples ghost text (editor_sampling.GHOST_TEXT).
    canary_temperature: float = GHOST_TEXT.temperature
    canary_top_k: int = GHOST_TEXT.top_k
    canary_repetition_penalty: float = GHOST_TEXT.repetition_penalty
    canary_repetition_window: int = GHOST_TEXT.repetition_window
    # Fixed seeds: base and tuned samples use the same ones, so differences are the adapter's.
    canary_seed: int = 1234

    # --- Hardware -------------------------------------------------------------------------
    # "auto": CUDA, else Apple MPS, else CPU. Or "cuda", "cuda:1", "mps", "cpu".
    device: str = "auto"
    # "auto": bf16 on GPUs that have it, else fp16 on CUDA; fp32 on MPS and CPU (LoRA on a CPU
    # that multiplies bf16 natively computes its forward passes in bf16: model_setup.pick_autocast).
    dtype: str = "auto"
    # Several GPUs: "torchrun" or "accelerate" re-runs the training as `processes` processes
    # under that launcher (launch.py), data-parallel (distributed.py); "none" trains in this
    # process. torchrun comes with PyTorch; accelerate is there for hosts set up around it.
    launcher: str = "none"
    # Processes under the launcher, one per GPU. None: every visible CUDA GPU. On a machine
    # without one (tests, CPU hosts) it must be given; the processes then share the CPU.
    # Ignored without a launcher.
    processes: int | None = None
    # "ddp": each process holds the whole model and trains its share of every step, so a
    # step is the one a single process would take. "fsdp" (shard a model too big for one
    # GPU) is not supported yet: QLoRA and gradient checkpointing make it fit one GPU instead.
    distributed_strategy: str = "ddp"

    # -------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "config.json") -> "TrainConfig":
        if not isinstance(data, dict):
            raise EngineError("config_invalid", f"{where}: expected a JSON object.", FIX_HINT)
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise EngineError("config_invalid", f"{where}: unknown field(s) {', '.join(unknown)}.", FIX_HINT)
        values = {}
        for name, value in data.items():
            values[name] = _coerce(name, value, hints[name], where)
        if "canary_temperature" in data and "canary_repetition_penalty" not in data:
            # A config resolved before canaries had a penalty (a run resumed across versions):
            # its canaries keep being drawn as they were, without one.
            values["canary_repetition_penalty"] = 1.0
        config = cls(**values)
        config.validate(where)
        return config

    @classmethod
    def load(cls, path: Path) -> "TrainConfig":
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError) as e:
            raise EngineError("config_invalid", f"{path}: {e}", "Fix or delete the run's config.json.") from e
        return cls.from_dict(data, where=str(path))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self, where: str = "config") -> None:
        def bad(message: str) -> EngineError:
            return EngineError("config_invalid", f"{where}: {message}", FIX_HINT)

        # Every number finite: json.loads reads NaN and Infinity, and a NaN passes every
        # comparison below unnoticed (a NaN learning rate trains nothing, silently).
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise bad(f"{field.name} must be a finite number, not {value!r}.")
        # Zero is meaningful for these (no decay, no clipping, keep only the best, no top-k);
        # a negative one is never: a negative max_grad_norm flips every update's direction.
        non_negative = {
            "weight_decay": "0 turns decay off",
            "max_grad_norm": "0 turns clipping off",
            "early_stopping_min_delta": "0: any improvement counts",
            "keep_checkpoints": "0 keeps only the best",
            "seed": None,
            "canary_seed": None,
            "canary_top_k": "0 turns top-k off",
            "canary_repetition_window": "0: the whole prompt and answer",
        }
        for name, zero in non_negative.items():
            if getattr(self, name) < 0:
                raise bad(f"{name} must be 0 or more, not {getattr(self, name)!r}" + (f" ({zero})." if zero else "."))
        for name in ("canary_temperature", "canary_repetition_penalty"):
            if not getattr(self, name) > 0:
                raise bad(f"{name} must be more than 0, not {getattr(self, name)!r}.")
        positive = ["lora_r", "lora_alpha", "epochs", "gradient_accumulation_steps", "max_seq_len",
                    "canary_samples", "canary_max_new_tokens", "log_every", "early_stopping_patience"]
        for name in positive:
            if getattr(self, name) < 1:
                raise bad(f"{name} must be at least 1, not {getattr(self, name)!r}.")
        if self.synthetic_drafts not in SYNTHETIC_DRAFTS:
            raise bad(f"synthetic_drafts must be one of {', '.join(SYNTHETIC_DRAFTS)}, not {self.synthetic_drafts!r}.")
        if self.synthetic_drafts_max is not None and self.synthetic_drafts_max < 0:
            raise bad(f"synthetic_drafts_max must be 0 or more (or null: every paragraph), not {self.synthetic_drafts_max!r}.")
        for name in ("micro_batch_size", "eval_every", "max_steps", "val_max_tokens"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise bad(f"{name} must be at least 1 (or null), not {value!r}.")
        if not (0 <= self.lora_dropout < 1 and 0 <= self.warmup_ratio < 1 and 0 <= self.min_lr_ratio <= 1):
            raise bad("lora_dropout and warmup_ratio must be in [0, 1); min_lr_ratio in [0, 1].")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise bad(f"learning_rate must be a positive number, not {self.learning_rate!r}.")
        if self.framing not in FRAMINGS:
            raise bad(f"framing must be one of {', '.join(FRAMINGS)}.")
        if self.lr_schedule not in ("cosine", "constant"):
            raise bad("lr_schedule must be 'cosine' or 'constant'.")
        if self.dtype not in ("auto", "float32", "bfloat16", "float16"):
            raise bad("dtype must be auto, float32, bfloat16 or float16.")
        if self.qlora and self.full_finetune:
            raise bad("qlora and full_finetune exclude each other (QLoRA trains an adapter).")
        if self.max_seq_len < 64:
            raise bad("max_seq_len must be at least 64.")
        if self.launcher not in LAUNCHERS:
            raise bad(f"launcher must be one of {', '.join(LAUNCHERS)}.")
        if self.distributed_strategy == "fsdp":
            raise bad("distributed_strategy \"fsdp\" is not supported yet: use \"ddp\" (for a model that does not "
                      "fit one GPU, set qlora or gradient_checkpointing to true).")
        if self.distributed_strategy != "ddp":
            raise bad("distributed_strategy must be \"ddp\".")
        if self.processes is not None and self.processes < 1:
            raise bad("processes must be at least 1 (or null: one per GPU).")
        if self.launcher != "none" and self.processes and self.gradient_accumulation_steps % self.processes:
            raise bad(processes_mismatch(self.gradient_accumulation_steps, self.processes))
        for prompt in self.canary_prompts or []:
            if not (isinstance(prompt, dict) and isinstance(prompt.get("id"), str)
                    and isinstance(prompt.get("prompt"), str)):
                raise bad('canary_prompts must be a list of {"id": str, "prompt": str}.')


def _coerce(name: str, value: Any, hint: Any, where: str) -> Any:
    """Check a JSON value against the field's type; ints are accepted for floats."""
    args = typing.get_args(hint)
    optional = type(None) in args
    if value is None:
        if optional:
            return None
        raise EngineError("config_invalid", f"{where}: {name} cannot be null.", FIX_HINT)
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    origin = typing.get_origin(base) or base
    if base is Any:
        return value
    if origin is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if origin is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if origin in (bool, str, list, dict) and isinstance(value, origin):
        return value
    raise EngineError("config_invalid", f"{where}: {name} must be {getattr(base, '__name__', base)}, "
                                        f"not {type(value).__name__} ({value!r}).", FIX_HINT)


def processes_mismatch(grad_accum: int, processes: int) -> str:
    """Every process trains the same number of micro-batches per step (see distributed.py)."""
    fits = [n for n in range(processes, 0, -1) if grad_accum % n == 0][0]
    return (f"gradient_accumulation_steps ({grad_accum}) must be a multiple of processes ({processes}): each "
            f"optimizer step shares its {grad_accum} micro-batches evenly among the processes. Set "
            f"gradient_accumulation_steps to {grad_accum + (-grad_accum) % processes} (or processes to {fits}).")

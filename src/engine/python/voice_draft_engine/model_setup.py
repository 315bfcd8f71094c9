"""Device, dtype, base model and adapter: everything between a folder and a trainable model."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import TrainConfig
from .hardware import cpu_bf16
from .protocol import EngineError

log = logging.getLogger(__name__)

DTYPES = {"float32": "float32", "bfloat16": "bfloat16", "float16": "float16"}


def pick_device(preference: str = "auto") -> str:
    import torch

    if preference != "auto":
        if preference.startswith("cuda") and not torch.cuda.is_available():
            raise EngineError("device_unavailable", f"device {preference!r} was asked for, but CUDA is not available.",
                              "Set device to \"auto\" in the run's config.json, or check the GPU driver (nvidia-smi).")
        return preference
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(preference: str, device: str) -> Any:
    """bf16 where the GPU has it; fp16 on older CUDA GPUs; fp32 on MPS and CPU, where half
    precision is slower or unstable for training."""
    import torch

    if preference != "auto":
        return getattr(torch, DTYPES[preference])
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def pick_autocast(cfg: TrainConfig, device: str, dtype: Any) -> Any:
    """The dtype forward passes run in under torch.autocast, or None for the weights' own.

    Full fine-tuning keeps fp32 master weights and computes in the half dtype. LoRA keeps the
    base's fp32 weights on a CPU; where that CPU multiplies bf16 natively (hardware.cpu_bf16)
    and the writer left dtype on "auto", the forward runs in bf16: 1.6x a fp32 step there, with
    the adapter's weights, its optimizer and the loss still in fp32."""
    import torch

    if cfg.full_finetune:
        return dtype if dtype != torch.float32 else None
    if device == "cpu" and cfg.dtype == "auto" and cpu_bf16():
        return torch.bfloat16
    return None


@dataclass
class Prepared:
    model: Any  # a PeftModel (LoRA/QLoRA) or the plain model (full fine-tuning)
    tokenizer: Any
    device: str
    dtype: Any  # the dtype of the base weights' compute
    autocast_dtype: Any  # not None: run forward passes under torch.autocast with it
    trainable_params: int
    total_params: int


def load_tokenizer(model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if tokenizer.pad_token_id is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token  # padding is never trained on; any id will do
    return tokenizer


def _load_base(model_dir: Path, cfg: TrainConfig, device: str, dtype: Any) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    if cfg.qlora:
        if not device.startswith("cuda"):
            raise EngineError("qlora_needs_cuda", "QLoRA (4-bit base weights) runs on CUDA GPUs only.",
                              "Set qlora to false, or train on a machine with an NVIDIA GPU.")
        if importlib.util.find_spec("bitsandbytes") is None:
            raise EngineError("bitsandbytes_missing", "QLoRA needs the bitsandbytes package, which is not installed.",
                              "Run the engine set-up with the qlora extra (setup --extras qlora), "
                              "or: pip install bitsandbytes")
        from transformers import BitsAndBytesConfig

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=dtype)
        index = torch.device(device).index or 0
        return AutoModelForCausalLM.from_pretrained(str(model_dir), quantization_config=quant, dtype=dtype,
                                                    device_map={"": index})
    # Full fine-tuning keeps fp32 master weights (tiny updates vanish in bf16) and uses autocast.
    load_dtype = torch.float32 if cfg.full_finetune else dtype
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=load_dtype)
    return model.to(device)


def prepare_model(model_dir: Path, cfg: TrainConfig, device: str | None = None) -> Prepared:
    """The model ready to train on `device` (None: the config's; a launcher's process gets its own)."""
    import torch

    device = device or pick_device(cfg.device)
    dtype = pick_dtype(cfg.dtype, device)
    tokenizer = load_tokenizer(model_dir)
    model = _load_base(model_dir, cfg, device, dtype)
    model.config.use_cache = False  # training: no KV cache (it would also disable packed masks)
    autocast = pick_autocast(cfg, device, dtype)
    if cfg.full_finetune:
        if cfg.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    else:
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

        if cfg.qlora:
            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.gradient_checkpointing)
        elif cfg.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            model.enable_input_require_grads()  # frozen embeddings: checkpoints need a grad-carrying input
        lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                          target_modules=cfg.lora_target_modules, bias="none", task_type="CAUSAL_LM")
        model = get_peft_model(model, lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    log.info("model on %s (%s): %d trainable of %d parameters", device, str(dtype).replace("torch.", ""),
             trainable, total)
    return Prepared(model, tokenizer, device, dtype, autocast, trainable, total)


def load_tuned_model(run_dir: Path, merge: bool = True, device: str = "cpu") -> tuple[Any, Any]:
    """A run's tuned model for inference, evaluation or export: the base with the run's
    adapter (merged into the weights when `merge`), or the run's full fine-tuned model."""
    import json

    import torch
    from transformers import AutoModelForCausalLM

    from .models import resolve_base_model

    run_dir = Path(run_dir)
    model_folder = run_dir / "model"
    if model_folder.is_dir():
        return AutoModelForCausalLM.from_pretrained(str(model_folder), dtype=torch.float32).to(device).eval(), \
            load_tokenizer(model_folder)
    config = TrainConfig.from_dict(json.loads((run_dir / "config.json").read_text(encoding="utf-8")))
    base_dir = resolve_base_model(config.base_model)
    from peft import PeftModel

    base = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32).to(device)
    model = PeftModel.from_pretrained(base, str(run_dir / "adapter"))
    if merge:
        model = model.merge_and_unload()
    return model.eval(), load_tokenizer(base_dir)

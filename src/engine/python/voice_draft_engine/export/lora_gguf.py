"""A PEFT LoRA adapter as a llama.cpp LoRA GGUF.

Layout, as llama.cpp's convert_lora_to_gguf.py writes it and llama-adapter.cpp checks it:

    general.type = "adapter", general.architecture = the base's (llama, qwen2)
    adapter.type = "lora", adapter.lora.alpha = alpha
    blk.N.attn_q.weight.lora_a   [r, in]   (PEFT's lora_A, as is)
    blk.N.attn_q.weight.lora_b   [out, r]  (PEFT's lora_B; q/k rows permuted like the base)

llama.cpp applies `scale * alpha / r * B @ A` with r read from each tensor's shape, so
PEFT's other scalings (rsLoRA's alpha/sqrt(r), per-module rank or alpha patterns) are
folded into B here; the adapter then means the same thing in both runtimes.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from ..protocol import EngineError
from .gguf_arch import GgufArch, gguf_arch

log = logging.getLogger(__name__)

A_SUFFIX, B_SUFFIX = ".lora_A.weight", ".lora_B.weight"


def read_adapter(adapter_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(adapter_config.json, tensors by name) of a PEFT adapter folder."""
    from safetensors.torch import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    weights = adapter_dir / "adapter_model.safetensors"
    if not weights.is_file():
        raise EngineError("export_failed", f"{adapter_dir} has no adapter_model.safetensors.",
                          "The adapter folder is incomplete; train the run again.")
    return config, load_file(str(weights), device="cpu")


def module_scaling(config: dict[str, Any], module: str, rank: int) -> float:
    """PEFT's multiplier of B @ A for one module (LoraLayer.update_layer)."""
    from peft.utils.other import get_pattern_key

    alpha = config.get("lora_alpha", 8)
    alpha_pattern = config.get("alpha_pattern") or {}
    if alpha_pattern:
        key = get_pattern_key(alpha_pattern.keys(), module)
        alpha = alpha_pattern.get(key, alpha)
    return alpha / (math.sqrt(rank) if config.get("use_rslora") else rank)


def check_supported(config: dict[str, Any], tensors: dict[str, Any]) -> None:
    if config.get("peft_type", "LORA") != "LORA":
        raise EngineError("export_unsupported", f"A {config.get('peft_type')} adapter cannot be written as a LoRA GGUF.")
    if config.get("use_dora"):
        raise EngineError("export_unsupported", "DoRA adapters have no llama.cpp LoRA form.",
                          "Train with plain LoRA to use the voice in llama.cpp; the ONNX export is unaffected.")
    extra = sorted(n for n in tensors if not n.endswith((A_SUFFIX, B_SUFFIX)))
    if extra:
        # modules_to_save, trainable tokens, LoRA biases: whole tensors a LoRA file cannot carry.
        raise EngineError("export_unsupported",
                          f"The adapter also trains whole tensors ({', '.join(extra[:3])}"
                          f"{', ...' if len(extra) > 3 else ''}), which a llama.cpp LoRA cannot hold.",
                          "The ONNX export carries them; for llama.cpp, train without modules_to_save.")


def lora_pairs(tensors: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """HF module weight name (`model.layers.0.self_attn.q_proj.weight`) -> (A, B)."""
    pairs: dict[str, list[Any]] = {}
    for name, tensor in tensors.items():
        for suffix, slot in ((A_SUFFIX, 0), (B_SUFFIX, 1)):
            if name.endswith(suffix):
                base = name[: -len(suffix)].removeprefix("base_model.model.") + ".weight"
                pairs.setdefault(base, [None, None])[slot] = tensor
    incomplete = [n for n, (a, b) in pairs.items() if a is None or b is None]
    if incomplete:
        raise EngineError("export_failed", f"The adapter is missing half of a LoRA pair: {incomplete[0]}.",
                          "The adapter file is damaged; train the run again.")
    return {n: (a, b) for n, (a, b) in pairs.items()}


def write_lora_gguf(adapter_dir: Path, base_config: Any, out: Path) -> dict[str, Any]:
    """Write `adapter_dir` (PEFT, LoRA) as `out`; returns a summary (tensors, alpha, ranks)."""
    import gguf
    import numpy as np
    import torch

    config, tensors = read_adapter(adapter_dir)
    check_supported(config, tensors)
    arch: GgufArch = gguf_arch(base_config)
    pairs = lora_pairs(tensors)
    if not pairs:
        raise EngineError("export_failed", f"{adapter_dir} holds no LoRA tensors.", "Train the run again.")

    alpha = float(config.get("lora_alpha", 8))
    writer = gguf.GGUFWriter(str(out), arch.name)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    writer.add_name(f"voice-draft adapter ({adapter_dir.parent.name})")
    ranks = set()
    for hf_name in sorted(pairs):
        a, b = pairs[hf_name]
        gguf_name = arch.tensor_name(hf_name)
        if gguf_name is None:
            raise EngineError("export_unsupported", f"llama.cpp has no tensor for the adapted module {hf_name}.",
                              "Adapt only the attention and MLP projections to use the voice in llama.cpp.")
        rank = int(a.shape[0])
        ranks.add(rank)
        module = hf_name.removesuffix(".weight")
        # Fold PEFT's scaling into B so that llama.cpp's alpha / rank reproduces it.
        factor = module_scaling(config, module, rank) / (alpha / rank)
        b = b.to(torch.float32) * factor
        b = arch.permute_rows(hf_name, b)
        writer.add_tensor(gguf_name + ".lora_a", np.ascontiguousarray(a.to(torch.float32).numpy()))
        writer.add_tensor(gguf_name + ".lora_b", np.ascontiguousarray(b.numpy()))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"tensors": 2 * len(pairs), "alpha": alpha, "ranks": sorted(ranks), "architecture": arch.name}

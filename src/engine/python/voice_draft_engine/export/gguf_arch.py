"""What llama.cpp calls a Hugging Face architecture, and how it names its tensors.

Shared by the LoRA and the base GGUF writers, so that an adapter's tensor names and
row order always match the base GGUF it is loaded onto. Conventions follow llama.cpp's
convert_hf_to_gguf.py / convert_lora_to_gguf.py; the names come from the `gguf`
package (the same tables those scripts use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..protocol import EngineError

# HF model_type -> (llama.cpp architecture, rows of q/k permuted for llama.cpp's RoPE).
# llama.cpp's Llama graph applies RoPE to interleaved pairs, HF's to two halves; its
# converter reorders q_proj/k_proj rows to compensate (LlamaModel.permute). Qwen2's graph
# uses the halves layout (NEOX RoPE), so nothing is permuted there.
ARCHITECTURES: dict[str, tuple[str, bool]] = {
    "llama": ("LLAMA", True),
    "mistral": ("LLAMA", True),
    "qwen2": ("QWEN2", False),
}


@dataclass(frozen=True)
class GgufArch:
    model_type: str
    arch: Any  # gguf.MODEL_ARCH member
    name: str  # "llama", "qwen2": general.architecture
    permute_qk: bool
    n_layers: int
    n_head: int
    n_kv_head: int

    def tensor_name(self, hf_name: str) -> str | None:
        """`model.layers.3.self_attn.q_proj.weight` -> `blk.3.attn_q.weight` (None if unknown)."""
        import gguf

        table = gguf.get_tensor_name_map(self.arch, self.n_layers)
        return table.get_name(hf_name, try_suffixes=(".weight", ".bias"))

    def permute_rows(self, hf_name: str, rows: Any) -> Any:
        """Reorder the output rows of q_proj/k_proj (weights, biases or LoRA B) as llama.cpp does."""
        if not self.permute_qk:
            return rows
        if hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            return _permute(rows, self.n_head)
        if hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            return _permute(rows, self.n_kv_head)
        return rows


def _permute(weights: Any, n_head: int) -> Any:
    # LlamaModel.permute in llama.cpp's converter: per head, the two RoPE halves interleaved.
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2)
            .reshape(weights.shape))


def gguf_arch(config: Any) -> GgufArch:
    """The llama.cpp view of a transformers config (a PretrainedConfig or its dict)."""
    import gguf

    cfg = config if isinstance(config, dict) else config.to_dict()
    model_type = cfg.get("model_type", "")
    if model_type not in ARCHITECTURES:
        raise EngineError("export_unsupported",
                          f"GGUF export does not know the {model_type or 'unnamed'} architecture.",
                          f"GGUF export supports {', '.join(sorted(ARCHITECTURES))} models; "
                          "the ONNX export for the editor does not depend on it.")
    arch_key, permute = ARCHITECTURES[model_type]
    arch = getattr(gguf.MODEL_ARCH, arch_key)
    n_head = int(cfg["num_attention_heads"])
    return GgufArch(model_type=model_type, arch=arch, name=gguf.MODEL_ARCH_NAMES[arch], permute_qk=permute,
                    n_layers=int(cfg["num_hidden_layers"]), n_head=n_head,
                    n_kv_head=int(cfg.get("num_key_value_heads") or n_head))

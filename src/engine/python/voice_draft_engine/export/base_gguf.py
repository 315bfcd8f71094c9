"""A Hugging Face base model as an f32/f16 GGUF that llama.cpp loads (llama, qwen2).

The adapter GGUF needs a base to sit on. The offline default's own GGUF is Q4_1, so a
token-exact comparison with PyTorch (and a writer who wants full precision) needs an
unquantized base: `export --base-gguf` writes one with this module. Metadata and tensor
names follow llama.cpp's convert_hf_to_gguf.py for these architectures; the vocabulary
is a GPT-2 style BPE read from tokenizer.json (what Llama-3, Qwen2 and SmolLM use).
"""

from __future__ import annotations

import json
import logging
from hashlib import sha256
from pathlib import Path
from typing import Any

from ..protocol import EngineError
from .gguf_arch import GgufArch, gguf_arch

log = logging.getLogger(__name__)

# llama.cpp picks its pre-tokenizer (how text is split before BPE) by name. Its converter
# names it by hashing the token ids of this text; these are its hashes for the BPE
# families Voice Draft suggests (copied from convert_hf_to_gguf.py, llama.cpp, MIT).
PRE_TOKENIZER_PROBE = (
    '\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ '
    '🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ '
    '------======= нещо на Български \'\'\'\'\'\'```````""""......!!!!!!?????? I\'ve been \'told he\'s there, '
    '\'RE you sure? \'M not sure I\'ll make it, \'D you like some tea? We\'Ve a\'lL'
)
PRE_TOKENIZERS = {
    "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",  # SmolLM / SmolLM2
    "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea": "qwen2",  # Qwen1.5 / Qwen2 / Qwen2.5
    "d4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c": "qwen2",  # Qwen3
    "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",  # Llama 3
    "3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454": "gpt-2",
}


def pre_tokenizer(tokenizer: Any) -> str:
    digest = sha256(str(tokenizer.encode(PRE_TOKENIZER_PROBE)).encode()).hexdigest()
    name = PRE_TOKENIZERS.get(digest)
    if name is None:
        # llama.cpp then splits text with its default GPT-2 rules: token ids may differ from
        # transformers' for some inputs, so say so (the weights are unaffected).
        log.warning("unknown BPE pre-tokenizer (hash %s): writing 'default'", digest)
        return "default"
    return name


def _looks_special(token: str) -> bool:
    return token.startswith(("<|", "<｜")) and token.endswith(("|>", "｜>"))


def add_vocabulary(writer: Any, tokenizer_dir: Path, vocab_size: int) -> None:
    """tokenizer.ggml.* keys from a GPT-2 style BPE tokenizer.json (as _set_vocab_gpt2 does)."""
    import gguf
    from transformers import AutoTokenizer

    spec = json.loads((tokenizer_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = spec.get("model", {})
    if model.get("type") != "BPE" or model.get("byte_fallback") or (spec.get("decoder") or {}).get("type") != "ByteLevel":
        raise EngineError("export_unsupported", "GGUF export reads byte-level BPE tokenizers only (Llama 3, Qwen2, SmolLM).",
                          "The ONNX export for the editor does not depend on it.")
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    vocab: dict[str, int] = tokenizer.get_vocab()
    by_id = {i: t for t, i in vocab.items()}
    added = tokenizer.get_added_vocab()
    decoder = tokenizer.added_tokens_decoder
    tokens: list[str] = []
    types: list[int] = []
    for i in range(vocab_size):
        token = by_id.get(i)
        if token is None:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif token in added:
            special = decoder[i].special if i in decoder else False
            tokens.append(token)
            types.append(gguf.TokenType.CONTROL if special or _looks_special(token) else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(token)
            types.append(gguf.TokenType.NORMAL)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre_tokenizer(tokenizer))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    special = gguf.SpecialVocab(tokenizer_dir, load_merges=True, n_vocab=vocab_size)
    # Whether a BOS goes first is what transformers' tokenizer actually does, not a guess.
    probe = tokenizer("a").input_ids
    special.add_special_token["bos"] = bool(tokenizer.bos_token_id is not None and probe[:1] == [tokenizer.bos_token_id])
    special.add_to_gguf(writer, quiet=True)


def add_hyperparameters(writer: Any, cfg: dict[str, Any], arch: GgufArch, file_type: int) -> None:
    import gguf

    heads = int(cfg["num_attention_heads"])
    head_dim = int(cfg.get("head_dim") or cfg["hidden_size"] // heads)
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_block_count(arch.n_layers)
    writer.add_context_length(int(cfg.get("max_position_embeddings", 2048)))
    writer.add_embedding_length(int(cfg["hidden_size"]))
    writer.add_feed_forward_length(int(cfg["intermediate_size"]))
    writer.add_head_count(heads)
    writer.add_head_count_kv(arch.n_kv_head)
    writer.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-6)))
    writer.add_vocab_size(int(cfg["vocab_size"]))
    rope = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    theta = rope.get("rope_theta", cfg.get("rope_theta"))
    if theta is not None:
        writer.add_rope_freq_base(float(theta))
    rope_type = rope.get("rope_type", rope.get("type", "default"))
    if rope_type == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope["factor"]))
    elif rope_type not in ("default", None):
        raise EngineError("export_unsupported", f"GGUF export does not handle {rope_type!r} RoPE scaling yet.",
                          "The ONNX export for the editor does not depend on it.")
    if arch.permute_qk:
        writer.add_rope_dimension_count(head_dim)
    if cfg.get("head_dim") is not None:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    writer.add_file_type(file_type)


def write_base_gguf(model: Any, tokenizer_dir: Path, out: Path, dtype: str = "f16") -> dict[str, Any]:
    """Write a loaded HF causal LM (float32) as `out`; dtype 'f16' or 'f32' for 2-D weights."""
    import gguf
    import numpy as np

    if dtype not in ("f16", "f32"):
        raise ValueError(dtype)
    cfg = model.config.to_dict()
    arch = gguf_arch(cfg)
    file_type = gguf.LlamaFileType.MOSTLY_F16 if dtype == "f16" else gguf.LlamaFileType.ALL_F32
    writer = gguf.GGUFWriter(str(out), arch.name)
    writer.add_name(str(cfg.get("_name_or_path") or cfg["model_type"]).rstrip("/").split("/")[-1])
    add_hyperparameters(writer, cfg, arch, int(file_type))
    add_vocabulary(writer, tokenizer_dir, int(cfg["vocab_size"]))
    tied = bool(cfg.get("tie_word_embeddings"))
    count = 0
    for hf_name, tensor in model.state_dict().items():
        if tied and hf_name == "lm_head.weight":
            continue  # llama.cpp reuses token_embd when output.weight is absent
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        name = arch.tensor_name(hf_name)
        if name is None:
            raise EngineError("export_unsupported", f"No llama.cpp tensor for {hf_name}.")
        data = arch.permute_rows(hf_name, tensor.detach().float()).numpy()
        # Norms and biases stay f32, as llama.cpp's converter keeps 1-D tensors.
        if dtype == "f16" and data.ndim == 2:
            data = data.astype(np.float16)
        writer.add_tensor(name, np.ascontiguousarray(data))
        count += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"tensors": count, "architecture": arch.name, "dtype": dtype}

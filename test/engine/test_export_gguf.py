"""The GGUF files read back with the `gguf` package: the keys and tensor names llama.cpp
checks, and the arithmetic: alpha / r * B @ A from the LoRA GGUF (rows un-permuted) must
equal what PEFT's merge added to each weight. Loading them in llama.cpp itself is
test/unit/export/tinyExport.test.ts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from export_fixtures import make_lora_run, make_tiny_qwen2
from voice_draft_engine.export.base_gguf import write_base_gguf
from voice_draft_engine.export.gguf_arch import gguf_arch
from voice_draft_engine.export.lora_gguf import write_lora_gguf
from voice_draft_engine.export.weights import load_causal_lm, load_voice, read_run
from voice_draft_engine.protocol import EngineError

PROJECTIONS = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
               "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
               "ffn_down": "mlp.down_proj"}


def read(path: Path):
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    fields = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("tokenizer.ggml.merges")}
    tensors = {t.name: t for t in reader.tensors}
    return fields, tensors


def unpermute(rows: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of llama.cpp's q/k row order (pairs back to halves)."""
    return rows.reshape(n_head, rows.shape[0] // n_head // 2, 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


@pytest.fixture(scope="module")
def base(tiny_model_dir: Path):
    return load_causal_lm(tiny_model_dir)


@pytest.mark.parametrize("rslora", [False, True], ids=["lora", "rslora"])
def test_lora_gguf_reproduces_the_peft_merge(tiny_model_dir: Path, base, tmp_path: Path, rslora: bool):
    run = make_lora_run(tmp_path / "run", "tiny:llama", tiny_model_dir, rank=4, alpha=8, b_std=0.2, use_rslora=rslora)
    out = tmp_path / "adapter.gguf"
    summary = write_lora_gguf(run / "adapter", base.config, out)
    fields, tensors = read(out)
    assert fields["general.type"] == "adapter"
    assert fields["general.architecture"] == "llama"
    assert fields["adapter.type"] == "lora"
    alpha = fields["adapter.lora.alpha"]
    assert alpha == 8.0 and summary["ranks"] == [4]
    layers = base.config.num_hidden_layers
    expected = {f"blk.{i}.{p}.weight.lora_{ab}" for i in range(layers) for p in PROJECTIONS for ab in ("a", "b")}
    assert set(tensors) == expected

    merged = load_voice(read_run(run)).state_dict()
    original = base.state_dict()
    heads, kv_heads = base.config.num_attention_heads, base.config.num_key_value_heads
    for i in range(layers):
        for short, module in PROJECTIONS.items():
            a = tensors[f"blk.{i}.{short}.weight.lora_a"]
            b = tensors[f"blk.{i}.{short}.weight.lora_b"]
            hf = f"model.layers.{i}.{module}.weight"
            out_features, in_features = original[hf].shape
            # ggml shapes (ne): lora_a [in, r], lora_b [r, out] -- what llama-adapter.cpp validates.
            assert list(a.shape) == [in_features, 4] and list(b.shape) == [4, out_features]
            a_np = np.asarray(a.data).reshape(4, in_features)
            b_np = np.asarray(b.data).reshape(out_features, 4)
            if short in ("attn_q", "attn_k"):
                b_np = unpermute(b_np, heads if short == "attn_q" else kv_heads)
            delta = alpha / 4 * b_np @ a_np  # what llama.cpp adds at scale 1
            np.testing.assert_allclose(delta, (merged[hf] - original[hf]).numpy(), atol=2e-6, rtol=1e-4)
            assert np.abs(delta).max() > 1e-3  # the adapter really changes this weight


def test_base_gguf_metadata_tensors_and_vocabulary(tiny_model_dir: Path, base, tmp_path: Path):
    out = tmp_path / "base.gguf"
    summary = write_base_gguf(base, tiny_model_dir, out, dtype="f32")
    fields, tensors = read(out)
    cfg = base.config
    assert fields["general.type"] == "model"
    assert fields["llama.block_count"] == cfg.num_hidden_layers
    assert fields["llama.embedding_length"] == cfg.hidden_size
    assert fields["llama.attention.head_count"] == cfg.num_attention_heads
    assert fields["llama.attention.head_count_kv"] == cfg.num_key_value_heads
    assert fields["llama.rope.dimension_count"] == cfg.head_dim
    assert fields["llama.rope.freq_base"] == pytest.approx(cfg.rope_parameters["rope_theta"])
    assert fields["tokenizer.ggml.model"] == "gpt2"
    assert fields["tokenizer.ggml.pre"] == "smollm"  # the SmolLM2 tokenizer, recognised by llama.cpp's hash
    assert len(fields["tokenizer.ggml.tokens"]) == cfg.vocab_size
    assert fields["tokenizer.ggml.eos_token_id"] == cfg.eos_token_id
    assert "<|im_start|>" in fields["tokenizer.chat_template"]
    # Tied embeddings: no output.weight, llama.cpp reuses token_embd.
    assert "output.weight" not in tensors and "token_embd.weight" in tensors
    assert summary["tensors"] == len(tensors) == 2 + 9 * cfg.num_hidden_layers
    q = np.asarray(tensors["blk.1.attn_q.weight"].data).reshape(cfg.hidden_size, cfg.hidden_size)
    np.testing.assert_array_equal(unpermute(q, cfg.num_attention_heads),
                                  base.state_dict()["model.layers.1.self_attn.q_proj.weight"].numpy())
    v = np.asarray(tensors["blk.1.attn_v.weight"].data)
    np.testing.assert_array_equal(v.reshape(-1), base.state_dict()["model.layers.1.self_attn.v_proj.weight"].numpy().reshape(-1))


def test_f16_base_halves_the_matrices(tiny_model_dir: Path, base, tmp_path: Path):
    f32, f16 = tmp_path / "f32.gguf", tmp_path / "f16.gguf"
    write_base_gguf(base, tiny_model_dir, f32, dtype="f32")
    write_base_gguf(base, tiny_model_dir, f16, dtype="f16")
    _, tensors = read(f16)
    assert tensors["blk.0.ffn_up.weight"].tensor_type.name == "F16"
    assert tensors["blk.0.attn_norm.weight"].tensor_type.name == "F32"  # norms stay f32
    assert f16.stat().st_size < 0.6 * f32.stat().st_size


def test_unsupported_architecture_is_an_actionable_error():
    with pytest.raises(EngineError) as e:
        gguf_arch({"model_type": "gpt2", "num_attention_heads": 2, "num_hidden_layers": 1})
    assert e.value.code == "export_unsupported" and "gpt2" in e.value.message


def test_adapter_with_whole_tensors_is_refused(tiny_model_dir: Path, base, tmp_path: Path):
    from safetensors.torch import load_file, save_file

    run = make_lora_run(tmp_path / "run", "tiny:llama", tiny_model_dir, rank=2, alpha=4)
    weights = run / "adapter" / "adapter_model.safetensors"
    tensors = load_file(str(weights))
    tensors["base_model.model.lm_head.weight"] = torch.zeros(4, 4)  # as modules_to_save would add
    save_file(tensors, str(weights))
    with pytest.raises(EngineError) as e:
        write_lora_gguf(run / "adapter", base.config, tmp_path / "x.gguf")
    assert e.value.code == "export_unsupported" and "lm_head" in e.value.message


def test_qwen2_lora_and_base_gguf_keep_row_order_and_biases(tiny_model_dir: Path, tmp_path: Path):
    qwen_dir = make_tiny_qwen2(tmp_path / "qwen2", tiny_model_dir)
    qwen = load_causal_lm(qwen_dir)
    run = make_lora_run(tmp_path / "run", str(qwen_dir), qwen_dir, rank=4, alpha=8, b_std=0.2)
    write_lora_gguf(run / "adapter", qwen.config, tmp_path / "adapter.gguf")
    fields, tensors = read(tmp_path / "adapter.gguf")
    assert fields["general.architecture"] == "qwen2"
    merged = load_voice(read_run(run)).state_dict()
    hf = "model.layers.0.self_attn.q_proj.weight"
    a = np.asarray(tensors["blk.0.attn_q.weight.lora_a"].data).reshape(4, -1)
    b = np.asarray(tensors["blk.0.attn_q.weight.lora_b"].data).reshape(-1, 4)
    # Qwen2's llama.cpp graph uses HF's RoPE layout: rows are not permuted.
    np.testing.assert_allclose(8 / 4 * b @ a, (merged[hf] - qwen.state_dict()[hf]).numpy(), atol=2e-6, rtol=1e-4)

    write_base_gguf(qwen, qwen_dir, tmp_path / "base.gguf", dtype="f32")
    fields, tensors = read(tmp_path / "base.gguf")
    assert fields["qwen2.block_count"] == 2 and "qwen2.rope.dimension_count" not in fields
    bias = qwen.state_dict()["model.layers.0.self_attn.q_proj.bias"].numpy()
    np.testing.assert_array_equal(np.asarray(tensors["blk.0.attn_q.bias"].data).reshape(-1), bias)
    np.testing.assert_array_equal(np.asarray(tensors["blk.0.attn_q.weight"].data).reshape(-1),
                                  qwen.state_dict()[hf].numpy().reshape(-1))

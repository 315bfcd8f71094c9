"""A causal LM as one ONNX decoder graph with a KV cache, as transformers.js 4.x runs it.

The graph's inputs and outputs carry optimum's `text-generation-with-past` names,
because transformers.js finds the cache by name and sizes the empty
first-step cache from the graph's input shapes:

    input_ids                   [batch_size, sequence_length]          int64
    attention_mask              [batch_size, total_sequence_length]    int64
    position_ids                [batch_size, sequence_length]          int64
    past_key_values.N.key/value [batch_size, kv_heads, past_sequence_length, head_dim]
    num_logits_to_keep          []                                     int64 (0 = all positions)
    -> logits                   [batch_size, num_logits, vocab]
    -> present.N.key/value      [batch_size, kv_heads, total_sequence_length, head_dim]
    -> new_key_values.N.key/value [batch_size, kv_heads, sequence_length, head_dim]

`new_key_values` (format 4, where every layer's attention is split, attention.py) are the
step's own positions: a caller that keeps the cache itself fetches them instead of
`present`, and attention never reads a copy of the past. transformers.js takes the cache from the
outputs named `present*` and leaves the others alone.

The cache's head count and head size must be fixed numbers and the batch axis must be
called `batch_size`: transformers.js fills those two in and sets every other named axis
to 0 (the empty past). `num_logits_to_keep` spares the vocabulary projection over a long
prompt (5 s and 4 GB for a 3,000-token prompt without it, 0.15 s with it).

Exporter: torch.onnx's TorchScript tracer (`dynamo=False`). It exists in torch 2.4 to
2.13 without extra packages (the dynamo exporter needs onnxscript, which the reference
GPU image lacks), and it traces the shape arithmetic of transformers' cache and mask
code into the graph, so batch, sequence and past lengths stay dynamic. The tests feed
shapes other than the traced ones and compare with PyTorch.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from pathlib import Path
from typing import Any

from .attention import export_attention, new_positions, splits_attention, tidy_copies

log = logging.getLogger(__name__)

# 18 is the first opset where ReduceMean takes its axes as an input, the form the
# int8 quantizer's opset bookkeeping expects; ONNX Runtime 1.17+ runs it.
OPSET = 18
# Past this many bytes of weights a single protobuf cannot hold the model (2 GiB limit):
# weights go to `<file>_data` beside it, which ONNX Runtime and transformers.js load.
EXTERNAL_DATA_BYTES = 1_800_000_000


# The step's own keys/values (format 4): fetched instead of present.* by a caller that keeps the cache.
NEW = "new_key_values"


def cache_names(num_layers: int, prefix: str) -> list[str]:
    return [f"{prefix}.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")]


def input_names(num_layers: int) -> list[str]:
    return ["input_ids", "attention_mask", "position_ids", *cache_names(num_layers, "past_key_values"),
            "num_logits_to_keep"]


def output_names(num_layers: int, new: bool) -> list[str]:
    return ["logits", *cache_names(num_layers, "present"), *(cache_names(num_layers, NEW) if new else [])]


def dynamic_axes(num_layers: int, new: bool) -> dict[str, dict[int, str]]:
    axes: dict[str, dict[int, str]] = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "num_logits"},
    }
    for name in cache_names(num_layers, "past_key_values"):
        axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in cache_names(num_layers, "present"):
        axes[name] = {0: "batch_size", 2: "total_sequence_length"}
    for name in cache_names(num_layers, NEW) if new else []:
        axes[name] = {0: "batch_size", 2: "sequence_length"}
    return axes


def text_config(config: Any) -> Any:
    return config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config


def cache_geometry(config: Any) -> tuple[int, int, int]:
    """(layers, kv heads, head size) of a decoder config."""
    cfg = text_config(config)
    heads = cfg.num_attention_heads
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    return cfg.num_hidden_layers, kv_heads, head_dim


def check_exportable(config: Any) -> None:
    """Refuse what this graph would get silently wrong, with a reason the writer can read."""
    from ..protocol import EngineError

    cfg = text_config(config)
    layer_types = getattr(cfg, "layer_types", None) or []
    odd = sorted({t for t in layer_types if t != "full_attention"})
    if odd or getattr(cfg, "use_sliding_window", False):
        # transformers.js keeps the whole cache; a sliding-window layer would crop it.
        raise EngineError("export_unsupported",
                          f"{cfg.model_type} models with {', '.join(odd) or 'sliding-window'} layers "
                          "cannot be exported for the editor yet.",
                          "Use a model whose layers all use full attention (Llama, Qwen2.5, SmolLM2).")


def decoder_module(model: Any) -> Any:
    """An nn.Module with the flat signature of the graph, around a HF causal LM."""
    import torch
    from torch import nn
    from transformers import DynamicCache

    num_layers = cache_geometry(model.config)[0]
    # transformers 5.24 renamed the models' `past_key_values` argument to `cache`.
    cache_kwarg = "cache" if "cache" in inspect.signature(model.model.forward).parameters else "past_key_values"

    class DecoderWithPast(nn.Module):
        def __init__(self, lm: Any) -> None:
            super().__init__()
            self.lm = lm

        def forward(self, input_ids: Any, attention_mask: Any, position_ids: Any, *rest: Any) -> tuple[Any, ...]:
            past, num_logits_to_keep = rest[:-1], rest[-1]
            cache = DynamicCache(config=self.lm.config)
            for i in range(num_layers):
                cache.update(past[2 * i], past[2 * i + 1], i)
            out = self.lm.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                                use_cache=True, **{cache_kwarg: cache})
            hidden = out.last_hidden_state
            # Keep the last k positions (k = 0: all). Built from index arithmetic, not a Python
            # slice, so that k stays an input of the graph instead of a traced constant.
            seq = torch.tensor(hidden.shape[1], dtype=torch.long)
            k = num_logits_to_keep.to(torch.long)
            keep = torch.where(k > 0, torch.minimum(k, seq), seq)
            index = torch.arange(keep, dtype=torch.long) + (seq - keep)
            logits = self.lm.lm_head(hidden.index_select(1, index))
            caches: list[Any] = []
            for layer in cache.layers:  # updated in place: the past with the step appended
                caches += [layer.keys, layer.values]
            for k, v in new_positions(self.lm) or []:
                caches += [k, v]
            return (logits, *caches)

    return DecoderWithPast(model).eval()


def example_inputs(model: Any, batch: int = 2, seq: int = 3, past: int = 2) -> tuple[Any, ...]:
    """Trace inputs with distinct sizes on every dynamic axis (so none is mistaken for another)."""
    import torch

    num_layers, kv_heads, head_dim = cache_geometry(model.config)
    dtype = next(model.parameters()).dtype
    gen = torch.Generator().manual_seed(0)
    vocab = text_config(model.config).vocab_size
    input_ids = torch.randint(0, vocab, (batch, seq), generator=gen)
    attention_mask = torch.ones(batch, past + seq, dtype=torch.long)
    position_ids = torch.arange(past, past + seq, dtype=torch.long).unsqueeze(0).expand(batch, -1).contiguous()
    cache = [torch.randn(batch, kv_heads, past, head_dim, generator=gen).to(dtype) for _ in range(2 * num_layers)]
    return (input_ids, attention_mask, position_ids, *cache, torch.tensor(0, dtype=torch.long))


def export_decoder(model: Any, path: Path) -> bool:
    """Write `model` (a HF causal LM, eager attention, float32, CPU) as `path`; weights over
    EXTERNAL_DATA_BYTES go to `<name>_data` beside it.

    Returns whether the graph has the `new_key_values` outputs (format 4's split attention).
    """
    import onnx
    import torch

    check_exportable(model.config)
    num_layers = cache_geometry(model.config)[0]
    new = splits_attention(model, num_layers)
    module = decoder_module(model)
    args = example_inputs(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.parent / f".{path.stem}-trace"
    scratch.mkdir(exist_ok=True)
    traced = scratch / path.name
    with torch.no_grad(), warnings.catch_warnings(), export_attention(model):
        # The tracer warns about every Python-level branch in transformers' cache and mask
        # code; each is either shape-independent or checked by the export tests.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, args, str(traced), dynamo=False, opset_version=OPSET,
            input_names=input_names(num_layers), output_names=output_names(num_layers, new),
            dynamic_axes=dynamic_axes(num_layers, new), do_constant_folding=True,
        )
    written = list(scratch.iterdir())
    proto = onnx.load(str(traced), load_external_data=True)
    tidy_copies(proto)
    if written == [traced] and traced.stat().st_size <= EXTERNAL_DATA_BYTES:
        onnx.save_model(proto, str(path))
    else:
        # Past 2 GiB the tracer writes one file per weight; gather them into one `<name>_data`
        # file, the name transformers.js and ONNX Runtime look for.
        onnx.save_model(proto, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=path.name + "_data", size_threshold=1024)
    del proto
    for leftover in scratch.iterdir():
        leftover.unlink()
    scratch.rmdir()
    return new


def external_data_file(path: Path) -> Path | None:
    data = path.with_name(path.name + "_data")
    return data if data.exists() else None

"""Attention and feed-forward as the exported graph computes them: no repeated KV heads,
few and wide products, little shape glue.

Changes used only while tracing (`export_attention`); the model keeps eager
attention otherwise, so the export's parity check compares against transformers' own code.

- Grouped queries. transformers' eager attention repeats each key/value head for the
  query heads that share it (`repeat_kv`: an Expand per layer and step). In the graph
  that copies the whole cache, three times over for SmolLM2 (9 query heads, 3 KV
  heads), on every decode step: ~19% of a step at 1,500 cached positions. Here the query
  heads are grouped instead and attend to the KV heads as they are: the same products and
  sums (`grouped_attention`, for attention without the split below, stacks a group's heads
  as rows, [b, kv_heads, group * q_len, head_dim]; `split_attention` gives each head its own
  product).
- Constant reshapes (Llama and Qwen2 attention). transformers writes `view(*shape[:-1],
  -1, head_dim)` and `x.shape[-1] // 2`; the tracer turns each into Shape/Gather/
  Unsqueeze/Concat nodes, ~35 of a layer's ~80 nodes, each a kernel launch per step.
  ONNX Reshape copies a dimension given as 0, so every reshape here is one node with a
  constant shape, and the rotary halves are constant slices.
- Attention over the past and the new positions apart (Llama and Qwen2 attention, format
  4). Scores against the past and against the step's own keys are computed separately and
  joined (a few thousand floats), so attention never reads `present`, the past with the new
  positions appended: producing it copies the whole cache on every step. The graph still
  outputs `present.N.*` (transformers.js feeds them back), and also `new_key_values.N.*`,
  the step's positions alone: the editor's decode loop fetches those and keeps the cache
  in its own buffers. (ONNX Runtime runs every node, fetched or not, so the editor drops
  `present` and its Concats from its own session when it loads the file:
  src/inference/editorGraph.ts.) The cache is float32 again: with nothing reading a copy,
  float16 would only add casts. A 24-token suggestion after 1,500 tokens: ~0.94 s instead
  of ~1.35 s, ~0.53 s with `present` dropped.
- One product per query head (format 5): see split_attention.
- Stacked projections (Llama and Qwen2 attention and feed-forward, format 5): q, k and v
  are one MatMul and a Split, and so are gate and up (`stacked_linear`): 121 8-bit
  products a step for SmolLM2 instead of 211, ~7% of a decode step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import MethodType
from typing import Any

NAME = "voice_draft_grouped"
# Attention modules whose forward `lean_forward` reproduces (same projections, full rotary,
# no per-head norms); any other model keeps its own forward and still gets grouped queries.
LEAN_CLASSES = ("LlamaAttention", "Qwen2Attention")
# Feed-forward modules computing down(act(gate(x)) * up(x)), traced with gate and up as one product.
MLP_CLASSES = ("LlamaMLP", "Qwen2MLP")


def grouped_attention(module: Any, query: Any, key: Any, value: Any, attention_mask: Any,
                      scaling: float, dropout: float = 0.0, **kwargs: Any) -> tuple[Any, None]:
    """query [b, heads, q, d], key/value [b, kv_heads, t, d], mask [b, 1, q, t] (additive) or None
    -> ([b, q, heads, d], None), the layout transformers' attention functions return."""
    import torch

    # Python ints, not traced sizes: the reshapes below must see constants (they are fixed by the config).
    heads, kv_heads, d = (int(n) for n in (query.shape[1], key.shape[1], query.shape[3]))
    # Query head h reads KV head h // group (repeat_kv's order): consecutive heads share one.
    q = reshape(query, [0, kv_heads, -1, d])                         # [b, kv, group*q, d]
    scores = torch.matmul(q, key.transpose(2, 3)) * scaling          # [b, kv, group*q, t]
    if attention_mask is not None:
        # One row per query head for the mask's [b, 1, q, t] broadcast (a reshape, no copy).
        scores = reshape(scores, [0, heads, -1, 0]) + attention_mask
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
    out = torch.matmul(reshape(probs, [0, kv_heads, -1, 0]), value)  # [b, kv, group*q, d]
    return reshape(out, [0, heads, -1, d]).transpose(1, 2), None


def split_attention(query: Any, past_key: Any, past_value: Any, key: Any, value: Any,
                    attention_mask: Any, scaling: float) -> Any:
    """grouped_attention over Concat(past, new) without building it: query [b, heads, q, d],
    past [b, kv_heads, p, d], key/value [b, kv_heads, q, d] (this step's), mask [b, 1, q, p+q]
    -> [b, q, heads, d].

    Each query head is its own product against its KV head, broadcast over the group
    ([b, kv, group, q, d] against [b, kv, 1, p, d]), not the group's heads stacked into one
    ([b, kv, group*q, d]). A decode step then multiplies one row by the past, which ONNX
    Runtime's CPU kernels stream as it is; the group's rows stacked (three for SmolLM2) made
    it pack (copy) the past first. The 30 layers' attention over 1,500 cached positions:
    ~7.5 ms a step against ~11-13 ms stacked (2 Zen 4 cores). Each KV head's past is read
    once per query head, the second and third time from the CPU's own cache.
    """
    import torch

    heads, kv_heads, d = (int(n) for n in (query.shape[1], past_key.shape[1], query.shape[3]))
    group = heads // kv_heads
    past = past_key.shape[2]
    # Scaled before the products: the query is small, the joined scores are not (a long prompt's are ~100 MB).
    q = reshape(query * scaling, [0, kv_heads, group, -1, d])  # [b, kv, group, q, d]
    # Each KV head once, broadcast over its group: [b, kv, 1, positions, d].
    pk, pv, k, v = (reshape(t, [0, kv_heads, 1, -1, d]) for t in (past_key, past_value, key, value))
    scores = torch.cat([torch.matmul(q, pk.transpose(3, 4)),
                        torch.matmul(q, k.transpose(3, 4))], dim=-1)  # [b, kv, group, q, p+q]
    if attention_mask is not None:
        scores = scores + attention_mask.unsqueeze(1)                 # [b, 1, 1, q, p+q]
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
    out = torch.matmul(probs[..., :past], pv) + torch.matmul(probs[..., past:], v)
    return reshape(out, [0, heads, -1, d]).transpose(1, 2)


def reshape(x: Any, shape: list[int]) -> Any:
    """`x` reshaped, ONNX style: 0 keeps that dimension, -1 is inferred. Traced as one
    Reshape with a constant shape (torch's reshape would trace the kept sizes as Shape ops).
    Always give one -1: torch.onnx's shape inference rejects a 0 without one."""
    import torch

    class Reshape(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, t: Any) -> Any:  # noqa: ARG004 - autograd's signature
            return t.reshape([t.shape[i] if n == 0 else n for i, n in enumerate(shape)])

        @staticmethod
        def symbolic(g: Any, t: Any) -> Any:
            return g.op("Reshape", t, g.op("Constant", value_t=torch.tensor(shape, dtype=torch.int64)))

    return Reshape.apply(x)


def lean_forward(self: Any, hidden_states: Any, position_embeddings: Any, attention_mask: Any,
                 **kwargs: Any) -> tuple[Any, None]:
    """LlamaAttention/Qwen2Attention.forward with constant reshapes and slices (see above)."""
    import torch

    cache = layer_cache(kwargs)

    d = self.head_dim
    heads = self.config.num_attention_heads
    kv_heads = heads // self.num_key_value_groups
    q, k, v = stacked_linear(hidden_states, (self.q_proj, self.k_proj, self.v_proj)).split(
        [heads * d, kv_heads * d, kv_heads * d], dim=-1)
    q = reshape(q, [0, -1, heads, d]).transpose(1, 2)
    k = reshape(k, [0, -1, kv_heads, d]).transpose(1, 2)
    v = reshape(v, [0, -1, kv_heads, d]).transpose(1, 2)
    cos, sin = (t.unsqueeze(1) for t in position_embeddings)

    def rotate_half(x: Any) -> Any:
        return torch.cat((-x[..., d // 2:], x[..., :d // 2]), dim=-1)

    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    if cache is not None and getattr(self, "_voice_draft_split", False):
        layer = cache.layers[self.layer_idx]
        past_k, past_v = layer.keys, layer.values
        cache.update(k, v, self.layer_idx)  # present.N.*, for transformers.js; attention does not read it
        self._voice_draft_new = (k, v)      # new_key_values.N.* (onnx_graph.decoder_module)
        out = split_attention(q, past_k, past_v, k, v, attention_mask, self.scaling)
    else:
        if cache is not None:
            k, v = cache.update(k, v, self.layer_idx)
        out, _ = grouped_attention(self, q, k, v, attention_mask, self.scaling)
    return self.o_proj(reshape(out, [0, -1, heads * d])), None


def lean_mlp_forward(self: Any, x: Any) -> Any:
    """LlamaMLP/Qwen2MLP.forward with the gate and up projections as one product."""
    gate, up = stacked_linear(x, (self.gate_proj, self.up_proj)).split(
        [self.gate_proj.out_features, self.up_proj.out_features], dim=-1)
    return self.down_proj(self.act_fn(gate) * up)


def stacked_linear(x: Any, linears: tuple[Any, ...]) -> Any:
    """`linears` applied to `x`, their outputs side by side, traced as one MatMul over their
    weights stacked: on a decode step each product is a single row against the weights, and
    ONNX Runtime's 8-bit kernels run one wide product faster than three narrow ones (k and v
    are 192 columns for SmolLM2), with fewer nodes to launch."""
    import torch

    if not all(type(m) is torch.nn.Linear for m in linears):  # e.g. an adapter not merged: each its own
        return torch.cat([m(x) for m in linears], dim=-1)
    weight = torch.cat([m.weight for m in linears])
    biases = [m.bias for m in linears]
    bias = None if all(b is None for b in biases) else torch.cat(
        [b if b is not None else m.weight.new_zeros(m.out_features) for m, b in zip(linears, biases)])
    return torch.nn.functional.linear(x, weight, bias)


# The keyword a decoder layer hands its attention the cache under: `cache` from transformers
# 5.24, `past_key_values` before, `past_key_value` before 4.56. A cache that arrives under
# none of them would silently trace attention without the past (a mask wider than the keys).
CACHE_KWARGS = ("cache", "past_key_values", "past_key_value")


def layer_cache(kwargs: dict[str, Any]) -> Any:
    return next((kwargs[k] for k in CACHE_KWARGS if kwargs.get(k) is not None), None)


def splits_attention(model: Any, num_layers: int) -> bool:
    """Whether every layer's attention is traced split (split_attention), giving new_key_values.*."""
    return sum(1 for m in model.modules() if _lean_applies(m)) == num_layers


def new_positions(model: Any) -> list[Any] | None:
    """After a traced forward: each layer's (key, value) of the step's positions, in layer
    order, when every attention layer computed them (split_attention); else None."""
    layers = [m for m in model.modules() if type(m).__name__ in LEAN_CLASSES]
    news = [getattr(m, "_voice_draft_new", None) for m in layers]
    return news if news and all(n is not None for n in news) else None


@contextmanager
def export_attention(model: Any) -> Iterator[None]:
    """Trace `model` with grouped attention (and the lean forward, with attention split
    between past and new positions, where it applies) and Llama/Qwen2 feed-forwards with gate
    and up as one product; its configs and modules are as before afterwards."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(NAME, grouped_attention)
    # The same additive float mask eager attention gets (a custom name would otherwise get none).
    AttentionMaskInterface.register(NAME, eager_mask)
    configs = list({id(c): c for c in _configs(model)}.values())
    before = [c._attn_implementation for c in configs]
    lean = [m for m in model.modules() if _lean_applies(m)]
    mlps = [m for m in model.modules() if type(m).__name__ in MLP_CLASSES
            and all(hasattr(m, p) for p in ("gate_proj", "up_proj", "down_proj", "act_fn"))]
    # A forward set on the instance before (a hook's) is put back afterwards; else the class's applies again.
    own_forwards = {id(m): m.__dict__.get("forward") for m in (*lean, *mlps)}
    try:
        for c in configs:
            c._attn_implementation = NAME
        for m in lean:
            m.forward = MethodType(lean_forward, m)
            m._voice_draft_split = True
        for m in mlps:
            m.forward = MethodType(lean_mlp_forward, m)
        yield
    finally:
        for m in (*lean, *mlps):
            m.__dict__.pop("forward", None)
            if own_forwards[id(m)] is not None:
                m.forward = own_forwards[id(m)]
            for attr in ("_voice_draft_split", "_voice_draft_new"):
                m.__dict__.pop(attr, None)
        for c, impl in zip(configs, before):
            c._attn_implementation = impl


def _lean_applies(module: Any) -> bool:
    if type(module).__name__ not in LEAN_CLASSES or getattr(module, "sliding_window", None):
        return False
    cfg = module.config
    rotary = getattr(cfg, "partial_rotary_factor", 1.0) == 1.0
    parts = ("q_proj", "k_proj", "v_proj", "o_proj", "head_dim", "scaling", "layer_idx", "num_key_value_groups")
    return rotary and all(hasattr(module, p) for p in parts)


def _configs(model: Any) -> Iterator[Any]:
    for module in model.modules():
        config = getattr(module, "config", None)
        if config is not None and hasattr(config, "_attn_implementation"):
            yield config


def tidy_copies(model: Any) -> int:
    """Wire whatever reads a one-input Concat of a graph input (a copy the tracer leaves where
    transformers' cache concatenates onto an empty one) to the input itself, and drop the
    copies: each would copy a layer's whole past on every step. Returns how many went."""
    graph = model.graph
    inputs = {i.name for i in graph.input}
    copies = {n.output[0]: n.input[0] for n in graph.node
              if n.op_type == "Concat" and len(n.input) == 1 and n.input[0] in inputs}
    outputs = {o.name for o in graph.output}
    if not copies or copies.keys() & outputs:
        return 0
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in copies:
                node.input[i] = copies[name]
    keep = [n for n in graph.node if n.output[0] not in copies]
    del graph.node[:]
    graph.node.extend(keep)
    return len(copies)

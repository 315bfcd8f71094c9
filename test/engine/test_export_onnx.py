"""The ONNX decoder graph on the tiny Llama: names and shapes transformers.js relies on, and
onnxruntime's answers against PyTorch for shapes other than the traced ones (no past,
a past, left padding, num_logits_to_keep), for the float32 and the q8 file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from export_fixtures import make_tiny_qwen2
from voice_draft_engine.export.onnx_graph import cache_geometry, export_decoder
from voice_draft_engine.export.quantize import quantize_q8
from voice_draft_engine.export.weights import load_causal_lm


@pytest.fixture(scope="module", params=["llama", "qwen2"])
def tiny(request: pytest.FixtureRequest, tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The tiny Llama, and a tiny Qwen2 (attention biases, the family suggested for real voices)."""
    if request.param == "llama":
        return load_causal_lm(tiny_model_dir)
    return load_causal_lm(make_tiny_qwen2(tmp_path_factory.mktemp("qwen2"), tiny_model_dir))


@pytest.fixture(scope="module")
def exported(tiny, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("onnx")
    fp32 = folder / "model.onnx"
    assert export_decoder(tiny, fp32), "every layer's attention is split (new_key_values.* outputs)"
    q8 = folder / "model_quantized.onnx"
    quantize_q8(fp32, q8)
    return {"fp32": fp32, "q8": q8}


def session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def feeds(model, input_ids, attention_mask, past=None, keep=0):
    layers, kv_heads, head_dim = cache_geometry(model.config)
    batch, seq = input_ids.shape
    past_len = 0 if past is None else past[0][0].shape[2]
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)[:, past_len:]
    out = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy(),
           "position_ids": position_ids.numpy(), "num_logits_to_keep": np.array(keep, dtype=np.int64)}
    for i in range(layers):
        for j, kind in enumerate(("key", "value")):
            out[f"past_key_values.{i}.{kind}"] = (np.zeros((batch, kv_heads, 0, head_dim), np.float32) if past is None
                                                  else past[i][j].numpy())
    return out


def run(sess, feed) -> dict[str, np.ndarray]:
    # The q8 graph's cache is float16: give each input the type the graph declares.
    half = {i.name for i in sess.get_inputs() if i.type == "tensor(float16)"}
    feed = {k: v.astype(np.float16) if k in half else v for k, v in feed.items()}
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feed)))


def test_graph_names_and_shapes_are_the_ones_transformers_js_reads(tiny, exported):
    layers, kv_heads, head_dim = cache_geometry(tiny.config)
    sess = session(exported["fp32"])
    inputs = {i.name: (i.shape, i.type) for i in sess.get_inputs()}
    outputs = {o.name: o.shape for o in sess.get_outputs()}
    cache = [f"past_key_values.{i}.{k}" for i in range(layers) for k in ("key", "value")]
    assert list(inputs) == ["input_ids", "attention_mask", "position_ids", *cache, "num_logits_to_keep"]
    assert inputs["input_ids"] == (["batch_size", "sequence_length"], "tensor(int64)")
    assert inputs["attention_mask"] == (["batch_size", "total_sequence_length"], "tensor(int64)")
    assert inputs["num_logits_to_keep"] == ([], "tensor(int64)")
    for name in cache:
        # transformers.js fills `batch_size`, sets every other named axis to 0, keeps numbers.
        assert inputs[name] == (["batch_size", kv_heads, "past_sequence_length", head_dim], "tensor(float)")
    assert list(outputs) == ["logits", *[n.replace("past_key_values", "present") for n in cache],
                             *[n.replace("past_key_values", "new_key_values") for n in cache]]
    assert outputs["logits"] == ["batch_size", "num_logits", tiny.config.vocab_size]
    assert outputs["present.0.key"] == ["batch_size", kv_heads, "total_sequence_length", head_dim]
    assert outputs["new_key_values.0.key"] == ["batch_size", kv_heads, "sequence_length", head_dim]
    q8 = session(exported["q8"])
    assert {i.name: i.shape for i in q8.get_inputs()} == {k: v[0] for k, v in inputs.items()}
    assert {o.name: o.shape for o in q8.get_outputs()} == outputs
    # q8: the same cache, float32 (attention reads the past as it is; halving it would add casts).
    assert {i.type for i in q8.get_inputs() if i.name in cache} == {"tensor(float)"}
    assert {o.type for o in q8.get_outputs() if o.name != "logits"} == {"tensor(float)"}


def test_layers_read_the_kv_heads_as_they_are_and_compute_no_shapes(exported):
    """attention.py: no repeat_kv (an Expand copying the cache per layer and step), no
    Shape/Gather glue inside the layers (kernel launches on every step) but the past's
    length for the split, and nothing that copies the past except the present outputs'
    Concat (no one-input Concat copies left by the tracer)."""
    import onnx

    for path in exported.values():
        graph = onnx.load(str(path)).graph
        in_layers = [n.op_type for n in graph.node if "/layers." in n.name]
        assert in_layers and "Expand" not in in_layers
        past = {i.name for i in graph.input if i.name.startswith("past_key_values.")}
        presents = {o.name for o in graph.output if o.name.startswith("present.")}
        copies = [n for n in graph.node if n.op_type == "Concat" and past & set(n.input)]
        assert {n.output[0] for n in copies} == presents and all(len(n.input) == 2 for n in copies)


def test_each_layer_reads_its_weights_in_four_products(tiny, exported):
    """attention.py's stacked projections: q/k/v are one product, gate/up another, then the
    output and down projections; a decode step launches 4 weight products per layer, not 7."""
    import onnx

    layers = tiny.config.num_hidden_layers
    for path in exported.values():
        graph = onnx.load(str(path)).graph
        weights = {i.name for i in graph.initializer}
        products = [n for n in graph.node if "/layers." in n.name and n.op_type in ("MatMul", "MatMulNBits")
                    and n.input[1] in weights]
        assert len(products) == 4 * layers, (path.name, [n.name for n in products])


def test_attention_never_reads_present(tiny, exported):
    """What the editor fetches (logits and new_key_values.*) needs no present.* Concat: the
    graph computes attention from the past and the new positions apart."""
    import onnx

    graph = onnx.load(str(exported["fp32"])).graph
    producers = {o: n for n in graph.node for o in n.output}
    needed, stack = set(), ["logits", *[o.name for o in graph.output if o.name.startswith("new_key_values.")]]
    while stack:
        node = producers.get(stack.pop())
        if node is None or id(node) in needed:
            continue
        needed.add(id(node))
        stack.extend(node.input)
    concat_of_past = [n for n in graph.node if n.op_type == "Concat" and any(i.startswith("past_key_values.") for i in n.input)]
    assert concat_of_past and not any(id(n) in needed for n in concat_of_past)


def test_no_past_matches_pytorch_on_untraced_shapes(tiny, exported):
    sess = session(exported["fp32"])
    ids = torch.randint(0, tiny.config.vocab_size, (1, 11), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    got = run(sess, feeds(tiny, ids, mask))
    with torch.no_grad():
        want = tiny(input_ids=ids, attention_mask=mask, use_cache=True)
    np.testing.assert_allclose(got["logits"], want.logits.numpy(), atol=1e-4, rtol=1e-4)
    layer = want.past_key_values.layers[1]
    np.testing.assert_allclose(got["present.1.key"], layer.keys.numpy(), atol=1e-5)
    np.testing.assert_allclose(got["present.1.value"], layer.values.numpy(), atol=1e-5)


def test_with_past_and_left_padding_matches_pytorch(tiny, exported):
    sess = session(exported["fp32"])
    gen = torch.Generator().manual_seed(2)
    ids = torch.randint(0, tiny.config.vocab_size, (3, 9), generator=gen)
    mask = torch.ones_like(ids)
    mask[1, :3] = 0  # left padding, as a batch of unequal prompts has
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        full = tiny(input_ids=ids, attention_mask=mask, position_ids=position_ids).logits
        prefix = tiny(input_ids=ids[:, :6], attention_mask=mask[:, :6], position_ids=position_ids[:, :6], use_cache=True)
    past = [(layer.keys, layer.values) for layer in prefix.past_key_values.layers]
    got = run(sess, feeds(tiny, ids[:, 6:], mask, past=past))
    real = mask[:, 6:].bool().numpy()  # padded positions have no meaningful logits
    np.testing.assert_allclose(got["logits"][real], full[:, 6:].numpy()[real], atol=1e-4, rtol=1e-4)
    assert got["present.0.key"].shape[2] == 9


def test_num_logits_to_keep_slices_the_last_positions(tiny, exported):
    sess = session(exported["fp32"])
    ids = torch.randint(0, tiny.config.vocab_size, (2, 7), generator=torch.Generator().manual_seed(3))
    mask = torch.ones_like(ids)
    all_logits = run(sess, feeds(tiny, ids, mask, keep=0))["logits"]
    assert all_logits.shape[:2] == (2, 7)
    for keep in (1, 3, 7):
        got = run(sess, feeds(tiny, ids, mask, keep=keep))["logits"]
        assert got.shape[:2] == (2, keep)
        np.testing.assert_allclose(got, all_logits[:, -keep:], atol=1e-5)
    # More than the sequence keeps everything (as transformers' own slice would).
    assert run(sess, feeds(tiny, ids, mask, keep=50))["logits"].shape[1] == 7


def test_q8_is_weight_quantized_smaller_and_close(tiny, exported):
    import onnx

    q8 = onnx.load(str(exported["q8"]))
    ops = {n.op_type for n in q8.graph.node}
    assert "MatMulNBits" in ops  # every projection's weights in 8-bit blocks
    for node in q8.graph.node:
        if node.op_type == "MatMulNBits":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            # bits 8; accuracy_level 4 = int8 kernels (the float level is ~10x slower than fp32)
            assert attrs["bits"] == 8 and attrs["accuracy_level"] == 4, node.name
    float_2d = {i.name for i in q8.graph.initializer if i.data_type == onnx.TensorProto.FLOAT and len(i.dims) == 2}
    float_weights = [n.input for n in q8.graph.node if n.op_type in ("MatMul", "Gather") and float_2d & set(n.input)]
    assert float_weights == []  # neither a projection nor the embedding table left in float32
    assert exported["q8"].stat().st_size < 0.35 * exported["fp32"].stat().st_size
    ids = torch.randint(0, tiny.config.vocab_size, (1, 8), generator=torch.Generator().manual_seed(4))
    got = run(session(exported["q8"]), feeds(tiny, ids, torch.ones_like(ids)))["logits"]
    with torch.no_grad():
        want = tiny(input_ids=ids).logits.numpy()
    # int8 weights: close, not equal (the Node parity test measures token agreement).
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()


def test_q8_cache_round_trips(tiny, exported):
    """A q8 prefix's cache fed back for the next tokens (as generate does) gives what
    one pass over the whole sequence gives, and matches PyTorch within the q8 tolerance."""
    sess = session(exported["q8"])
    ids = torch.randint(0, tiny.config.vocab_size, (1, 10), generator=torch.Generator().manual_seed(5))
    mask = torch.ones_like(ids)
    whole = run(sess, feeds(tiny, ids, mask))["logits"]
    first = run(sess, feeds(tiny, ids[:, :7], mask[:, :7]))
    layers = cache_geometry(tiny.config)[0]
    assert first["present.0.key"].dtype == np.float32
    past = [(torch.from_numpy(first[f"present.{i}.key"].astype(np.float32)),
             torch.from_numpy(first[f"present.{i}.value"].astype(np.float32))) for i in range(layers)]
    rest = run(sess, feeds(tiny, ids[:, 7:], mask, past=past))
    assert rest["present.0.key"].shape[2] == 10
    np.testing.assert_allclose(rest["logits"], whole[:, 7:], atol=2e-2 * np.abs(whole).max())
    with torch.no_grad():
        want = tiny(input_ids=ids).logits[:, 7:].numpy()
    assert np.abs(rest["logits"] - want).max() < 0.05 * np.abs(want).max()


def test_a_kept_cache_with_unused_rows_gives_the_whole_pass(tiny, exported):
    """The editor's binding (kvCache.ts, kept): each layer's past is a buffer with more rows
    than are in use, the attention mask is 0 over the unused ones (they hold stale values),
    position_ids count real tokens, and only logits and new_key_values.* are fetched; the
    new rows are copied in after each step. Prompt, a few tokens, then one at a time."""
    layers, kv_heads, head_dim = cache_geometry(tiny.config)
    ids = torch.randint(0, tiny.config.vocab_size, (1, 12), generator=torch.Generator().manual_seed(6))
    for path in exported.values():
        sess = session(path)
        want = run(sess, feeds(tiny, ids, torch.ones_like(ids)))["logits"]
        rows = 16
        cache = {f"{i}.{kind}": np.random.default_rng(7).standard_normal((1, kv_heads, rows, head_dim)).astype(np.float32)
                 for i in range(layers) for kind in ("key", "value")}
        names = ["logits", *[f"new_key_values.{key}" for key in cache]]
        done = 0
        for step in (5, 3, 1, 1, 1, 1):
            past = rows if done else 0
            mask = np.zeros((1, past + step), np.int64)
            mask[0, :done] = 1
            mask[0, past:] = 1
            feed = {"input_ids": ids[:, done:done + step].numpy(), "attention_mask": mask,
                    "position_ids": np.arange(done, done + step, dtype=np.int64)[None],
                    "num_logits_to_keep": np.array(0, dtype=np.int64)}
            feed.update({f"past_key_values.{key}": (buf if past else buf[:, :, :0]) for key, buf in cache.items()})
            out = dict(zip(names, sess.run(names, feed)))
            np.testing.assert_allclose(out["logits"], want[:, done:done + step], atol=2e-4 * max(1, np.abs(want).max()))
            for key, buf in cache.items():
                buf[:, :, done:done + step] = out[f"new_key_values.{key}"]
            done += step


def test_an_architecture_without_split_attention_gets_the_float16_appended_cache(tiny_model_dir: Path, tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    """Where the lean attention does not apply, the graph appends the cache as optimum's does
    (no new_key_values), with no one-input copies of the past, and the q8 cache is float16
    (kv_cache.py); fed back as generate does, it gives what one pass gives."""
    import onnx

    from voice_draft_engine.export import attention

    monkeypatch.setattr(attention, "_lean_applies", lambda module: False)
    tiny = load_causal_lm(tiny_model_dir)
    fp32, q8 = tmp_path / "model.onnx", tmp_path / "model_quantized.onnx"
    assert not export_decoder(tiny, fp32)
    assert quantize_q8(fp32, q8).endswith("+kv-fp16")
    graph = onnx.load(str(fp32)).graph
    assert not [o.name for o in graph.output if o.name.startswith("new_key_values.")]
    past = {i.name for i in graph.input if i.name.startswith("past_key_values.")}
    assert not [n for n in graph.node if n.op_type == "Concat" and len(n.input) == 1 and n.input[0] in past]
    sess = session(q8)
    ids = torch.randint(0, tiny.config.vocab_size, (1, 10), generator=torch.Generator().manual_seed(5))
    mask = torch.ones_like(ids)
    whole = run(sess, feeds(tiny, ids, mask))["logits"]
    first = run(sess, feeds(tiny, ids[:, :7], mask[:, :7]))
    assert first["present.0.key"].dtype == np.float16
    layers = cache_geometry(tiny.config)[0]
    past = [(torch.from_numpy(first[f"present.{i}.key"].astype(np.float32)),
             torch.from_numpy(first[f"present.{i}.value"].astype(np.float32))) for i in range(layers)]
    rest = run(sess, feeds(tiny, ids[:, 7:], mask, past=past))
    np.testing.assert_allclose(rest["logits"], whole[:, 7:], atol=2e-2 * np.abs(whole).max())


def test_stacked_projections_equal_the_separate_ones():
    """stacked_linear: the same outputs, side by side, with biases on all, some or none of the
    projections, and each its own product for a projection that is not a plain Linear."""
    from voice_draft_engine.export.attention import stacked_linear

    class Scaled(torch.nn.Module):  # not an nn.Linear: no weight to stack
        def __init__(self) -> None:
            super().__init__()
            self.inner = torch.nn.Linear(8, 3)

        def forward(self, x):
            return 2 * self.inner(x)

    torch.manual_seed(0)
    x = torch.randn(2, 5, 8)
    for linears in ((torch.nn.Linear(8, 6), torch.nn.Linear(8, 2), torch.nn.Linear(8, 2)),
                    (torch.nn.Linear(8, 6, bias=False), torch.nn.Linear(8, 2), torch.nn.Linear(8, 2, bias=False)),
                    (torch.nn.Linear(8, 4, bias=False), torch.nn.Linear(8, 4, bias=False)),
                    (torch.nn.Linear(8, 6), Scaled())):
        with torch.no_grad():
            expected = torch.cat([m(x) for m in linears], dim=-1)
            assert torch.allclose(stacked_linear(x, linears), expected, atol=1e-6)

"""The int8 copy of an exported decoder: `onnx/model_quantized.onnx`, transformers.js dtype 'q8'.

Two ONNX Runtime quantizers, each on what it does well:

- MatMul weights: 8-bit, block-wise (32 values per scale) (`MatMulNBits`), run with
  accuracy_level 4: activations are quantized per block of 32 too and the products use
  int8 kernels. That level matters: at the default level onnxruntime (1.32, AVX2) runs the
  8-bit weights through a generic path 10x slower than float32 (6 s/token on SmolLM2-135M),
  at level 4 it is faster than float32. The classic dynamic quantization
  (`quantize_dynamic`, `MatMulInteger` on uint8 activations) picked float32's next token
  only ~62% of the time on SmolLM2-135M (uint8 weights, per channel; int8 weights per
  channel were garbage on an AVX2 CPU, whose int16 accumulation saturates); block-wise
  8-bit weights agree ~95%. The dynamic path remains the fallback for an onnxruntime
  without 8-bit MatMulNBits.
- The embedding table (a Gather, a quarter of a 135M model): int8 via `quantize_dynamic`,
  dequantized after the lookup. MatMulNBits' Gather path is 4-bit only.
- The key/value cache: float32 when the graph has `new_key_values` outputs (format 4's
  split attention: attention reads the past as it is, and float16 would add a cast of it each step);
  otherwise float16 (kv_cache.py), since a Concat copying it is what a long prefix's
  decode steps spend their time on.

The q8 file is about a third of the float32 one (181 MB for SmolLM2-135M).
"""

from __future__ import annotations

import logging
from pathlib import Path

from .kv_cache import half_kv_cache
from .onnx_graph import NEW, external_data_file

log = logging.getLogger(__name__)

# Values sharing one scale. 32 is the finest block MatMulNBits offers; on a 135M model the
# scales cost ~12% over plain int8 and buy most of the accuracy.
BLOCK_SIZE = 32
# MatMulNBits' compute type: 4 = int8 products (fast kernels); lower levels compute in
# float and are an order of magnitude slower for 8-bit weights on x86.
ACCURACY_LEVEL = 4


def quantize_q8(src: Path, dst: Path) -> str:
    """Write the q8 model; returns the method used (recorded in the export's marker)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    large = external_data_file(src) is not None
    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        # It logs a line per graph node at INFO (7,000 for SmolLM2): noise in the engine log.
        logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)

        quantizer = MatMulNBitsQuantizer(onnx.load(str(src)), bits=8, block_size=BLOCK_SIZE, is_symmetric=True,
                                         accuracy_level=ACCURACY_LEVEL, op_types_to_quantize=("MatMul",))
        quantizer.process()
    except (ImportError, TypeError, ValueError, AssertionError) as e:
        # An older onnxruntime (before 8-bit MatMulNBits) or a missing onnx-ir: the classic
        # dynamic quantization still gives a working, if less faithful, q8 model.
        log.warning("8-bit MatMulNBits unavailable (%s: %s); using dynamic int8 quantization", type(e).__name__, e)
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QUInt8, per_channel=True,
                         op_types_to_quantize=["MatMul", "Gather"], use_external_data_format=large,
                         extra_options={"MatMulConstBOnly": True})
        return "dynamic-uint8" + _finish(dst, large)
    matmuls_done = quantizer.model.model
    # quantize_dynamic reads its input from a path; the MatMul-quantized model goes through a
    # scratch file beside the destination (and with the weights outside it when large).
    scratch = dst.with_name(f".{dst.stem}-matmul.onnx")
    try:
        onnx.save_model(matmuls_done, str(scratch), save_as_external_data=large, all_tensors_to_one_file=True,
                        location=scratch.name + "_data")
        del matmuls_done, quantizer
        quantize_dynamic(str(scratch), str(dst), weight_type=QuantType.QInt8, per_channel=False,
                         op_types_to_quantize=["Gather"], use_external_data_format=large)
    finally:
        for leftover in (scratch, scratch.with_name(scratch.name + "_data")):
            leftover.unlink(missing_ok=True)
    return f"matmul-nbits8-block{BLOCK_SIZE}-acc{ACCURACY_LEVEL}+gather-int8" + _finish(dst, large)


def _finish(dst: Path, large: bool) -> str:
    """The float16 cache, written back; returns the method's suffix for the marker.

    When large, quantize_dynamic named the weights file `<name>.data`; transformers.js and our
    folder layout expect `<name>_data`."""
    import onnx

    proto = onnx.load(str(dst), load_external_data=True)
    # With new_key_values outputs attention reads the past as it is: halving it would only add casts.
    split = any(o.name.startswith(NEW + ".") for o in proto.graph.output)
    halved = not split and half_kv_cache(proto)
    if not split and not halved:
        log.warning("the q8 graph's cache is not appended as expected; it stays float32")
    if large:
        dst.with_name(dst.name + ".data").unlink(missing_ok=True)
        onnx.save_model(proto, str(dst), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=dst.name + "_data", size_threshold=1024)
    elif halved:
        onnx.save_model(proto, str(dst))
    return "+kv-fp16" if halved else ""

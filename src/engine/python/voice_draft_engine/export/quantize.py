"""The int8 copy of an exported decoder: `onnx/model_quantized.onnx`, transformers.js dtype 'q8'.

Two ONNX Runtime quantizers, each on what it does well:

- MatMul weights: 8-bit, block-wise (32 values per scale), weight-only (`MatMulNBits`).
  Activations stay float, so nothing saturates. The classic dynamic quantization
  (`quantize_dynamic`: uint8 activations x int8 weights, `MatMulInteger`) was tried first
  and kept the greedy tokens of SmolLM2-135M on the float32 path only ~60% of the time on
  an AVX2 CPU (its int16 accumulation saturates; per-channel weights made it garbage).
- The embedding table (a Gather, a quarter of a 135M model): int8 via `quantize_dynamic`,
  dequantized after the lookup. MatMulNBits' Gather path is 4-bit only.

Both are weight-only in effect, so the q8 file is about a third of the float32 one.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .onnx_graph import external_data_file

log = logging.getLogger(__name__)

# Values sharing one scale. 32 is the finest block MatMulNBits offers; on a 135M model the
# scales cost ~12% over plain int8 and buy most of the accuracy.
BLOCK_SIZE = 32


def quantize_q8(src: Path, dst: Path) -> Path:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    large = external_data_file(src) is not None
    quantizer = MatMulNBitsQuantizer(onnx.load(str(src)), bits=8, block_size=BLOCK_SIZE, is_symmetric=True,
                                     op_types_to_quantize=("MatMul",))
    quantizer.process()
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
    if large:
        # quantize_dynamic names the weights file `<name>.data`; transformers.js and our
        # folder layout expect `<name>_data`.
        proto = onnx.load(str(dst), load_external_data=True)
        dst.with_name(dst.name + ".data").unlink(missing_ok=True)
        onnx.save_model(proto, str(dst), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=dst.name + "_data", size_threshold=1024)
    return dst

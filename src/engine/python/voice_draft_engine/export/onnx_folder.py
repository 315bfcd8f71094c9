"""One complete transformers.js model folder, written atomically.

    config.json  generation_config.json  tokenizer.json  tokenizer_config.json (chat template inline)
    onnx/model.onnx            float32
    onnx/model_quantized.onnx  int8 (transformers.js dtype 'q8')
    voice-draft-export.json    what was exported, from what, with which exporter version

The folder is built under a hidden temp name beside its destination and renamed into
place only when every file is written and the float32 graph has reproduced PyTorch's
logits, so the editor (which takes `onnx/config.json` as "this voice can write") never
sees half an export, and a failed export leaves an older one untouched.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..protocol import EngineError
from .onnx_graph import cache_geometry, export_decoder, external_data_file
from .quantize import quantize_q8

log = logging.getLogger(__name__)

MARKER = "voice-draft-export.json"
# Bump when the graph, the quantization or the folder layout changes: cached base
# exports with another format are rebuilt instead of reused.
# 2: q8 MatMulNBits at accuracy level 4 (format 1's q8 ran 10x slower than fp32).
# 3: attention without repeated KV heads and with constant reshapes (attention.py), and
#    the q8 cache in float16 (kv_cache.py): format 2 spent most of a decode step after a
#    long prefix copying the cache.
# 4: attention over the past and the new positions apart, and new_key_values.* outputs
#    (attention.py): the editor keeps the cache and attention never reads a copy; the q8 cache is
#    float32 again.
# 5: each query head's own product against the past, and q/k/v and gate/up stacked into one
#    product each (attention.py): a decode step after 1,500 tokens ~25% faster on 2 cores.
EXPORT_FORMAT = 5
FP32_FILE = "onnx/model.onnx"
Q8_FILE = "onnx/model_quantized.onnx"

# (stage, message, percent of this export) -> None
Progress = Callable[[str, str, float], None]
# (path, seconds) -> None, once per finished file
Artifact = Callable[[Path, float], None]


def read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_complete(folder: Path) -> bool:
    marker = read_marker(folder)
    return bool(marker) and marker.get("format") == EXPORT_FORMAT and all(
        (folder / f).is_file() for f in ("config.json", "tokenizer.json", FP32_FILE, Q8_FILE))


def temp_sibling(final: Path, tag: str) -> Path:
    return final.with_name(f".{final.name}.{tag}-{os.getpid()}")


def install(tmp: Path, final: Path) -> Path:
    """Swap a finished temp folder in for `final` (which may exist: a re-export)."""
    old = temp_sibling(final, "old")
    if final.exists():
        final.rename(old)
    try:
        tmp.rename(final)
    except BaseException:
        if old.exists() and not final.exists():
            old.rename(final)  # put the previous export back
        raise
    shutil.rmtree(old, ignore_errors=True)
    return final


def write_model_files(model: Any, tokenizer: Any, folder: Path) -> None:
    """config.json, generation_config.json and the tokenizer, as transformers.js reads them."""
    from ..default_model import save_tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    config = model.config.to_dict()
    # A base built from a GGUF may remember how it was loaded; the export is plain float32.
    config.pop("quantization_config", None)
    config["architectures"] = [type(model).__name__]
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    generation = getattr(model, "generation_config", None)
    if generation is not None:
        generation.save_pretrained(str(folder))
    # transformers.js reads the chat template only from tokenizer_config.json.
    save_tokenizer(tokenizer, folder)


def verify_fp32(model: Any, path: Path, tokenizer: Any) -> float:
    """Run a short prompt through the written graph and PyTorch; the largest logit gap.

    Cheap (one forward pass of a few tokens) and it turns a silently wrong trace into an
    export error on the machine where it happened, rather than nonsense in the editor.
    """
    import numpy as np
    import onnxruntime as ort
    import torch

    ids = tokenizer("The essay begins", add_special_tokens=False).input_ids[:8] or [0, 1, 2]
    num_layers, kv_heads, head_dim = cache_geometry(model.config)
    options = ort.SessionOptions()
    options.intra_op_num_threads = min(4, os.cpu_count() or 1)
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    n = len(ids)
    feeds: dict[str, Any] = {
        "input_ids": np.array([ids], dtype=np.int64),
        "attention_mask": np.ones((1, n), dtype=np.int64),
        "position_ids": np.arange(n, dtype=np.int64)[None],
        "num_logits_to_keep": np.array(0, dtype=np.int64),
    }
    for i in range(num_layers):
        for kind in ("key", "value"):
            feeds[f"past_key_values.{i}.{kind}"] = np.zeros((1, kv_heads, 0, head_dim), dtype=np.float32)
    got = session.run(["logits"], feeds)[0]
    with torch.no_grad():
        want = model(input_ids=torch.tensor([ids])).logits.float().numpy()
    gap = float(np.abs(got - want).max())
    scale = max(1.0, float(np.abs(want).max()))
    if not np.isfinite(got).all() or gap > 1e-3 * scale:
        raise EngineError("export_failed",
                          f"The exported graph disagrees with PyTorch (largest logit gap {gap:.3g}).",
                          "This model's architecture does not trace correctly yet; the adapter is unchanged.")
    return gap


def export_folder(model: Any, tokenizer: Any, final: Path, source: dict[str, Any],
                  progress: Progress, artifact: Artifact) -> dict[str, Any]:
    """Write the transformers.js folder for `model` at `final`; returns the marker written."""
    started = time.monotonic()
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(final, "tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        progress("files", "writing config and tokenizer", 2)
        write_model_files(model, tokenizer, tmp)

        progress("onnx", "tracing the model to ONNX (float32)", 5)
        t = time.monotonic()
        fp32 = tmp / FP32_FILE
        new_outputs = export_decoder(model, fp32)
        fp32_seconds = time.monotonic() - t
        progress("verify", "checking the ONNX graph against PyTorch", 45)
        gap = verify_fp32(model, fp32, tokenizer)
        log.info("fp32 graph matches PyTorch (largest logit gap %.2e)", gap)

        progress("quantize", "quantizing to int8 (q8)", 55)
        t = time.monotonic()
        q8_method = quantize_q8(fp32, tmp / Q8_FILE)
        q8_seconds = time.monotonic() - t

        files = {rel: _bytes(tmp / rel) for rel in (FP32_FILE, Q8_FILE)}
        # "split": attention reads past and new positions apart and the graph also outputs the
        # new ones (new_key_values.*), so a caller keeping the cache never has it copied.
        marker = {"format": EXPORT_FORMAT, "source": source, "files": files,
                  "attention": "split" if new_outputs else "appended",
                  "fp32_logit_gap": gap, "q8_method": q8_method, "seconds": round(time.monotonic() - started, 2)}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        progress("install", f"installing {final.name}", 98)
        install(tmp, final)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if e.errno == errno.ENOSPC:
            raise
        raise EngineError("export_failed", f"Cannot write the export in {final.parent}: {e}",
                          "Check the folder's permissions and free space.") from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    artifact(final / FP32_FILE, fp32_seconds)
    artifact(final / Q8_FILE, q8_seconds)
    return marker


def link_folder(src: Path, final: Path) -> Path:
    """An existing export at `final`, hard-linked file by file (copied across file systems)."""
    tmp = temp_sibling(final, "tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for path in sorted(src.rglob("*")):
            target = tmp / path.relative_to(src)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
        return install(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _bytes(path: Path) -> int:
    data = external_data_file(path)
    return path.stat().st_size + (data.stat().st_size if data else 0)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

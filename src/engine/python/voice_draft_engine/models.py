"""From a base-model spec (a config value) to a Hugging Face folder on disk.

    offline:smollm2-135m-instruct  the offline default, built from a GGUF (default_model.py)
    tiny:llama                     a tiny random Llama for tests, built in code
    /absolute/path                 a model folder the writer already has
    owner/name                     a Hugging Face Hub id, downloaded with visible progress
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from . import default_model
from .files import build_folder
from .paths import models_dir
from .protocol import EngineError, EventSink
from .events import ModelProgress

log = logging.getLogger(__name__)

TINY_SPEC = "tiny:llama"
TINY_NAME = "tiny-llama"
# Bump when the tiny model's shape or recipe changes, so cached copies are rebuilt.
TINY_FORMAT = 1
TINY_SEED = 0


def resolve_base_model(spec: str, sink: EventSink | None = None) -> Path:
    spec = spec.strip()
    if spec == default_model.SPEC:
        return default_model.build_default_model(sink)
    if spec == TINY_SPEC:
        return build_tiny_llama(sink)
    if spec.startswith(("offline:", "tiny:")):
        raise EngineError("model_not_found", f"Unknown built-in model {spec!r}.",
                          f"Use {default_model.SPEC!r}, a model folder, or a Hugging Face model id.")
    path = Path(os.path.expanduser(spec))
    if path.is_absolute():
        if not (path / "config.json").is_file():
            raise EngineError("model_not_found", f"{path} is not a model folder (no config.json).",
                              "Point the base model setting at a Hugging Face model folder.")
        return path
    return download_from_hub(spec, sink)


def _tokenizer_for_tiny() -> Any:
    """The SmolLM2 tokenizer, so text round-trips and the chat template is real."""
    from transformers import AutoTokenizer

    built = default_model.default_model_dir()
    if default_model.read_marker(built):
        return AutoTokenizer.from_pretrained(str(built))
    gguf = default_model.find_gguf()
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def build_tiny_llama(sink: EventSink | None = None) -> Path:
    """A 2-layer random LlamaForCausalLM: real architecture, seconds to train, no download."""
    final = models_dir() / TINY_NAME
    marker = default_model.read_marker(final)
    if marker and marker.get("format") == TINY_FORMAT:
        return final

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if sink is not None:
        sink.emit(ModelProgress(stage="tiny", message="building a tiny random Llama model"))
    tokenizer = _tokenizer_for_tiny()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, intermediate_size=128, max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True,
    )
    # Seeded CPU init: the same random weights on every machine with this torch build.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(TINY_SEED)
        model = LlamaForCausalLM(config)

    def fill(folder: Path) -> None:
        model.save_pretrained(str(folder))
        default_model.save_tokenizer(tokenizer, folder)
        params = sum(p.numel() for p in model.parameters())
        (folder / default_model.MARKER).write_text(json.dumps(
            {"format": TINY_FORMAT, "source": TINY_SPEC, "seed": TINY_SEED, "params": params}, indent=2) + "\n",
            encoding="utf-8")

    return build_folder(final, fill, done_by_another=lambda f: default_model.read_marker(f) is not None)


def _hub_progress_class(sink: EventSink | None) -> Any:
    """A tqdm for huggingface_hub that also reports progress as `model.progress` events.

    Subclassing the real tqdm keeps every method the hub may call; the bar itself still
    draws on stderr (the log). At most one event a second per bar, so a 15 GB download
    does not flood the client.
    """
    from tqdm import tqdm

    class HubProgress(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)  # huggingface_hub's own tqdm takes it; plain tqdm rejects it
            kwargs["disable"] = False
            kwargs["file"] = sys.stderr
            super().__init__(*args, **kwargs)
            self._last_event = 0.0

        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            now = time.monotonic()
            finished = bool(self.total) and self.n >= self.total
            if sink is not None and (now - self._last_event >= 1.0 or finished):
                self._last_event = now
                event = ModelProgress(stage="download", message=self.desc or "downloading")
                if self.total:
                    event.percent, event.done, event.total = round(100.0 * self.n / self.total, 1), self.n, self.total
                sink.emit(event)
            return shown

    return HubProgress


# Weights, configs and tokenizers; not the .bin/.gguf/.onnx duplicates many repos also carry.
HUB_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.jinja"]


def download_from_hub(repo_id: str, sink: EventSink | None = None) -> Path:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import (GatedRepoError, LocalEntryNotFoundError,
                                            RepositoryNotFoundError, RevisionNotFoundError)
    except ImportError as e:  # pragma: no cover - huggingface_hub comes with transformers
        raise EngineError("missing_package", f"Cannot download {repo_id!r}: {e}",
                          "Run 'Voice Draft: Set Up Training Engine'.") from e

    if sink is not None:
        sink.emit(ModelProgress(stage="download", message=f"fetching {repo_id} from the Hugging Face Hub"))
    try:
        folder = snapshot_download(repo_id, allow_patterns=HUB_PATTERNS, tqdm_class=_hub_progress_class(sink))
    except GatedRepoError as e:
        raise EngineError("model_not_found", f"{repo_id} is gated on the Hugging Face Hub.",
                          "Accept its licence on huggingface.co and run `hf auth login`, then train again.") from e
    except (RepositoryNotFoundError, RevisionNotFoundError) as e:
        raise EngineError("model_not_found", f"No model {repo_id!r} on the Hugging Face Hub.",
                          "Check the spelling of the base model id (owner/name).") from e
    except LocalEntryNotFoundError as e:
        raise EngineError("model_not_found", f"{repo_id} is not in the local cache and the Hub cannot be reached.",
                          f"Connect to the internet once to download it, copy its folder here and give its path, "
                          f"or use the offline default {default_model.SPEC!r}.") from e
    except (OSError, ValueError) as e:
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            raise  # a full disk is not a missing model: __main__ reports it as disk_full
        # HFValidationError (a ValueError) for malformed ids; network errors are OSErrors.
        raise EngineError("model_not_found", f"Cannot get {repo_id!r}: {e}",
                          f"Use a Hugging Face model id (owner/name), a model folder, or {default_model.SPEC!r}.") from e
    return Path(folder)

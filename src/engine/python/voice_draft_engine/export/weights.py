"""The models an export writes: the base, and the voice (base + adapter merged, or the
full fine-tune's own weights), loaded in float32 on the CPU.

float32 because the ONNX export is the reference copy (q8 is derived from it) and
because a bf16/fp16 merge would round the adapter's small update away; the CPU because
export runs after training, when the GPU is not needed, and on machines with none.
Eager attention: the traced graph is then plain MatMul/Softmax that every ONNX Runtime
build runs, instead of whatever SDPA kernel the training machine picked.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..protocol import EngineError, EventSink

log = logging.getLogger(__name__)

ADAPTER = "adapter"
FULL_MODEL = "model"


@dataclass
class RunWeights:
    """What a trained run folder holds for export."""

    run_dir: Path
    base_spec: str
    base_dir: Path
    adapter_dir: Path | None  # PEFT adapter (LoRA / QLoRA runs)
    model_dir: Path | None  # full fine-tune output

    @property
    def tokenizer_dir(self) -> Path:
        # The trainer saves the tokenizer it used beside its output; older outputs may lack it.
        out = self.adapter_dir or self.model_dir
        if out is not None and (out / "tokenizer.json").exists():
            return out
        return self.base_dir


def read_run(run_dir: Path, sink: EventSink | None = None) -> RunWeights:
    """Find the run's base model and trained weights; resolves (builds) the base if needed."""
    from ..models import resolve_base_model

    if not run_dir.is_dir():
        raise EngineError("run_not_found", f"{run_dir} is not a folder.", "Pick an existing run folder.")
    try:
        config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise EngineError("export_failed", f"Cannot read {run_dir / 'config.json'}: {e}",
                          "The run folder is incomplete; train it again.") from e
    spec = config.get("base_model")
    if not isinstance(spec, str) or not spec:
        raise EngineError("export_failed", f"{run_dir / 'config.json'} names no base_model.",
                          "The run folder is incomplete; train it again.")
    adapter = run_dir / ADAPTER
    full = run_dir / FULL_MODEL
    adapter_dir = adapter if (adapter / "adapter_config.json").is_file() else None
    model_dir = full if (full / "config.json").is_file() else None
    if adapter_dir is None and model_dir is None:
        raise EngineError("no_adapter", f"{run_dir} has no trained adapter yet (no adapter/adapter_config.json).",
                          "Train the run first; export runs at the end of training.")
    base_dir = resolve_base_model(spec, sink)
    return RunWeights(run_dir=run_dir, base_spec=spec, base_dir=Path(base_dir),
                      adapter_dir=adapter_dir, model_dir=model_dir)


def load_causal_lm(folder: Path) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32, attn_implementation="eager",
                                                 device_map=None)
    return model.eval()


def load_voice(weights: RunWeights) -> Any:
    """The tuned model as one plain HF model: the adapter merged into float32 base weights."""
    if weights.model_dir is not None:
        return load_causal_lm(weights.model_dir)
    from peft import PeftModel

    assert weights.adapter_dir is not None
    base = load_causal_lm(weights.base_dir)
    try:
        peft_model = PeftModel.from_pretrained(base, str(weights.adapter_dir), is_trainable=False)
    except Exception as e:  # a corrupt or mismatched adapter: say which, keep the folder as it is
        raise EngineError("export_failed", f"Cannot load the adapter in {weights.adapter_dir}: {e}",
                          "The adapter does not fit this base model; train the run again.") from e
    merged = peft_model.merge_and_unload()
    return merged.eval()


def load_tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))

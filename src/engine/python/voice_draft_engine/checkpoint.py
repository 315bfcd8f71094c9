"""Checkpoints (resume points) and the run's final adapter, always written atomically.

    checkpoints/step-000120/
        adapter/            PEFT adapter (LoRA), or model.safetensors (full fine-tuning)
        optimizer.pt  scheduler.pt  rng.pt
        config.json         the resolved TrainConfig
        state.json          LoopState: step, epoch, position in the epoch, best so far

Everything is written into a hidden temp folder that is renamed into place at the
end (files.build_folder); state.json is written last. A folder named step-NNNNNN
therefore is complete, and a crash mid-write leaves only a hidden temp folder.
Tensors are loaded with weights_only=True: a run folder may come from another machine.
"""

from __future__ import annotations

import json
import logging
import random
import re
import shutil
from pathlib import Path
from typing import Any

from .files import build_folder, write_json
from .loop import LoopState
from .protocol import EngineError

__all__ = ["write_json"]  # re-exported: other modules write their JSON through here

log = logging.getLogger(__name__)

FORMAT = 1
CHECKPOINTS = "checkpoints"
_NAME = re.compile(r"^step-(\d{6,})$")


def checkpoint_name(step: int) -> str:
    return f"step-{step:06d}"


# Below this much free space, a failed write is taken for a full disk: torch.save reports
# ENOSPC as a bare "file write failed" RuntimeError, without the errno.
DISK_FULL_BYTES = 64 * 2**20


def disk_full_error(folder: Path, cause: BaseException) -> EngineError | None:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= DISK_FULL_BYTES and "No space left" not in str(cause):
        return None
    return EngineError("disk_full", f"The disk holding {folder} is full ({free // 2**20} MB free) while saving: {cause}",
                       "Free some space (old runs' checkpoints are the usual suspects), then train again with "
                       "--resume: it continues from the last complete checkpoint.")


def _rng_state() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1])}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    random.setstate((3, tuple(state["python"]), None))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_weights(model: Any, folder: Path, full_finetune: bool) -> None:
    if full_finetune:
        from safetensors.torch import save_model

        folder.mkdir(parents=True, exist_ok=True)
        save_model(model, str(folder / "model.safetensors"))  # copes with tied embeddings
    else:
        model.save_pretrained(str(folder / "adapter"))


def load_weights(model: Any, folder: Path, full_finetune: bool) -> None:
    if full_finetune:
        from safetensors.torch import load_model

        load_model(model, str(folder / "model.safetensors"), device=str(next(model.parameters()).device))
    else:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        weights = load_file(str(folder / "adapter" / "adapter_model.safetensors"))
        result = set_peft_model_state_dict(model, weights)
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise RuntimeError(f"checkpoint adapter does not fit the model: {unexpected[:3]}")


def save_checkpoint(run_dir: Path, *, model: Any, optimizer: Any, scheduler: Any, state: LoopState,
                    config: dict[str, Any], full_finetune: bool) -> Path:
    import torch

    root = run_dir / CHECKPOINTS

    def fill(folder: Path) -> None:
        save_weights(model, folder, full_finetune)
        torch.save(optimizer.state_dict(), folder / "optimizer.pt")
        torch.save(scheduler.state_dict(), folder / "scheduler.pt")
        torch.save(_rng_state(), folder / "rng.pt")
        write_json(folder / "config.json", config)
        write_json(folder / "state.json", {"format": FORMAT, **state.as_dict()})  # last: marks it complete

    return _saving(root, lambda: build_folder(root / checkpoint_name(state.step), fill))


def _saving(where: Path, save: Any) -> Path:
    """Run a save; a failure on a (nearly) full disk becomes disk_full."""
    try:
        return save()
    except Exception as e:
        full = disk_full_error(where, e)
        if full is not None:
            raise full from e
        raise


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints, oldest first."""
    root = run_dir / CHECKPOINTS
    found = []
    if root.is_dir():
        for child in root.iterdir():
            match = _NAME.match(child.name)
            if match and (child / "state.json").is_file():
                found.append((int(match.group(1)), child))
    return sorted(found)


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1][1] if found else None


def read_state(checkpoint: Path) -> LoopState:
    data = json.loads((checkpoint / "state.json").read_text(encoding="utf-8"))
    data.pop("format", None)
    return LoopState(**data)


def read_config(checkpoint: Path) -> dict[str, Any]:
    return json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))


def restore_checkpoint(checkpoint: Path, *, model: Any, optimizer: Any, scheduler: Any,
                       full_finetune: bool) -> LoopState:
    import torch

    device = next(model.parameters()).device
    load_weights(model, checkpoint, full_finetune)
    optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", map_location=device, weights_only=True))
    scheduler.load_state_dict(torch.load(checkpoint / "scheduler.pt", weights_only=True))
    _set_rng_state(torch.load(checkpoint / "rng.pt", weights_only=True))
    return read_state(checkpoint)


def prune_checkpoints(run_dir: Path, keep: int, *best_steps: int | None) -> None:
    """Keep the newest `keep` checkpoints and the best ones (by loss, by voice); the rest only cost disk."""
    found = list_checkpoints(run_dir)
    newest = {step for step, _ in found[-keep:]} if keep > 0 else set()
    for step, path in found:
        if step not in newest and step not in best_steps:
            shutil.rmtree(path, ignore_errors=True)


def write_final(run_dir: Path, name: str, fill: Any) -> Path:
    """Build run_dir/name with `fill(folder)`, swapped in whole: the adapter a client
    sees is never half-written."""
    return _saving(run_dir, lambda: build_folder(run_dir / name, fill))

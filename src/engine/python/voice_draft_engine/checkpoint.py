"""Checkpoints (resume points) and the run's final adapter, always written atomically.

    checkpoints/step-000120/
        adapter/            PEFT adapter (LoRA), or model.safetensors (full fine-tuning)
        optimizer.pt  scheduler.pt  rng.pt
        config.json         the resolved TrainConfig
        state.json          LoopState: step, epoch, position in the epoch, best so far
        checksums.json      size and SHA-256 of every other file (written last)

Everything is written into a hidden temp folder that is renamed into place at the
end (files.build_folder). A folder named step-NNNNNN therefore was complete when it
was written, and a crash mid-write leaves only a hidden temp folder. What happens to
it afterwards (a disk error, a copy cut short, a careless hand) is what checksums.json
is for: a resume verifies the newest checkpoint against it and, when a file is missing,
short or changed, sets that checkpoint aside as step-NNNNNN.damaged and takes the next
older one (latest_intact_checkpoint). A checkpoint from before checksums (no
checksums.json) is taken as it is.
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

from .files import build_folder, sha256_file, write_json
from .loop import LoopState
from .protocol import EngineError

__all__ = ["write_json"]  # re-exported: other modules write their JSON through here

log = logging.getLogger(__name__)

FORMAT = 1
CHECKPOINTS = "checkpoints"
CHECKSUMS = "checksums.json"
DAMAGED_SUFFIX = ".damaged"
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
        write_json(folder / "state.json", {"format": FORMAT, **state.as_dict()})
        write_checksums(folder)  # last: covers everything above

    return _saving(root, lambda: build_folder(root / checkpoint_name(state.step), fill))


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS)


def write_checksums(folder: Path) -> None:
    """checksums.json: `{format, files: {relative path: {bytes, sha256}}}` of every file in the folder."""
    files = {p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
             for p in _files(folder)}
    write_json(folder / CHECKSUMS, {"format": FORMAT, "files": files})


def checkpoint_problem(checkpoint: Path) -> str | None:
    """Why a checkpoint cannot be resumed from (a file missing, short or changed since it was
    written), or None when it is intact. One without checksums.json (an older engine's) is
    trusted once its state.json reads."""
    try:
        read_state(checkpoint)
    except (OSError, ValueError, TypeError) as e:
        return f"state.json does not read ({e})"
    sums = checkpoint / CHECKSUMS
    if not sums.is_file():
        return None
    try:
        listed = json.loads(sums.read_text(encoding="utf-8"))["files"]
        assert isinstance(listed, dict) and listed
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return f"{CHECKSUMS} does not read"
    for rel, want in sorted(listed.items()):
        path = checkpoint / rel
        try:
            if not path.is_file():
                return f"{rel} is missing"
            size = path.stat().st_size
            if size != want.get("bytes"):
                return f"{rel} has {size} bytes, {want.get('bytes')} were written"
            if sha256_file(path) != want.get("sha256"):
                return f"{rel} is not the file that was written (checksum differs)"
        except OSError as e:
            return f"{rel} does not read ({e.strerror or e})"
    return None


def latest_intact_checkpoint(run_dir: Path) -> tuple[Path | None, list[tuple[Path, str]]]:
    """The newest checkpoint that verifies, and the newer ones that did not, with why."""
    damaged: list[tuple[Path, str]] = []
    for _, path in reversed(list_checkpoints(run_dir)):
        problem = checkpoint_problem(path)
        if problem is None:
            return path, damaged
        damaged.append((path, problem))
    return None, damaged


def remove_leftovers(run_dir: Path) -> None:
    """Hidden temp and stale folders an engine killed while saving left in checkpoints/
    (files.build_folder); only a process that owns the run (runlock) may call this."""
    root = run_dir / CHECKPOINTS
    if root.is_dir():
        for child in root.iterdir():
            if child.name.startswith(".") and (".tmp-" in child.name or ".stale-" in child.name):
                shutil.rmtree(child, ignore_errors=True)


def set_aside(checkpoint: Path) -> Path:
    """Rename a damaged checkpoint to step-NNNNNN.damaged: never resumed from, never counted as
    the newest when checkpoints are pruned, left for the writer to look at (a fresh start
    removes it with the rest)."""
    target = checkpoint.with_name(checkpoint.name + DAMAGED_SUFFIX)
    shutil.rmtree(target, ignore_errors=True)
    checkpoint.rename(target)
    return target


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

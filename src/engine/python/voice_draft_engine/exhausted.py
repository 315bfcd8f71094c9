"""The machine ran out of something (GPU memory, disk): found anywhere in an exception chain,
and said with what to change.

Torch and the libraries under it wrap the failure they met (a RuntimeError around the OSError
of a full disk, a generation error around an allocation failure), so each test walks the chain.

Out of GPU memory, the training steps have their own advice (train.oom_error: a smaller
micro-batch, gradient checkpointing, QLoRA). Writing samples (canaries, the voice check, eval's
continuations) and loading a model run out of memory for other reasons, where that advice
changes nothing, so those are said per phase here.
"""

from __future__ import annotations

import errno
from typing import Callable

from .protocol import EngineError

# What to change when a command other than the optimizer steps runs out of GPU memory.
HINTS = {
    "generation": ("In the run's config.json lower canary_samples or canary_max_new_tokens (the samples are "
                   "written side by side), or close other programs using the GPU; then resume."),
    "train": ("Close other programs using the GPU, or choose a smaller base_model in the run's config.json; "
              "then resume (it continues from the last checkpoint)."),
    "eval": "Evaluate with fewer --samples or a smaller --max-new-tokens, or close other programs using the GPU.",
    "export": "Close other programs using the GPU and export again; the export also runs on a machine without one.",
}


def caused_by(e: BaseException | None, test: Callable[[BaseException], bool]) -> bool:
    """Whether `test` holds for `e` or for any exception it was raised from or during."""
    seen: set[int] = set()
    while e is not None and id(e) not in seen:  # a chain can loop back on itself
        if test(e):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def _gpu_allocation_failed(e: BaseException) -> bool:
    # torch.cuda.OutOfMemoryError is matched by name, without importing torch. The others are
    # RuntimeErrors that say so: Apple's MPS ("MPS backend out of memory"), Intel's XPU, and an
    # allocation inside cuBLAS, NCCL or a kernel launch ("CUDA error: out of memory", ROCm's
    # "HIP error: out of memory", torch.AcceleratorError in newer torch). A CPU allocation
    # failure says "can't allocate memory" and is not this: its advice is not about the GPU.
    return type(e).__name__ == "OutOfMemoryError" or (isinstance(e, RuntimeError) and "out of memory" in str(e).lower())


def is_out_of_memory(e: BaseException | None) -> bool:
    """A GPU (CUDA, ROCm, Apple, Intel) allocation failure anywhere in the exception chain."""
    return caused_by(e, _gpu_allocation_failed)


def is_disk_full(e: BaseException | None) -> bool:
    """ENOSPC anywhere in the exception chain (torch wraps it in a RuntimeError when saving)."""
    return caused_by(e, lambda x: (isinstance(x, OSError) and x.errno == errno.ENOSPC)
                     or "No space left on device" in str(x))


def out_of_memory_error(phase: str, e: BaseException) -> EngineError:
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    where = {"generation": "while writing samples", "train": "while training",
             "eval": "while evaluating", "export": "while exporting"}.get(phase, f"in {phase}")
    return EngineError("cuda_oom", f"Out of GPU memory {where}: {first[:300]}",
                       HINTS.get(phase, "Close other programs using the GPU and try again."))

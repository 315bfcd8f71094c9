"""Out of GPU memory outside the optimizer steps: what to change, said per phase.

The training steps have their own advice (train.oom_error: a smaller micro-batch, gradient
checkpointing, QLoRA). Writing samples (canaries, the voice check, eval's continuations) and
loading a model run out of memory for other reasons, where that advice changes nothing.
"""

from __future__ import annotations

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


def is_out_of_memory(e: BaseException | None) -> bool:
    """A GPU (CUDA or Apple) allocation failure anywhere in the exception chain."""
    while e is not None:
        if type(e).__name__ == "OutOfMemoryError":  # torch.cuda.OutOfMemoryError, without importing torch
            return True
        if isinstance(e, RuntimeError) and ("CUDA out of memory" in str(e) or "MPS backend out of memory" in str(e)):
            return True
        e = e.__cause__ or e.__context__
    return False


def out_of_memory_error(phase: str, e: BaseException) -> EngineError:
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    where = {"generation": "while writing samples", "train": "while training",
             "eval": "while evaluating", "export": "while exporting"}.get(phase, f"in {phase}")
    return EngineError("cuda_oom", f"Out of GPU memory {where}: {first[:300]}",
                       HINTS.get(phase, "Close other programs using the GPU and try again."))

"""Out of GPU memory or disk, found through the exception chain; out of GPU memory outside the
optimizer steps is a cuda_oom error with that phase's advice."""

from __future__ import annotations

import io
import json

import pytest

from voice_draft_engine import __main__ as engine_main
from voice_draft_engine.exhausted import is_disk_full, is_out_of_memory, out_of_memory_error
from voice_draft_engine.train import samples_out_of_memory


class OutOfMemoryError(RuntimeError):
    """Stands in for torch.cuda.OutOfMemoryError (a RuntimeError of that name) on a machine without CUDA."""


def test_gpu_allocation_failures_are_told_apart_from_other_errors() -> None:
    assert is_out_of_memory(OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory (MPS allocated: 9 GB)"))
    wrapped = RuntimeError("generation failed")
    wrapped.__cause__ = RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB")
    assert is_out_of_memory(wrapped)
    assert not is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory"))
    assert not is_out_of_memory(ValueError("out of memory"))
    assert is_out_of_memory(RuntimeError("HIP out of memory. Tried to allocate 1.00 GiB"))  # ROCm's torch
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported"))
    assert is_out_of_memory(RuntimeError("XPU out of memory. Tried to allocate 64.00 MiB"))


def test_an_exception_chain_that_loops_back_on_itself_ends() -> None:
    first, second = RuntimeError("saving failed"), RuntimeError("while handling it")
    first.__context__, second.__context__ = second, first
    assert not is_out_of_memory(first) and not is_disk_full(first)
    second.__cause__ = OSError(28, "No space left on device")
    assert is_disk_full(first)


def test_samples_that_run_out_of_memory_get_the_samples_advice_not_the_optimizers() -> None:
    with pytest.raises(Exception) as caught, samples_out_of_memory():
        raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    e = caught.value
    assert (e.code, e.message) == ("cuda_oom", "Out of GPU memory while writing samples: CUDA out of memory. Tried to allocate 2.00 GiB")
    assert "canary_samples" in e.hint and "micro_batch_size" not in e.hint
    with pytest.raises(KeyError), samples_out_of_memory():
        raise KeyError("anything else passes through")


def test_a_command_that_runs_out_of_gpu_memory_reports_cuda_oom_with_its_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from voice_draft_engine.voice_metrics import command

    def fails(sink, args):  # noqa: ANN001 — the eval command's signature
        raise RuntimeError("CUDA out of memory. Tried to allocate 512.00 MiB")

    monkeypatch.setattr(command, "run_eval_command", fails)
    out = io.StringIO()
    monkeypatch.setattr(engine_main.sys, "stdout", out)
    assert engine_main.main(["eval", "--run", "somewhere"]) == 1
    events = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "error" and events[-1]["code"] == "cuda_oom"
    assert events[-1]["hint"] == out_of_memory_error("eval", RuntimeError()).hint

"""Several processes training one run (DDP): the `World` a process belongs to.

`train --run DIR` with a `launcher` in the run's config re-runs itself as N processes
under torchrun or `accelerate launch` (launch.py); each of them joins a World here.
A run in one process is a World of size 1 whose operations do nothing, so the
training loop reads the same either way.

How an optimizer step is shared, so that N processes take the step one process
would take (issue #11: the same effective batch gives the same result):
- every process packs the same epochs (packing is deterministic), so each knows all
  of the step's micro-batches and their trained-token count: the loss is normalised
  by the whole step's tokens on every process, without a collective (before step 1,
  `check_same` makes sure the processes did pack the same batches);
- process r trains micro-batches r, r+N, r+2N, ... of the step;
  gradient_accumulation_steps keeps counting the micro-batches of the whole step, and
  must be a multiple of N so that the processes share it evenly;
- DDP averages gradients over the processes; each process weighs its loss by N so that
  the average is the sum one process would have. Gradients travel once per step: the
  share's other micro-batches run under `no_sync()`;
- a process without a micro-batch in a step (an epoch's last, shorter step) trains a
  stand-in micro-batch with weight 0, so that it still takes part in the exchange.
Only rank 0 writes (events, config.json, canaries, checkpoints, the adapter); the
others meet it at their next collective or at the final barrier.

Dropout (lora_dropout) draws different masks than a single process would, and a resume
restores rank 0's random state only: with dropout, runs match a single process (and a
resumed run an uninterrupted one) statistically; without it, up to float rounding (the
tests set it to 0).
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterator, Sequence, TypeVar

from .protocol import EngineError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Rank 0 alone writes canaries and checkpoints while the others wait at their next
# collective; a canary round on a big model takes minutes, so the wait may too.
COLLECTIVE_TIMEOUT = timedelta(minutes=30)


def launched_rank() -> int:
    """This process's rank under torchrun or accelerate (0 when not started by one)."""
    return int(os.environ.get("RANK", "0"))


@dataclass
class World:
    rank: int = 0
    size: int = 1
    # This process's device under a launcher ("cuda:<local rank>" or "cpu"); None: the config's.
    device: str | None = None

    @property
    def main(self) -> bool:
        return self.rank == 0

    def share(self, group: Sequence[T]) -> list[tuple[T, float]]:
        """This process's micro-batches of one optimizer step, each with the weight of its loss."""
        if self.size == 1:
            return [(item, 1.0) for item in group]
        mine = list(group[self.rank::self.size])
        if not mine:
            return [(group[0], 0.0)]  # the stand-in: no gradient, but it joins the exchange
        return [(item, float(self.size)) for item in mine]

    def shard(self, items: Sequence[T]) -> list[T]:
        """This process's part of a list every process holds (evaluation batches)."""
        return list(items[self.rank::self.size])

    def gradient_sync(self, model: Any, now: bool) -> Any:
        """Context for one micro-batch's forward and backward: gradients are exchanged only `now`."""
        if self.size == 1 or now:
            return contextlib.nullcontext()
        return model.no_sync()

    def sum(self, value: float) -> float:
        """The sum of `value` over all processes (identical on every one of them)."""
        if self.size == 1:
            return value
        import torch
        import torch.distributed as dist

        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return float(tensor.item())

    def any(self, flag: bool) -> bool:
        """True on every process when it is true on one: a SIGTERM may reach only some of them."""
        if self.size == 1:
            return flag
        import torch
        import torch.distributed as dist

        tensor = torch.tensor([int(flag)], device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return bool(tensor.item())

    def barrier(self) -> None:
        if self.size > 1:
            import torch.distributed as dist

            dist.barrier()

    @contextlib.contextmanager
    def main_first(self) -> Iterator[None]:
        """Rank 0 runs the block first (a model download or build), the others after it."""
        if not self.main:
            self.barrier()
        yield
        if self.main:
            self.barrier()

    def check_same(self, what: str, value: Any) -> None:
        """Fail unless every process holds the same `value` (a fingerprint of its batches)."""
        if self.size == 1:
            return
        import torch.distributed as dist

        values: list[Any] = [None] * self.size
        dist.all_gather_object(values, value)
        if any(v != values[0] for v in values):
            raise EngineError("distributed_mismatch", f"The training processes disagree on {what}: {values}.",
                              "This is a bug in the engine, not in your essays; please report it. "
                              "Set launcher to \"none\" in the run's config.json to train in one process.")

    def wrap(self, model: Any) -> Any:
        """The model as the training loop drives it: inside DistributedDataParallel with N processes."""
        if self.size == 1:
            return model
        import inspect

        import torch
        from torch.nn.parallel import DistributedDataParallel

        device = torch.device(self.device or "cpu")
        # The only buffers (rotary frequencies) never change, and processes may run different
        # numbers of forward passes (stand-ins, evaluation shards): no buffer sync per pass.
        # (PyTorch 2.13 renamed the option; the reference GPU's 2.11 knows the old name.)
        renamed = "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters
        no_buffer_sync = {"forward_sync_buffers" if renamed else "broadcast_buffers": False}
        return DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None,
            # LoRA (and full fine-tuning) trains every parameter that requires a gradient in every pass.
            find_unused_parameters=False, **no_buffer_sync)

    def separate_rng(self, seed: int, step: int) -> None:
        """Give ranks other than 0 their own random stream (after the common model init or a
        resume), or every process would drop out the same adapter units."""
        if self.rank:
            import torch

            torch.manual_seed(hash((seed, self.rank, step)) & 0x7FFF_FFFF)


@contextlib.contextmanager
def joined(launched: bool) -> Iterator[World]:
    """The World of this process: the launcher's process group (torchrun and accelerate set
    RANK, LOCAL_RANK, WORLD_SIZE), or a World of one."""
    size = int(os.environ.get("WORLD_SIZE", "1")) if launched else 1
    if size == 1:
        yield World()
        return
    import torch
    import torch.distributed as dist

    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        gpus = torch.cuda.device_count()
        if local_rank >= gpus:
            raise EngineError("config_invalid", f"{size} training processes on a machine with {gpus} GPU(s): "
                                                "each process needs a GPU of its own.",
                              "Set processes in the run's config.json to at most the number of GPUs.")
        device = f"cuda:{local_rank}"
        torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl", timeout=COLLECTIVE_TIMEOUT, device_id=torch.device(device))
    else:
        device = "cpu"
        dist.init_process_group("gloo", timeout=COLLECTIVE_TIMEOUT)
    log.info("process %d of %d on %s (%s)", rank, size, device, dist.get_backend())
    try:
        yield World(rank=rank, size=size, device=device)
    finally:
        dist.destroy_process_group()

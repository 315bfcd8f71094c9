"""The model training's judges ask: the val loss, the voice check, the canaries and the base
model's answers they are compared with.

On a CPU they ask a plain copy of the weights, the adapter merged in, in the dtype the forward
passes compute in (bf16 where the CPU multiplies it natively, hardware.cpu_bf16), not the PEFT
model itself. The PEFT model runs two extra matrix products per linear layer, and under bf16
autocast it casts every fp32 weight on every call, which a token-by-token `generate` pays a
hundred times over. Measured on 2 Xeon cores with the default model (LoRA r 64 on all linear
layers, 2 samples of 64 tokens after a 384-token opening): PEFT under bf16 autocast 13.6
tokens/s, PEFT in fp32 23.9, the merged bf16 copy 36.9; a val-loss forward of 1,024 tokens
1.38 s under autocast, 0.87 s on the copy; making the copy 0.8 s. One copy lives at a time,
for the step it was made at (~0.3 GB for the 135M model).

On a GPU, and with several processes, the judges ask the training model itself: generating
there is fast already, and a copy would take memory the training needs.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Iterator

from .distributed import World
from .model_setup import Prepared


def plain_copy(model: Any, dtype: Any, adapter: bool = True) -> Any:
    """`model`'s current weights as a plain transformers model in `dtype`, for inference only:
    a PEFT model's adapter merged in (adapter=True) or left out (the base model)."""
    twin = copy.deepcopy(model)
    if hasattr(twin, "merge_and_unload"):  # a PeftModel
        twin = twin.merge_and_unload() if adapter else twin.unload()
    twin.requires_grad_(False)
    return twin.to(dtype).eval()


class JudgeModels:
    """Which model the judges ask, at a step or as the base model."""

    def __init__(self, prepared: Prepared, copy_dtype: Any) -> None:
        self.prepared = prepared
        self.copy_dtype = copy_dtype  # None: the judges ask the training model itself
        self._copy: tuple[int, Any] | None = None

    @classmethod
    def for_run(cls, prepared: Prepared, world: World) -> JudgeModels:
        if prepared.device != "cpu" or world.size > 1:
            return cls(prepared, None)
        return cls(prepared, prepared.autocast_dtype or prepared.dtype)

    @property
    def autocast_dtype(self) -> Any:
        """What forward passes on the judged model run under: a copy is in its dtype already."""
        return None if self.copy_dtype is not None else self.prepared.autocast_dtype

    def tuned(self, step: int) -> Any:
        """The weights at `step` (the current ones: the caller asks between steps)."""
        if self.copy_dtype is None:
            return self.prepared.model
        if self._copy is None or self._copy[0] != step:
            self._copy = None  # the old copy goes before the new one is made
            self._copy = (step, plain_copy(self.prepared.model, self.copy_dtype))
        return self._copy[1]

    @contextlib.contextmanager
    def base(self, full_finetune_resumed: bool = False) -> Iterator[Any]:
        """The base model, or None where it is not at hand (a resumed full fine-tune has
        trained it away)."""
        model = self.prepared.model
        if full_finetune_resumed:
            yield None
        elif self.copy_dtype is not None:
            yield plain_copy(model, self.copy_dtype, adapter=False)
        else:
            disable = getattr(model, "disable_adapter", None)
            with disable() if disable is not None else contextlib.nullcontext():  # a full fine-tune is still the base
                yield model

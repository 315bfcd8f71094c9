"""What the engine runs on, and what that hardware can sensibly train."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Hardware:
    device: str  # "cuda" | "mps" | "cpu"
    gpu: str | None
    gpu_memory_gib: float | None
    gpu_count: int
    bf16: bool


def detect() -> Hardware:
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return Hardware(
            device="cuda",
            gpu=props.name,
            gpu_memory_gib=round(props.total_memory / 2**30, 1),
            gpu_count=torch.cuda.device_count(),
            bf16=torch.cuda.is_bf16_supported(),
        )
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return Hardware(device="mps", gpu="Apple " + platform.machine(), gpu_memory_gib=None, gpu_count=1, bf16=False)
    return Hardware(device="cpu", gpu=None, gpu_memory_gib=None, gpu_count=0, bf16=cpu_bf16())


def cpu_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AMX or AVX512-BF16, through oneDNN).

    There a LoRA training step of the default model under bf16 autocast took 3.6 s against
    5.8 s in fp32 (2 Xeon cores, 2 rows of 512 tokens); without them bf16 is emulated and
    slower than fp32, so the CPU keeps fp32."""
    import torch

    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        supported = getattr(torch.cpu, probe, None)  # private probes: absent on some builds
        try:
            if supported is not None and supported():
                return True
        except RuntimeError:
            continue
    return False


def training_defaults(hw: Hardware) -> dict[str, Any]:
    """The recipe's shape for this hardware class: fields a run's config.json leaves out.

    Chosen with bench/voice_recipe.py (README, "Voice recipe"): on a CPU, 60 optimizer steps
    of 4 rows of 512 tokens fit the ~30-minute budget on 2 cores and, at the default learning
    rate, take the voice most of the way; the held-out loss was still falling there. A CPU that
    multiplies bf16 natively (`cpu_bf16`: model_setup.pick_autocast trains in bf16 there) takes
    100 steps in about the time fp32 takes 60. A GPU trains TrainConfig's epochs on 1,024-token
    rows (its micro-batch comes with the recommended base model, `recommend`).

    A CPU writes the canaries shorter and twice per prompt, not three times: at 3 samples of
    200 tokens (400 for the long-form prompt) the three rounds (base, the epoch's end, the last
    step) took ~7.5 of the 32.6 minutes a 100-step bf16 run took on MacDowell's essays on 2 cores.

    A CPU trains LoRA without dropout: drawing its random masks (the CPU's `bernoulli_`, on the
    input of every adapted layer) took 0.8 s of a 5 s micro-batch, and with the multiplies that
    apply them dropout 0.05 made a micro-batch of 2 rows of 512 tokens 5.4 s against 3.4 s
    without (2 Xeon cores, bf16 autocast). A run of about one epoch has little to regularise;
    a GPU draws the masks for next to nothing and keeps TrainConfig's 0.05.

    A CPU reads at most 16,384 held-out tokens per val-loss evaluation: with a fifth of Bierce's
    notes held out (~34,000 tokens in 109 rows) each of the four took ~140 s, a third of a
    29-minute run; the cap reads 43 of the rows (`bench/val_loss_cost.py`). The rows are the same
    at every evaluation, so the losses still compare; `eval`'s perplexity reads every held-out essay.

    A CPU leaves the fill-in-the-middle pairs out (config.fim_pairs): their masked prompts are
    15% of a step's tokens, and what they teach a short CPU run did not show in its suggestions.
    """
    if hw.device == "cpu":
        return {"micro_batch_size": 2, "gradient_accumulation_steps": 2, "max_seq_len": 512,
                "max_steps": 100 if hw.bf16 else 60, "canary_samples": 2, "canary_max_new_tokens": 160,
                "lora_dropout": 0.0, "val_max_tokens": 16_384, "fim_pairs": False}
    return {}


def apply_hardware_defaults(cfg: Any, explicit: set[str], hw: Hardware) -> None:
    """Fill the hardware-dependent fields the writer did not set (a resumed run's config is
    resolved already, so nothing changes for it)."""
    for name, value in training_defaults(hw).items():
        if name not in explicit:
            setattr(cfg, name, value)


def recommend(hw: Hardware) -> dict[str, Any]:
    """A base model and micro-batch that train in reasonable time on this hardware.

    The sizes follow docs/architecture.md "Models": small models write fast on a CPU; 3B-8B need a GPU.
    """
    mem = hw.gpu_memory_gib or 0.0
    if hw.device == "cuda" and mem >= 70:
        return {"base_model": "Qwen/Qwen2.5-7B-Instruct", "micro_batch_size": 8, "qlora": False,
                "why": f"{mem:.0f} GiB of GPU memory trains a 7B model in bf16 with LoRA."}
    if hw.device == "cuda" and mem >= 20:
        return {"base_model": "Qwen/Qwen2.5-3B-Instruct", "micro_batch_size": 4, "qlora": False,
                "why": f"{mem:.0f} GiB of GPU memory fits a 3B model in bf16 with LoRA."}
    if hw.device == "cuda" and mem >= 8:
        return {"base_model": "Qwen/Qwen2.5-1.5B-Instruct", "micro_batch_size": 4, "qlora": False,
                "why": f"{mem:.0f} GiB of GPU memory fits a 1.5B model; use QLoRA for 3B and up."}
    if hw.device == "cuda":
        return {"base_model": "Qwen/Qwen2.5-0.5B-Instruct", "micro_batch_size": 2, "qlora": False,
                "why": "A small GPU: a 0.5B model trains comfortably."}
    if hw.device == "mps":
        return {"base_model": "Qwen/Qwen2.5-0.5B-Instruct", "micro_batch_size": 2, "qlora": False,
                "why": "Apple silicon trains 0.5B models in minutes; QLoRA is CUDA-only."}
    return {"base_model": "offline:smollm2-135m-instruct", "micro_batch_size": 2, "qlora": False,
            "why": "No GPU found: the built-in 135M model trains on a CPU in minutes; "
                   "train bigger voices on a GPU host (voiceDraft.engine.remoteHost)."}

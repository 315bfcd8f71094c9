"""Run folders for the export tests: a base model plus a random, deliberately strong LoRA.

A freshly initialised LoRA has B = 0 (it changes nothing), so the adapter here gets
random non-zero B weights scaled until greedy decoding really differs from the base;
parity tests that pass with an adapter that changes nothing would prove nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The prompts every parity check decodes from: plain continuation and the chat template.
PROMPTS = [
    "The essay begins with a question that",
    "I used to think writing was about",
]
CHAT_PROMPTS = ["Write a short note about morning walks."]


def make_lora_run(run_dir: Path, base_spec: str, base_dir: Path, *, seed: int = 0, rank: int = 8,
                  alpha: int = 16, b_std: float = 0.05, use_rslora: bool = False,
                  target_modules: Any = "all-linear") -> Path:
    """A run folder as training leaves it: config.json (base_model) and adapter/ (PEFT)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run_dir.mkdir(parents=True, exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=target_modules,
                        use_rslora=use_rslora, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=gen) * b_std)
            elif "lora_A" in name:
                param.copy_(torch.randn(param.shape, generator=gen) / param.shape[1] ** 0.5)
    peft_model.save_pretrained(str(run_dir / "adapter"))
    AutoTokenizer.from_pretrained(str(base_dir)).save_pretrained(str(run_dir / "adapter"))
    (run_dir / "config.json").write_text(json.dumps({"base_model": base_spec, "lora_r": rank,
                                                     "lora_alpha": alpha}, indent=2) + "\n", encoding="utf-8")
    return run_dir


def make_tiny_qwen2(folder: Path, tokenizer_dir: Path, seed: int = 0) -> Path:
    """A 2-layer random Qwen2 (the family suggested for real voices), with random attention
    biases (Qwen2 has them; zero-initialised ones would hide a bias mistake) and the
    tokenizer of `tokenizer_dir`."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from voice_draft_engine.default_model import save_tokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
        with torch.no_grad():
            for name, param in model.named_parameters():
                if name.endswith(".bias"):
                    param.normal_(0, 0.5)
    model.save_pretrained(str(folder))
    save_tokenizer(tokenizer, folder)
    return folder


def prompt_ids(tokenizer: Any) -> list[list[int]]:
    ids = [tokenizer(p, add_special_tokens=False).input_ids for p in PROMPTS]
    for p in CHAT_PROMPTS:
        text = tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                             add_generation_prompt=True)
        ids.append(tokenizer(text, add_special_tokens=False).input_ids)
    return ids


def greedy(model: Any, ids: list[int], steps: int) -> list[int]:
    """Greedy continuation with PyTorch, the reference every runtime is compared with."""
    import torch

    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             max_new_tokens=steps, min_new_tokens=steps, do_sample=False,
                             pad_token_id=model.config.pad_token_id or 0)
    return out[0, len(ids):].tolist()

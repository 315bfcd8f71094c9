"""`export` as the extension and the CLI run it: the folder layout, the events, the cached
base export, and failures (a broken run, a cancel) that leave the adapter and any earlier
export exactly as they were."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from export_fixtures import make_lora_run
from voice_draft_engine.export.command import export_model, export_run
from voice_draft_engine.protocol import EngineError, EventSink

LAYOUT = ["config.json", "generation_config.json", "onnx/model.onnx", "onnx/model_quantized.onnx",
          "tokenizer.json", "tokenizer_config.json", "voice-draft-export.json"]


def events_of(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def hidden_leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


# What training and eval leave in a run folder, for the voice card (issue #24).
MANIFEST = {"format": 1, "source": "/home/writer/private/essays", "documents": {"total": 21, "train": 20, "val": 1},
            "pairs": {"train": 214, "val": 11}, "words": 65425}
EVAL_SUMMARY = {"perplexity_base": 32.07, "perplexity_tuned": 25.86, "delta_base": 0.822, "delta_tuned": 0.710,
                "delta_floor": 0.628, "gap_closed": 0.58, "attributed_continuation": 0.52, "attributed_continuation_base": 0.6}
TRAIN_DONE = {"event": "train.done", "adapter": "adapter", "best_step": 60, "best_val_loss": 3.3445, "steps": 60,
              "outcome": "max_steps"}


@pytest.fixture(scope="module")
def exported_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    run = make_lora_run(tmp_path_factory.mktemp("run") / "run", "tiny:llama", tiny_model_dir, b_std=0.3)
    (run / "dataset").mkdir()
    (run / "dataset" / "manifest.json").write_text(json.dumps(MANIFEST))
    (run / "eval.json").write_text(json.dumps({"format": 1, "summary": EVAL_SUMMARY, "created": "2026-12-04T16:56:10Z"}))
    (run / "events.jsonl").write_text(json.dumps(TRAIN_DONE) + "\n")
    adapter_before = tree_digest(run / "adapter")
    out = io.StringIO()
    export_run(run, EventSink(stream=out))
    return run, events_of(out), adapter_before


def test_run_export_writes_the_transformers_js_layout(exported_run):
    run, _, _ = exported_run
    assert files(run / "onnx") == sorted(LAYOUT + ["README.md"])
    assert files(run / "onnx-base") == LAYOUT
    assert files(run / "gguf") == ["README.md", "adapter.gguf", "adapter_config.json", "adapter_model.safetensors"]
    tokenizer_config = json.loads((run / "onnx" / "tokenizer_config.json").read_text())
    assert "<|im_start|>" in tokenizer_config["chat_template"]  # inline: transformers.js reads it only there
    config = json.loads((run / "onnx" / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    marker = json.loads((run / "onnx" / "voice-draft-export.json").read_text())
    assert marker["source"]["trained"] == str(run / "adapter")
    assert marker["q8_method"].startswith("matmul-nbits8")
    assert hidden_leftovers(run) == []


def test_run_export_events_report_progress_sizes_and_paths(exported_run):
    run, events, _ = exported_run
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "export.done" and kinds.count("export.done") == 1 and "error" not in kinds
    percents = [e["percent"] for e in events if e["event"] == "export.progress"]
    assert percents == sorted(percents) and percents[-1] <= 100
    assert all(isinstance(e["stage"], str) and e["message"] for e in events if e["event"] == "export.progress")
    artifacts = {Path(e["path"]).relative_to(run).as_posix() if Path(e["path"]).is_relative_to(run) else e["path"]: e
                 for e in events if e["event"] == "export.artifact"}
    for rel in ("onnx/onnx/model.onnx", "onnx/onnx/model_quantized.onnx", "gguf/adapter.gguf"):
        assert artifacts[rel]["bytes"] == (run / rel).stat().st_size
        assert artifacts[rel]["seconds"] >= 0
    done = events[-1]
    assert done["onnx"] == str(run / "onnx") and done["onnx_base"] == str(run / "onnx-base")
    assert done["gguf"] == str(run / "gguf") and done["seconds"] > 0
    # Every event also went to the run's events.jsonl (the dashboard rebuilds from the folder).
    logged = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert logged[-len(events):] == events


def test_the_adapter_is_only_read(exported_run):
    run, _, adapter_before = exported_run
    assert tree_digest(run / "adapter") == adapter_before


def test_voice_and_base_exports_differ_and_the_base_is_shared_with_the_cache(exported_run, engine_cache: Path):
    run, _, _ = exported_run
    voice = (run / "onnx" / "onnx" / "model.onnx").read_bytes()
    base = (run / "onnx-base" / "onnx" / "model.onnx").read_bytes()
    assert voice != base
    cached = engine_cache / "models" / "tiny-llama-onnx" / "onnx" / "model.onnx"
    assert os.path.samefile(cached, run / "onnx-base" / "onnx" / "model.onnx")  # hard link, no copy


def test_second_run_reuses_the_cached_base_export(exported_run, tiny_model_dir: Path, tmp_path: Path):
    run = make_lora_run(tmp_path / "run2", "tiny:llama", tiny_model_dir, seed=5)
    out = io.StringIO()
    export_run(run, EventSink(stream=out), with_base=True)
    events = events_of(out)
    assert any(e.get("stage") == "cache" for e in events if e["event"] == "export.progress")
    # Only the voice was exported this time: two ONNX artifacts, not four.
    onnx_artifacts = [e for e in events if e["event"] == "export.artifact" and e["path"].endswith(".onnx")]
    assert len(onnx_artifacts) == 2 and all(str(run) in e["path"] for e in onnx_artifacts)


def _other_tiny_model(tiny_model_dir: Path, folder: Path) -> Path:
    """A Llama with another width: an adapter trained on tiny-llama cannot load on it."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, intermediate_size=64, tie_word_embeddings=True)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def test_failed_export_keeps_the_adapter_and_the_previous_export(exported_run, tiny_model_dir: Path, tmp_path: Path):
    run = make_lora_run(tmp_path / "run", "tiny:llama", tiny_model_dir, seed=3)
    export_run(run, EventSink(stream=io.StringIO()), with_base=False)
    previous = tree_digest(run / "onnx")
    adapter = tree_digest(run / "adapter")
    # The run now names a base the adapter does not fit (as if the writer edited config.json).
    other = _other_tiny_model(tiny_model_dir, tmp_path / "other-model")
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "base_model": str(other)}))
    with pytest.raises(EngineError) as e:
        export_run(run, EventSink(stream=io.StringIO()), with_base=False)
    assert e.value.code == "export_failed" and "adapter" in e.value.message
    assert tree_digest(run / "adapter") == adapter
    assert tree_digest(run / "onnx") == previous
    assert hidden_leftovers(run) == []


def test_run_without_adapter_says_train_first(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"base_model": "tiny:llama"}))
    with pytest.raises(EngineError) as e:
        export_run(run, EventSink(stream=io.StringIO()))
    assert e.value.code == "no_adapter"
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "events.jsonl"]


def test_model_export_is_skipped_when_up_to_date(tiny_model_dir: Path, tmp_path: Path):
    out_dir = tmp_path / "tiny-onnx"
    first = io.StringIO()
    export_model(tiny_model_dir, out_dir, EventSink(stream=first))
    assert files(out_dir) == LAYOUT
    marker = json.loads((out_dir / "voice-draft-export.json").read_text())
    assert marker["source"]["path"] == str(tiny_model_dir.resolve())
    second = io.StringIO()
    export_model(tiny_model_dir, out_dir, EventSink(stream=second))
    assert [e["stage"] for e in events_of(second) if e["event"] == "export.progress"] == ["cache"]
    assert not any(e["event"] == "export.artifact" for e in events_of(second))


def test_cli_cancel_with_sigterm_removes_partial_output(tiny_model_dir: Path, tmp_path: Path, engine_env: dict[str, str]):
    run = make_lora_run(tmp_path / "run", "tiny:llama", tiny_model_dir, seed=4)
    adapter = tree_digest(run / "adapter")
    proc = subprocess.Popen([sys.executable, "-m", "voice_draft_engine", "export", "--run", str(run), "--no-base"],
                            env=engine_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1].get("stage") == "onnx":  # mid-export: the temp folder exists now
            proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 1
    assert events[-1]["event"] == "error" and events[-1]["code"] == "export_cancelled"
    assert not (run / "onnx").exists() and hidden_leftovers(run) == []
    assert tree_digest(run / "adapter") == adapter


def test_the_exported_adapter_names_its_base_and_loads_in_peft(exported_run, tiny_model_dir: Path):
    """gguf/ is a PEFT adapter whose config names the base model (the run's names a cache path)."""
    from peft import PeftModel

    from voice_draft_engine.export.weights import load_causal_lm

    run, _, _ = exported_run
    config = json.loads((run / "gguf" / "adapter_config.json").read_text())
    original = json.loads((run / "adapter" / "adapter_config.json").read_text())
    assert original["base_model_name_or_path"] == str(tiny_model_dir)  # where training found it, on this machine
    assert config["base_model_name_or_path"] == "tiny:llama" and config["revision"] is None
    assert {k: v for k, v in config.items() if k not in ("base_model_name_or_path", "revision")} == \
        {k: v for k, v in original.items() if k not in ("base_model_name_or_path", "revision")}
    ids = torch.tensor([[1, 42, 7, 300, 5]])
    with torch.no_grad():
        want = PeftModel.from_pretrained(load_causal_lm(tiny_model_dir), str(run / "adapter")).eval()(ids).logits
        got = PeftModel.from_pretrained(load_causal_lm(tiny_model_dir), str(run / "gguf")).eval()(ids).logits
    assert torch.equal(want, got)


def test_the_voice_card_says_what_went_in_the_recipe_the_scores_and_the_dates(exported_run):
    run, _, _ = exported_run
    card = (run / "gguf" / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: peft\nbase_model: tiny:llama\n")
    for fact in ("21 pieces (20 for training, 1 held out), 65425 words", "214 training pairs, 11 validation pairs",
                 "| 8 | 16 |", "step 60 (lowest validation loss); validation loss 3.345",
                 "Measured 2026-12-04", "| perplexity on the held-out essays | 32.07 | 25.86 |",
                 "| continuations a classifier takes for the writer's | 60% | 52% |", "Gap to the writer closed: 58%.",
                 "llama-cli -m BASE.gguf --lora adapter.gguf", "ADAPTER ./adapter.gguf"):
        assert fact in card, fact
    assert "Trained 20" in card and "exported 20" in card
    assert "/home/writer" not in card  # where the essays live does not travel
    onnx_card = (run / "onnx" / "README.md").read_text()
    assert "65425 words" in onnx_card and "../gguf/" in onnx_card and "llama-cli" not in onnx_card


def test_the_base_is_named_as_others_can_find_it(tmp_path: Path):
    from voice_draft_engine import default_model
    from voice_draft_engine.export.portable import base_identity

    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = tmp_path / "hub" / "models--Qwen--Qwen2.5-0.5B-Instruct" / "snapshots" / commit
    assert base_identity("Qwen/Qwen2.5-0.5B-Instruct", snapshot) == \
        {"name": "Qwen/Qwen2.5-0.5B-Instruct", "revision": commit, "spec": "Qwen/Qwen2.5-0.5B-Instruct"}
    own = tmp_path / "my-model"
    assert base_identity(str(own), own) == {"name": "my-model", "revision": None, "spec": str(own)}
    built = tmp_path / "smollm2"
    built.mkdir()
    (built / default_model.MARKER).write_text(json.dumps({"source": "SmolLM2-135M-Instruct.Q4_1.gguf", "sha256": "ab" * 32}))
    default = base_identity(default_model.SPEC, built)
    assert default["name"] == "HuggingFaceTB/SmolLM2-135M-Instruct" and default["revision"] is None
    assert default["gguf"] == "SmolLM2-135M-Instruct.Q4_1.gguf" and default["gguf_sha256"] == "ab" * 32

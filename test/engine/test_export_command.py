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


@pytest.fixture(scope="module")
def exported_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    run = make_lora_run(tmp_path_factory.mktemp("run") / "run", "tiny:llama", tiny_model_dir, b_std=0.3)
    adapter_before = tree_digest(run / "adapter")
    out = io.StringIO()
    export_run(run, EventSink(stream=out))
    return run, events_of(out), adapter_before


def test_run_export_writes_the_transformers_js_layout(exported_run):
    run, _, _ = exported_run
    assert files(run / "onnx") == LAYOUT
    assert files(run / "onnx-base") == LAYOUT
    assert files(run / "gguf") == ["adapter.gguf"]
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

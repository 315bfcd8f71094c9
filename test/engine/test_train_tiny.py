"""`train` end to end on the tiny Llama and the Bierce notes, in-process (the CLI's code path).

One uninterrupted run is shared by most tests; the resume test interrupts a second
run with the same config and must end with bit-identical adapter weights.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import torch

from event_schema import train_stream_problems
from tiny_runs import Recorder, make_run
from voice_draft_engine.__main__ import main
from voice_draft_engine.checkpoint import list_checkpoints
from voice_draft_engine.config import TrainConfig
from voice_draft_engine.train import oom_error, train_run


@pytest.fixture(scope="module")
def finished(tiny_model_dir: Path, small_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    run = make_run(tmp_path_factory.mktemp("finished"), small_dataset)
    sink = Recorder()
    assert train_run(run, sink) == "done"
    sink.close()
    return run, sink.events


def by_name(events: list[dict], name: str) -> list[dict]:
    return [e for e in events if e["event"] == name]


def test_events_follow_the_protocol(finished) -> None:
    run, events = finished
    assert train_stream_problems(events) == []
    started, done = by_name(events, "train.started")[0], events[-1]
    assert done["event"] == "train.done" and done["adapter"] == "adapter"
    progress = by_name(events, "train.progress")
    assert [p["step"] for p in progress] == list(range(1, started["total_steps"] + 1))  # every step, in order
    assert started["dataset"]["train_pairs"] > 0 and started["dataset"]["val_pairs"] > 0
    assert started["device"] == "cpu" and started["method"] == "lora" and started["trainable_params"] > 0
    evals = by_name(events, "train.eval")
    assert evals and all(e["val_ppl"] == pytest.approx(2.718281828 ** e["val_loss"], rel=1e-3) for e in evals)
    assert done["best_step"] == min(evals, key=lambda e: e["val_loss"])["step"]
    assert done["best_val_loss"] == pytest.approx(min(e["val_loss"] for e in evals), abs=1e-5)
    canaries = by_name(events, "train.canary")
    assert sorted({c["epoch"] for c in canaries}) == [1, 2]
    assert {c["prompt_id"] for c in canaries} == {"covered-topic", "novel-topic", "long-form"}
    # Same seeds before and after: the base samples repeat unchanged in every epoch's event.
    first_base = {c["prompt_id"]: c["base"] for c in canaries if c["epoch"] == 1}
    assert all(c["base"] == first_base[c["prompt_id"]] for c in canaries)
    # Every event of the stream is in events.jsonl, in order.
    on_disk = [json.loads(l) for l in (run / "events.jsonl").read_text().splitlines()]
    assert on_disk == events


def test_run_folder_holds_everything(finished) -> None:
    run, events = finished
    config = json.loads((run / "config.json").read_text())
    assert config == by_name(events, "train.started")[0]["config"]
    assert set(config) == set(TrainConfig().to_dict()) and config["micro_batch_size"] == 1
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= \
        {p.name for p in (run / "adapter").iterdir()}
    canaries = json.loads((run / "canaries.json").read_text())
    assert [e["epoch"] for e in canaries["epochs"]] == [1, 2]
    assert set(canaries["base"]) == {p["id"] for p in canaries["prompts"]} == set(canaries["epochs"][0]["tuned"])
    assert all(p["sampling"]["seed"] >= TrainConfig().canary_seed for p in canaries["prompts"])
    # Pruned to the newest checkpoint and the best one; each complete, with its config.
    kept = list_checkpoints(run)
    done = events[-1]
    assert {step for step, _ in kept} == {done["steps"], done["best_step"]}
    for _, path in kept:
        assert {"adapter", "optimizer.pt", "scheduler.pt", "rng.pt", "config.json", "state.json"} <= \
            {p.name for p in path.iterdir()}
        assert json.loads((path / "config.json").read_text()) == config
    assert not [p for p in run.rglob(".*") if ".tmp-" in p.name or ".stale-" in p.name]  # no half-written leftovers


def test_adapter_loads_with_peft_and_matches_the_engine(finished, tiny_model_dir: Path) -> None:
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from voice_draft_engine.checkpoint import checkpoint_name
    from voice_draft_engine.model_setup import load_tuned_model

    run, events = finished
    ids = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 2, 198, 1, 4093, 198]])
    base = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval()
    with torch.no_grad():
        base_logits = base(ids).logits
        peft_model = PeftModel.from_pretrained(base, str(run / "adapter")).eval()
        peft_logits = peft_model(ids).logits
        merged, _ = load_tuned_model(run)
        merged_logits = merged(ids).logits
    assert (peft_logits - base_logits).abs().max() > 1e-3  # the adapter does something
    assert torch.allclose(peft_logits, merged_logits, atol=1e-5)
    # The adapter is the best checkpoint's, not merely the last step's.
    best = run / "checkpoints" / checkpoint_name(events[-1]["best_step"]) / "adapter" / "adapter_model.safetensors"
    final = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    assert all(torch.equal(t, load_file(str(best))[k]) for k, t in final.items())


def test_resume_after_interrupt_ends_where_an_uninterrupted_run_ends(finished, small_dataset: Path,
                                                                      tmp_path: Path) -> None:
    from safetensors.torch import load_file

    reference_run, reference_events = finished
    run = make_run(tmp_path, small_dataset)
    stop = threading.Event()
    first = Recorder(stop, stop_after=3)  # 3 is between the every-2-steps checkpoints
    assert train_run(run, first, stop=stop) == "cancelled"
    first.close()
    cancelled = first.events[-1]
    assert cancelled == {"event": "train.cancelled", "step": 3, "checkpoint": "checkpoints/step-000003"}
    assert train_stream_problems(first.events) == []
    assert not (run / "adapter").exists()  # no adapter from a cancelled run

    second = Recorder()
    assert train_run(run, second, resume=True) == "done"
    second.close()
    assert train_stream_problems(second.events) == []
    assert by_name(second.events, "train.started")[0]["resumed_from"] == "checkpoints/step-000003"
    assert [p["step"] for p in by_name(second.events, "train.progress")][0] == 4
    assert second.events[-1]["steps"] == reference_events[-1]["steps"]
    assert second.events[-1]["best_step"] == reference_events[-1]["best_step"]
    want = load_file(str(reference_run / "adapter" / "adapter_model.safetensors"))
    got = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    assert want.keys() == got.keys()
    for key in want:
        assert torch.allclose(got[key], want[key], rtol=0, atol=1e-7), key
    # The evaluations after the resume point repeat the reference run's exactly.
    ref_evals = {e["step"]: e["val_loss"] for e in by_name(reference_events, "train.eval")}
    for e in by_name(second.events, "train.eval"):
        assert e["val_loss"] == pytest.approx(ref_evals[e["step"]], abs=1e-6)
    # events.jsonl is the whole history: both attempts, one cancel, one done.
    history = [json.loads(l)["event"] for l in (run / "events.jsonl").read_text().splitlines()]
    assert history.count("train.started") == 2 and history.count("train.cancelled") == 1
    assert history[-1] == "train.done"


def test_a_stop_during_an_epochs_last_evaluation_keeps_that_epochs_canaries(finished, small_dataset: Path,
                                                                             tmp_path: Path) -> None:
    reference_run, reference_events = finished
    epoch_end = next(c["step"] for c in by_name(reference_events, "train.canary") if c["epoch"] == 1)
    run = make_run(tmp_path, small_dataset)
    stop = threading.Event()
    first = Recorder(stop, stop_after=epoch_end)  # asked during the step that ends epoch 1
    assert train_run(run, first, stop=stop) == "cancelled"
    first.close()
    assert by_name(first.events, "train.canary") == []  # skipped then: a stop was pending

    second = Recorder()
    assert train_run(run, second, resume=True) == "done"
    second.close()
    written = json.loads((run / "canaries.json").read_text())
    reference = json.loads((reference_run / "canaries.json").read_text())
    assert [e["epoch"] for e in written["epochs"]] == [1, 2]
    assert [(e["step"], e["tuned"]) for e in written["epochs"]] == [(e["step"], e["tuned"]) for e in reference["epochs"]]


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_full_fine_tuning_behind_the_same_interface(tiny_model_dir: Path, small_dataset: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from transformers import AutoModelForCausalLM

    run = make_run(tmp_path, small_dataset, full_finetune=True, epochs=1, max_steps=2, learning_rate=1e-3)
    code, events = cli(["train", "--run", str(run)], capsys)
    assert code == 0 and train_stream_problems(events) == []
    assert by_name(events, "train.started")[0]["method"] == "full"
    done = events[-1]
    assert done["adapter"] == "model" and done["full_model"] is True and done["steps"] == 2
    ids = torch.tensor([[1, 4093, 198, 19161, 582]])
    tuned = AutoModelForCausalLM.from_pretrained(str(run / "model"), dtype=torch.float32).eval()
    base = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval()
    with torch.no_grad():
        assert (tuned(ids).logits - base(ids).logits).abs().max() > 1e-4


@pytest.mark.parametrize("change, code, says", [
    ({"dataset_line": '{"id": "x", "tier": "T2", "messages": []}'}, "dataset_invalid", "train.jsonl:2"),
    ({"config": {"qlora": True}}, "qlora_needs_cuda", "CUDA"),
    ({"config": {"base_model": "voice-draft-tests/no-such-model"}}, "model_not_found", "no-such-model"),
    ({"config": {"lora_rank": 8}}, "config_invalid", "lora_rank"),
    ({"config": {"epochs": "three"}}, "config_invalid", "epochs"),
])
def test_failures_end_in_one_error_event(tiny_model_dir: Path, small_dataset: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str], change: dict, code: str, says: str) -> None:
    run = make_run(tmp_path, small_dataset, **change.get("config", {}))
    if "dataset_line" in change:
        lines = (run / "dataset" / "train.jsonl").read_text().splitlines()
        (run / "dataset" / "train.jsonl").write_text("\n".join([lines[0], change["dataset_line"], *lines[1:]]) + "\n")
    exit_code, events = cli(["train", "--run", str(run)], capsys)
    assert exit_code == 1 and train_stream_problems(events) == []
    assert events[-1]["event"] == "error" and events[-1]["code"] == code, events[-1]
    assert says in events[-1]["message"] and events[-1]["hint"]


def test_out_of_memory_hint_keeps_the_effective_batch() -> None:
    e = oom_error(TrainConfig(micro_batch_size=8, gradient_accumulation_steps=4), "cuda", 11)
    assert e.code == "cuda_oom" and "step 12" in e.message
    assert "micro_batch_size to 4 and gradient_accumulation_steps to 8" in e.hint
    e = oom_error(TrainConfig(micro_batch_size=1), "cuda", 0)
    assert "gradient_checkpointing" in e.hint
    e = oom_error(TrainConfig(micro_batch_size=1, gradient_checkpointing=True), "cuda", 0)
    assert "qlora" in e.hint


def test_a_full_disk_is_reported_as_disk_full(tmp_path: Path) -> None:
    from voice_draft_engine.checkpoint import disk_full_error
    from voice_draft_engine.exhausted import is_disk_full

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with pytest.raises(OSError) as caught, open("/dev/full", "w") as f:  # every write fails with ENOSPC
        f.write("x" * 65536)
        f.flush()
    assert is_disk_full(caught.value)
    wrapped = RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")
    wrapped.__cause__ = caught.value
    assert is_disk_full(wrapped)  # found through the exception chain
    error = disk_full_error(tmp_path, caught.value)
    assert error is not None and error.code == "disk_full" and "--resume" in error.hint
    assert disk_full_error(tmp_path, RuntimeError("a different failure")) is None  # this disk has room

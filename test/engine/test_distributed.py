"""Several processes (issue #11): `launcher`, `processes`, DDP on CPU processes (gloo).

The end-to-end test starts the engine as the extension does (`train --run DIR`) on a
run whose config names torchrun with 2 processes, cancels it with SIGTERM, resumes it
under `accelerate launch`, and checks that the two segments add up to the run one
process makes with the same effective batch.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from event_schema import train_stream_problems
from tiny_runs import TINY_CONFIG, Recorder, cancel_at_first_step, make_run, train_to_end
from voice_draft_engine import launch
from voice_draft_engine.config import TrainConfig
from voice_draft_engine.distributed import World
from voice_draft_engine.events import TrainCancelled
from voice_draft_engine.protocol import EngineError, EventSink, rank_error_line
from voice_draft_engine.train import device_in

# Micro-batches of 3 rows, 4 per step: on the small dataset an epoch has 5, so each process
# trains 2 micro-batches in the first step (one under no_sync) and in the epoch's last step
# process 1 has none and trains the stand-in; the one val batch leaves process 1 nothing to
# evaluate. No dropout: with it, N processes draw other masks than one process does, and the
# runs would match only statistically.
# dtype float32: two processes must match one to 1e-4, finer than the rounding of the bf16
# compute a CPU with native bf16 trains in (model_setup.pick_autocast).
DDP_CONFIG = {**TINY_CONFIG, "micro_batch_size": 3, "gradient_accumulation_steps": 4, "epochs": 3,
              "lora_dropout": 0.0, "dtype": "float32"}


def config_error(**fields) -> str:
    with pytest.raises(EngineError) as caught:
        TrainConfig.from_dict(fields)
    assert caught.value.code == "config_invalid"
    return caught.value.message


def test_config_names_a_launcher_and_a_process_count_that_shares_each_step_evenly() -> None:
    assert TrainConfig().launcher == "none" and TrainConfig().processes is None
    assert TrainConfig().distributed_strategy == "ddp"
    assert "launcher must be one of none, torchrun, accelerate" in config_error(launcher="mpirun")
    assert "not supported yet" in config_error(distributed_strategy="fsdp")
    assert "processes must be at least 1" in config_error(launcher="torchrun", processes=0)
    message = config_error(launcher="torchrun", processes=3, gradient_accumulation_steps=4)
    assert "must be a multiple of processes (3)" in message and "Set gradient_accumulation_steps to 6" in message
    assert "(or processes to 2)" in message
    TrainConfig.from_dict({"launcher": "accelerate", "processes": 2, "gradient_accumulation_steps": 4})
    TrainConfig.from_dict({"processes": 3})  # ignored without a launcher


def test_process_count_defaults_to_the_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch, "gpu_count", lambda: 0)
    with pytest.raises(EngineError, match="no CUDA GPU") as caught:
        launch.processes_for(TrainConfig(launcher="torchrun"))
    assert "Set processes" in caught.value.hint
    assert launch.processes_for(TrainConfig(launcher="torchrun", processes=2)) == 2  # CPU processes
    monkeypatch.setattr(launch, "gpu_count", lambda: 4)
    assert launch.processes_for(TrainConfig(launcher="torchrun")) == 4
    with pytest.raises(EngineError, match="8 but this machine has 4 GPU"):
        launch.processes_for(TrainConfig(launcher="torchrun", processes=8))


def test_launcher_command_lines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    worker = ["-m", "voice_draft_engine", "train", "--worker", str(tmp_path), "--resume"]
    assert launch.launcher_argv("torchrun", 2, tmp_path, resume=True) == [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *worker]
    argv = launch.launcher_argv("accelerate", 4, tmp_path, resume=True)
    assert argv[:4] == [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu"]
    assert argv[argv.index("--num_processes") + 1] == "4" and argv[-len(worker):] == worker
    monkeypatch.setattr(launch.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EngineError) as caught:
        launch.launcher_argv("accelerate", 2, tmp_path, resume=False)
    assert caught.value.code == "missing_package" and "pip install accelerate" in caught.value.hint


def test_each_process_trains_its_share_of_a_step() -> None:
    step = ["a", "b", "c", "d"]
    assert World().share(step) == [(b, 1.0) for b in step]
    assert World(rank=0, size=2).share(step) == [("a", 2.0), ("c", 2.0)]
    assert World(rank=1, size=2).share(step) == [("b", 2.0), ("d", 2.0)]
    # An epoch's last, shorter step: process 1 has nothing of its own and runs a stand-in.
    assert World(rank=1, size=2).share(["e"]) == [("e", 0.0)]
    assert World(rank=1, size=2).shard(["v1", "v2", "v3"]) == ["v2"]


def test_under_a_launcher_each_process_has_its_own_device() -> None:
    assert device_in(World(rank=1, size=2, device="cuda:1"), TrainConfig(device="cuda")) == "cuda:1"
    assert device_in(World(rank=1, size=2, device="cpu"), TrainConfig()) == "cpu"
    with pytest.raises(EngineError, match="each process trains on the CPU"):
        device_in(World(rank=0, size=2, device="cpu"), TrainConfig(device="cuda:1"))


def test_processes_that_end_without_a_word_end_the_stream_with_an_error(
        small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = make_run(tmp_path, small_dataset, launcher="torchrun", processes=2)
    crash = [sys.executable, "-c", "print('a launcher message, not an event'); raise SystemExit(3)"]
    monkeypatch.setattr(launch, "launcher_argv", lambda *args: crash)
    sink = Recorder()
    assert launch.launch_if_configured(sink, run, resume=False) == 1
    sink.close()
    [error] = sink.events
    assert error["event"] == "error" and error["code"] == "launcher_failed" and "exit status 3" in error["message"]
    assert [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()] == [error]


def test_another_ranks_error_is_reported_at_once_and_ends_the_stream(
        small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What rank 1's disabled sink prints when its GPU runs out of memory, then the launcher fails.
    sink_of_rank_1 = EventSink(stream=io.StringIO())
    passed_on = io.StringIO()
    sink_of_rank_1.speak_for_another_rank(1, passed_on)
    sink_of_rank_1.emit(TrainCancelled(step=0, checkpoint=None))  # no events from another rank
    sink_of_rank_1.error("cuda_oom", "Out of GPU memory at step 3 (micro_batch_size 8).", "Lower micro_batch_size.")
    [line] = passed_on.getvalue().splitlines()
    assert sink_of_rank_1._stream.getvalue() == ""

    # Rank 0 trained a step, rank 1 failed (and a third rank met that as a broken connection),
    # then rank 0 met the broken collective and wrote its own ending to events.jsonl.
    run = make_run(tmp_path, small_dataset, launcher="torchrun", processes=3, gradient_accumulation_steps=3)
    knock_on = rank_error_line({"event": "error", "code": "internal", "message": "Connection closed by peer"}, 2)
    rank_0_ending = '{"event":"error","code":"internal","message":"RuntimeError: Connection closed by peer"}'
    step = '{"event":"train.step","step":1}'
    rank_0 = ('import sys; events = open(sys.argv[1], "a")\n'
              f'print({step!r}); print({knock_on!r}); print({line!r}, flush=True)\n'
              f'events.write({rank_0_ending!r} + chr(10)); events.close(); print({rank_0_ending!r}); raise SystemExit(1)')
    fails = [sys.executable, "-c", rank_0, str(run / "events.jsonl")]
    monkeypatch.setattr(launch, "launcher_argv", lambda *args: fails)
    monkeypatch.setattr(launch, "gpu_count", lambda: 0)
    sink = Recorder()
    assert launch.launch_if_configured(sink, run, resume=False) == 1
    sink.close()
    oom = {"event": "error", "code": "cuda_oom", "hint": "Lower micro_batch_size.",
           "message": "Out of GPU memory at step 3 (micro_batch_size 8). (in training process 1)"}
    assert sink.events == [{"event": "train.step", "step": 1}, oom]  # one terminal event on stdout
    # The file: rank 0 wrote its own ending (before or after the supervisor wrote the error: the
    # two processes race), and the cause comes last, as its readers take a segment's last ending.
    written = [json.loads(x) for x in (run / "events.jsonl").read_text().splitlines()]
    assert json.loads(rank_0_ending) in written and written[-1] == oom


def test_a_cancel_reaches_the_launcher_and_always_ends_the_stream(small_dataset: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A launcher that cancels the run itself (SIGTERM to the engine, as the extension does), then
    # would sleep a minute if the engine did not pass the signal on to it.
    run = make_run(tmp_path, small_dataset, launcher="torchrun", processes=2)
    cancels = [sys.executable, "-c", "import os, signal, time; os.kill(os.getppid(), signal.SIGTERM); time.sleep(60)"]
    monkeypatch.setattr(launch, "launcher_argv", lambda *args: cancels)
    sink = Recorder()
    started = time.monotonic()
    assert launch.launch_if_configured(sink, run, resume=False) == 0
    assert time.monotonic() - started < 30
    sink.close()
    assert sink.events == [{"event": "train.cancelled", "step": 0, "checkpoint": None}]


@pytest.fixture(scope="module")
def one_process(tiny_model_dir: Path, small_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    run = make_run(tmp_path_factory.mktemp("one-process"), small_dataset, **DDP_CONFIG)
    return run, train_to_end(run)


def start_engine(run: Path, env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen[str]:
    """The engine as the extension starts it: `train --run DIR`, whatever the config says."""
    return subprocess.Popen([sys.executable, "-m", "voice_draft_engine", "train", "--run", str(run), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=open(log, "a"), text=True)


def by_step(events: list[dict], name: str) -> dict[int, dict]:
    return {e["step"]: e for e in events if e["event"] == name}


def test_two_processes_cancel_resume_and_match_one_process(one_process, small_dataset: Path,
                                                           engine_env: dict[str, str], tmp_path: Path) -> None:
    from safetensors.torch import load_file

    reference_run, reference = one_process
    run = make_run(tmp_path, small_dataset, **DDP_CONFIG, launcher="torchrun", processes=2)
    log = tmp_path / "engine.log"

    # torchrun, 2 CPU processes; SIGTERM (the extension's cancel) to the process it started.
    proc = start_engine(run, engine_env, log)
    first = cancel_at_first_step(proc)
    assert proc.wait(timeout=300) == 0, log.read_text()[-3000:]
    assert train_stream_problems(first) == [], first
    started, cancelled = next(e for e in first if e["event"] == "train.started"), first[-1]
    total = started["total_steps"]
    assert started["config"]["launcher"] == "torchrun" and started["config"]["processes"] == 2
    rows, mb = started["dataset"]["train_rows"], DDP_CONFIG["micro_batch_size"]
    assert math.ceil(rows / mb) % DDP_CONFIG["gradient_accumulation_steps"] == 1  # the stand-in is exercised
    assert cancelled["event"] == "train.cancelled" and 1 <= cancelled["step"] < total
    assert cancelled["checkpoint"] == f"checkpoints/step-{cancelled['step']:06d}"
    assert (run / cancelled["checkpoint"] / "state.json").is_file() and not (run / "adapter").exists()

    # --resume, this time under accelerate launch: how to run comes from the run's config.json.
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "launcher": "accelerate"}))
    proc = start_engine(run, engine_env, log, "--resume")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log.read_text()[-3000:]
    second = [json.loads(line) for line in out.splitlines()]
    assert train_stream_problems(second) == [], second
    resumed = next(e for e in second if e["event"] == "train.started")
    assert resumed["resumed_from"] == cancelled["checkpoint"] and resumed["config"]["launcher"] == "accelerate"
    assert [e["step"] for e in second if e["event"] == "train.progress"] == list(range(cancelled["step"] + 1, total + 1))
    done = second[-1]
    assert done["event"] == "train.done" and done["adapter"] == "adapter"

    # One stream: rank 0's. events.jsonl holds exactly what the client read, nothing twice.
    assert [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()] == first + second
    # (synthetic-drafts.json: the rewrite's plain inputs, made once by rank 0 before training)
    assert sorted(p.name for p in run.iterdir()) == ["adapter", "canaries.json", "checkpoints", "config.json",
                                                     "dataset", "events.jsonl", "synthetic-drafts.json"]

    # The same training as one process with the same effective batch.
    for name, key in (("train.progress", "loss"), ("train.progress", "grad_norm"), ("train.eval", "val_loss")):
        want, got = by_step(reference, name), by_step(first + second, name)
        assert sorted(got) == sorted(want), name
        for step in want:
            assert got[step][key] == pytest.approx(want[step][key], rel=1e-4), (name, key, step)
    assert (done["best_step"], done["steps"]) == (reference[-1]["best_step"], reference[-1]["steps"])
    want = load_file(str(reference_run / "adapter" / "adapter_model.safetensors"))
    got = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    assert want.keys() == got.keys()
    for key in want:
        assert (got[key] - want[key]).abs().max() <= 1e-5 * max(1.0, float(want[key].abs().max())), key

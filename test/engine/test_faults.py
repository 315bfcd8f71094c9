"""The fault suite (issue #25): a run folder survives what a machine and a careless user do.

- SIGKILL at random steps, several times, then --resume: the same weights, bit for bit, as
  an uninterrupted run (VOICE_DRAFT_FAULT_KILLS kills, VOICE_DRAFT_FAULT_SEED picks the steps).
- A damaged newest checkpoint (cut short, changed, missing a file): --resume takes the
  newest intact one, says which was damaged and why, and still ends where an
  uninterrupted run ends.
- One engine per run folder: a second `train --resume` of a run that is training is
  refused before it writes anything there; a stale lock (dead pid, reused pid) is taken over.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from event_schema import train_stream_problems
from tiny_runs import Recorder, make_run, train_to_end
from voice_draft_engine import checkpoint as ckpt
from voice_draft_engine import runlock
from voice_draft_engine.protocol import EngineError
from voice_draft_engine.train import train_run

FAULT_SEED = int(os.environ.get("VOICE_DRAFT_FAULT_SEED", "25"))
KILLS = int(os.environ.get("VOICE_DRAFT_FAULT_KILLS", "3"))
# Every checkpoint kept: the damaged-checkpoint test needs an older one to fall back to.
KEEP_ALL = {"keep_checkpoints": 20}


def by_name(events: list[dict], name: str) -> list[dict]:
    return [e for e in events if e["event"] == name]


@pytest.fixture(scope="module")
def reference(tiny_model_dir: Path, small_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """The uninterrupted run every faulted one must end like."""
    run = make_run(tmp_path_factory.mktemp("reference"), small_dataset, **KEEP_ALL)
    return run, train_to_end(run)


def assert_same_result(run: Path, events: list[dict], reference) -> None:
    ref_run, ref_events = reference
    done, ref_done = events[-1], ref_events[-1]
    assert done["event"] == "train.done"
    assert (done["steps"], done["best_step"], done["chosen_step"]) == \
        (ref_done["steps"], ref_done["best_step"], ref_done["chosen_step"])
    want = load_file(str(ref_run / "adapter" / "adapter_model.safetensors"))
    got = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    assert want.keys() == got.keys()
    for key in want:
        assert torch.equal(got[key], want[key]), f"{key} differs from the uninterrupted run"
    ref_evals = {e["step"]: e["val_loss"] for e in by_name(ref_events, "train.eval")}
    for e in by_name(events, "train.eval"):
        assert e["val_loss"] == ref_evals[e["step"]], e


def start_engine(run: Path, env: dict[str, str], resume: bool) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "voice_draft_engine", "train", "--run", str(run),
                             *(["--resume"] if resume else [])],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_sigkill_at_random_steps_then_resume_is_bit_identical(reference, small_dataset: Path,
                                                               engine_env: dict[str, str], tmp_path: Path) -> None:
    total = by_name(reference[1], "train.started")[0]["total_steps"]
    rng = random.Random(FAULT_SEED)
    kill_at = sorted(rng.sample(range(1, total), min(KILLS, total - 1)))
    run = make_run(tmp_path, small_dataset, **KEEP_ALL)
    resume = False
    for step in kill_at:
        proc = start_engine(run, engine_env, resume)
        assert proc.stdout is not None
        for line in proc.stdout:
            event = json.loads(line)
            assert event["event"] != "error", event
            if event["event"] == "train.progress" and event["step"] >= step:
                proc.kill()  # SIGKILL: no checkpoint, no goodbye; mid-step or mid-save
                break
        proc.wait(timeout=120)
        assert proc.returncode == -signal.SIGKILL, f"the engine ended before step {step}"
        # The killed engine's lock stays behind, stale: the next engine takes it over.
        assert runlock.read_lock(run) is not None
        resume = True
    proc = start_engine(run, engine_env, resume=True)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-2000:]
    events = [json.loads(line) for line in out.splitlines()]
    assert train_stream_problems(events) == []
    assert_same_result(run, events, reference)
    assert not (run / runlock.LOCK).exists()  # released at the end
    # Every attempt's train.started is a line of its own: an event torn by a kill is ended, not
    # glued to the next engine's first one.
    history = []
    for line in (run / "events.jsonl").read_text().splitlines():
        try:
            history.append(json.loads(line)["event"])
        except ValueError:
            pass  # the torn tail of a killed engine's last event
    assert history.count("train.started") == len(kill_at) + 1
    assert not [p for p in (run / "checkpoints").iterdir() if ".tmp-" in p.name]  # no half-saved leftovers


@pytest.mark.parametrize("damage", ["cut short", "changed"])  # and more kinds, without training, below
def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(reference, small_dataset: Path, tmp_path: Path,
                                                                   damage: str) -> None:
    run = make_run(tmp_path, small_dataset, **KEEP_ALL)
    stop = threading.Event()
    first = Recorder(stop, stop_after=5)  # checkpoints at 2 and 4 (evals), 5 (the cancel)
    assert train_run(run, first, stop=stop) == "cancelled"
    first.close()
    assert [s for s, _ in ckpt.list_checkpoints(run)] == [2, 4, 5]
    newest = run / "checkpoints" / "step-000005"
    adapter = newest / "adapter" / "adapter_model.safetensors"
    if damage == "cut short":
        adapter.write_bytes(adapter.read_bytes()[:1000])
        why = "adapter/adapter_model.safetensors has 1000 bytes"
    else:
        data = bytearray((newest / "optimizer.pt").read_bytes())
        data[-100] ^= 0xFF
        (newest / "optimizer.pt").write_bytes(bytes(data))
        why = "optimizer.pt is not the file that was written"
    assert why in (ckpt.checkpoint_problem(newest) or "")

    second = train_to_end(run, resume=True)
    assert train_stream_problems(second) == []
    started = by_name(second, "train.started")[0]
    assert started["resumed_from"] == "checkpoints/step-000004"
    [report] = started["damaged_checkpoints"]
    assert report["checkpoint"] == "checkpoints/step-000005" and why in report["problem"]
    assert report["moved_to"] == "checkpoints/step-000005.damaged" and (run / report["moved_to"]).is_dir()
    assert_same_result(run, second, reference)


def test_every_checkpoint_damaged_starts_over_and_says_so(tiny_model_dir: Path, small_dataset: Path,
                                                          tmp_path: Path) -> None:
    run = make_run(tmp_path, small_dataset, max_steps=3)
    stop = threading.Event()
    assert train_run(run, Recorder(stop, stop_after=2), stop=stop) == "cancelled"
    for _, path in ckpt.list_checkpoints(run):
        (path / "scheduler.pt").write_bytes(b"")
    events = train_to_end(run, resume=True)
    started = by_name(events, "train.started")[0]
    assert started["resumed_from"] is None
    assert {d["checkpoint"] for d in started["damaged_checkpoints"]} == {"checkpoints/step-000002"}
    assert events[-1]["event"] == "train.done"


def test_checksums_cover_every_file_and_an_old_checkpoint_without_them_is_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "step-000001"
    (folder / "adapter").mkdir(parents=True)
    (folder / "adapter" / "w.safetensors").write_bytes(b"weights")
    (folder / "state.json").write_text(json.dumps({"format": 1, "step": 1}))
    assert ckpt.checkpoint_problem(folder) is None  # written before checksums existed
    ckpt.write_checksums(folder)
    listed = json.loads((folder / ckpt.CHECKSUMS).read_text())["files"]
    assert set(listed) == {"adapter/w.safetensors", "state.json"}
    assert ckpt.checkpoint_problem(folder) is None
    (folder / "adapter" / "w.safetensors").write_bytes(b"weightz")
    assert "checksum differs" in ckpt.checkpoint_problem(folder)
    (folder / "adapter" / "w.safetensors").write_bytes(b"weights")
    (folder / "adapter" / "w.safetensors").unlink()
    assert ckpt.checkpoint_problem(folder) == "adapter/w.safetensors is missing"
    (folder / "state.json").write_text("{not json")
    assert ckpt.checkpoint_problem(folder).startswith("state.json does not read")
    (folder / "state.json").write_text(json.dumps({"format": 1, "step": 1}))
    (folder / ckpt.CHECKSUMS).write_text("[]")
    assert ckpt.checkpoint_problem(folder) == "checksums.json does not read"


# ---------------------------------------------------------------------------
# One engine per run folder


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_lock_is_exclusive_and_stale_locks_are_taken_over(tmp_path: Path) -> None:
    with runlock.acquire(tmp_path) as held:
        assert runlock.read_lock(tmp_path) == held.info
        assert held.info["pid"] == os.getpid() and held.info["start"]
        with pytest.raises(EngineError) as busy:
            runlock.acquire(tmp_path)
        assert busy.value.code == "run_busy" and f"kill -TERM {os.getpid()}" in busy.value.hint
    assert not (tmp_path / runlock.LOCK).exists()

    here = socket.gethostname()
    stale = [
        {"pid": _dead_pid(), "start": "linux:x:1", "host": here},  # the engine died (SIGKILL, power)
        {"pid": os.getpid(), "start": "linux:another-boot:1", "host": here},  # its pid now belongs to us
    ]
    for info in stale:
        (tmp_path / runlock.LOCK).write_text(json.dumps(info))
        with runlock.acquire(tmp_path) as taken:
            assert runlock.read_lock(tmp_path) == taken.info

    (tmp_path / runlock.LOCK).write_text(json.dumps({"pid": 1, "start": None, "host": "gpu-box-elsewhere"}))
    with pytest.raises(EngineError) as elsewhere:
        runlock.acquire(tmp_path)
    assert "gpu-box-elsewhere" in elsewhere.value.message and "delete" in elsewhere.value.hint


def test_resume_of_a_run_that_is_training_is_refused_and_changes_nothing(tiny_model_dir: Path, small_dataset: Path,
                                                                          engine_env: dict[str, str],
                                                                          tmp_path: Path) -> None:
    run = make_run(tmp_path, small_dataset, epochs=20, max_steps=200, eval_every=1000)
    old_umask = os.umask(0o022)  # what a writer usually has (files 0644, folders 0755); the engine sets its own
    try:
        first = start_engine(run, engine_env, resume=False)
    finally:
        os.umask(old_umask)
    assert first.stdout is not None
    try:
        for line in first.stdout:
            if json.loads(line)["event"] == "train.progress":
                break
        lock = runlock.read_lock(run)
        assert lock is not None and lock["pid"] == first.pid
        before = (run / "events.jsonl").read_text()
        second = subprocess.run([sys.executable, "-m", "voice_draft_engine", "train", "--run", str(run), "--resume"],
                                env=engine_env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 1
        [error] = [json.loads(line) for line in second.stdout.splitlines()]
        assert error["event"] == "error" and error["code"] == "run_busy", error
        assert f"engine pid {first.pid}" in error["message"] and "SIGTERM" in error["hint"]
        after = (run / "events.jsonl").read_text()
        assert after.startswith(before) and '"run_busy"' not in after  # the second engine wrote nothing there
        assert runlock.read_lock(run) == lock
        first.send_signal(signal.SIGTERM)
        rest = [json.loads(line) for line in first.stdout]
        assert first.wait(timeout=300) == 0 and rest[-1]["event"] == "train.cancelled"
    finally:
        if first.poll() is None:
            first.kill()
    assert not (run / runlock.LOCK).exists()  # released: the run can be resumed now
    # What the engine wrote there is the writer's alone to read: 0700 folders, 0600 files.
    made = [p for p in run.rglob("*") if not p.is_relative_to(run / "dataset")]
    assert {"events.jsonl", "adapter_model.safetensors", "optimizer.pt", "checksums.json"} <= {p.name for p in made}
    assert [f"{p.relative_to(run)} {oct(p.stat().st_mode & 0o777)}" for p in made if p.stat().st_mode & 0o077] == []

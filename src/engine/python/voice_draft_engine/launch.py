"""The `train --run DIR [--resume]` command: the run's lock, then the training (train.py)
in this process, or under the launcher the run's config names.

The extension, the CLI and a remote host always start `train --run DIR [--resume]`.
When config.json says `launcher: "torchrun"` (or `"accelerate"`), that process starts

    python -m torch.distributed.run --standalone --nproc_per_node N -m voice_draft_engine train --worker DIR
    python -m accelerate.commands.launch --multi_gpu --num_processes N ... -m voice_draft_engine train --worker DIR

as a child (an argv list, no shell) in a session of its own, and stays as the one the
client follows and cancels:
- events: rank 0 writes events.jsonl and its stdout as a single process would; this
  process relays those stdout lines and speaks itself only when launching fails or
  the processes end without a terminal event (then `error`, or `train.cancelled` with
  the newest checkpoint after a cancel, to both), or another rank fails before rank 0
  has ended the stream (its `rank_error` line, out of memory on its own GPU: that error,
  at once, and rank 0's later events go to the log; should rank 0 still write its own
  ending to events.jsonl, the error is written there again after it, as the last word);
- cancel: SIGTERM/SIGINT are passed on once to the launcher, which passes them to every
  worker; the workers agree to stop after the same step, rank 0 checkpoints and says
  `train.cancelled`. (The child has its own session so that a signal to our whole
  process group does not reach the launcher twice.)
- if this process is killed outright, rank 0's next event meets a closed pipe and the
  workers end.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import checkpoint as ckpt
from . import runlock
from .config import TrainConfig
from .distributed import joined
from .protocol import EngineError, EventSink, read_rank_error
from .events import TERMINAL, TrainCancelled
from .train import starting_point, train_run
from .versions import TRAIN, require_tested

log = logging.getLogger(__name__)

# Seconds a worker has to finish its step and checkpoint after a cancel before the launcher
# kills it (torchrun reads this in newer PyTorch; the default there is 30).
SHUTDOWN_TIMEOUT_S = "300"


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def processes_for(cfg: TrainConfig) -> int:
    """How many processes to start: the config's, or one per visible CUDA GPU."""
    gpus = gpu_count()
    if cfg.processes is None:
        if gpus == 0:
            raise EngineError("config_invalid", f"launcher {cfg.launcher!r} starts one process per GPU, "
                                                "and this machine has no CUDA GPU.",
                              "Set processes in the run's config.json (processes then share the CPU), "
                              "or launcher to \"none\".")
        return gpus
    if gpus and cfg.processes > gpus:
        raise EngineError("config_invalid", f"processes is {cfg.processes} but this machine has {gpus} GPU(s): "
                                            "each process needs a GPU of its own.",
                          f"Set processes to {gpus} (or null: one per GPU) in the run's config.json.")
    return cfg.processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launcher_argv(launcher: str, processes: int, run_dir: Path, resume: bool) -> list[str]:
    worker = ["-m", "voice_draft_engine", "train", "--worker", str(run_dir), *(["--resume"] if resume else [])]
    if launcher == "torchrun":
        # --standalone: a rendezvous on a free local port, so two runs on one host never collide.
        return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes),
                *worker]
    if importlib.util.find_spec("accelerate") is None:
        raise EngineError("missing_package", "The run's config asks for launcher \"accelerate\", but the accelerate "
                                             "package is not installed in the engine's environment.",
                          "Install it there (pip install accelerate), or set launcher to \"torchrun\" in the run's "
                          "config.json: torchrun comes with PyTorch.")
    # Every choice explicit, so that an accelerate config file on the host (deepspeed, fsdp,
    # mixed precision) does not change what runs: the engine sets up DDP and precision itself.
    return [sys.executable, "-m", "accelerate.commands.launch", *(["--multi_gpu"] if processes > 1 else []),
            "--num_processes", str(processes), "--num_machines", "1", "--mixed_precision", "no",
            "--dynamo_backend", "no", "--main_process_port", str(_free_port()), *worker]


def _child_env(processes: int) -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])  # the workers import this very engine
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    env.setdefault("TORCH_ELASTIC_SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT_S)
    # The launchers default to one thread per process; processes sharing a CPU split its cores.
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // processes)))
    return env


def _event_name(line: str) -> str | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    name = record.get("event") if isinstance(record, dict) else None
    return name if isinstance(name, str) else None


def launch_if_configured(sink: EventSink, run_dir: Path, resume: bool) -> int | None:
    """Run the training under the config's launcher and return the exit code; None when the
    config names no launcher (the caller trains in this process)."""
    run_dir = Path(run_dir).resolve()
    if not run_dir.is_dir():
        return None  # train_run reports run_not_found
    sink.attach_run(run_dir)  # for our own error, if it comes to that
    cfg, _, _ = starting_point(run_dir, resume)
    if cfg.launcher == "none":
        return None
    processes = processes_for(cfg)
    cfg.processes = processes
    cfg.validate(str(run_dir / "config.json"))
    argv = launcher_argv(cfg.launcher, processes, run_dir, resume)

    code, ended, cancelled = _supervise(sink, argv, _child_env(processes), cfg.launcher)
    if ended.by_another_rank is not None and ended.rank_0_ended_after:
        # Rank 0 wrote its own ending to events.jsonl after the other rank's error (its broken
        # collective): readers of the file take a segment's last terminal event, so the cause
        # goes last. The stream on stdout had it once, first, and nothing after.
        sink.append_to_file(ended.by_another_rank)
    if ended.terminal is not None:
        return 0 if ended.terminal != "error" else 1
    if cancelled:  # the launcher ended the processes before they could say so
        latest = ckpt.latest_checkpoint(run_dir)
        sink.emit(TrainCancelled(step=ckpt.read_state(latest).step if latest is not None else 0,
                                 checkpoint=str(latest.relative_to(run_dir)) if latest is not None else None))
        return 0
    sink.error("launcher_failed", f"The {cfg.launcher} training processes ended (exit status {code}) "
                                  "before the run did.",
               "The processes' messages are in the Voice Draft log (engine.log in the run folder); "
               "train again with --resume to continue from the last checkpoint.")
    return 1


@dataclass
class Ended:
    """How the launcher's processes ended, as their stdout told it."""

    terminal: str | None = None  # the terminal event's name: rank 0's, or "error" for another rank's
    by_another_rank: dict[str, Any] | None = None  # the error of another rank that ended the stream
    rank_0_ended_after: bool = False  # rank 0 wrote its own terminal event to events.jsonl after that


def _supervise(sink: EventSink, argv: list[str], env: dict[str, str], launcher: str) -> tuple[int, Ended, bool]:
    """Run the launcher in a session of its own, pass SIGTERM/SIGINT on to it, relay rank 0's
    events; returns its exit status, how the processes ended, and whether it was cancelled."""
    signals: list[int] = []
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: Any) -> None:
        signals.append(signum)
        if child is not None and child.poll() is None:
            log.info("%s received: passing it to the training processes", signal.Signals(signum).name)
            os.killpg(child.pid, signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        log.info("training under %s: %s", launcher, " ".join(argv))
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env,
                                 start_new_session=True)
        for signum in list(signals):  # those that came while it was starting
            os.killpg(child.pid, signum)
        ended = _relay(sink, child, launcher)
        code = child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if signals:
        log.info("%s ended after the cancel (exit status %d); a traceback from it above is how it says it "
                 "was signalled", launcher, code)
    return code, ended, bool(signals)


def _relay(sink: EventSink, child: subprocess.Popen[bytes], launcher: str) -> Ended:
    """Pass rank 0's events on until the launcher's stdout closes, keeping the other ranks' errors."""
    ended = Ended()
    assert child.stdout is not None
    for raw in child.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        name, rank_error = _event_name(line), read_rank_error(line)
        if rank_error is not None:
            # Another rank failed first (out of memory on its own GPU): that is the cause to
            # tell, now. Rank 0 learns of it only as a broken collective, or is stopped without
            # a word by the launcher minutes later. Not an `internal` error: on CPU processes
            # (gloo) that is how a rank meets another's failure, not the failure itself.
            if ended.terminal is None and rank_error["code"] != "internal":
                ended.terminal = "error"
                ended.by_another_rank = sink.error(
                    rank_error["code"], f"{rank_error.get('message', '')} (in training process "
                                        f"{rank_error.get('rank', '?')})", str(rank_error.get("hint", "")))
            continue  # the rank logged it itself
        if name is None or ended.by_another_rank is not None:  # a launcher or library message, or after the error
            if line.strip():
                log.info("%s: %s", launcher, line)
            ended.rank_0_ended_after |= name in TERMINAL
            continue
        sink.relay(line)
        if name in TERMINAL:
            ended.terminal = name
    return ended


def run_train_command(sink: EventSink, run: str, resume: bool, worker: bool = False) -> int:
    """`train --run DIR [--resume]`: under the config's launcher, or here; `--worker` is one
    of the launcher's processes."""
    require_tested(TRAIN, "Training")
    if worker:  # the launcher that started this process holds the run's lock
        return _train_here(sink, run, resume, worker)
    # One engine per run folder (runlock.py): taken before anything is written there, so a
    # refused second engine leaves the first one's events.jsonl and checkpoints alone.
    lock = runlock.acquire(Path(run).resolve()) if Path(run).is_dir() else None
    try:
        code = launch_if_configured(sink, Path(run), resume)
        if code is not None:
            return code
        return _train_here(sink, run, resume, worker)
    finally:
        if lock is not None:
            lock.release()


def _train_here(sink: EventSink, run: str, resume: bool, worker: bool) -> int:
    stop = threading.Event()
    with stop_on_signals(stop), joined(worker) as world:
        outcome = train_run(Path(run), sink, resume=resume, stop=stop, world=world)
        world.barrier()  # every process ends once rank 0 has written everything
    return 0 if outcome in ("done", "cancelled") else 1


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (the extension's cancel) and SIGINT (Ctrl-C) ask for a clean stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request(signum: int, _frame: Any) -> None:
        log.info("%s received: stopping after the current step", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, request) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

"""Command line of the engine: `python -m voice_draft_engine <command>`.

Each command speaks the JSON-lines protocol on stdout and ends with exit code 0
on success, 1 after an `error` event, 2 on a usage error (argparse).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback

from .exhausted import is_disk_full, is_out_of_memory, out_of_memory_error
from .protocol import EngineError, EventSink, setup_logging

log = logging.getLogger("voice_draft_engine")

# Before torch loads OpenMP: idle worker threads sleep instead of spinning. The engine
# shares the machine with the editor (and, on CPU, its own other thread); spinning
# threads made CPU training steps up to 5x slower on a busy 2-core machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Before huggingface_hub loads: its downloads (a base model named by its Hub id) send no
# usage metadata. Always, whatever the editor's telemetry setting or the environment says:
# the engine tells no one what the writer trains on.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m voice_draft_engine", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="report Python, torch, device and a recommended setup")
    setup = sub.add_parser("setup", help="create or repair the engine's virtual environment (stdlib only)")
    setup.add_argument("--venv", help="venv folder (default: <cache>/engine/venv)")
    setup.add_argument("--torch", default="auto", choices=("auto", "cpu", "cuda"),
                       help="which locked torch build: cpu (Linux x86-64, no CUDA), cuda (PyPI's), auto (by machine)")
    setup.add_argument("--dry-run", action="store_true", help="report the plan (setup.plan), change nothing")
    setup.add_argument("--no-install", action="store_true", help="create or repair the venv only; install nothing")
    train = sub.add_parser("train", help="train a voice adapter in a run folder (DESIGN §3)")
    where = train.add_mutually_exclusive_group(required=True)
    where.add_argument("--run", help="the run folder (dataset/, config.json)")
    # Not `--run DIR --worker`: torchrun's own parser takes `--run` for an abbreviation of its `--run-path`.
    where.add_argument("--worker", metavar="RUN",
                       help="internal: train RUN as one of the processes a launcher (torchrun, accelerate) started")
    train.add_argument("--resume", action="store_true", help="continue from the newest complete checkpoint")
    choose = sub.add_parser("choose", help="make a kept checkpoint the run's voice (the writer's pick)")
    choose.add_argument("--run", required=True, help="the run folder")
    choose.add_argument("--step", required=True, type=int, help="the checkpoint's step (checkpoints/step-NNNNNN)")
    model = sub.add_parser("model", help="manage base models")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    build = model_sub.add_parser("build-default", help="build the offline default model (SmolLM2-135M-Instruct) once")
    build.add_argument("--force", action="store_true", help="rebuild even if a valid copy is cached")
    from .voice_metrics.command import add_eval_arguments

    add_eval_arguments(sub.add_parser("eval", help="voice scores of a trained run, base vs tuned (eval.json)"))
    from .export.command import add_export_arguments

    add_export_arguments(sub.add_parser("export", help="merged ONNX voice for the editor, LoRA GGUF for llama.cpp"))
    return p


# Commands that write into a run folder (or an export of one): what they create is the
# writer's alone to read (0700 folders, 0600 files), whatever the caller's umask.
PRIVATE_COMMANDS = ("train", "choose", "eval", "export")


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    args = _parser().parse_args(argv)
    umask = os.umask(0o077) if args.command in PRIVATE_COMMANDS else None
    sink = EventSink(stream=sys.stdout)
    if getattr(args, "worker", None):
        from .distributed import launched_rank

        setup_logging(process=f"rank {launched_rank()}")
        if launched_rank() != 0:  # rank 0 speaks for the run; what the others print goes to the log
            errors_to = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")  # but their error, to launch.py
            sink.speak_for_another_rank(launched_rank(), errors_to)
            os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Libraries sometimes print; stdout belongs to the protocol, so prints go to the log.
    protocol_stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        if args.command == "doctor":
            from .doctor import run_doctor

            return run_doctor(sink)
        if args.command == "setup":
            from .setup_env import run_setup

            return run_setup(sink, venv=args.venv, torch=args.torch, dry_run=args.dry_run,
                             install=not args.no_install)
        if args.command == "train":
            from .launch import run_train_command

            return run_train_command(sink, args.run or args.worker, args.resume, worker=args.worker is not None)
        if args.command == "choose":
            from .choose import run_choose_command

            return run_choose_command(sink, args.run, args.step)
        if args.command == "model":
            from .default_model import run_build_default

            return run_build_default(sink, force=args.force)
        if args.command == "eval":
            from .voice_metrics.command import run_eval_command

            return run_eval_command(sink, args)
        if args.command == "export":
            from .export.command import run_export_command

            return run_export_command(sink, args)
        raise EngineError("usage", f"unknown command {args.command!r}")
    except EngineError as e:
        sink.error(e.code, e.message, e.hint)
        return 1
    except ModuleNotFoundError as e:
        sink.error("missing_package", f"The engine cannot import {e.name!r}.",
                   "Run 'Voice Draft: Set Up Training Engine' to repair the engine environment.")
        return 1
    except Exception as e:  # the protocol promises an error event, never a silent death
        if is_disk_full(e):
            sink.error("disk_full", f"The disk is full: {e}",
                       "Free some space (old runs and checkpoints are the usual suspects) and run again; "
                       "a resumed training continues from its last checkpoint.")
            return 1
        if is_out_of_memory(e):
            error = out_of_memory_error(args.command, e)
            log.error("out of GPU memory:\n%s", traceback.format_exc())
            sink.error(error.code, error.message, error.hint)
            return 1
        log.error("unexpected failure:\n%s", traceback.format_exc())
        sink.error("internal", f"{type(e).__name__}: {e}", "See the Voice Draft log for the stack trace.")
        return 1
    finally:
        sink.close()
        sys.stdout = protocol_stdout
        if umask is not None:
            os.umask(umask)


if __name__ == "__main__":
    sys.exit(main())

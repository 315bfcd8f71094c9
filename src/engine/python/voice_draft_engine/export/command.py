"""`export`: arguments and the command itself; imports nothing heavy until it runs.

    export --run DIR [--base-gguf] [--base-gguf-dtype f16|f32] [--no-base] [--force]
        <run>/onnx/       merged voice (transformers.js layout)
        <run>/onnx-base/  the base (adapter off), linked from the cached base export
        <run>/gguf/       adapter.gguf (+ base.gguf), and the adapter as PEFT has it with its base
                          named (portable.py); README.md there and in onnx/: the voice card
    export --model FOLDER --out DIR [--force]
        one plain model folder as a transformers.js folder (the offline default's export
        that the editor writes with before any voice is trained)

Events: `export.progress` {stage, message, percent}, `export.artifact` {path, bytes,
seconds} per file, then `export.done` {onnx, onnx_base, gguf, seconds} or `error`.
Whatever fails, the run's adapter/ is only ever read, and every output folder is
built under a temp name and renamed into place when complete.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..protocol import EngineError, EventSink
from ..runlock import pid_alive
from ..versions import EXPORT, TRAIN, require_tested
from ..events import ExportArtifact, ExportDone, ExportProgress

log = logging.getLogger(__name__)

GGUF_DIR = "gguf"


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", help="a trained run folder (adapter/ or model/, config.json)")
    p.add_argument("--model", help="export this model folder instead of a run (needs --out)")
    p.add_argument("--out", help="output folder for --model")
    p.add_argument("--base-gguf", action="store_true", help="also write gguf/base.gguf (the base model for the LoRA GGUF)")
    p.add_argument("--base-gguf-dtype", choices=("f16", "f32"), default="f16", help="precision of base.gguf (default f16)")
    p.add_argument("--no-base", action="store_true", help="skip onnx-base/ (the base model's export)")
    p.add_argument("--force", action="store_true", help="re-export the base even when a cached export matches")


def run_export_command(sink: EventSink, args: argparse.Namespace) -> int:
    if bool(args.run) == bool(args.model):
        raise EngineError("usage", "export needs either --run DIR or --model FOLDER --out DIR.")
    if args.model and not args.out:
        raise EngineError("usage", "export --model needs --out DIR.")
    require_tested({**TRAIN, **EXPORT}, "The export")
    with _cancel_on_sigterm():
        if args.run:
            export_run(Path(args.run).resolve(), sink, base_gguf=args.base_gguf, gguf_dtype=args.base_gguf_dtype,
                       with_base=not args.no_base, force=args.force)
        else:
            export_model(Path(args.model).resolve(), Path(args.out).resolve(), sink, force=args.force)
    return 0


class ExportCancelled(BaseException):
    """SIGTERM (the editor's Cancel): unwind so that temp folders are removed."""


@contextmanager
def _cancel_on_sigterm() -> Iterator[None]:
    def stop(_signum: int, _frame: Any) -> None:
        raise ExportCancelled()

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (tests): no handler, nothing to restore
        yield
        return
    try:
        yield
    except ExportCancelled:
        raise EngineError("export_cancelled", "The export was cancelled; nothing was changed.",
                          "Export again from Manage Voices or the dashboard.") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


class Steps:
    """Overall percent over the export's parts, each weighted by its rough cost."""

    def __init__(self, sink: EventSink, weights: dict[str, float]) -> None:
        self.sink, self.weights, self.done = sink, weights, 0.0
        self.total = sum(weights.values()) or 1.0

    def part(self, name: str, label: str) -> Any:
        start, weight = self.done, self.weights.get(name, 0.0)

        def report(stage: str, message: str, percent: float) -> None:
            overall = 100.0 * (start + weight * min(percent, 100.0) / 100.0) / self.total
            self.sink.emit(ExportProgress(stage=stage, message=f"{label}: {message}", percent=round(overall, 1)))

        return report

    def finish(self, name: str) -> None:
        self.done += self.weights.get(name, 0.0)


def _artifact(sink: EventSink) -> Any:
    def emit(path: Path, seconds: float) -> None:
        from .onnx_graph import external_data_file

        data = external_data_file(path)
        size = path.stat().st_size + (data.stat().st_size if data else 0)
        log.info("wrote %s: %.1f MB in %.1f s", path, size / 1e6, seconds)
        sink.emit(ExportArtifact(path=str(path), bytes=size, seconds=round(seconds, 2)))

    return emit


def source_fingerprint(model_dir: Path) -> dict[str, Any]:
    """What a cached export was made from: the model folder's files by size and mtime.

    A rebuilt or replaced base changes it, so a stale base export is never reused.
    """
    files = {}
    for path in sorted(model_dir.iterdir()):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".jinja", ".txt", ".model"):
            st = path.stat()
            files[path.name] = [st.st_size, st.st_mtime_ns]
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return {"path": str(model_dir.resolve()), "files_sha256": digest}


def base_cache_dir(spec: str, base_dir: Path) -> Path:
    """<models>/<name>-onnx: `smollm2-135m-instruct-onnx` for the offline default (what the
    editor writes with before a voice exists), `tiny-llama-onnx`, `<owner>--<name>-onnx`."""
    from ..paths import models_dir

    root = models_dir()
    if base_dir.parent == root:
        name = base_dir.name
    elif "/" in spec and not os.path.isabs(os.path.expanduser(spec)):
        name = spec.replace("/", "--")
    else:
        name = f"{base_dir.name}-{hashlib.sha1(str(base_dir).encode()).hexdigest()[:8]}"
    return root / f"{name}-onnx"


def _remove_stale_temps(folder: Path) -> None:
    """Temp folders of an export that was killed (SIGKILL, power loss) before cleaning up."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(".") and (".tmp-" in path.name or ".old-" in path.name):
            pid = path.name.rsplit("-", 1)[-1]
            if pid.isdigit() and pid_alive(int(pid)) and int(pid) != os.getpid():
                continue  # another export is writing it right now
            shutil.rmtree(path, ignore_errors=True)


def ensure_base_export(model_dir: Path, cache: Path, sink: EventSink, report: Any, force: bool = False) -> Path:
    """The base model's export in the cache, reusing a complete one made from the same files."""
    from .onnx_folder import export_folder, is_complete, read_marker
    from .weights import load_causal_lm, load_tokenizer

    fingerprint = source_fingerprint(model_dir)
    marker = read_marker(cache)
    if not force and is_complete(cache) and marker and marker.get("source") == fingerprint:
        report("cache", f"reusing the cached export in {cache}", 100)
        return cache
    _remove_stale_temps(cache.parent)
    report("load", f"loading {model_dir.name}", 1)
    model = load_causal_lm(model_dir)
    tokenizer = load_tokenizer(model_dir)
    export_folder(model, tokenizer, cache, fingerprint, report, _artifact(sink))
    return cache


def export_model(model_dir: Path, out: Path, sink: EventSink, force: bool = False) -> dict[str, Any]:
    """`export --model FOLDER --out DIR`."""
    started = time.monotonic()
    if not (model_dir / "config.json").is_file():
        raise EngineError("model_not_found", f"{model_dir} is not a model folder (no config.json).")
    steps = Steps(sink, {"model": 1.0})
    ensure_base_export(model_dir, out, sink, steps.part("model", model_dir.name), force=force)
    return _done(sink, started, onnx=out, onnx_base=None, gguf=None)


def export_run(run_dir: Path, sink: EventSink, base_gguf: bool = False, gguf_dtype: str = "f16",
               with_base: bool = True, force: bool = False) -> dict[str, Any]:
    """`export --run DIR`: onnx/, onnx-base/ and gguf/ of a trained run."""
    from .onnx_folder import export_folder, link_folder
    from .weights import load_tokenizer, load_voice, read_run

    started = time.monotonic()
    if not run_dir.is_dir():
        raise EngineError("run_not_found", f"{run_dir} is not a folder.", "Pick an existing run folder.")
    sink.attach_run(run_dir)
    _remove_stale_temps(run_dir)
    sink.emit(ExportProgress(stage="load", message="reading the run", percent=0.0))
    weights = read_run(run_dir, sink)
    steps = Steps(sink, {"voice": 50.0, "base": 35.0 if with_base else 0.0,
                         "gguf": (10.0 if weights.adapter_dir else 0.0) + (10.0 if base_gguf else 0.0)})

    report = steps.part("voice", "voice")
    report("load", "loading the base model and merging the adapter" if weights.adapter_dir else "loading the model", 0)
    try:
        voice = load_voice(weights)
        tokenizer = load_tokenizer(weights.tokenizer_dir)
    except EngineError:
        raise
    except Exception as e:  # noqa: BLE001 - any loading failure is an export failure with a reason
        raise EngineError("export_failed", f"Cannot load the trained voice: {type(e).__name__}: {e}",
                          "The adapter is unchanged; see the engine log for details.") from e
    source = {"run": str(run_dir), "base": source_fingerprint(weights.base_dir),
              "trained": str(weights.adapter_dir or weights.model_dir)}
    onnx_dir = run_dir / "onnx"
    export_folder(voice, tokenizer, onnx_dir, source, report, _artifact(sink))
    steps.finish("voice")

    onnx_base = None
    if with_base:
        report = steps.part("base", "base model")
        cache = base_cache_dir(weights.base_spec, weights.base_dir)
        try:
            ensure_base_export(weights.base_dir, cache, sink, report, force=force)
            onnx_base = link_folder(cache, run_dir / "onnx-base")
        except OSError as e:
            if not _unwritable(e):
                raise
            # A read-only cache (shared machine): export the base straight into the run.
            log.warning("cannot write the base export cache %s (%s); exporting into the run", cache, e)
            onnx_base = ensure_base_export(weights.base_dir, run_dir / "onnx-base", sink, report, force=True)
        steps.finish("base")

    gguf_dir = None
    if weights.adapter_dir is not None or base_gguf:
        gguf_dir = _export_gguf(run_dir, weights, voice, base_gguf, gguf_dtype, steps.part("gguf", "GGUF"), sink)
        steps.finish("gguf")
    from .portable import base_identity, write_voice_card

    trained = weights.adapter_dir / "adapter_model.safetensors" if weights.adapter_dir else weights.model_dir / "config.json"
    write_voice_card(run_dir, base_identity(weights.base_spec, weights.base_dir), trained,
                     [onnx_dir] + ([gguf_dir] if gguf_dir else []), has_gguf=gguf_dir is not None and weights.adapter_dir is not None)
    return _done(sink, started, onnx=onnx_dir, onnx_base=onnx_base, gguf=gguf_dir)


def _unwritable(e: OSError) -> bool:
    import errno

    return e.errno in (errno.EACCES, errno.EPERM, errno.EROFS)


def _export_gguf(run_dir: Path, weights: Any, voice: Any, base_gguf: bool, dtype: str, report: Any,
                 sink: EventSink) -> Path | None:
    """gguf/adapter.gguf (LoRA runs) and gguf/base.gguf (asked for). An architecture llama.cpp
    conversion does not cover is reported and skipped: the editor's ONNX voice is what matters."""
    from .base_gguf import write_base_gguf
    from .lora_gguf import write_lora_gguf
    from .onnx_folder import install, temp_sibling
    from .weights import load_causal_lm

    final = run_dir / GGUF_DIR
    tmp = temp_sibling(final, "tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    emit = _artifact(sink)
    written: list[tuple[Path, float]] = []
    try:
        if weights.adapter_dir is not None:
            report("gguf", "writing the LoRA adapter as GGUF", 5)
            t = time.monotonic()
            write_lora_gguf(weights.adapter_dir, voice.config, tmp / "adapter.gguf")
            from .portable import base_identity, write_adapter_folder

            write_adapter_folder(weights.adapter_dir, base_identity(weights.base_spec, weights.base_dir), tmp)
            written.append((final / "adapter.gguf", time.monotonic() - t))
        if base_gguf:
            report("gguf", f"writing the base model as GGUF ({dtype})", 40)
            t = time.monotonic()
            write_base_gguf(load_causal_lm(weights.base_dir), weights.base_dir, tmp / "base.gguf", dtype)
            written.append((final / "base.gguf", time.monotonic() - t))
        install(tmp, final)
    except EngineError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if e.code != "export_unsupported":
            raise
        log.warning("GGUF export skipped: %s", e.message)
        report("gguf", f"skipped: {e.message}", 100)
        return None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for path, seconds in written:
        emit(path, seconds)
    return final


def _done(sink: EventSink, started: float, onnx: Path, onnx_base: Path | None, gguf: Path | None) -> dict[str, Any]:
    def text(path: Path | None) -> str | None:
        return str(path) if path is not None else None

    done = ExportDone(onnx=text(onnx), onnx_base=text(onnx_base), gguf=text(gguf), seconds=round(time.monotonic() - started, 2))
    log.info("export finished in %.1f s: %s", done.seconds, done.record())
    return sink.emit(done)

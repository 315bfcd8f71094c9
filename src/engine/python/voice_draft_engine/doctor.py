"""`doctor`: what this engine can do here, as one `engine.ready` event."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import sys
from pathlib import Path

from . import PROTOCOL_VERSION, __version__
from .events import EngineReady, Recommendation, VersionCheck
from .hardware import detect, recommend
from .paths import cache_root
from .protocol import EventSink
from .versions import EXPORT, TRAIN, report, require_tested


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def run_doctor(sink: EventSink) -> int:
    """engine.ready, or `unsupported_versions` when a library is outside the tested range
    (the engine would otherwise fail later, deep inside a training or an export)."""
    require_tested(TRAIN, "The engine")
    import torch

    hw = detect()
    free_gib = round(shutil.disk_usage(_existing_ancestor(cache_root())).free / 2**30, 1)
    sink.emit(EngineReady(
        protocol=PROTOCOL_VERSION,
        engine=__version__,
        python=platform.python_version(),
        python_executable=sys.executable,
        torch=torch.__version__.split("+")[0],
        transformers=_version("transformers"),
        peft=_version("peft"),
        bitsandbytes=_version("bitsandbytes"),
        onnx=_version("onnx"),
        versions={name: VersionCheck(**check) for name, check in report({**TRAIN, **EXPORT}).items()},
        device=hw.device,
        gpu=hw.gpu,
        gpu_memory_gib=hw.gpu_memory_gib,
        gpu_count=hw.gpu_count,
        bf16=hw.bf16,
        cache=str(cache_root()),
        disk_free_gib=free_gib,
        recommendation=Recommendation(**recommend(hw)),
    ))
    return 0

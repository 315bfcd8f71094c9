"""The library versions this engine is tested with, and a clear refusal outside them.

The exporter and the trainer lean on transformers' and torch's internals (the attention
interface, the cache object, the TorchScript tracer), so a release outside the tested range
can fail deep inside a trace (transformers 5.24 renamed the models' cache argument and
every export crashed). `doctor`, `train` and `export` check first and say what to do.
A host with its own Python (a remote GPU host, `voiceDraft.engine.pythonPath`) meets this
check too; the engine's own venv is installed from the locks in `locks/`, inside the range.

Standard library only: `setup` imports this under any python3.
"""

from __future__ import annotations

import importlib.metadata
import os
import re

from .protocol import EngineError

# name -> (lowest tested, first untested): the reference GPU image's versions up to the locks'.
# pyproject.toml's dependency ranges say the same (a test holds them together).
TRAIN = {
    "torch": ("2.11", "2.15"),
    "transformers": ("5.17", "5.26"),
    "peft": ("0.21", "0.23"),
}
EXPORT = {
    "onnx": ("1.17", "1.24"),
    "onnxruntime": ("1.20", "1.33"),
}
# Try an untested release anyway (scripts/check-newest-deps.sh does, to find out what breaks).
ALLOW_UNTESTED = "VOICE_DRAFT_ALLOW_UNTESTED"


def parse(version: str) -> tuple[int, ...]:
    """'2.13.0+cpu' -> (2, 13, 0); '5.0.0rc1' -> (5, 0, 0): the release numbers alone."""
    numbers = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(n) for n in numbers.group(0).split(".")) if numbers else ()


def installed(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def spec(bounds: tuple[str, str]) -> str:
    return f">={bounds[0]},<{bounds[1]}"


def problems(ranges: dict[str, tuple[str, str]]) -> list[str]:
    """'transformers 5.30.0 (tested: >=5.17,<5.26)' for each installed version outside its range."""
    found = []
    for dist, (low, below) in ranges.items():
        version = installed(dist)
        if version is None:
            found.append(f"{dist} is not installed (tested: {spec((low, below))})")
        elif not parse(low) <= parse(version) < parse(below):
            found.append(f"{dist} {version} (tested: {spec((low, below))})")
    return found


def report(ranges: dict[str, tuple[str, str]]) -> dict[str, dict[str, object]]:
    """For doctor: each library's installed version, the tested range, and whether it is inside."""
    return {dist: {"installed": installed(dist), "tested": spec(b), "ok": not problems({dist: b})}
            for dist, b in ranges.items()}


def require_tested(ranges: dict[str, tuple[str, str]], what: str) -> None:
    """Raise `unsupported_versions` naming each library outside its tested range."""
    found = problems(ranges)
    if not found or os.environ.get(ALLOW_UNTESTED) == "1":
        return
    pins = " ".join(f"'{d}{spec(b)}'" for d, b in ranges.items())
    raise EngineError(
        "unsupported_versions",
        f"{what} needs library versions this engine is tested with; found " + "; ".join(found) + ".",
        "Run 'Voice Draft: Set Up Training Engine' (or `python -m voice_draft_engine setup`): it installs the "
        f"locked versions into the engine's own environment. For a Python of your own: pip install {pins}. "
        f"To try untested versions anyway, set {ALLOW_UNTESTED}=1.")

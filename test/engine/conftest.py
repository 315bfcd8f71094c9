"""Shared fixtures for the engine's tests.

Every test session gets its own VOICE_DRAFT_CACHE (a temp folder), so tests never
touch a writer's runs or engine venv. The one exception is the offline default
model: building it takes a minute, so it is built once per machine in the real
user cache and linked into the session's cache.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Before torch loads OpenMP: on a shared machine, busy-waiting worker threads steal the
# cores the other thread needs (we measured 5x slower steps). The engine's CLI does the same.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ENGINE_DIR = ROOT / "src" / "engine" / "python"
if str(ENGINE_DIR) not in sys.path:  # also runnable without PYTHONPATH
    sys.path.insert(0, str(ENGINE_DIR))

from voice_draft_engine import default_model, paths  # noqa: E402
from bierce_notes import BIERCE_NOTES, write_bierce_dataset  # noqa: E402

# Resolved before the session fixture below points VOICE_DRAFT_CACHE elsewhere.
USER_CACHE = paths.cache_root()


@pytest.fixture(scope="session", autouse=True)
def engine_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("voice-draft-cache")
    saved = {k: os.environ.get(k) for k in ("VOICE_DRAFT_CACHE", "HF_HUB_OFFLINE")}
    os.environ["VOICE_DRAFT_CACHE"] = str(cache)
    # No hub here: fail at once instead of waiting on network timeouts.
    os.environ["HF_HUB_OFFLINE"] = "1"
    yield cache
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _built_in_user_cache(engine_cache: Path, spec: str) -> Path:
    """Resolve a built-in model in the user's cache (built there once per machine) and link
    it into the session's cache, where the engine (in-process or a subprocess) looks."""
    from voice_draft_engine.models import resolve_base_model

    os.environ["VOICE_DRAFT_CACHE"] = str(USER_CACHE)
    try:
        folder = resolve_base_model(spec)
    finally:
        os.environ["VOICE_DRAFT_CACHE"] = str(engine_cache)
    link = engine_cache / "models" / folder.name
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(folder, target_is_directory=True)
    return folder


@pytest.fixture(scope="session")
def default_model_dir(engine_cache: Path) -> Path:
    """SmolLM2-135M-Instruct, built from the GGUF once per machine (a minute or two)."""
    return _built_in_user_cache(engine_cache, default_model.SPEC)


@pytest.fixture(scope="session")
def tiny_model_dir(default_model_dir: Path, engine_cache: Path) -> Path:
    """The tiny random Llama (with the default model's tokenizer), also built once per machine."""
    return _built_in_user_cache(engine_cache, "tiny:llama")


@pytest.fixture(scope="session")
def bierce_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder in the contracts.md format, built from the Bierce notes."""
    if not BIERCE_NOTES.is_dir():
        pytest.skip(f"corpus not found: {BIERCE_NOTES}")
    return write_bierce_dataset(tmp_path_factory.mktemp("bierce") / "dataset")


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four Bierce notes: a dataset the tiny model trains on in seconds."""
    if not BIERCE_NOTES.is_dir():
        pytest.skip(f"corpus not found: {BIERCE_NOTES}")
    return write_bierce_dataset(tmp_path_factory.mktemp("small") / "dataset", limit=4)


@pytest.fixture
def engine_env(engine_cache: Path) -> dict[str, str]:
    """Environment for engine subprocesses: this session's cache, the package on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ENGINE_DIR), env.get("PYTHONPATH", "")) if p)
    env["VOICE_DRAFT_CACHE"] = str(engine_cache)
    env["HF_HUB_OFFLINE"] = "1"
    return env

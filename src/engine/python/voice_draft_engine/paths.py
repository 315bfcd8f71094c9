"""Where the engine keeps what outlives a run: models and its own environment.

`VOICE_DRAFT_CACHE` overrides the root (tests point it at a temp folder);
otherwise the user's cache folder, as pip and Hugging Face do.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    explicit = os.environ.get("VOICE_DRAFT_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "voice-draft"


def models_dir() -> Path:
    return cache_root() / "models"


def engine_venv_dir() -> Path:
    return cache_root() / "engine" / "venv"

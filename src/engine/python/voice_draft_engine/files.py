"""Writing folders and files so that no reader ever sees half of one.

Everything the engine leaves for others (a built model, a checkpoint, the final
adapter, config.json, canaries.json) is written under a hidden temp name beside its
destination and renamed into place when complete: a crash or a full disk leaves
the previous version or nothing, never a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable


def sha256_file(path: Path) -> str:
    """The file's SHA-256, hex, read a MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk or an interrupt: the old file stays, no temp file beside it
        raise


def replace_dir(tmp: Path, final: Path) -> None:
    """Move a finished folder to `final`, replacing what was there: at every instant
    `final` is the old folder, absent, or the new one."""
    stale = final.with_name(f".{final.name}.stale-{os.getpid()}")
    shutil.rmtree(stale, ignore_errors=True)
    if final.exists():
        final.rename(stale)
    tmp.rename(final)
    shutil.rmtree(stale, ignore_errors=True)


def build_folder(final: Path, fill: Callable[[Path], None],
                 done_by_another: Callable[[Path], bool] | None = None) -> Path:
    """Build `final` with `fill(tmp)` in a hidden temp folder beside it, then swap it in.

    `done_by_another(final)`: when the swap fails because a concurrent builder got
    there first and this says its folder is complete, keep theirs.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        fill(tmp)
        replace_dir(tmp, final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if done_by_another is None or not done_by_another(final):
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final

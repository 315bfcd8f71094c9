"""write_json: the old file or the new one, never a temp file left beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice_draft_engine.files import write_json


def test_a_failed_write_leaves_no_temp_file_and_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "eval.json"
    write_json(target, {"old": True})
    write_json(target, {"new": True})
    assert json.loads(target.read_text()) == {"new": True}

    blocked = tmp_path / "canaries.json"
    blocked.mkdir()  # the rename into place fails, after the temp file was written
    with pytest.raises(OSError):
        write_json(blocked, {"x": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canaries.json", "eval.json"]

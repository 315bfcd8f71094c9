"""The event sink when events.jsonl cannot be written: the engine still reports, never dies of it."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from voice_draft_engine.protocol import EventSink


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)")
def test_a_full_disk_under_events_jsonl_leaves_stdout_reporting(tmp_path: Path) -> None:
    out = io.StringIO()
    sink = EventSink(out)
    sink.attach_run(tmp_path)
    sink._file.close()
    sink._file = open("/dev/full", "w", encoding="utf-8")  # every flush fails with ENOSPC, as on a full disk

    sink.error("internal", "the step failed")  # the write that meets the full disk
    sink.error("disk_full", "The disk is full", "Free some space")  # the report that follows it
    sink.close()

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["event"], e["code"]) for e in lines] == [("error", "internal"), ("error", "disk_full")]
    assert lines[1]["hint"] == "Free some space"

"""The engine's process environment (issue #24): Hugging Face Hub downloads send no usage
metadata, however the engine is started and whatever the environment said before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parents[2] / "src" / "engine" / "python"

# What the engine's entry point leaves for huggingface_hub, read the way huggingface_hub reads
# it (its constants, at import) and checked where the Hub would send telemetry.
PROBE = """
import runpy, sys
sys.argv = ["voice_draft_engine", "--help"]
try:
    runpy.run_module("voice_draft_engine", run_name="__main__")
except SystemExit:
    pass
import os
import huggingface_hub.constants as constants
from huggingface_hub.utils import _telemetry
sent = []
class Queue:
    def put(self, item):
        sent.append(item["topic"])
_telemetry._TELEMETRY_QUEUE = Queue()
_telemetry._start_telemetry_thread = lambda: None
_telemetry.send_telemetry(topic="probe", library_name="voice-draft")
print(os.environ.get("HF_HUB_DISABLE_TELEMETRY", "unset"), constants.HF_HUB_DISABLE_TELEMETRY, sent)
"""


def run_probe(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_TELEMETRY"}
    environment.update(env, PYTHONPATH=str(ENGINE_DIR))
    out = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, timeout=300,
                         check=True)
    return out.stdout.strip().splitlines()[-1]


def test_hub_telemetry_is_off_when_nothing_was_set() -> None:
    assert run_probe() == "1 True []"


def test_hub_telemetry_stays_off_when_the_environment_turned_it_on() -> None:
    assert run_probe(HF_HUB_DISABLE_TELEMETRY="0") == "1 True []"

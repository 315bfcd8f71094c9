"""The tested-range check: doctor, train and export refuse untested libraries with what to do."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from voice_draft_engine import versions
from voice_draft_engine.protocol import EngineError


def test_parse_keeps_release_numbers_only() -> None:
    assert versions.parse("2.13.0+cpu") == (2, 13, 0)
    assert versions.parse("5.0.0rc1") == (5, 0, 0)
    assert versions.parse("5.25") < versions.parse("5.26") <= versions.parse("5.26.0")


def test_outside_the_range_is_refused_with_the_supported_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    found = {"torch": "2.13.0+cpu", "transformers": "5.30.1", "peft": None}
    monkeypatch.setattr(versions, "installed", lambda dist: found[dist])
    monkeypatch.delenv(versions.ALLOW_UNTESTED, raising=False)
    assert versions.problems(versions.TRAIN) == [
        "transformers 5.30.1 (tested: >=5.17,<5.26)", "peft is not installed (tested: >=0.21,<0.23)"]
    with pytest.raises(EngineError) as refused:
        versions.require_tested(versions.TRAIN, "Training")
    e = refused.value
    assert e.code == "unsupported_versions" and "transformers 5.30.1" in e.message
    assert "Set Up Training Engine" in e.hint and "'transformers>=5.17,<5.26'" in e.hint
    assert versions.report(versions.TRAIN)["torch"] == {"installed": "2.13.0+cpu", "tested": ">=2.11,<2.15", "ok": True}

    monkeypatch.setenv(versions.ALLOW_UNTESTED, "1")
    versions.require_tested(versions.TRAIN, "Training")  # tried anyway, on request


def test_doctor_refuses_an_untested_transformers(engine_env: dict[str, str], tmp_path) -> None:
    # A real engine process whose transformers reports a version past the tested range.
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import importlib.metadata as m\n_v = m.version\n"
        "m.version = lambda d: '5.99.0' if d == 'transformers' else _v(d)\n")
    env = {**engine_env, "PYTHONPATH": f"{shim}:{engine_env['PYTHONPATH']}"}
    env.pop(versions.ALLOW_UNTESTED, None)
    proc = subprocess.run([sys.executable, "-m", "voice_draft_engine", "doctor"], env=env,
                          capture_output=True, text=True, timeout=300)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1 and [e["event"] for e in events] == ["error"]
    assert events[0]["code"] == "unsupported_versions" and "transformers 5.99.0" in events[0]["message"]

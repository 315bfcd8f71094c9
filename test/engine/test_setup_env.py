"""`setup`: stdlib only, installs from the locks, creates/reuses a real venv, reports failures with codes.

Nothing here installs torch: the plan is checked as data, the venv is created for
real without installing, and real pip runs are provoked on small local locks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from voice_draft_engine import setup_env, versions
from voice_draft_engine.protocol import EngineError, EventSink
from voice_draft_engine.setup_env import (ENGINE_DIR, LOCKS_DIR, STAMP, classify_failure, lock_files, locked_names,
                                          make_plan, pick_torch, prune)


def run_setup(env: dict[str, str], *args: str) -> tuple[int, list[dict]]:
    # -S: no site-packages at all, which proves the command needs only the standard library.
    proc = subprocess.run([sys.executable, "-S", "-m", "voice_draft_engine", "setup", *args],
                          env=env, capture_output=True, text=True, timeout=300)
    events = [json.loads(line) for line in proc.stdout.splitlines()]  # stdout is JSON lines only
    return proc.returncode, events


def test_plan_installs_every_lock_with_hashes_and_without_resolving(tmp_path: Path) -> None:
    plan = make_plan(tmp_path / "v", "cpu", uv=None, create_venv=True)
    # torch alone first: its lock names PyTorch's index, which the other packages must not be looked up in.
    assert [stage for stage, _ in plan.installs] == ["torch", "install"]
    for _, argv in plan.installs:
        assert argv[:4] == [str(tmp_path / "v" / "bin" / "python"), "-m", "pip", "install"]
        assert "--require-hashes" in argv and "--no-deps" in argv and "--upgrade" not in argv
        assert str(ENGINE_DIR) not in argv  # the engine runs from its folder; nothing builds it
    files = [[argv[i + 1] for i, a in enumerate(argv) if a == "-r"] for _, argv in plan.installs]
    assert files == [[str(LOCKS_DIR / "torch-cpu.txt")],
                     [str(LOCKS_DIR / n) for n in ("engine.txt", "model-source.txt")]]

    cuda = make_plan(tmp_path / "v", "cuda", uv="/opt/bin/uv", create_venv=False)
    assert cuda.installs[0][1][:5] == ["/opt/bin/uv", "pip", "install", "--python", str(tmp_path / "v/bin/python")]
    assert str(LOCKS_DIR / "torch-cuda.txt") in cuda.installs[0][1]
    assert cuda.digest != plan.digest


def test_a_venv_stamped_with_the_locks_digest_installs_nothing(tmp_path: Path) -> None:
    venv = tmp_path / "v"
    venv.mkdir()
    first = make_plan(venv, "cpu", uv=None, create_venv=False)
    (venv / STAMP).write_text(json.dumps({"lock_digest": first.digest}))
    again = make_plan(venv, "cpu", uv=None, create_venv=False)
    assert again.up_to_date and again.installs == []
    # A changed lock (here: the other torch build) brings the venv to it.
    other = make_plan(venv, "cuda", uv=None, create_venv=False)
    assert not other.up_to_date and [s for s, _ in other.installs] == ["torch", "install"]


def test_torch_build_is_chosen_by_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(setup_env.sys, "platform", "linux")
    monkeypatch.setattr(setup_env.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(setup_env, "has_nvidia_gpu", lambda: False)
    assert pick_torch("auto") == "cpu"  # never gigabytes of CUDA on a CPU-only machine
    monkeypatch.setattr(setup_env, "has_nvidia_gpu", lambda: True)
    assert pick_torch("auto") == "cuda"
    monkeypatch.setattr(setup_env.sys, "platform", "darwin")
    monkeypatch.setattr(setup_env.platform, "machine", lambda: "arm64")
    monkeypatch.setattr(setup_env, "has_nvidia_gpu", lambda: False)
    assert pick_torch("auto") == "cuda"  # PyPI's build: MPS on Apple silicon
    assert pick_torch("cpu") == "cpu"
    with pytest.raises(EngineError):
        pick_torch("torch==2.13.0")


PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)(?: ;([^\\]*))?")


def locked_pins() -> list[tuple[str, str, str, str]]:
    """(file, name, version, marker) for every pin in the locks, checking each carries a hash."""
    pins = []
    for lock in sorted(LOCKS_DIR.glob("*.txt")):
        lines = lock.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = PIN.match(line)
            if m:
                assert line.rstrip().endswith("\\") and "--hash=sha256:" in lines[i + 1], f"{lock.name}: {line}"
                pins.append((lock.name, m.group(1).lower(), m.group(2), (m.group(3) or "").strip()))
    return pins


def test_locks_pin_every_package_with_hashes_inside_the_tested_ranges() -> None:
    pins = locked_pins()
    by_file: dict[str, set[str]] = {}
    for file, name, _, _ in pins:
        by_file.setdefault(file, set()).add(name)
    assert set(by_file) == {"engine.txt", "torch-cpu.txt", "torch-cuda.txt", "model-source.txt"}
    assert "torch" not in by_file["engine.txt"] and by_file["torch-cpu.txt"] == {"torch"}
    assert {"transformers", "peft", "accelerate", "onnx", "onnxruntime", "pytest"} <= by_file["engine.txt"]
    ranges = {**versions.TRAIN, **versions.EXPORT}
    for file, name, version, marker in pins:
        if name in ranges:
            low, below = ranges[name]
            assert versions.parse(low) <= versions.parse(version) < versions.parse(below), (file, name, version, marker)
    assert {"torch", "transformers"} <= locked_names(lock_files("cpu"))


def test_pyproject_states_the_tested_ranges() -> None:
    text = (ENGINE_DIR / "pyproject.toml").read_text(encoding="utf-8")
    for name, bounds in {**versions.TRAIN, **versions.EXPORT}.items():
        assert f'"{name}{versions.spec(bounds)}"' in text, name


def test_dry_run_reports_plan_and_changes_nothing(engine_env: dict[str, str], tmp_path: Path) -> None:
    code, events = run_setup(engine_env, "--venv", str(tmp_path / "v"), "--torch", "cpu", "--dry-run")
    assert code == 0
    assert [e["event"] for e in events] == ["setup.plan", "setup.done"]
    plan = events[0]
    assert [c["stage"] for c in plan["commands"]] == ["torch", "install"] and plan["torch"] == "cpu"
    assert plan["locks"] == ["torch-cpu.txt", "engine.txt", "model-source.txt"] and len(plan["lock_digest"]) == 64
    assert events[1]["dry_run"] is True and not (tmp_path / "v").exists()


def test_creates_then_reuses_a_real_venv(engine_env: dict[str, str], tmp_path: Path) -> None:
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
    assert code == 0 and events[0]["message"].startswith(f"reusing {venv} ")
    assert marker.stat().st_mtime_ns == before  # reused, not recreated


def fake_distribution(venv: Path, name: str) -> Path:
    """A minimal installed distribution pip can list and uninstall."""
    site = next(venv.glob("lib/python3*/site-packages"))
    module = site / f"{name}.py"
    module.write_text("")
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text(f"{name}.py,,\n{info.name}/METADATA,,\n{info.name}/INSTALLER,,\n{info.name}/RECORD,,\n")
    return module


def test_a_real_pip_install_from_a_lock_checks_hashes_and_prunes_the_rest(
        engine_env: dict[str, str], tmp_path: Path) -> None:
    venv = tmp_path / "v"
    assert run_setup(engine_env, "--venv", str(venv), "--no-install")[0] == 0
    python = venv / "bin" / "python"
    # A lock whose hash does not match the file it names: pip refuses, the engine says why.
    wheel = tmp_path / "wheels"
    wheel.mkdir()
    locks = tmp_path / "locks"
    locks.mkdir()
    (locks / "torch-cpu.txt").write_text(f"--find-links {wheel}\nnothing-here==1.0 \\\n    --hash=sha256:{'0' * 64}\n")
    for name in ("engine.txt", "model-source.txt"):
        (locks / name).write_text("# empty\n")
    plan = make_plan(venv, "cpu", uv=None, create_venv=False, locks_dir=locks)
    sink = EventSink(stream=open(tmp_path / "events.jsonl", "w"))
    with pytest.raises(EngineError) as failed:
        setup_env._run_checked(plan.installs[0][1], "install", sink)
    assert failed.value.code == "pip_failed" and failed.value.hint

    stale = fake_distribution(venv, "left_by_an_old_lock")
    removed = prune(python, None, locked_names(lock_files("cpu", locks)), sink)
    assert removed == ["left_by_an_old_lock"] and not stale.exists()
    assert prune(python, None, set(), sink) == []  # pip itself is never pruned


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
    ("ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.", "pip_failed", "pip cache purge"),
])
def test_failures_get_codes_and_hints(output: str, code: str, hint_word: str) -> None:
    got_code, hint = classify_failure(output)
    assert got_code == code and hint_word in hint


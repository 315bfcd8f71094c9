"""The remote helper (voice_draft_engine/remote_agent.py) as the client runs it on a host:
its text through `python3 -I -c`, one JSON answer per command, nothing of the engine needed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import voice_draft_engine

SOURCE = (Path(voice_draft_engine.__file__).parent / "remote_agent.py").read_text(encoding="utf-8")


def agent(*args: str) -> dict:
    run = subprocess.run([sys.executable, "-I", "-c", SOURCE, *args], capture_output=True, text=True, timeout=60,
                         cwd="/", env={"PATH": os.environ.get("PATH", "")})
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_status_reads_the_newest_segments_end_without_the_engine_package(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.jsonl").write_text("\n".join(json.dumps(e) for e in [
        {"event": "train.started"}, {"event": "train.cancelled", "step": 2},
        {"event": "train.started"}, {"event": "train.progress", "step": 3}]) + "\n")
    status = agent("status", str(run))
    assert status == {"exists": True, "alive": False, "pid": None, "terminal": None,
                      "eventsSize": (run / "events.jsonl").stat().st_size}
    with (run / "events.jsonl").open("a") as f:
        f.write(json.dumps({"event": "train.done"}) + "\n")
    assert agent("status", str(run))["terminal"] == "train.done"


def test_start_runs_the_engine_command_it_is_given_detached_with_its_environment(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    script = "import os, sys; open('started', 'w').write(os.environ['MARK'] + ' ' + ' '.join(sys.argv[1:]))"
    answer = agent("start", str(run), sys.executable, str(tmp_path), json.dumps({"MARK": "isolated"}),
                   "-s", "-c", script, "train", "--run", str(run))
    assert answer["ok"] and isinstance(answer["pid"], int)
    for _ in range(100):
        if (run / "started").exists() and not agent("status", str(run))["alive"]:
            break
        __import__("time").sleep(0.05)
    assert (run / "started").read_text() == f"isolated train --run {run}"
    assert oct((run / "engine.pid").stat().st_mode & 0o777) == oct(0o600)


def test_a_pid_the_host_gave_to_another_process_is_not_the_engine(tmp_path: Path) -> None:
    # A busy host hands an ended engine's pid on: the start time recorded beside the pid tells
    # the two apart, and nothing is ever signalled on the strength of the pid alone.
    from voice_draft_engine.remote_agent import process_start

    run = tmp_path / "run"
    run.mkdir()
    pid_file = run / "engine.pid"
    # A live process that is not the engine, in its own group, as the engine would be.
    other = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        pid_file.write_text(json.dumps({"pid": other.pid, "pgid": other.pid, "start": "linux:another-boot:1"}))
        assert agent("status", str(run))["alive"] is False
        assert agent("cancel", str(run)) == {"signalled": False}
        assert other.poll() is None, "the other process was not signalled"
        started = agent("start", str(run), sys.executable, str(tmp_path), "{}", "-c", "pass")
        assert started["ok"], "a start is not refused by a reused pid"
        recorded = json.loads(pid_file.read_text())["start"]
        assert isinstance(recorded, str) and recorded.split(":")[0] in ("linux", "ps"), "the helper records when it started"

        pid_file.write_text(json.dumps({"pid": other.pid, "pgid": other.pid, "start": process_start(other.pid)}))
        assert agent("status", str(run))["alive"] is True
        pid_file.write_text(json.dumps({"pid": other.pid, "pgid": other.pid}))  # an older helper's file: the pid alone
        assert agent("status", str(run))["alive"] is True
    finally:
        other.kill()
        other.wait()

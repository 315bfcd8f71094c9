"""One engine at a time in a run folder: `<run>/engine.lock`.

A second `train --run DIR --resume`, typed while the first was still training, used to
start beside it: it removed the first one's checkpoints and both wrote events.jsonl.
Now an engine that trains (or rewrites the adapter with `choose`) first creates
`engine.lock` exclusively, holding who owns the folder:

    {"pid": 4242, "start": "linux:<boot id>:<start ticks>", "host": "box", "command": "train",
     "acquired_at": "2026-12-04T16:46:46Z"}

`start` is the process's start time as the system counts it (Linux: /proc/<pid>/stat since
boot, with the boot id; elsewhere `ps -o lstart=`), so a pid the system has handed to another
process since is not taken for the engine. The lock is stale, and is taken over, when its
pid is dead (a SIGKILL, a power cut), or alive with another start time (a reused pid), on
this host. A lock from another host (a run folder on a shared disk) is never taken over:
the error says which host and pid hold it. The owner removes the file when it ends.

The client side (src/engine/detached.ts) reads the same file and start times before it
starts an engine, and says what to do instead of starting a second one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from .protocol import EngineError
# Whether a pid is a live process (not a zombie), and when it started: the remote helper's
# answers, which it must carry itself (it is sent to a host as one standard-library file), so
# the engine asks them too.
from .remote_agent import alive as pid_alive
from .remote_agent import process_start, same_process_alive

log = logging.getLogger(__name__)

LOCK = "engine.lock"
# A lock file without readable content is being written by its owner right now (between the
# exclusive create and the write), unless it is older than this.
UNREADABLE_GRACE_S = 10.0


def read_lock(run_dir: Path) -> dict[str, Any] | None:
    """The lock's content; None when there is no lock file or it is not a lock."""
    try:
        data = json.loads((run_dir / LOCK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def holder_alive(info: dict[str, Any]) -> bool:
    """Whether the lock's owner still runs. Another host's lock counts as alive: we cannot look."""
    if info.get("host") != socket.gethostname():
        return True
    recorded = info.get("start")
    return same_process_alive(int(info["pid"]), recorded if isinstance(recorded, str) else None)


def _stale_reason(info: dict[str, Any]) -> str:
    pid = int(info["pid"])
    return f"engine pid {pid} is gone" if not pid_alive(pid) else f"pid {pid} now belongs to another process"


def _busy_error(run_dir: Path, info: dict[str, Any]) -> EngineError:
    here = info.get("host") == socket.gethostname()
    who = f"engine pid {info['pid']}" + ("" if here else f" on {info.get('host')}")
    since = f", since {info['acquired_at']}" if info.get("acquired_at") else ""
    what = "trained" if info.get("command", "train") == "train" else f"used by '{info.get('command')}'"
    hint = ("Wait for it to end, or follow it (the dashboard, or the events in events.jsonl). To stop it, cancel it "
            f"from the dashboard or send it SIGTERM (kill -TERM {info['pid']}): it saves a checkpoint first; then "
            "resume the run.")
    if not here:
        hint += (f" If no engine runs on {info.get('host')} any more, delete {run_dir / LOCK} and resume.")
    return EngineError("run_busy", f"{run_dir.name} is being {what} by {who}{since}.", hint)


class RunLock:
    """Held while this process owns a run folder; `release()` (or leaving the `with`) removes it."""

    def __init__(self, run_dir: Path, info: dict[str, Any]) -> None:
        self.path = run_dir / LOCK
        self.info = info

    def release(self) -> None:
        if read_lock(self.path.parent) == self.info:
            try:
                self.path.unlink()
            except OSError:
                pass

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.release()


def acquire(run_dir: Path, command: str = "train") -> RunLock:
    """Take the run folder's lock, or raise `run_busy` naming the engine that holds it."""
    run_dir = Path(run_dir)
    pid = os.getpid()
    mine = {"pid": pid, "start": process_start(pid), "host": socket.gethostname(), "command": command,
            "acquired_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path = run_dir / LOCK
    for _ in range(5):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            info = read_lock(run_dir)
            if info is None:
                try:
                    age = time.time() - path.stat().st_mtime
                except OSError:
                    continue  # gone meanwhile: try again
                if age < UNREADABLE_GRACE_S:
                    time.sleep(0.2)
                    continue
                log.warning("taking over %s: it holds no lock", path)
            elif holder_alive(info):
                raise _busy_error(run_dir, info) from None
            else:
                log.warning("taking over the stale lock of %s: %s", run_dir.name, _stale_reason(info))
            _remove_if_unchanged(path, info)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(mine, f)
        return RunLock(run_dir, mine)
    raise EngineError("run_busy", f"Could not take the lock of {run_dir.name}: another engine keeps taking it.",
                      f"Check that no other engine trains this run, then delete {path} and resume.")


def _remove_if_unchanged(path: Path, judged: dict[str, Any] | None) -> None:
    """Remove the stale lock we judged, not one another process put there since: it is moved
    aside under a name of ours first and put back if it is not the one we read."""
    aside = path.with_name(f".{path.name}.stale-{os.getpid()}")
    try:
        os.rename(path, aside)
    except OSError:
        return  # gone already
    try:
        data = json.loads(aside.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if judged is not None and data != judged:
        try:
            os.link(aside, path)  # put it back, unless a third process made one meanwhile
        except OSError:
            pass
    aside.unlink(missing_ok=True)

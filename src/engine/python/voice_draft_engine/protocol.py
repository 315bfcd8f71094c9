"""The engine's only way to talk: one JSON object per line on stdout (the events of events.py).

Every event also goes to the run's events.jsonl, so a dashboard or a second
machine can rebuild everything from the run folder. Nothing else may write to
stdout: logging goes to stderr (see `setup_logging`).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from .events import EngineErrorEvent, Event

log = logging.getLogger("voice_draft_engine")


def setup_logging(level: int = logging.INFO, process: str = "") -> None:
    """Log lines on stderr; `process` ("rank 1") tells a launcher's processes apart in one log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {process + ' ' if process else ''}"
                                           "%(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


# A launcher's other processes say their error to the process supervising the launcher
# (launch.py) on one line of their own, never an event: rank 0 alone speaks for the run, but
# when the run ends because rank 1 ran out of GPU memory, rank 1's error is the one to tell.
RANK_ERROR = "rank_error"


def wire_line(record: dict[str, Any]) -> str:
    """One record as a line of the protocol (compact JSON, UTF-8 as is; no newline)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def rank_error_line(record: dict[str, Any], rank: int) -> str:
    return wire_line({RANK_ERROR: {**record, "rank": rank}})


def read_rank_error(line: str) -> dict[str, Any] | None:
    """The error another rank passed on (code, message, hint, rank), or None for any other line."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    error = record.get(RANK_ERROR) if isinstance(record, dict) else None
    return error if isinstance(error, dict) and isinstance(error.get("code"), str) else None


class EventSink:
    """Writes events to stdout and, once a run folder is known, to events.jsonl.

    With several processes (torchrun, accelerate), only rank 0 is given a real sink; the
    others' is disabled: it writes no events, logs its error events to stderr and passes
    them to `errors_to` (the launcher's stdout) as a `rank_error` line.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._file: TextIO | None = None
        self._lock = threading.Lock()
        self.enabled = enabled
        self.errors_to: TextIO | None = None
        self.rank = 0

    def speak_for_another_rank(self, rank: int, errors_to: TextIO) -> None:
        """This process is one of a launcher's other ranks: no events, its errors to `errors_to`."""
        self.enabled, self.rank, self.errors_to = False, rank, errors_to

    def attach_run(self, run_dir: str | os.PathLike[str]) -> None:
        if not self.enabled or self._file is not None:  # attached already (launch.py, then train.py)
            return
        path = Path(run_dir) / "events.jsonl"
        self._file = open(path, "a", encoding="utf-8")
        # An engine killed mid-write (SIGKILL, power) may have left half a line: end it, so
        # that the first event of this one is a line of its own, not the tail of a broken one.
        try:
            with open(path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                torn = f.read(1) != b"\n"
        except OSError:  # empty
            torn = False
        if torn:
            self._file.write("\n")
            self._file.flush()

    def emit(self, event: Event) -> dict[str, Any]:
        """Sends one event (events.py); returns it as it went on the wire."""
        record = event.record()
        if not self.enabled:
            if event.name == "error":
                log.error("%s: %s %s", record.get("code"), record.get("message"), record.get("hint", ""))
                if self.errors_to is not None:
                    try:
                        self.errors_to.write(rank_error_line(record, self.rank) + "\n")
                        self.errors_to.flush()
                    except OSError:  # the supervisor is gone: the log has it
                        pass
            return record
        line = wire_line(record)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
            self._write_file(line)
        return record

    def _write_file(self, line: str) -> None:
        """One line to events.jsonl, if attached (the caller holds the lock)."""
        if self._file is None:
            return
        try:
            self._file.write(line + "\n")
            self._file.flush()
        except OSError as e:
            self._drop_file(e)

    def _drop_file(self, e: OSError) -> None:
        """events.jsonl cannot be written (a full disk): events go on to stdout alone, so the
        error that follows still reaches a caller reading stdout, and closing does not fail again."""
        log.error("events.jsonl could not be written (%s); events go to stdout only", e)
        file, self._file = self._file, None
        try:
            file.close()  # flushes what is buffered: fails the same way
        except OSError:
            pass

    def append_to_file(self, record: dict[str, Any]) -> None:
        """An event the stream has had already, written to events.jsonl once more (launch.py:
        another rank's error, after rank 0's own ending, so that it is the file's last word)."""
        with self._lock:
            self._write_file(wire_line(record))

    def relay(self, line: str) -> None:
        """A line another process wrote to events.jsonl already (a launcher's rank 0): stdout only."""
        with self._lock:
            self._stream.write(line.rstrip("\n") + "\n")
            self._stream.flush()

    def error(self, code: str, message: str, hint: str = "") -> dict[str, Any]:
        return self.emit(EngineErrorEvent(code=code, message=message, hint=hint))

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as e:
                log.error("events.jsonl could not be closed (%s)", e)
            self._file = None


class EngineError(Exception):
    """An error the writer can act on: it becomes one `error` event with a hint."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

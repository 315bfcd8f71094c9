"""Command line of the engine: `python -m voice_draft_engine <command>`.

Each command speaks the JSON-lines protocol on stdout and ends with exit code 0
on success, 1 after an `error` event, 2 on a usage error (argparse).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback

from .protocol import EngineError, EventSink, setup_logging

log = logging.getLogger("voice_draft_engine")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m voice_draft_engine", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="report Python, torch, device and a recommended setup")
    return p


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    args = _parser().parse_args(argv)
    sink = EventSink()
    try:
        if args.command == "doctor":
            from .doctor import run_doctor

            return run_doctor(sink)
        raise EngineError("usage", f"unknown command {args.command!r}")
    except EngineError as e:
        sink.error(e.code, e.message, e.hint)
        return 1
    except ModuleNotFoundError as e:
        sink.error("missing_package", f"The engine cannot import {e.name!r}.",
                   "Run 'Voice Draft: Set Up Training Engine' to repair the engine environment.")
        return 1
    except Exception as e:  # the protocol promises an error event, never a silent death
        log.error("unexpected failure:\n%s", traceback.format_exc())
        sink.error("internal", f"{type(e).__name__}: {e}", "See the Voice Draft log for the stack trace.")
        return 1
    finally:
        sink.close()


if __name__ == "__main__":
    sys.exit(main())

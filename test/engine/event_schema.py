"""What every engine event must carry, as a checker built from the engine's own description
of its events (voice_draft_engine/events.py), plus what one field cannot say alone.

Used by the engine tests and by test/fixtures/record_tiny_run.py before it saves a
recording for the TypeScript tests. Returns a list of problems; [] means valid. Stricter
than a reader: every field the engine always sends must be there, and none it does not describe.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Literal

from voice_draft_engine.config import TrainConfig
from voice_draft_engine.events import BY_NAME, TERMINAL

CONFIG_FIELDS = set(TrainConfig().to_dict())


def _value_problems(tp: Any, v: Any, where: str, meta: Any = None) -> list[str]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    bad = [f"bad {where}={v!r}"[:300]]
    if tp is Any:
        return []
    if origin in (typing.Union, types.UnionType):
        answers = [_value_problems(a, v, where, meta) for a in args]
        return [] if any(not a for a in answers) else bad
    if origin is Literal:
        return [] if v in args else bad
    if origin is list:
        return [p for i, x in enumerate(v) for p in _value_problems(args[0], x, f"{where}[{i}]")] \
            if isinstance(v, list) else bad
    if origin is dict:
        return [p for k, x in v.items() for p in _value_problems(args[1], x, f"{where}.{k}")] \
            if isinstance(v, dict) else bad
    if dataclasses.is_dataclass(tp):
        return _fields_problems(tp, v, where) if isinstance(v, dict) else bad
    if tp is type(None):
        return [] if v is None else bad
    number = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    ok = {int: number and isinstance(v, int), float: number, str: isinstance(v, str), bool: isinstance(v, bool)}[tp]
    if ok and meta is not None:
        ok = (meta["min"] is None or v >= meta["min"]) and (meta["max"] is None or v <= meta["max"])
    return [] if ok else bad


def _fields_problems(cls: type, record: dict[str, Any], where: str) -> list[str]:
    hints = typing.get_type_hints(cls)
    declared = {f.name: f for f in dataclasses.fields(cls)}
    problems = [f"{where}: {k} is not described in events.py" for k in record if k not in declared and k != "event"]
    for name, f in declared.items():
        if name not in record:
            if f.metadata["kind"] != "maybe":
                problems.append(f"{where}: missing {name}")
        else:
            problems += _value_problems(hints[name], record[name], f"{where}.{name}", f.metadata)
    return problems


def event_problems(event: dict[str, Any]) -> list[str]:
    name = event.get("event")
    if name not in BY_NAME:
        return [f"unknown event {name!r}"]
    problems = _fields_problems(BY_NAME[name], event, name)
    if problems:
        return problems
    if name == "train.started" and not (set(event["config"]) == CONFIG_FIELDS and isinstance(event["config"]["micro_batch_size"], int)
                                        and isinstance(event["config"]["eval_every"], int)):
        problems.append("train.started: config is not the resolved TrainConfig")
    if name == "train.checkpoint" and not event["path"].startswith("checkpoints/step-"):
        problems.append(f"train.checkpoint: path {event['path']!r} is not checkpoints/step-N")
    if name == "train.done" and event.get("chosen_by") == "voice" and not isinstance(event.get("chosen_step"), int):
        problems.append("train.done: chosen_by voice without a chosen_step")
    if name == "train.canary" and event["epoch"] < 1:
        problems.append(f"train.canary: epoch {event['epoch']} (counted from 1)")
    if name == "train.canary" and not (len(event["base"]) == len(event["tuned"]) == event["sampling"]["num_samples"]):
        problems.append("train.canary: base/tuned sample counts differ from sampling.num_samples")
    return problems


def train_stream_problems(events: list[dict[str, Any]]) -> list[str]:
    """Each event valid, and the stream in order: model.progress*, train.started, ...,
    exactly one terminal event, last; steps rising; evals and checkpoints at seen steps."""
    problems = [p for e in events for p in event_problems(e)]
    names = [e["event"] for e in events]
    terminals = [n for n in names if n in TERMINAL]
    if len(terminals) != 1 or names[-1] not in TERMINAL:
        problems.append(f"expected exactly one terminal event, last; got {terminals}")
    if names[-1] == "error":
        return problems
    if "train.started" not in names:
        return problems + ["no train.started"]
    first = names.index("train.started")
    if any(n not in ("model.progress", "train.drafts") for n in names[:first]):
        problems.append("only model.progress and train.drafts may come before train.started")
    drafts = [e for e in events if e["event"] == "train.drafts"]
    if drafts and (names.index("train.drafts") > first or drafts[-1]["stage"] != "done"
                   or drafts[-1]["kept"] is None or drafts[-1]["kept"] > drafts[-1]["total"]):
        problems.append("train.drafts must end, before train.started, with stage done and kept <= total")
    steps = [e["step"] for e in events if e["event"] == "train.progress"]
    if steps != sorted(set(steps)):
        problems.append(f"train.progress steps not strictly rising: {steps}")
    total = events[first]["total_steps"]
    if any(s > total for s in steps) or any(e["total_steps"] != total for e in events if e["event"] == "train.progress"):
        problems.append("a train.progress step beyond total_steps, or total_steps changed")
    for e in events:
        scored = e["event"] in ("train.eval", "train.voice", "train.checkpoint")
        if scored and e["step"] not in steps and e["step"] != 0:
            problems.append(f"{e['event']} at step {e['step']} that no train.progress reported")
    problems += _voice_problems(events)
    return problems


def _voice_problems(events: list[dict[str, Any]]) -> list[str]:
    """Each train.voice scores an evaluation just reported (same step, before the next eval or
    progress); train.done's voice choice names a scored step and carries its score."""
    problems = []
    last_eval = None
    for e in events:
        if e["event"] == "train.eval":
            last_eval = e["step"]
        elif e["event"] == "train.progress":
            last_eval = None
        elif e["event"] == "train.voice":
            if e["step"] != last_eval:
                problems.append(f"train.voice at step {e['step']} does not follow a train.eval at that step")
            last_eval = None
    # A resumed stream may choose a step scored before the resume: only a whole run is checked.
    whole = not any(e["event"] == "train.started" and e.get("resumed_from") is not None for e in events)
    voice = {e["step"]: e["score"] for e in events if e["event"] == "train.voice"}
    done = events[-1] if events and events[-1]["event"] == "train.done" else None
    if done and done.get("chosen_by") == "voice" and whole:
        chosen, best = done.get("chosen_step"), done.get("best_voice_score")
        tol = 1e-4  # train.voice rounds its score to 4 decimals
        if chosen not in voice:
            problems.append(f"train.done chose step {chosen} by voice, but no train.voice scored it")
        elif best is None or abs(voice[chosen] - best) > tol or any(v > best + tol for v in voice.values()):
            problems.append(f"train.done best_voice_score={best} is not the chosen step's, the highest score")
    return problems

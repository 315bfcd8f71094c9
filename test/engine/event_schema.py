"""What every engine event must carry (docs/contracts.md, src/engine/protocol.ts), as a checker.

Used by the engine tests and by test/fixtures/record_tiny_run.py before it saves a
recording for the TypeScript tests. Returns a list of problems; [] means valid.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from voice_draft_engine.config import TrainConfig

TERMINAL = {"train.done", "train.cancelled", "error", "model.ready", "setup.done", "engine.ready", "voice.chosen"}


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _strs(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) for s in v)


def _share(v: Any) -> bool:
    return _num(v) and 0 <= v <= 1


def _opt(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def _has(*keys: str, each: Callable[[Any], bool] = lambda v: True) -> Callable[[Any], bool]:
    """A dict with these keys, each value passing `each`."""
    return lambda d: isinstance(d, dict) and all(k in d and each(d[k]) for k in keys)


CONFIG_FIELDS = set(TrainConfig().to_dict())

# Fields an event may carry and, when it does, must pass: train.done's checkpoint choice
# (issue #19) is absent in recordings from before the voice check.
OPTIONAL: dict[str, dict[str, Callable[[Any], bool]]] = {
    "train.done": {"chosen_step": _opt(_int), "chosen_by": lambda v: v in ("voice", "loss"),
                   "best_voice_score": _opt(_share)},
}

FIELDS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "model.progress": {"stage": _str, "message": _str},
    "model.ready": {"path": _str},
    "train.started": {
        "config": lambda c: isinstance(c, dict) and set(c) == CONFIG_FIELDS and _int(c["micro_batch_size"])
        and _int(c["eval_every"]),
        "dataset": _has("train_pairs", "val_pairs", "train_tokens", each=_int),
        "device": _str,
        "base_model": lambda b: _has("spec", "path", each=_str)(b) and _int(b.get("params")),
        "total_steps": _int,
    },
    # Synthetic drafts (drafts/synthetic.py) before train.started: progress, then stage "done" with the counts.
    "train.drafts": {"stage": _str, "done": lambda v: _int(v) and v >= 0, "total": lambda v: _int(v) and v >= 0,
                     "kept": _opt(lambda v: _int(v) and v >= 0), "eta_s": _opt(lambda v: _num(v) and v >= 0)},
    "train.progress": {"step": lambda v: _int(v) and v >= 1, "epoch": _num, "loss": _num, "lr": _num,
                       "grad_norm": _num, "tokens_per_s": lambda v: _num(v) and v > 0,
                       "eta_s": lambda v: _num(v) and v >= 0, "total_steps": _int},
    "train.eval": {"step": _int, "val_loss": _num, "val_ppl": _num, "best": lambda v: isinstance(v, bool)},
    "train.canary": {"epoch": lambda v: _int(v) and v >= 1, "step": _int, "prompt_id": _str, "prompt": _str,
                     "sampling": _has("temperature", "top_k", "max_new_tokens", "seed", "num_samples"),
                     "base": _strs, "tuned": _strs},
    "train.voice": {"step": lambda v: _int(v) and v >= 0, "score": _share, "attributed": _share,
                    "delta": _opt(_num), "samples": lambda v: _int(v) and v >= 1},
    "train.checkpoint": {"step": _int, "path": lambda p: _str(p) and p.startswith("checkpoints/step-")},
    "voice.chosen": {"step": _int, "by": lambda v: v == "writer", "output": lambda v: v in ("adapter", "model")},
    "train.done": {"adapter": _str, "best_step": _opt(_int), "best_val_loss": _opt(_num), "steps": _int,
                   "seconds": _num},
    "train.cancelled": {"step": _int, "checkpoint": _opt(_str)},
    "error": {"code": _str, "message": _str, "hint": _str},
}


def event_problems(event: dict[str, Any]) -> list[str]:
    name = event.get("event")
    if name not in FIELDS:
        return [f"unknown event {name!r}"]
    problems = []
    for field, check in FIELDS[name].items():
        if field not in event:
            problems.append(f"{name}: missing {field}")
        elif not check(event[field]):
            problems.append(f"{name}: bad {field}={event[field]!r}"[:300])
    for field, check in OPTIONAL.get(name, {}).items():
        if field in event and not check(event[field]):
            problems.append(f"{name}: bad {field}={event[field]!r}"[:300])
    if name == "train.done" and event.get("chosen_by") == "voice" and not _int(event.get("chosen_step")):
        problems.append("train.done: chosen_by voice without a chosen_step")
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

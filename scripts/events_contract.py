"""Writes, or checks, what is generated from the engine's event classes
(src/engine/python/voice_draft_engine/events.py): the TypeScript types and checks
(src/core/runs/engineEvents.ts) and the event table of docs/contracts.md.

    python3 scripts/events_contract.py --write    # after changing an event
    python3 scripts/events_contract.py --check    # exit 1 when either file is stale (a test runs this)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src" / "engine" / "python"))

from voice_draft_engine import PROTOCOL_VERSION, events  # noqa: E402

TS_FILE = ROOT / "src" / "core" / "runs" / "engineEvents.ts"
DOC_FILE = ROOT / "docs" / "contracts.md"
DOC_BEGIN = "<!-- events: generated from voice_draft_engine/events.py by scripts/events_contract.py --write -->"
DOC_END = "<!-- end of events -->"


def fields(cls: type) -> list[tuple[dataclasses.Field[Any], Any]]:
    hints = typing.get_type_hints(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls)]


def parts(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    origin = typing.get_origin(tp)
    return (types.UnionType if origin is typing.Union else origin), typing.get_args(tp)


def nested(tp: Any) -> list[type]:
    """The dataclasses a type names, innermost first."""
    origin, args = parts(tp)
    found = [c for a in args for c in nested(a)]
    if origin is None and dataclasses.is_dataclass(tp):
        found += [c for _, t in fields(tp) for c in nested(t)] + [tp]
    return found


# --- TypeScript -----------------------------------------------------------------------------

def ts_type(tp: Any) -> str:
    origin, args = parts(tp)
    if tp is Any:
        return "unknown"
    if tp is type(None):
        return "null"
    if origin is types.UnionType:
        return " | ".join(ts_type(a) for a in args)
    if origin is Literal:
        return " | ".join(f"'{a}'" for a in args)
    if origin is list:
        inner = ts_type(args[0])
        return f"Array<{inner}>" if "|" in inner else f"{inner}[]"
    if origin is dict:
        return f"Record<string, {ts_type(args[1])}>"
    if dataclasses.is_dataclass(tp):
        return tp.__name__
    return {str: "string", int: "number", float: "number", bool: "boolean"}[tp]


def ts_check(tp: Any, x: str, meta: Any = None) -> str:
    """A TypeScript expression that is true when `x` has type `tp` (only `need` fields of nested shapes)."""
    origin, args = parts(tp)
    bounds = ""
    if meta is not None:
        bounds += f" && {x} >= {meta['min']:g}" if meta["min"] is not None else ""
        bounds += f" && {x} <= {meta['max']:g}" if meta["max"] is not None else ""
    if tp is Any:
        return "true"
    if origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        check = " || ".join(f"({c})" if "&&" in c else c for c in (ts_check(a, x, meta) for a in options))
        return f"({x} === null || {check})" if len(options) < len(args) else f"({check})"
    if origin is Literal:
        return "(" + " || ".join(f"{x} === '{a}'" for a in args) + ")"
    if origin is list:
        return f"Array.isArray({x}) && {x}.every((v) => {ts_check(args[0], 'v')})"
    if origin is dict:
        inner = ts_check(args[1], "v")
        return f"isObj({x})" + ("" if inner == "true" else f" && Object.values({x}).every((v) => {inner})")
    if dataclasses.is_dataclass(tp):
        needed = [ts_check(t, f"{x}.{f.name}", f.metadata) for f, t in fields(tp) if f.metadata["kind"] == "need"]
        return " && ".join([f"isObj({x})", *needed])
    return {str: "isStr", int: "isInt", float: "isNum", bool: "isBool"}[tp] + f"({x})" + bounds


def docstring(cls: type) -> str:
    """The class's own docstring; "" for a dataclass without one (dataclass writes its signature there)."""
    doc = cls.__dict__.get("__doc__") or ""
    return "" if doc.startswith(f"{cls.__name__}(") else " ".join(doc.split())


def ts_doc(text: str, indent: str) -> list[str]:
    text = " ".join(text.split())
    return [f"{indent}/** {text} */"] if text else []


def event_base(e: type) -> type | None:
    """The shape an event class extends (StageProgress), or None for one that stands on Event alone."""
    base = e.__mro__[1]
    return None if base is events.Event else base


def ts_shape(cls: type) -> list[str]:
    """`export type Name = {...}`; an event whose class extends another shape is that shape
    and its own fields (`SetupProgress = StageProgress & {...}`), as in events.py."""
    base = event_base(cls) if issubclass(cls, events.Event) else None
    inherited = {f.name for f in dataclasses.fields(base)} if base else set()
    lines = [*ts_doc(docstring(cls), ""), f"export type {cls.__name__} = {base.__name__ + ' & ' if base else ''}{{"]
    if issubclass(cls, events.Event) and "name" in cls.__dict__:
        lines.append(f"  event: '{cls.name}';")
    for f, tp in fields(cls):
        if f.name in inherited:
            continue
        optional = "" if f.metadata["kind"] == "need" else "?"
        lines += ts_doc(f.metadata["doc"], "  ")
        lines.append(f"  {f.name}{optional}: {ts_type(tp)};")
    return [*lines, "};"]


def typescript() -> str:
    shapes: list[type] = []
    for e in events.EVENTS:
        for _, tp in fields(e):
            shapes += [c for c in nested(tp) if c not in shapes]
    out = [
        "// Generated from src/engine/python/voice_draft_engine/events.py by",
        "// `python3 scripts/events_contract.py --write`: change the event there, never here.",
        "// Fields marked `?` may be absent (runs recorded by an older engine, or not applicable).",
        "",
        f"export const PROTOCOL_VERSION = {PROTOCOL_VERSION};",
        "",
    ]
    for cls in shapes:
        out += [*ts_shape(cls), ""]
    for e in events.EVENTS:
        base = event_base(e)
        if base and base not in shapes:
            shapes.append(base)
            out += [*ts_shape(base), ""]
        out += [*ts_shape(e), ""]
    out += [
        "export type KnownEvent =",
        *[f"  | {e.__name__}" for e in events.EVENTS[:-1]],
        f"  | {events.EVENTS[-1].__name__};",
        "",
        "/** Events after which the engine has nothing more to say for this command. */",
        "export const TERMINAL_EVENTS: ReadonlySet<string> = new Set([",
        *[f"  '{e.name}'," for e in events.EVENTS if e.terminal],
        "]);",
        "",
    ]
    table = []
    for e in events.EVENTS:
        checks = [ts_check(t, f"o.{f.name}", f.metadata) for f, t in fields(e) if f.metadata["kind"] == "need"]
        key = f"'{e.name}'" if "." in e.name else e.name
        table.append(f"  {key}: ({'o' if checks else ''}) => {' && '.join(checks) or 'true'},")
    used = [line for name, line in HELPERS.items() if any(f"{name}(" in row for row in table)]
    return "\n".join([
        *out, *used, "",
        "/** What a reader may rely on in each event (its fields not marked `?`): an event failing it is malformed. */",
        "export const EVENT_CHECKS: Record<KnownEvent['event'], (o: Record<string, unknown>) => boolean> = {",
        *table, "};", ""])


HELPERS = {
    "isObj": "const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);",
    "isNum": "const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);",
    "isInt": "const isInt = (v: unknown): v is number => Number.isInteger(v);",
    "isStr": "const isStr = (v: unknown): v is string => typeof v === 'string';",
    "isBool": "const isBool = (v: unknown): v is boolean => typeof v === 'boolean';",
}


# --- docs/contracts.md ----------------------------------------------------------------------

def md_type(tp: Any, meta: Any = None) -> str:
    origin, args = parts(tp)
    if dataclasses.is_dataclass(tp):
        text = "{" + ", ".join(md_field(f, t) for f, t in fields(tp)) + "}"
    elif tp is Any or (origin is dict and args[1] is Any):
        text = "object"
    elif origin is dict:
        text = f"{{name: {md_type(args[1])}}}"
    elif origin is list:
        text = f"[{md_type(args[0])}]"
    elif origin is types.UnionType:
        text = " \\| ".join(md_type(a) for a in args)
    else:
        text = "int" if tp is int else ts_type(tp).replace("|", "\\|")
    if meta is not None and (meta["min"] is not None or meta["max"] is not None):
        low, high = meta["min"], meta["max"]
        text += f" {low:g}–{high:g}" if low is not None and high is not None else (f" ≥ {low:g}" if low is not None else f" ≤ {high:g}")
    return text


def md_field(f: dataclasses.Field[Any], tp: Any) -> str:
    name = {"need": f"**{f.name}**", "sent": f.name, "maybe": f"{f.name}?"}[f.metadata["kind"]]
    return f"{name} {md_type(tp, f.metadata)}"


def markdown() -> str:
    rows = [
        DOC_BEGIN,
        "Every event, as `voice_draft_engine/events.py` describes it. **Bold**: always sent, and a reader may",
        "rely on it (an event without it is malformed); plain: always sent, but absent from runs recorded by an",
        "older engine; `?`: sent only where it applies. Ends: the last event of its command.",
        "",
        "| event | ends | fields | what |",
        "|---|---|---|---|",
    ]
    for e in events.EVENTS:
        base = e.__mro__[1]
        what = (docstring(e) or (docstring(base) if base is not events.Event else "")).replace("|", "\\|")
        cells = ", ".join(md_field(f, t) for f, t in fields(e))
        rows.append(f"| `{e.name}` | {'yes' if e.terminal else ''} | {cells} | {what} |")
    return "\n".join([*rows, DOC_END])


def with_table(doc: str) -> str:
    begin, end = doc.index(DOC_BEGIN), doc.index(DOC_END) + len(DOC_END)
    return doc[:begin] + markdown() + doc[end:]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = p.parse_args()
    doc = DOC_FILE.read_text(encoding="utf-8")
    wanted = {TS_FILE: typescript(), DOC_FILE: with_table(doc)}
    if args.write:
        for path, text in wanted.items():
            path.write_text(text, encoding="utf-8")
        return 0
    stale = [str(p.relative_to(ROOT)) for p, text in wanted.items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    if stale:
        print(f"stale: {', '.join(stale)}: run python3 scripts/events_contract.py --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

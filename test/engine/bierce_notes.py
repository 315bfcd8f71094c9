"""A small dataset folder in the contracts.md format, written without the TypeScript builder.

The engine's tests and the fixture recorder train on Ambrose Bierce's Devil's
Dictionary notes (public domain). This is deliberately a plain reading of the
notes, not a second dataset builder: front matter dropped, paragraphs split on
blank lines, a few markdown marks removed, then one pair per tier that the notes
support. The real builder (src/core/dataset) is what writers' runs use.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

BIERCE_NOTES = Path("/work/shared/corpora/bierce-notes/notes")
SYSTEM = "You are a writer. Write in your own voice: the voice of your essays."
# Notes shorter than this are "short notes" (T4, topic -> note); longer ones are essays (T2).
SHORT_NOTE_WORDS = 250
# About one in ten documents goes to validation, chosen by a hash of the doc id (stable, by document).
VAL_BUCKET = 10


def read_note(path: Path) -> tuple[str, list[str]]:
    """Title and paragraphs of one markdown note."""
    raw = path.read_text(encoding="utf-8")
    title = path.stem.replace("-", " ").title()
    body = raw
    match = re.match(r"^---\n(.*?)\n---\n", raw, re.S)
    if match:
        body = raw[match.end():]
        found = re.search(r'^title:\s*"?(.*?)"?\s*$', match.group(1), re.M)
        if found:
            title = found.group(1)
    paragraphs = []
    for block in re.split(r"\n\s*\n", body):
        lines = [re.sub(r"^>\s?", "", line).rstrip() for line in block.strip().splitlines()]
        text = "\n".join(line for line in lines if line.strip())
        text = text.replace("**", "").replace("_", "")
        if text.strip() and text.strip() != ">":
            paragraphs.append(text.strip())
    return title, paragraphs


def _words(text: str) -> int:
    return len(re.findall(r"[\w'’-]+", text))


def _messages(user: str, assistant: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
            {"role": "assistant", "content": assistant}]


def examples_for(doc: str, title: str, paragraphs: list[str]) -> list[dict[str, Any]]:
    text = "\n\n".join(paragraphs)
    out: list[dict[str, Any]] = []
    if _words(text) < SHORT_NOTE_WORDS:
        out.append({"id": f"{doc}#T4-0", "doc": doc, "tier": "T4",
                    "messages": _messages(f"Write a short note on {title.lower()}.", text)})
    else:
        out.append({"id": f"{doc}#T2-0", "doc": doc, "tier": "T2",
                    "messages": _messages(f"Write an essay titled \"{title}\".", text)})
    if len(paragraphs) >= 2:
        cut = max(1, len(paragraphs) // 2)
        opening, rest = "\n\n".join(paragraphs[:cut]), "\n\n".join(paragraphs[cut:])
        out.append({"id": f"{doc}#T3-0", "doc": doc, "tier": "T3",
                    "messages": _messages(f"Continue this piece in the same voice:\n\n{opening}", rest)})
    out.append({"id": f"{doc}#raw-0", "doc": doc, "tier": "raw", "text": text})
    return out


def _split(doc: str) -> str:
    return "val" if int(hashlib.sha1(doc.encode()).hexdigest(), 16) % VAL_BUCKET == 0 else "train"


def write_dataset(folder: Path, notes: list[Path], source: str = "") -> Path:
    """Write train.jsonl, val.jsonl, documents.jsonl and manifest.json for these notes."""
    folder.mkdir(parents=True, exist_ok=True)
    splits: dict[str, list[dict[str, Any]]] = {"train": [], "val": []}
    documents = []
    for path in sorted(notes):
        doc = f"notes/{path.name}"
        title, paragraphs = read_note(path)
        if not paragraphs:
            continue
        split = _split(doc)
        text = "\n\n".join(paragraphs)
        documents.append({"doc": doc, "path": doc, "title": title, "split": split, "words": _words(text), "text": text})
        splits[split].extend(examples_for(doc, title, paragraphs))
    if not splits["val"]:  # a handful of notes may all hash to train: hold out the last one
        last = documents[-1]
        last["split"] = "val"
        moved = [e for e in splits["train"] if e["doc"] == last["doc"]]
        splits["train"] = [e for e in splits["train"] if e["doc"] != last["doc"]]
        splits["val"] = moved
    for split, examples in splits.items():
        examples.sort(key=lambda e: e["id"])
        with open(folder / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for example in examples:
                f.write(json.dumps(example, ensure_ascii=False) + "\n")
    with open(folder / "documents.jsonl", "w", encoding="utf-8") as f:
        for d in documents:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    tiers = Counter(e["tier"] for examples in splits.values() for e in examples)
    per_doc = Counter(e["doc"] for e in splits["train"])
    n_train = len(splits["train"])
    manifest = {
        "format": 1, "source": source or str(BIERCE_NOTES),
        "documents": {"total": len(documents), "train": sum(d["split"] == "train" for d in documents),
                      "val": sum(d["split"] == "val" for d in documents)},
        "pairs": {"train": n_train, "val": len(splits["val"])},
        "tiers": {t: tiers.get(t, 0) for t in ("T1", "T2", "T3", "T4", "raw")},
        "words": sum(d["words"] for d in documents),
        "perDocumentShare": [{"doc": d, "pairs": n, "share": round(n / n_train, 4)} for d, n in per_doc.most_common()],
        "boilerplate": {"removed": 0, "byKind": {}, "examples": []},
        "skipped": [], "warnings": [], "settings": {"builder": "test/engine/bierce_notes.py"},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def write_bierce_dataset(folder: Path, limit: int | None = None, notes_dir: Path = BIERCE_NOTES) -> Path:
    """The Bierce notes as a dataset; `limit` keeps the first N notes (by name) for quicker tests."""
    notes = sorted(notes_dir.glob("*.md"))
    if limit is not None:
        notes = notes[:limit]
    return write_dataset(folder, notes, source=str(notes_dir))

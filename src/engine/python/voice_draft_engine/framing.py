"""How the model is asked to write: as a document it continues, or as a chat assistant.

"plain" (continuation-native): the pairs that generate text (T2 title -> essay, T3 opening
-> continuation, T4 topic -> note) become the essay itself, a markdown title over its
paragraphs, and the model learns to continue it; nothing about it says "assistant". Ghost
text asks exactly this way (the prose before the cursor), and so do the canaries and the
evaluation, so the scores measure what the writer gets. An instruct model asked through its
chat template answers like a chat assistant ("That's a fun way to start a new paper...")
even after tuning; asked for the next paragraph of a document, it writes the next paragraph.
The rewrite (T1, draft -> finished) stays an instruction: it is a task, not a continuation.

"chat": every pair through the model's chat template (the format before this module).
"""

from __future__ import annotations

from typing import Any

FRAMINGS = ("plain", "chat")
# The tiers a plain framing writes as documents; T1 stays an instruction in either framing.
DOCUMENT_TIERS = ("T2", "T3", "T4")


def document_prompt(title: str | None, opening: str = "") -> str:
    """The start of a document the model continues: `# Title`, a blank line, the opening's
    paragraphs and the blank line before the next one (what ghost text sees at a new paragraph)."""
    head = f"# {title.strip()}\n\n" if title and title.strip() else ""
    body = opening.strip()
    return head + (body + "\n\n" if body else "")


def titles_by_doc(documents: list[dict[str, Any]]) -> dict[str, str]:
    return {str(d["doc"]): str(d["title"]) for d in documents if d.get("doc") and d.get("title")}


def opening_of(example: dict[str, Any]) -> str:
    """A T3 pair's opening: the user message after its first paragraph (the instruction;
    every T3 template puts the opening after a blank line, src/core/dataset/prompts.ts)."""
    user = next((m["content"] for m in example["messages"] if m["role"] == "user"), "")
    parts = user.split("\n\n", 1)
    return parts[1] if len(parts) == 2 else ""


def plain_pair(example: dict[str, Any], titles: dict[str, str]) -> tuple[str, str, bool] | None:
    """(prompt, answer, ends_piece) of a generating pair in the plain framing, or None for a
    pair that stays an instruction. `ends_piece`: the answer is a whole essay or note, so
    the model learns to stop after it; a T3 continuation is a cut inside the essay."""
    tier = example.get("tier")
    if tier not in DOCUMENT_TIERS:
        return None
    title = titles.get(str(example.get("doc", "")))
    answer = example["messages"][-1]["content"]
    if tier == "T3":
        return document_prompt(title, opening_of(example)), answer, False
    return document_prompt(title), answer, True

"""Chat residue: text that talks like an assistant instead of writing like the writer.

An instruct model asked to continue an essay tends to answer the request instead:
"Sure! Here's the next part of your essay:", "That's a fun way to start a new paper.",
"I hope this helps!". One such sentence in ghost text or a rewrite is a sentence the writer
must delete, so the measure is the share of samples with any, not a rate per word.

A pattern the writer's own corpus uses is not counted (a writer may well open a paragraph
with "Of course"): residue is what the model brings from chat, not what the writer says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

# Interjections that answer a request when they stand alone ("Sure!", "Of course, here is…"), not
# when they open a sentence of prose ("Of course the drum came first") or a heading ("GREAT
# FRAMES.", a MacDowell chapter title counted as residue until this).
INTERJECTIONS = (r"sure", r"certainly", r"of course", r"absolutely", r"great", r"okay", r"ok")
# Openers that answer a request, at the start of a sample (or of its first line).
OPENERS = INTERJECTIONS + (
    r"great (?:question|idea|choice)", r"here(?:'s| is| are)", r"what a", r"that'?s (?:a|an|such a) (?:\w+ )?(?:way|idea|question|topic|start|essay|title|prompt)",
    r"i(?:'d| would) (?:be happy|love) to", r"i(?:'m| am) (?:glad|happy|excited|delighted)", r"thank you for",
    r"thanks for", r"as an ai", r"as a (?:language model|writing partner|writing assistant)",
    r"in this (?:essay|piece|article|note|revised|rewritten)", r"this (?:essay|piece|article) (?:explores|discusses|is about)",
)
# Phrases that belong to an assistant's turn wherever they stand.
ANYWHERE = (
    r"as an ai", r"as a language model", r"i hope (?:this|that) helps", r"let me know if", r"feel free to",
    r"happy to help", r"writing partner", r"your (?:essay|draft|writing|paragraph|piece|text|prompt|request)",
    r"here(?:'s| is) (?:the|a|an|my|your) (?:revised|rewritten|edited|polished|improved|continued|next|final|updated)",
    r"(?:revised|rewritten|edited) (?:version|paragraph|draft|text)", r"i(?:'ve| have) (?:made|revised|edited|rewritten|kept)",
    r"in this revised", r"the (?:revised|rewritten) (?:version|paragraph)", r"word count", r"\bnote:",
)
# A character's line with its speech tag is the story, not the model answering a request:
# '"I'm delighted to see you," the janitor says.' (a Bierce fable's opening, counted as residue
# until this) or 'the janitor says, "Feel free to go."'. A quotation that closes on , ! ? or …
# before a lowercase word, or opens after "says," / "said:", is dialogue; a whole answer wrapped
# in quotes ('"Sure! Here's the revised paragraph: …"') is neither, and still counts.
_QUOTE = r"[\"“][^\"“”\n]{1,400}?"
_DIALOGUE = re.compile(_QUOTE + r"[,!?…][\"”](?=\s+[a-z])|(?<=[a-z][,:]\s)" + _QUOTE + r"[\"”]")
_OPENER = [(p, re.compile(r"^\W{0,3}(?:" + p + r")\b" + (r"(?=\s*[!,.:;…])" if p in INTERJECTIONS else ""),
                          re.IGNORECASE)) for p in OPENERS]
_ANYWHERE = [(p, re.compile(r"(?<!\w)(?:" + p + r")(?!\w)", re.IGNORECASE)) for p in ANYWHERE]


@dataclass
class Residue:
    share: float | None  # samples with any residue / samples (None: no samples)
    samples: int
    with_residue: int
    patterns: dict[str, int]  # pattern -> samples it was found in
    examples: list[str]  # up to three offending samples' first 160 characters

    def as_json(self) -> dict[str, object]:
        return {"share": self.share, "samples": self.samples, "with_residue": self.with_residue,
                "patterns": self.patterns, "examples": self.examples}


def writer_patterns(writer_texts: Iterable[str]) -> set[str]:
    """The patterns the writer's own text contains: those say nothing about chat."""
    found: set[str] = set()
    for text in writer_texts:
        for para in text.split("\n\n"):
            found |= {p for p, rx in _OPENER if rx.search(para.strip())}
        found |= {p for p, rx in _ANYWHERE if rx.search(text)}
    return found


def residue_in(text: str, skip: set[str] = frozenset()) -> list[str]:
    """The patterns found in one sample (openers at its start or its first line's start),
    outside the lines its characters speak."""
    text = _DIALOGUE.sub(" ", text)
    head = text.strip()
    first_line = head.split("\n", 1)[0]
    hits = [p for p, rx in _OPENER if p not in skip and (rx.search(head) or rx.search(first_line))]
    hits += [p for p, rx in _ANYWHERE if p not in skip and rx.search(text) and p not in hits]
    return hits


def chat_residue(samples: Sequence[str], writer_texts: Iterable[str] = ()) -> Residue:
    skip = writer_patterns(writer_texts)
    patterns: dict[str, int] = {}
    examples: list[str] = []
    dirty = 0
    for text in samples:
        hits = residue_in(text, skip)
        if hits:
            dirty += 1
            for p in hits:
                patterns[p] = patterns.get(p, 0) + 1
            if len(examples) < 3:
                examples.append(" ".join(text.split())[:160])
    share = round(dirty / len(samples), 4) if samples else None
    return Residue(share, len(samples), dirty, dict(sorted(patterns.items(), key=lambda kv: -kv[1])), examples)

"""Is a plain version of the writer's paragraph a usable draft? It must say what the paragraph
says and differ from it enough to teach something.

Kept only when (content_kept.py, the editor's own content check):
- every name, number, negation and quotation of the paragraph is there, and none is added;
- at least MIN_RECALL of its content words are there (words a de-styling pass swapped or cut
  by design, destyle.py's lists, do not count against it);
- for a model's paraphrase, no chat talk ("Sure! Here's...") and a length within reason;
- it is not a copy: at least MIN_CHANGED of its words differ from the paragraph's (about one
  word in 30; a pair that changes nothing teaches only copying). A de-styled draft is close to
  the paragraph by design: what it teaches is the task (a rewrite request answered with the
  passage alone, no chat) and the writer's own marks (punctuation, connectives, idiom).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import regex as re

from ..chat_residue import residue_in
from ..content_kept import content_kept, stem
from .destyle import INTENSIFIERS, OPENERS, SWAPS

MIN_RECALL = 0.8
MIN_CHANGED = 0.03
LENGTH_RANGE = (0.5, 1.6)  # plain words / paragraph words, for a model's paraphrase

# Content words a de-styling pass may drop on purpose (swapped or cut): their stems.
DESIGNED = frozenset(stem(w) for phrase in (*SWAPS, *INTENSIFIERS, *OPENERS) for w in re.findall(r"[\w']+", phrase))


@dataclass
class Verdict:
    kept: bool
    reason: str  # "" when kept; else why, in a few words (counted in the report)
    recall: float
    changed: float

    def as_json(self) -> dict[str, object]:
        return {"kept": self.kept, "reason": self.reason, "recall": round(self.recall, 3), "changed": round(self.changed, 3)}


def changed_share(original: str, plain: str) -> float:
    """Share of the original's words not matched, in order, by the plain version (0: a copy)."""
    a, b = original.lower().split(), plain.lower().split()
    if not a:
        return 0.0
    matched = sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return 1 - matched / len(a)


def judge(original: str, plain: str, writer_patterns: set[str] | frozenset[str] = frozenset(), model_made: bool = False) -> Verdict:
    """Whether `plain` may stand as the draft of `original` (see the module's docstring)."""
    if not plain.strip():
        return Verdict(False, "empty", 0.0, 0.0)
    changed = changed_share(original, plain)
    check = content_kept(original, plain)
    stems = list(dict.fromkeys(stem(w) for w in _content_words(original)))
    counted = [s for s in stems if s not in DESIGNED]
    missing = {stem(w) for w in check.missing_words} - DESIGNED
    recall = 1.0 if not counted else 1 - len(missing) / len(counted)
    if model_made:
        if residue_in(plain, set(writer_patterns)):
            return Verdict(False, "chat talk", recall, changed)
        ratio = len(plain.split()) / max(1, len(original.split()))
        if not LENGTH_RANGE[0] <= ratio <= LENGTH_RANGE[1]:
            return Verdict(False, "length", recall, changed)
    if check.lost:
        return Verdict(False, f"drops a {check.lost[0].kind}", recall, changed)
    if check.added:
        return Verdict(False, f"adds a {check.added[0].kind}", recall, changed)
    if recall < MIN_RECALL:
        return Verdict(False, "loses content words", recall, changed)
    if changed < MIN_CHANGED:
        return Verdict(False, "near copy", recall, changed)
    return Verdict(True, "", recall, changed)


def _content_words(text: str) -> list[str]:
    from ..content_kept import content_stems, words

    wanted = set(content_stems(text))
    return [w.lower for w in words(text) if stem(w.lower) in wanted]

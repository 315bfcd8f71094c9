"""Habits the seed projects fought, counted per 1,000 words.

The seed models learned things no writer asked for: hashtags, "subscribe"
calls to action, stock assistant phrases ("delve", "in today's fast-paced
world"), exclamation marks, and invented personal anecdotes ("When I was a
kid...") in answer to prompts that gave no personal context. Each habit is
counted the same way in base outputs, tuned outputs and the writer's own text,
so a rate means something only next to the writer's rate.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Iterable, Sequence

from .stylometry import word_count

# A hashtag is "#" + a letter, not preceded by a word character (so "C#" and
# "issue#12" do not count) and never a markdown heading ("# Title" has a space).
_HASHTAG = re.compile(r"(?<![\w#&/])#[^\W\d_][\w-]*")

# Calls to action and sign-offs the dataset builder strips from the corpus
# (a seed model learned "buy me a coffee").
CALLS_TO_ACTION = (
    r"subscribe", r"sign(?:ing)? up", r"follow (?:me|us)", r"like and share", r"share (?:this|it) with",
    r"smash (?:that|the) like", r"hit (?:that|the) (?:like|subscribe|bell)", r"leave a comment",
    r"drop a comment", r"comment below", r"let me know in the comments", r"in the comments below",
    r"let me know what you think", r"click (?:the|this) link", r"link in (?:my )?bio", r"buy me a coffee",
    r"thanks? (?:you )?for reading", r"don'?t forget to", r"stay tuned", r"join (?:my|our|the) (?:newsletter|community|mailing list)",
    r"check out my", r"support (?:my|this) (?:work|newsletter)", r"become a (?:paid )?(?:member|subscriber|patron)",
)

# Phrases that mark assistant-style text rather than any one writer. Matched
# case-insensitively on word boundaries; a writer who really says "delve" will
# show it in the writer column, which is why the writer's rate is reported too.
STOCK_AI_PHRASES = (
    r"delv(?:e|es|ed|ing)", r"tapestry", r"in today'?s (?:fast-paced|digital|modern|ever-changing) (?:world|age|landscape)",
    r"it'?s (?:important|worth|crucial) to (?:note|remember|consider)", r"it is (?:important|worth|crucial) to (?:note|remember|consider)",
    r"in conclusion", r"in summary", r"game[- ]changer", r"ever[- ]evolving", r"ever[- ]changing landscape",
    r"navigat(?:e|ing) the (?:complexities|complex|challenges|world)", r"unlock(?:ing)? (?:the|your) (?:full )?(?:potential|power|secrets)",
    r"unleash(?:ing)? (?:the|your)", r"embark(?:ing)? on (?:a|this|your) journey", r"a testament to",
    r"rich (?:tapestry|history and culture)", r"plays? a (?:crucial|vital|pivotal|key) role", r"(?:crucial|vital|pivotal) role in",
    r"seamless(?:ly)?", r"elevate (?:your|the)", r"harness(?:ing)? the power", r"dive (?:deep )?into", r"let'?s dive",
    r"as an ai", r"as a language model", r"i hope this helps", r"great question", r"certainly!", r"absolutely!",
    r"whether you'?re a", r"look no further", r"the world of", r"in the realm of", r"at the end of the day",
    r"stands? as a", r"not only .{1,40}? but also",
)

_CTA = re.compile(r"\b(?:" + "|".join(CALLS_TO_ACTION) + r")\b", re.IGNORECASE)
_STOCK = re.compile(r"(?<!\w)(?:" + "|".join(STOCK_AI_PHRASES) + r")(?!\w)", re.IGNORECASE)
_EXCLAIM = re.compile(r"!+")  # "!!!" is one exclamation, not three

# A first-person claim: "I" followed by a word ("I remember", "I've seen"),
# or "my"/"me" — the writer talking about themselves.
_FIRST_PERSON = re.compile(r"\bI(?:'(?:m|ve|d|ll))?(?=\s+[A-Za-z])|\b(?i:my|me|myself)\b")
_FIRST_PERSON_ANY = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|my|me|myself|mine)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")

HABITS = ("hashtags", "calls_to_action", "stock_phrases", "exclamations", "first_person_claims")


def gives_personal_context(prompt: str) -> bool:
    """Does the prompt speak in the first person? If so, an "I" in the answer is not invented."""
    return bool(_FIRST_PERSON_ANY.search(prompt.replace("\u2019", "'")))


def first_person_claims(text: str) -> int:
    """Sentences in which the text talks about its author ("I remember", "my father")."""
    text = text.replace("\u2019", "'")
    return sum(1 for s in _SENTENCE.findall(text) if _FIRST_PERSON.search(s))


@dataclass
class HabitCounts:
    words: int = 0
    hashtags: int = 0
    calls_to_action: int = 0
    stock_phrases: int = 0
    exclamations: int = 0
    first_person_claims: int = 0
    # first-person claims are counted only where the prompt gave no personal context
    first_person_words: int = 0

    def add(self, text: str, personal_context: bool = False) -> None:
        words = word_count(text)
        self.words += words
        self.hashtags += len(_HASHTAG.findall(text))
        self.calls_to_action += len(_CTA.findall(text))
        self.stock_phrases += len(_STOCK.findall(text))
        self.exclamations += len(_EXCLAIM.findall(text))
        if not personal_context:
            self.first_person_claims += first_person_claims(text)
            self.first_person_words += words

    def per_1000_words(self) -> dict[str, object]:
        def rate(n: int, words: int) -> float | None:
            return round(1000.0 * n / words, 3) if words else None

        out: dict[str, object] = {h: rate(getattr(self, h), self.words) for h in HABITS[:-1]}
        out["first_person_claims"] = rate(self.first_person_claims, self.first_person_words)
        out["words"] = self.words
        out["counts"] = {h: getattr(self, h) for h in HABITS}
        return out


def habit_rates(texts: Iterable[str], prompts: Sequence[str] | None = None) -> dict[str, object]:
    """Rates per 1,000 words over `texts`; `prompts[i]` decides whether an "I" in text i is invented."""
    counts = HabitCounts()
    for i, text in enumerate(texts):
        counts.add(text, gives_personal_context(prompts[i]) if prompts is not None else False)
    return counts.per_1000_words()


def length_report(outputs: Sequence[str], writer_lengths: Sequence[int], max_new_tokens: int,
                  truncated: Sequence[bool] | None = None) -> dict[str, float | int | None]:
    """Output length in words against the writer's median for the same tier.

    `truncated` marks outputs cut by max_new_tokens: when most are, the ratio
    measures the cap, not the model, and the report says so.
    """
    lengths = [word_count(o) for o in outputs]
    writer_median = statistics.median(writer_lengths) if writer_lengths else None
    median = statistics.median(lengths) if lengths else None
    return {
        "median_words": median,
        "writer_median_words": writer_median,
        "ratio": round(median / writer_median, 3) if median is not None and writer_median else None,
        "truncated_share": round(sum(truncated) / len(truncated), 3) if truncated else None,
        "samples": len(lengths),
        "max_new_tokens": max_new_tokens,
    }

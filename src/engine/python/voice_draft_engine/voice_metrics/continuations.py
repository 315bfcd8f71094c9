"""Plain continuations, asked the way ghost text asks: the prose before the cursor, no chat.

Each prompt is a held-out essay cut at a paragraph boundary: the paragraphs before the cut
(the oldest dropped to fit a token budget, as the editor drops them), a blank line, and the
model writes on. The sample is cut at its first paragraph break, as ghost text set to stop
at a paragraph is, and set beside the writer's own next paragraph (`reference`): the length
goal compares the two, and the dashboard's blind test shows them side by side.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any, Callable

from ..editor_sampling import Warping
from .stylometry import word_count

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Paragraphs shorter than this are headings, verse lines or captions: never a reference.
MIN_REFERENCE_WORDS = 25
# An opening needs some of the writer's text before the cut. Cut after a lone heading (Bierce's
# "FAIRY", the first line of a dictionary letter) the model is continuing one word: half of
# Bierce's voice-check openings were such words, and the tuned model that had learned the
# dictionary's layout answered them with the next headword alone (the sample is cut at its first
# paragraph), which the check scored as unlike the writer the better the loss got.
MIN_OPENING_WORDS = 25
# A line shorter than this is a heading in plain text ("FAIRY"), a name or a caption.
MIN_PARAGRAPH_WORDS = 8


@dataclass
class ContinuationPrompt:
    id: str
    doc: str
    opening: str  # what the model continues (ends with a blank line)
    reference: str  # the writer's own next paragraph


def continuation_prompts(heldout: list[dict[str, Any]], limit: int) -> list[ContinuationPrompt]:
    """Cuts at paragraph boundaries of the held-out documents, spread over each essay
    (beginning, middle and end before the places in between) and documents taking turns,
    so a small `limit` still covers several essays and places in them."""
    per_doc: list[list[ContinuationPrompt]] = []
    for d in sorted(heldout, key=lambda d: str(d.get("doc"))):
        paras = [p.strip() for p in _PARAGRAPH_BREAK.split(str(d.get("text", ""))) if p.strip()]
        before = [0]  # words in paras[:k]
        for p in paras:
            before.append(before[-1] + word_count(p))
        cuts = [k for k in range(1, len(paras))
                if word_count(paras[k]) >= MIN_REFERENCE_WORDS and before[k] >= MIN_OPENING_WORDS]
        # Golden-ratio order: each next cut falls in the largest stretch not yet sampled.
        cuts = [cuts[i] for i in sorted(range(len(cuts)), key=lambda i: (i * 0.6180339887) % 1.0)]
        doc_prompts = [ContinuationPrompt(f"{d.get('doc')}#cont-{k}", str(d.get("doc")),
                                          "\n\n".join(paras[:k]) + "\n\n", paras[k]) for k in cuts]
        if doc_prompts:
            per_doc.append(doc_prompts)
    out: list[ContinuationPrompt] = []
    for i in range(max((len(p) for p in per_doc), default=0)):
        for doc_prompts in per_doc:
            if i < len(doc_prompts) and len(out) < limit:
                out.append(doc_prompts[i])
    return out


def body_paragraph_words(texts: list[str]) -> list[int]:
    """Word counts of the writer's prose paragraphs (headings, fences, rules and one-line
    labels left out).

    The length goal compares a continuation with *the writer's paragraphs*: the `reference`
    paragraphs alone are chosen at 25+ words, which for a writer of short notes (Bierce's
    held-out notes: median 23 words, references 53) sets the bar at twice their length.
    """
    out: list[int] = []
    for text in texts:
        for p in _PARAGRAPH_BREAK.split(text):
            p = p.strip()
            if p and not p.startswith(("#", "```", "~~~", "---", "***")) and word_count(p) >= MIN_PARAGRAPH_WORDS:
                out.append(word_count(p))
    return out


def fit_opening(tokenizer: Any, opening: str, max_tokens: int) -> str:
    """The opening's last paragraphs that fit `max_tokens` (the editor keeps the text nearest the cursor)."""
    paras = [p for p in _PARAGRAPH_BREAK.split(opening) if p.strip()]
    # From the cursor back: an opening deep in a long file (Bierce's letter S is one essay of
    # hundreds of entries) is never tokenized whole, let alone once per paragraph dropped.
    kept = paras[-1:]
    for para in reversed(paras[:-1]):
        longer = [para] + kept
        if len(tokenizer("\n\n".join(longer), add_special_tokens=True)["input_ids"]) > max_tokens:
            break
        kept = longer
    text = "\n\n".join(kept)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) > max_tokens:  # one huge paragraph: keep its end
        text = tokenizer.decode(ids[-max_tokens:])
    return text + "\n\n"


_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’)\]*_]*$")


def is_heading(paragraph: str) -> bool:
    """A one-line label rather than prose: a markdown heading, or a short line that ends no
    sentence ("FLOWER", the next entry's headword; "Hassan Brubuddy", a quotation's author)."""
    p = paragraph.strip()
    return p.startswith("#") or ("\n" not in p and word_count(p) < MIN_PARAGRAPH_WORDS and not _SENTENCE_END.search(p))


def first_paragraph(text: str) -> str:
    """A sample up to its first paragraph of prose: what ghost text stopping at a paragraph shows,
    with any heading the model wrote before it. A voice that has learned a dictionary's layout
    starts a new entry with its headword; cut there, the sample was one word, and the better the
    voice knew the layout the less it was scored like the writer (Bierce, 8 of 16 samples at step
    60). The writer's side is read the same way (attribution.paragraphs keeps a heading with the
    paragraph under it)."""
    kept: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text.strip()):
        kept.append(paragraph.strip())
        if not is_heading(paragraph):
            break
    return "\n\n".join(kept).strip()


@dataclass
class ContinuationSample:
    prompt: int
    seed: int
    text: str  # the first paragraph the model wrote
    truncated: bool  # it was still writing that paragraph when max_new_tokens ran out


def sample_continuations(model: Any, tokenizer: Any, prompts: list[ContinuationPrompt], *, samples: int, seed: int,
                         max_new_tokens: int, warp: Warping, max_prompt_tokens: int,
                         progress: Callable[[int], None] | None = None, first: int = 0) -> list[ContinuationSample]:
    """`samples` continuations per prompt under seed + i, the same seeds for base and tuned.
    `first`: the index of `prompts[0]` among all the prompts asked (a later round of them), so
    every sample's `prompt` and seed are the ones it would have had asked all at once."""
    from ..canaries import Canary, generate_many, per_sample_progress

    sampling = {**asdict(warp), "max_new_tokens": max_new_tokens, "num_samples": samples}
    asked = [(Canary(p.id, p.opening[-400:], max_new_tokens, fit_opening(tokenizer, p.opening, max_prompt_tokens)), None,
              {**sampling, "seed": seed + first + i}) for i, p in enumerate(prompts)]
    written = generate_many(model, tokenizer, asked, progress=None if progress is None else per_sample_progress(progress, samples))
    out: list[ContinuationSample] = []
    for i, texts in enumerate(written):
        for text in texts:
            paragraph = first_paragraph(text)
            ended = paragraph != text.strip() or len(tokenizer(text, add_special_tokens=False)["input_ids"]) < max_new_tokens - 3
            out.append(ContinuationSample(first + i, seed + first + i, paragraph, not ended))
    return out


def more_continuations_wanted(words: int, needed: int, asked: int, available: int, cap: int) -> int:
    """How many more prompts to continue so that `words` (so far, from `asked` prompts) reaches
    `needed`: the shortfall at the words per prompt seen so far, a fifth more for the spread,
    within what is `available` and `cap` prompts in all; 0 when there are enough words or no room."""
    room = min(available, cap) - asked
    if words >= needed or room <= 0 or asked <= 0:
        return 0
    per_prompt = max(words / asked, 1.0)
    return min(room, max(1, math.ceil(1.2 * (needed - words) / per_prompt)))

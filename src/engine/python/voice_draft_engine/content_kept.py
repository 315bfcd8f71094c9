"""Did a rewrite keep its draft's meaning? The engine's copy of src/inference/contentKept.ts.

The editor flags a rewritten paragraph with the TypeScript version; the engine needs the same
judgement twice: to keep only synthetic drafts that say what the writer's paragraph says
(drafts/), and to score the voice's rewrites in `eval` (voice_metrics/rewrite.py). Both
versions are checked against the same cases (test/fixtures/content-kept-cases.json, written
by the TypeScript one), so they cannot drift apart.

Scores compare one rewritten paragraph with its draft paragraph: content-word recall (stop
words and filler out, lower-cased, lightly stemmed), precision, chrF (character 1-6-grams,
beta 2, spaces ignored), and key items: names (capitalised words not opening a sentence),
numbers (digits or words), negations (flagged when fewer in all) and quotations (kept word
for word). `flags` says in words why a paragraph may have changed meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex as re

RECALL_THRESHOLD = 0.6
CHRF_THRESHOLD = 0.3
MIN_WORDS_FOR_RECALL = 4

STOP_WORDS = frozenset("""
a an the and or but if then than so as at by for from in into of off on onto out over to up upon with within about above after
again against all also am any are aren as be because been before being below between both can could did do does doing down during
each few further had has have having he her here hers herself him himself his how i i'd i'll i'm i've it it's its itself let's me
more most my myself once only other ought our ours ourselves own same she she'd she'll she's should some such that that's their
theirs them themselves there there's these they they'd they'll they're they've this those through too under until very was we
we'd we'll we're we've were what what's when when's where where's which while who who's whom why why's will would you you'd
you'll you're you've your yours yourself yourselves is isnt its' im ive id ill youre theyre thats whats lets
just really actually basically literally pretty quite rather somewhat kind kinda sort sorta stuff thing things lot lots like
get gets got getting gotten very much many one ones even still yet ever already maybe perhaps well oh yeah okay ok
says said say go goes went gone going make makes made making thats
""".split())

_NOT = ("not cannot dont doesnt didnt isnt wasnt werent arent cant couldnt wouldnt shouldnt wont havent hasnt hadnt aint "
        "mustnt neednt mightnt shant").split()
NEGATION_GROUP = {**{w: "not" for w in _NOT},
                  **{w: w for w in "no never none nobody nothing nowhere neither nor without noone".split()}}

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "million": 1e6,
    "billion": 1e9, "dozen": 12,
}
# "one" is more often a pronoun than a count: it satisfies a draft's "1" but is never required.
WEAK_NUMBER_WORDS = frozenset({"one"})
TITLES = frozenset("mr mrs ms dr st prof sr jr rev gen capt lt col sgt".split())

_WORD = re.compile(r"[\p{L}\p{N}]+(?:['’][\p{L}]+)*(?:[.,][0-9]+)*")
_SENTENCE_GAP = re.compile(r"[.!?…:;][\"'”’)\]]*\s+[\"'“‘(\[]*$")
_LIST_MARK = re.compile(r"(?:^|\n)\s*(?:[-*+>]|\d+[.)])\s+$")


@dataclass
class Word:
    text: str
    lower: str
    start: int
    end: int
    sentence_start: bool


@dataclass
class KeyItem:
    kind: str  # name | number | negation | quotation
    text: str
    start: int
    end: int
    value: float | None = None  # numbers
    group: str | None = None  # negations

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text, "start": self.start, "end": self.end}


@dataclass
class ContentKept:
    recall: float
    precision: float
    chrf: float
    missing_words: list[str]
    lost: list[KeyItem]
    added: list[KeyItem]
    flags: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"recall": self.recall, "precision": self.precision, "chrF": self.chrf, "missingWords": self.missing_words,
                "lost": [i.as_json() for i in self.lost], "added": [i.as_json() for i in self.added], "flags": self.flags}


def words(text: str) -> list[Word]:
    out: list[Word] = []
    last = 0
    for m in _WORD.finditer(text):
        between = text[last:m.start()]
        prev = out[-1] if out else None
        after_title = prev is not None and re.fullmatch(r"\.\s+", between) is not None and prev.lower in TITLES
        sentence_start = (not out or (not after_title and _SENTENCE_GAP.search(between) is not None)
                          or re.search(r"\n[ \t]*\n", between) is not None or _LIST_MARK.search(between) is not None)
        out.append(Word(m.group(), m.group().lower().replace("’", "'"), m.start(), m.end(), sentence_start))
        last = m.end()
    return out


def stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s$", "", w)
    w = re.sub(r"'$", "", w)
    if len(w) <= 3 or re.search(r"\d", w):
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not re.search(r"(ss|us|is)$", w):
        w = w[:-1]
    if w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif w.endswith("ed") and len(w) >= 5:
        w = w[:-2]
    elif w.endswith("ly") and len(w) >= 5:
        w = w[:-2]
    if re.search(r"([b-df-hj-np-tv-z])\1$", w) and not re.search(r"(ll|ss|zz)$", w):
        w = w[:-1]
    if w.endswith("e") and len(w) >= 4:
        w = w[:-1]
    return w


def negation_group(lower: str) -> str | None:
    w = lower.replace("'", "")
    if lower.endswith("n't") or w == "cannot":
        return "not"
    return NEGATION_GROUP.get(w)


def content_stems(text: str) -> list[str]:
    return [stem(w) for w in (x.lower for x in words(text))
            if w not in STOP_WORDS and w.replace("'", "") not in STOP_WORDS and negation_group(w) is None
            and not re.match(r"\d", w) and w not in NUMBER_WORDS and re.search(r"\p{L}{2}", w)]


def _surface_of(text: str, stemmed: str) -> str:
    return next((w.lower for w in words(text) if stem(w.lower) == stemmed), stemmed)


def _char_ngrams(chars: str, n: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(len(chars) - n + 1):
        g = chars[i:i + n]
        counts[g] = counts.get(g, 0) + 1
    return counts


def chrf(hypothesis: str, reference: str, max_n: int = 6, beta: float = 2) -> float:
    """chrF (Popović 2015): character n-grams 1..max_n, whitespace removed, lower-cased, F with beta."""
    hyp = re.sub(r"\s+", "", hypothesis.lower())
    ref = re.sub(r"\s+", "", reference.lower())
    if not hyp and not ref:
        return 1.0
    if not hyp or not ref:
        return 0.0
    p_sum = r_sum = 0.0
    orders = 0
    for n in range(1, max_n + 1):
        h_total, r_total = max(0, len(hyp) - n + 1), max(0, len(ref) - n + 1)
        if h_total == 0 or r_total == 0:
            break
        h, r = _char_ngrams(hyp, n), _char_ngrams(ref, n)
        match = sum(min(c, r.get(g, 0)) for g, c in h.items())
        p_sum += match / h_total
        r_sum += match / r_total
        orders += 1
    if orders == 0:
        return 0.0
    p, r = p_sum / orders, r_sum / orders
    if p == 0 and r == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r)


def _base_name(lower: str) -> str:
    return re.sub(r"'s$", "", lower)


def names(text: str) -> list[KeyItem]:
    ws = words(text)

    def is_cap(w: Word) -> bool:
        return w.text[:1].isupper() and re.search(r"\p{L}", w.text) is not None

    mid_caps = {_base_name(w.lower) for w in ws if not w.sentence_start and is_cap(w)}
    return [KeyItem("name", re.sub(r"['’]s$", "", w.text), w.start, w.end) for w in ws
            if is_cap(w) and not re.match(r"i(?:'|’|$)", w.text, re.I)
            and (not w.sentence_start or _base_name(w.lower) in mid_caps)]


def numbers(text: str) -> list[KeyItem]:
    out: list[KeyItem] = []
    for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", text):
        raw = m.group()
        try:
            value = float(raw.replace(",", "").rstrip("."))
        except ValueError:
            continue
        shown = re.sub(r"[.,]$", "", raw)
        out.append(KeyItem("number", shown, m.start(), m.start() + len(shown), value=value))
    for m in re.finditer(r"\b([a-z]+)(?:-([a-z]+))?\b", text, re.I | re.ASCII):  # JavaScript's \b is ASCII
        a = NUMBER_WORDS.get(m.group(1).lower())
        if a is None:
            continue
        b = NUMBER_WORDS.get(m.group(2).lower()) if m.group(2) else None
        if m.group(2) and b is None:
            continue
        out.append(KeyItem("number", m.group(), m.start(), m.end(), value=a + (b or 0)))
    return sorted(out, key=lambda x: x.start)


def negations(text: str) -> list[KeyItem]:
    out = []
    for w in words(text):
        group = negation_group(w.lower)
        if group:
            out.append(KeyItem("negation", w.text, w.start, w.end, group=group))
    return out


_QUOTE = re.compile(r"“([^”\n]{1,400})”|\"([^\"\n]{1,400})\"|‘([^’\n]*\s[^’\n]*)’|(?<![\p{L}\p{N}])'([^'\n]*\s[^'\n]*)'(?![\p{L}\p{N}])")


def quotations(text: str) -> list[KeyItem]:
    out = []
    for m in _QUOTE.finditer(text):
        inner = next((g for g in m.groups() if g is not None), "")
        if re.search(r"\p{L}", inner):
            out.append(KeyItem("quotation", inner, m.start(), m.end()))
    return out


def _normalise(s: str) -> str:
    s = re.sub(r"[’‘]", "'", s.lower())
    return re.sub(r"\s+", " ", re.sub(r"[“”]", '"', s)).strip()


def _quote_body(s: str) -> str:
    return re.sub(r"^[\s.,;:!?…-]+|[\s.,;:!?…-]+$", "", _normalise(s))


def _fmt(value: float) -> str:
    """A number as JavaScript prints it (1911, not 1911.0)."""
    return str(int(value)) if value == int(value) else str(value)


def content_kept(draft: str, rewrite: str) -> ContentKept:
    """How much of the draft paragraph's content the rewritten paragraph keeps, and what it drops."""
    draft_stems = list(dict.fromkeys(content_stems(draft)))
    rewrite_stems = set(content_stems(rewrite))
    missing = [_surface_of(draft, s) for s in draft_stems if s not in rewrite_stems]
    recall = 1.0 if not draft_stems else (len(draft_stems) - len(missing)) / len(draft_stems)
    precision = 1.0 if not rewrite_stems else len([s for s in rewrite_stems if s in set(draft_stems)]) / len(rewrite_stems)
    score = chrf(rewrite, draft)

    lost: list[KeyItem] = []
    added: list[KeyItem] = []
    rewrite_words = {_base_name(w.lower) for w in words(rewrite)}
    draft_words = {_base_name(w.lower) for w in words(draft)}
    seen: set[str] = set()
    for n in names(draft):
        key = _base_name(n.text.lower().replace("’", "'"))
        if key in seen:
            continue
        seen.add(key)
        if key not in rewrite_words:
            lost.append(n)
    seen_added: set[str] = set()
    for n in names(rewrite):
        key = _base_name(n.text.lower().replace("’", "'"))
        if key not in draft_words and key not in STOP_WORDS and key not in seen_added:
            seen_added.add(key)
            added.append(n)

    rewrite_numbers, draft_numbers = numbers(rewrite), numbers(draft)
    rewrite_values = {n.value for n in rewrite_numbers}
    draft_values = {n.value for n in draft_numbers}
    seen_values: set[float | None] = set()
    for n in draft_numbers:
        if n.value in seen_values or n.text.lower() in WEAK_NUMBER_WORDS:
            continue
        seen_values.add(n.value)
        if n.value not in rewrite_values:
            lost.append(n)
    for n in rewrite_numbers:
        if n.value in draft_values or n.text.lower() in WEAK_NUMBER_WORDS or n.value in seen_values:
            continue
        seen_values.add(n.value)
        added.append(n)

    draft_neg, rewrite_neg = negations(draft), negations(rewrite)
    if len(rewrite_neg) < len(draft_neg):
        left: dict[str | None, int] = {}
        for n in rewrite_neg:
            left[n.group] = left.get(n.group, 0) + 1
        for n in draft_neg:
            if left.get(n.group, 0) > 0:
                left[n.group] -= 1
            else:
                lost.append(n)

    rewrite_text = _normalise(rewrite)
    for q in quotations(draft):
        if _quote_body(q.text) not in rewrite_text:
            lost.append(q)

    lost.sort(key=lambda i: i.start)
    flags: list[str] = []
    if len(draft_stems) >= MIN_WORDS_FOR_RECALL and recall < RECALL_THRESHOLD:
        more = ", …" if len(missing) > 6 else ""
        flags.append(f"loses the draft's words: {', '.join(missing[:6])}{more} ({int(recall * 100 + 0.5)}% kept)")
    if len(draft.strip()) >= 20 and score < CHRF_THRESHOLD:
        flags.append(f"little of the draft's wording is left (chrF {score:.2f})")
    flags += [_lost_reason(i) for i in lost]
    added_numbers = [a for a in added if a.kind == "number"]
    added_names = [a for a in added if a.kind == "name"]
    if added_numbers:
        flags.append(f"adds {'the number' if len(added_numbers) == 1 else 'the numbers'} "
                     f"{', '.join(a.text for a in added_numbers)}, not in the draft")
    if added_names:
        flags.append(f"adds {'the name' if len(added_names) == 1 else 'the names'} "
                     f"{', '.join(a.text for a in added_names)}, not in the draft")
    return ContentKept(recall, precision, score, missing, lost, added, flags)


def _lost_reason(item: KeyItem) -> str:
    if item.kind == "name":
        return f"drops the name {item.text}"
    if item.kind == "number":
        return f"drops the number {item.text}"
    if item.kind == "negation":
        return f"drops '{item.text}'"
    text = item.text if len(item.text) <= 60 else item.text[:57] + "…"
    return f"changes or drops the quotation “{text}”"

"""A plain version of one of the writer's paragraphs that cannot invent anything.

Every step only cuts, splits or swaps a word from a closed list, so whatever comes out was
in the paragraph: no name, number or claim can appear that the writer did not write. What
goes is what marks a voice rather than a meaning: dashes and semicolons, parentheticals
without names or numbers, intensifiers and sentence-opening connectives, literary and
archaic words (swapped for common ones), contractions (expanded), long sentences (split at
", and" / ", but"), emphasis markup. Quotations are left word for word.

checks.py decides whether the result is kept (content words, names, numbers, negations
and quotations of the original all there; not a near copy).
"""

from __future__ import annotations

import regex as re

VERSION = 1  # part of the cache key: a changed pass makes new drafts

# Literary or archaic words and phrases -> the common ones (lower case; the case of the
# first letter is kept). Only swaps that say the same thing.
SWAPS: dict[str, str] = {
    "upon": "on", "whilst": "while", "amongst": "among", "amidst": "amid", "unto": "to", "ere": "before",
    "oft": "often", "thus": "so", "hence": "so", "therefore": "so", "thereby": "by this", "wherein": "in which",
    "whereby": "by which", "whereupon": "then", "thereof": "of it", "therein": "in it", "hither": "here",
    "thither": "there", "whence": "from where", "shall": "will", "albeit": "although", "perchance": "perhaps",
    "doth": "does", "hath": "has", "'tis": "it is", "moreover": "also", "furthermore": "also",
    "nevertheless": "still", "nonetheless": "still", "notwithstanding": "despite", "whereas": "while",
    "hitherto": "until now", "heretofore": "until now", "forthwith": "at once", "inasmuch as": "because",
    "in order to": "to", "in spite of": "despite", "owing to": "because of", "by means of": "by",
    "with regard to": "about", "with respect to": "about", "in regard to": "about", "a great many": "many",
    "a great deal of": "much", "at length": "finally", "in as much as": "because", "whosoever": "whoever",
    "whatsoever": "at all", "wherefore": "why", "incessantly": "constantly", "endeavour": "try",
    "endeavor": "try", "commence": "begin", "commenced": "began", "purchase": "buy", "purchased": "bought",
    "sufficient": "enough", "manifold": "many", "frequently": "often", "oftentimes": "often",
    "peculiar": "strange", "behold": "see", "beheld": "saw", "naught": "nothing", "aught": "anything",
}
# Words that colour a sentence without changing what it says.
INTENSIFIERS = ("very", "quite", "really", "truly", "indeed", "utterly", "extremely", "exceedingly", "immensely",
                "tremendously", "immeasurably", "decidedly", "positively", "absolutely", "certainly", "surely",
                "undoubtedly", "doubtless", "assuredly", "veritably", "wholly", "thoroughly", "altogether",
                "so to speak", "as it were", "of course", "to be sure", "in fact", "in truth", "as I have said",
                "as we have seen", "as I have shown", "that is to say", "it is true", "in short", "needless to say")
# Connectives that open a sentence and carry tone, not content.
OPENERS = ("and", "now", "so", "indeed", "besides", "also", "further", "accordingly", "consequently")
# Interjections that open a sentence only with a comma ("Why, ..."; "Why do we" is a question).
COMMA_OPENERS = ("why", "well", "ah", "oh", "alas", "yes")
CONTRACTIONS = [
    (r"\bwon't\b", "will not"), (r"\bcan't\b", "cannot"), (r"\bshan't\b", "will not"), (r"\bain't\b", "is not"),
    (r"\b(\w+)n't\b", r"\1 not"), (r"\b(\w+)'ll\b", r"\1 will"), (r"\b(\w+)'ve\b", r"\1 have"),
    (r"\b(\w+)'re\b", r"\1 are"), (r"\bI'm\b", "I am"), (r"\b(it|that|there|what|here|he|she|who)'s\b", r"\1 is"),
    (r"\b(\w+)'d\b", r"\1 would"),
]
LONG_SENTENCE_WORDS = 28

_QUOTE = re.compile(r"“[^”\n]{1,400}”|\"[^\"\n]{1,400}\"|‘[^’\n]*\s[^’\n]*’|(?<![\p{L}\p{N}])'[^'\n]*\s[^'\n]*'(?![\p{L}\p{N}])")
_HOLD = "\ue000{}\ue001"
_HELD = re.compile("\ue000(\\d+)\ue001")
_KEY = re.compile(r"\d|\ue000|\b(?:not|no|never|none|nor|neither|nothing|nobody|without|cannot)\b|n't\b|\p{Lu}")


def destyle(paragraph: str) -> str:
    """The paragraph's plain version (see the module's docstring); '' for no prose."""
    text = " ".join(paragraph.split())
    if not re.search(r"\p{L}", text):
        return ""
    held: list[str] = []

    def hold(m: re.Match[str]) -> str:
        held.append(m.group())
        return _HOLD.format(len(held) - 1)

    text = _QUOTE.sub(hold, text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](\S(?:.*?\S)?)[*_](?![\w*])", r"\1", text)
    text = text.replace("’", "'").replace("‘", "'")
    text = _parentheticals(text)
    text = re.sub(r"\s*(?:—|–|--)\s*", ", ", text)  # dashes: an aside becomes a plain clause
    text = re.sub(r"\s+-\s+", ", ", text)
    text = re.sub(r"\s*;\s*", ". ", text)
    text = re.sub(r"\s*:\s*(?!\d)", ". ", text)
    text = re.sub(r"!+", ".", text)
    text = re.sub(r"\.\.\.|…", ".", text)
    for pattern, plain in CONTRACTIONS:
        text = re.sub(pattern, plain, text, flags=re.I)
    text = _swap(text)
    # "is to be found" -> "is found": a period's idiom for the plain passive.
    text = re.sub(r"\b(is|are|was|were) to be (found|heard|seen|met|sought|traced|noticed|observed|recognized|recognised)\b",
                  r"\1 \2", text, flags=re.I)
    text = _drop_intensifiers(text)
    text = _tidy(text)
    text = " ".join(_split_long(s) for s in _sentences(text))
    text = _drop_openers(text)
    text = _tidy(text)
    return _HELD.sub(lambda m: held[int(m.group(1))], text)


def _parentheticals(text: str) -> str:
    """An aside in brackets goes; one that holds a name, number, negation or quotation stays as a clause."""
    def one(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        return f", {inner}," if _KEY.search(" " + inner) else " "
    return re.sub(r"\s*[(\[]([^()\[\]]{1,300})[)\]]", one, text)


def _case_like(word: str, plain: str) -> str:
    return plain[:1].upper() + plain[1:] if word[:1].isupper() else plain


def _swap(text: str) -> str:
    for word in sorted(SWAPS, key=len, reverse=True):
        text = re.sub(rf"(?<![\w']){re.escape(word)}(?![\w'])", lambda m: _case_like(m.group(), SWAPS[word]), text, flags=re.I)
    return text


def _drop_intensifiers(text: str) -> str:
    for word in INTENSIFIERS:
        # "very" before "much"/"many"/"few"/"little" is kept: "not very many" is a count.
        guard = r"(?!\s+(?:much|many|few|little|same|well|good|end|moment|first|last|best|thing|idea)\b)" if word == "very" else ""
        text = re.sub(rf",?\s*\b{re.escape(word)}\b{guard},?", " ", text, flags=re.I)
    return text


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?])\s+(?=[\p{Lu}\ue000\d\"“'])", text) if s.strip()]


def _split_long(sentence: str) -> str:
    """A sentence over LONG_SENTENCE_WORDS words split at the ", and" / ", but" nearest its middle, again while too long."""
    if len(sentence.split()) <= LONG_SENTENCE_WORDS:
        return sentence
    middle = len(sentence) / 2
    joints = [m for m in re.finditer(r",\s+(and|but)\s+(?=\w)", sentence)
              if 4 <= len(sentence[:m.start()].split()) and 4 <= len(sentence[m.end():].split())]
    if not joints:
        return sentence
    m = min(joints, key=lambda j: abs(j.start() - middle))
    head = sentence[:m.start()].rstrip(" ,") + "."
    rest = sentence[m.end():]
    if m.group(1).lower() == "but":
        rest = "but " + rest
    rest = rest[:1].upper() + rest[1:]
    return _split_long(head) + " " + _split_long(rest)


def _drop_openers(text: str) -> str:
    """Connectives opening a sentence ("And", "Now", "Indeed,") go; the sentence starts at its next word."""
    start = r"(^|(?<=[.?]\s))"
    out = re.sub(start + r"(?:" + "|".join(OPENERS) + r")\b,?\s+(?=\p{Ll})", r"\1", text, flags=re.I)
    out = re.sub(start + r"(?:" + "|".join(COMMA_OPENERS) + r"),\s+", r"\1", out, flags=re.I)
    out = re.sub(start + r"yet,?\s+(?=\p{Ll})", r"\1But ", out, flags=re.I)
    return re.sub(r"(^|(?<=[.?]\s))(\p{Ll})", lambda m: m.group(1) + m.group(2).upper(), out)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.?])", r"\1", text)
    text = re.sub(r"([,.?])(?:\s*,)+", r"\1", text)  # ", ," and ". ," after a cut
    text = re.sub(r",\s*([.?])", r"\1", text)
    text = re.sub(r"\.(\s*\.)+", ".", text)
    text = re.sub(r"^[\s,.]+", "", text)
    text = re.sub(r"(^|[.?]\s+)(\p{Ll})", lambda m: m.group(1) + m.group(2).upper(), text)
    text = text.strip()
    if text and not re.search(r"[.?\ue001\"”']$", text):
        text += "."
    return text

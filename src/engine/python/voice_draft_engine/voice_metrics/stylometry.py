"""Stylometric distance between texts and a writer's corpus.

Two classic, model-free measures, so the figure means the same thing whatever
base model a run used:

* Burrows' Delta over the writer's most frequent words (mostly function words:
  "the", "of", "but", "which"), the standard authorship measure. A word's
  relative frequency is turned into a z-score with the spread that word has
  across chunks of the writer's own corpus; Delta is the mean absolute z-score
  difference. The mean cancels, so Delta = mean_w |f_text(w) - f_writer(w)| / sd(w),
  and a text with the writer's exact frequencies scores 0.
* Cosine similarity of character 3-gram counts (punctuation and spacing kept:
  dashes, semicolons and "!" are part of a voice). Identical texts score 1.

The writer's corpus fixes the word list and the spreads, so runs on the same
corpus are comparable whatever the models produce.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .bootstrap import DEFAULT_RESAMPLES, percentile_interval, resample_weights

# Letters with internal apostrophes ("don't", "writer's"); digits carry no style.
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_SPACE_RE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower case, straight apostrophes, one space for any run of white space."""
    return _SPACE_RE.sub(" ", text.translate(_APOSTROPHES).lower()).strip()


def tokenize(text: str) -> list[str]:
    return _WORD_RE.findall(text.translate(_APOSTROPHES).lower())


def word_count(text: str) -> int:
    return sum(1 for _ in _WORD_RE.finditer(text.translate(_APOSTROPHES)))


def truncate_words(text: str, max_words: int) -> str:
    """The text up to and including its `max_words`-th word (punctuation before it kept)."""
    if max_words <= 0:
        return ""
    for i, m in enumerate(_WORD_RE.finditer(text.translate(_APOSTROPHES))):
        if i + 1 == max_words:
            return text[: m.end()]
    return text


def chunk_text(text: str, words: int) -> list[str]:
    """Consecutive pieces of about `words` words each (raw text, punctuation kept); a short tail is dropped."""
    if words <= 0:
        return []
    ends = [m.end() for m in _WORD_RE.finditer(text.translate(_APOSTROPHES))]
    out, start = [], 0
    for k in range(words - 1, len(ends), words):
        out.append(text[start:ends[k]].strip())
        start = ends[k]
    return out


# ---------------------------------------------------------------- Burrows' Delta

@dataclass(frozen=True)
class DeltaSpace:
    """The writer's most frequent words, their pooled frequencies and their spreads."""

    words: tuple[str, ...]
    writer_freq: np.ndarray  # relative frequency of each word in the whole writer corpus
    sd: np.ndarray  # standard deviation of that frequency across writer chunks
    chunk_words: int
    chunks: int

    @classmethod
    def fit(cls, writer_texts: Iterable[str], n_words: int = 100, chunk_words: int = 500) -> "DeltaSpace":
        tokens = [t for text in writer_texts for t in tokenize(text)]
        # The spread needs several chunks: on a small corpus, shorter chunks
        # (never under 50 words, where frequencies are mostly noise).
        chunk = max(50, min(chunk_words, len(tokens) // 10))
        n_chunks = len(tokens) // chunk
        if n_chunks < 2:
            raise ValueError(f"the writer's corpus is too small for Burrows' Delta ({len(tokens)} words; need 100+)")
        counts = Counter(tokens)
        # Ties broken alphabetically so the word list never depends on dict order.
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n_words]
        words = [w for w, _ in ranked]
        index = {w: i for i, w in enumerate(words)}
        per_chunk = np.zeros((n_chunks, len(words)))
        for c in range(n_chunks):
            for t in tokens[c * chunk:(c + 1) * chunk]:
                i = index.get(t)
                if i is not None:
                    per_chunk[c, i] += 1
        per_chunk /= chunk
        sd = per_chunk.std(axis=0, ddof=1)
        freq = np.array([counts[w] for w in words], dtype=np.float64) / len(tokens)
        # A word with no spread across chunks cannot be z-scored; it is left out.
        keep = sd > 0
        return cls(tuple(w for w, k in zip(words, keep) if k), freq[keep], sd[keep], chunk, n_chunks)

    def counts(self, text: str) -> tuple[np.ndarray, int]:
        """Occurrences of each word of the space in `text`, and the text's word count."""
        index = {w: i for i, w in enumerate(self.words)}
        vec = np.zeros(len(self.words))
        tokens = tokenize(text)
        for t in tokens:
            i = index.get(t)
            if i is not None:
                vec[i] += 1
        return vec, len(tokens)

    def delta_from_counts(self, counts: np.ndarray, total: float) -> float:
        if total <= 0:
            return float("nan")
        return float(np.mean(np.abs(counts / total - self.writer_freq) / self.sd))

    def delta(self, texts: str | Sequence[str]) -> float:
        """Delta between the pooled `texts` and the writer."""
        pooled = texts if isinstance(texts, str) else "\n\n".join(texts)
        return self.delta_from_counts(*self.counts(pooled))


def burrows_delta(texts: str | Sequence[str], writer_texts: Sequence[str], n_words: int = 100, chunk_words: int = 500) -> float:
    return DeltaSpace.fit(writer_texts, n_words, chunk_words).delta(texts)


# ---------------------------------------------------------- character n-grams

def char_ngrams(text: str, n: int = 3) -> Counter[str]:
    s = normalize(text)
    return Counter(s[i:i + n] for i in range(len(s) - n + 1))


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return float("nan")
    small, large = (a, b) if len(a) < len(b) else (b, a)
    dot = sum(v * large.get(k, 0) for k, v in small.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb)


def char_ngram_cosine(a: str | Sequence[str], b: str | Sequence[str], n: int = 3) -> float:
    pool = lambda t: t if isinstance(t, str) else "\n\n".join(t)  # noqa: E731
    return cosine(char_ngrams(pool(a), n), char_ngrams(pool(b), n))


# ------------------------------------------------- groups of units, with CIs

@dataclass
class _Group:
    word_counts: np.ndarray  # units × words
    totals: np.ndarray  # words per unit
    ngrams: np.ndarray  # units × n-gram vocabulary (dense: a few hundred units at most)


class StyleComparison:
    """Delta and char-cosine of groups of texts (base, tuned, writer's held-out) against the writer.

    Each group is a list of units (one generated sample, or one chunk of held-out
    text). A group's score is computed on its pooled units; the bootstrap draws
    units with replacement, so the interval shows how much the figure owes to
    which samples happened to be drawn.
    """

    def __init__(self, writer_texts: Sequence[str], n_words: int = 100, chunk_words: int = 500, ngram: int = 3) -> None:
        self.space = DeltaSpace.fit(writer_texts, n_words, chunk_words)
        self.ngram = ngram
        self.writer_ngrams = char_ngrams("\n\n".join(writer_texts), ngram)
        self._vocab = {g: i for i, g in enumerate(sorted(self.writer_ngrams))}
        self.groups: dict[str, _Group] = {}

    def add_group(self, name: str, units: Sequence[str]) -> None:
        units = [u for u in units if word_count(u) > 0]
        counted = [self.space.counts(u) for u in units]
        grams = [char_ngrams(u, self.ngram) for u in units]
        for g in grams:  # n-grams the writer never used still count against the cosine
            for k in g:
                if k not in self._vocab:
                    self._vocab[k] = len(self._vocab)
        self.groups[name] = _Group(
            np.array([c for c, _ in counted]).reshape(len(units), len(self.space.words)),
            np.array([t for _, t in counted], dtype=np.float64),
            self._dense(grams),
        )

    def _dense(self, grams: list[Counter[str]]) -> np.ndarray:
        out = np.zeros((len(grams), len(self._vocab)))
        for r, g in enumerate(grams):
            for k, v in g.items():
                out[r, self._vocab[k]] = v
        return out

    def _writer_vec(self) -> np.ndarray:
        return self._dense([self.writer_ngrams])[0]

    def _scores(self, g: _Group, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Delta and cosine for each row of unit weights (1 row = the point estimate).

        Pooled n-gram vectors are never built: with G the units' n-gram counts and
        w a row of weights, pooled·writer = w·(G·writer) and |pooled|² = w·(G·Gᵀ)·w,
        which keeps a thousand resamples cheap.
        """
        wv = self._writer_vec()[: g.ngrams.shape[1]]  # n-grams added later are zero in this group
        counts = weights @ g.word_counts
        totals = weights @ g.totals
        with np.errstate(divide="ignore", invalid="ignore"):
            freq = counts / totals[:, None]
            delta = np.mean(np.abs(freq - self.space.writer_freq) / self.space.sd, axis=1)
            delta = np.where(totals > 0, delta, np.nan)
            dots = weights @ (g.ngrams @ wv)
            norms = np.sqrt(np.einsum("ij,jk,ik->i", weights, g.ngrams @ g.ngrams.T, weights))
            cos = dots / (norms * np.linalg.norm(self._writer_vec()))
        return delta, cos

    def point(self, name: str) -> tuple[float, float]:
        g = self.groups[name]
        d, c = self._scores(g, np.ones((1, len(g.totals))))
        return float(d[0]), float(c[0])

    def bootstrap(self, name: str, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        g = self.groups[name]
        if len(g.totals) == 0:
            return np.full(resamples, np.nan), np.full(resamples, np.nan)
        return self._scores(g, resample_weights(len(g.totals), resamples, seed))

    def report(self, base: str = "base", tuned: str = "tuned", floor: str = "floor",
               resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> dict:
        """eval.json's `stylometry` section: scores, intervals and the share of the gap closed."""
        names = [base, tuned, floor]
        points = {n: self.point(n) for n in names}
        # Independent seeds per group: the groups are independent samples.
        boots = {n: self.bootstrap(n, resamples, seed + i) for i, n in enumerate(names)}
        out: dict = {"delta": {}, "char_cosine": {}}
        for n in names:
            out["delta"][n] = points[n][0]
            out["delta"][f"{n}_ci"] = percentile_interval(boots[n][0], point=points[n][0]).as_json()
            out["char_cosine"][n] = points[n][1]
            out["char_cosine"][f"{n}_ci"] = percentile_interval(boots[n][1], point=points[n][1]).as_json()
        # Gap closed: 0 = tuned is as far from the writer as base, 1 = as close as
        # the writer's own unseen text. For the cosine, distance = 1 - cosine.
        d_gap = gap_closed(points[base][0], points[tuned][0], points[floor][0])
        c_gap = gap_closed(1 - points[base][1], 1 - points[tuned][1], 1 - points[floor][1])
        d_boot = _gap_array(boots[base][0], boots[tuned][0], boots[floor][0])
        c_boot = _gap_array(1 - boots[base][1], 1 - boots[tuned][1], 1 - boots[floor][1])
        out["delta"]["gap_closed"] = d_gap
        out["delta"]["gap_closed_ci"] = percentile_interval(d_boot, point=d_gap).as_json()
        out["char_cosine"]["gap_closed"] = c_gap
        out["char_cosine"]["gap_closed_ci"] = percentile_interval(c_boot, point=c_gap).as_json()
        out["gap_closed"] = d_gap
        out["units"] = {n: int(len(self.groups[n].totals)) for n in names}
        out["words"] = {n: int(self.groups[n].totals.sum()) for n in names}
        out["mfw"] = len(self.space.words)
        out["chunk_words"] = self.space.chunk_words
        out["ngram"] = self.ngram
        return out


def gap_closed(base: float, tuned: float, floor: float) -> float | None:
    """(base - tuned) / (base - floor): the share of the base→writer distance the tuning removed.

    None when base is not farther than the floor: there is no gap to close.
    """
    if not all(map(math.isfinite, (base, tuned, floor))) or base - floor <= 1e-12:
        return None
    return (base - tuned) / (base - floor)


def _gap_array(base: np.ndarray, tuned: np.ndarray, floor: np.ndarray) -> np.ndarray:
    gap = base - floor
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap > 1e-12, (base - tuned) / gap, np.nan)

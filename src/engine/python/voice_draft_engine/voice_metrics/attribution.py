"""Attribution: would a classifier take the tuned model's paragraphs for the writer's?

A logistic regression learns to tell the writer's paragraphs from the base
model's, on features that carry style more than topic: relative frequencies of
function words and TF-IDF character n-grams. It is then shown the tuned
model's paragraphs; the share it attributes to the writer is the score.

Two reference points make the share readable: how often the classifier takes a
base paragraph for the writer (cross-validated; the floor) and how often it
recognises the writer's own held-out paragraphs (the ceiling: held-out essays
are on new topics, as the prompts are, so this shows what topic alone costs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .bootstrap import DEFAULT_RESAMPLES, bootstrap_ci
from .stylometry import word_count

# Closed-class English words: frequent in every text, chosen unconsciously, so
# they mark a writer rather than a subject (Mosteller & Wallace; Burrows).
FUNCTION_WORDS = tuple("""
a about above after again against all almost along also although always am among an and another any anyone
anything are around as at be because been before being below between both but by can cannot could did do
does doing down during each either enough even ever every few for from further had has have having he her
here hers herself him himself his how however i if in into is it its itself just least less many may me
might mine more most much must my myself neither never no nor not nothing now of off often on once one only
or other others otherwise our ours ourselves out over own perhaps quite rather same several shall she should
since so some something still such than that the their theirs them themselves then there therefore these they
this those though through thus till to too toward towards under unless until up upon us very was we were what
whatever when whenever where whereas whether which while who whom whose why will with within without would
yet you your yours yourself
""".split())

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraphs(text: str, min_words: int = 40) -> list[str]:
    """Blank-line paragraphs, short ones merged with the next until `min_words`.

    One-line paragraphs (a heading, a verse line) carry too few words to
    attribute; a short tail is merged into the paragraph before it.
    """
    out: list[str] = []
    buf: list[str] = []
    words = 0
    for p in _PARAGRAPH_BREAK.split(text.strip()):
        p = p.strip()
        if not p:
            continue
        buf.append(p)
        words += word_count(p)
        if words >= min_words:
            out.append("\n\n".join(buf))
            buf, words = [], 0
    if buf:
        if out and words < min_words // 2:
            out[-1] = out[-1] + "\n\n" + "\n\n".join(buf)
        elif words >= min_words // 2:
            out.append("\n\n".join(buf))
    return out


def _featurizer(labeled: Sequence[str]):
    """Fits the two feature blocks on the labeled paragraphs; returns texts → matrix.

    Each block is TF-IDF weighted and L2-normalised on its own, so the 150
    function words and the thousands of n-grams weigh alike. The vocabularies
    and IDF see all labeled paragraphs, cross-validation folds included: that
    uses no labels, and one fit instead of one per fold keeps this fast on a CPU.
    """
    import scipy.sparse as sp

    words, chars = _vectorizers(labeled)
    return lambda texts: sp.hstack([words.transform(texts), chars.transform(texts)]).tocsr()


def _vectorizers(labeled: Sequence[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(vocabulary=FUNCTION_WORDS, token_pattern=r"(?u)\b[^\W\d_]+\b", sublinear_tf=True)
    # char_wb: n-grams inside word boundaries, so punctuation habits count but
    # cross-word topic phrases do not; min_df drops one-off names.
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2, max_features=5000)
    words.fit(labeled)
    chars.fit(labeled)
    return words, chars


def _classifier(seed: int):
    from sklearn.linear_model import LogisticRegression

    # class_weight: the writer usually has many more paragraphs than the base
    # samples. C=10: weak regularisation suits L2-normalised TF-IDF rows (tried
    # on Bierce vs MacDowell: C=1 0.960, C=10 0.967 cross-validated accuracy).
    return LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=seed)


def fit_writer_classifier(writer: Sequence[str], base: Sequence[str], seed: int = 0):
    """The writer-vs-base classifier fitted on all of both: texts -> P(writer) for each."""
    texts = list(writer) + list(base)
    labels = np.array([1] * len(writer) + [0] * len(base))
    featurize = _featurizer(texts)
    model = _classifier(seed).fit(featurize(texts), labels)
    return lambda paragraphs: model.predict_proba(featurize(list(paragraphs)))[:, 1]


def portable_writer_classifier(writer: Sequence[str], base: Sequence[str], seed: int = 0) -> dict:
    """The writer-vs-base classifier as plain numbers, for the editor to rank rewrites by
    (src/inference/voiceScore.ts; `<run>/voice-score.json`): P(writer) = sigmoid(coef . x +
    intercept), x = the two TF-IDF blocks side by side, each L2-normalised: function-word counts
    and char_wb 2-4-gram counts (words padded with a space, lower-cased), 1 + ln(count), times idf."""
    import scipy.sparse as sp

    texts = list(writer) + list(base)
    labels = np.array([1] * len(writer) + [0] * len(base))
    words, chars = _vectorizers(texts)
    model = _classifier(seed).fit(sp.hstack([words.transform(texts), chars.transform(texts)]).tocsr(), labels)
    by_index = lambda vocabulary: [t for t, _ in sorted(vocabulary.items(), key=lambda kv: kv[1])]
    return {"format": 1, "what": "writer-vs-base logistic regression (voice_metrics/attribution.py)",
            "words": {"terms": by_index(words.vocabulary_), "idf": [round(float(v), 6) for v in words.idf_]},
            "chars": {"ngram_range": [2, 4], "terms": by_index(chars.vocabulary_),
                      "idf": [round(float(v), 6) for v in chars.idf_]},
            "coef": [round(float(v), 6) for v in model.coef_[0]], "intercept": round(float(model.intercept_[0]), 6),
            "paragraphs": {"writer": len(writer), "base": len(base)}}


@dataclass
class AttributionResult:
    tuned_share: float
    ci: dict
    tuned_mean_probability: float
    classifier_accuracy: float
    base_share: float  # base paragraphs taken for the writer, cross-validated
    writer_recall: float  # the writer's training paragraphs recognised, cross-validated
    writer_heldout_share: float | None
    paragraphs: dict

    def as_json(self) -> dict:
        out = dict(self.__dict__)
        # The three shares side by side, in the {base, tuned, writer} shape every
        # other score has, so generic readers (the dashboard) show them as one row.
        out["attributed"] = {"base": self.base_share, "tuned": self.tuned_share, "writer": self.writer_heldout_share}
        return out


def attribute(
    writer_paragraphs: Sequence[str],
    base_paragraphs: Sequence[str],
    tuned_paragraphs: Sequence[str],
    heldout_paragraphs: Sequence[str] = (),
    seed: int = 0,
    max_writer: int = 600,
    resamples: int = DEFAULT_RESAMPLES,
    pool_paragraphs: Sequence[str] = (),
) -> AttributionResult:
    """`pool_paragraphs`: more of the base model's writing (base_pool.py) that the classifier
    learns from in every fold but is never scored: the floor stays the share of *these*
    base paragraphs (the evaluation's, on the tuned paragraphs' prompts) taken for the writer."""
    from sklearn.model_selection import StratifiedKFold

    if len(base_paragraphs) < 2 or len(writer_paragraphs) < 2:
        raise ValueError("attribution needs at least 2 writer and 2 base paragraphs")
    if not tuned_paragraphs:
        raise ValueError("attribution needs tuned paragraphs to score")
    writer = list(writer_paragraphs)
    if len(writer) > max_writer:  # a big corpus would dominate the fit time, not the answer
        keep = np.sort(np.random.default_rng(seed).choice(len(writer), max_writer, replace=False))
        writer = [writer[i] for i in keep]
    pool = list(pool_paragraphs)
    texts = writer + list(base_paragraphs)
    labels = np.array([1] * len(writer) + [0] * len(base_paragraphs))

    featurize = _featurizer(texts + pool)
    features = featurize(texts)
    pool_features = featurize(pool) if pool else None

    folds = min(5, len(base_paragraphs), len(writer))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = np.zeros_like(labels)
    for train, test in cv.split(features, labels):
        x, y = _with_pool(features[train], labels[train], pool_features)
        predicted[test] = _classifier(seed).fit(x, y).predict(features[test])
    accuracy = float(np.mean(predicted == labels))

    model = _classifier(seed).fit(*_with_pool(features, labels, pool_features))
    tuned_prob = model.predict_proba(featurize(list(tuned_paragraphs)))[:, 1]
    attributed = (tuned_prob >= 0.5).astype(np.float64)
    heldout_share = None
    if heldout_paragraphs:
        heldout_share = float(np.mean(model.predict_proba(featurize(list(heldout_paragraphs)))[:, 1] >= 0.5))
    return AttributionResult(
        tuned_share=float(attributed.mean()),
        ci=bootstrap_ci(attributed, resamples=resamples, seed=seed).as_json(),
        tuned_mean_probability=float(tuned_prob.mean()),
        classifier_accuracy=accuracy,
        base_share=float(np.mean(predicted[labels == 0] == 1)),
        writer_recall=float(np.mean(predicted[labels == 1] == 1)),
        writer_heldout_share=heldout_share,
        paragraphs={"writer": len(writer), "base": len(base_paragraphs), "tuned": len(tuned_paragraphs),
                    "heldout": len(heldout_paragraphs), "base_pool": len(pool), "cv_folds": folds},
    )


def _with_pool(features: Any, labels: np.ndarray, pool_features: Any) -> tuple[Any, np.ndarray]:
    """The fold's rows with the pool's base paragraphs added as more of the base side."""
    import scipy.sparse as sp

    if pool_features is None:
        return features, labels
    return sp.vstack([features, pool_features]).tocsr(), np.concatenate([labels, np.zeros(pool_features.shape[0], int)])

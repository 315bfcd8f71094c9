"""Voice metrics on texts with known answers (no model needed).

The corpora are read at run time from the shared folder next to the repo
(`../shared/corpora`); tests that need them skip when it is absent.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from voice_draft_engine.voice_metrics.attribution import attribute, paragraphs
from voice_draft_engine.voice_metrics.continuations import body_paragraph_words
from voice_draft_engine.voice_metrics.bootstrap import bootstrap_ci, percentile_interval, ratio_ci
from voice_draft_engine.voice_metrics.habits import (first_person_claims, gives_personal_context, habit_rates,
                                                     length_report)
from voice_draft_engine.voice_metrics.stylometry import (DeltaSpace, StyleComparison, burrows_delta,
                                                         char_ngram_cosine, delta_words, delta_words_needed, gap_closed,
                                                         matched_lengths, style_report,
                                                         tokenize, truncate_words, word_count, writer_pieces)

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


def _read(folder: Path) -> list[str]:
    if not folder.is_dir():
        pytest.skip(f"corpus not found: {folder}")
    out = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.S)  # front matter is not prose
        out.append(text)
    return out


@pytest.fixture(scope="module")
def bierce() -> list[str]:
    return _read(CORPORA / "bierce-notes" / "notes")


@pytest.fixture(scope="module")
def macdowell() -> list[str]:
    return _read(CORPORA / "macdowell-essays")


# A small hand-made corpus, so the basic identities run even without the shared corpora.
HAND = (Path(__file__).resolve().parents[1] / "fixtures" / "voice-score" / "miller.txt").read_text(
    encoding="utf-8").strip().split("\n\n")


# ------------------------------------------------------------------ stylometry

def test_identical_corpora_have_zero_delta_and_cosine_one() -> None:
    assert burrows_delta(HAND, HAND, n_words=30) == pytest.approx(0.0, abs=1e-12)
    assert char_ngram_cosine(HAND, HAND) == pytest.approx(1.0, abs=1e-12)


def test_tokenize_and_truncate() -> None:
    assert tokenize("Don’t stop, Writer's 3 dogs!") == ["don't", "stop", "writer's", "dogs"]
    assert truncate_words("One, two; three four.", 3) == "One, two; three"
    assert truncate_words("short", 10) == "short"


def test_bierce_vs_macdowell_is_far_and_bierce_halves_are_near(bierce: list[str], macdowell: list[str]) -> None:
    space = DeltaSpace.fit(bierce[::2])
    same_writer = space.delta(bierce[1::2])
    other_writer = space.delta(macdowell)
    assert space.delta(bierce[::2]) == pytest.approx(0.0, abs=1e-12)
    assert other_writer > 1.5 * same_writer, (same_writer, other_writer)
    cos_same = char_ngram_cosine(bierce[1::2], bierce[::2])
    cos_other = char_ngram_cosine(macdowell, bierce[::2])
    assert cos_same > cos_other
    assert 1 - cos_other > 2 * (1 - cos_same), (cos_same, cos_other)


def test_gap_closed_known_answers() -> None:
    assert gap_closed(1.0, 1.0, 0.2) == pytest.approx(0.0)
    assert gap_closed(1.0, 0.2, 0.2) == pytest.approx(1.0)
    assert gap_closed(1.0, 0.6, 0.2) == pytest.approx(0.5)
    assert gap_closed(0.2, 0.1, 0.3) is None  # base already closer than the floor: no gap


def test_style_comparison_gap_and_determinism(bierce: list[str], macdowell: list[str]) -> None:
    writer, heldout = bierce[:100], bierce[100:]
    units_other = [truncate_words(t, 150) for t in macdowell]
    units_same = [truncate_words(t, 150) for t in heldout[:25]]

    def report(tuned: list[str], seed: int = 0) -> dict:
        sc = StyleComparison(writer)
        sc.add_group("base", units_other)
        sc.add_group("tuned", tuned)
        sc.add_group("floor", units_same)
        return sc.report(resamples=300, seed=seed)

    like_writer = report(units_same)
    like_base = report(units_other)
    assert like_writer["gap_closed"] == pytest.approx(1.0)
    assert like_base["gap_closed"] == pytest.approx(0.0)
    assert like_writer["char_cosine"]["gap_closed"] == pytest.approx(1.0)
    # The same inputs and seed give the same figures, intervals included.
    assert report(units_same) == like_writer
    ci = like_writer["delta"]["base_ci"]
    assert ci[0] <= like_writer["delta"]["base"] <= ci[1]
    assert report(units_same, seed=1)["delta"]["base_ci"] != ci


# ------------------------------------- short samples (issue #19): matched lengths

def _halves(text: str) -> tuple[str, str]:
    """A document's first and second half, split at a paragraph break."""
    paras = text.split("\n\n")
    return "\n\n".join(paras[: len(paras) // 2]), "\n\n".join(paras[len(paras) // 2:])


@pytest.fixture(scope="module")
def short_samples(bierce: list[str], macdowell: list[str]) -> dict:
    """MacDowell as the writer; samples as an eval makes them, with known answers.

    The held-out essays' first halves are the held-out text the floor is cut
    from; "tuned" samples are paragraphs of their second halves (the writer's
    own unseen text, so the right gap closed is about 100%), made from the same
    documents as the floor, as eval prompts are. "base" samples are another
    author's: 168 words of Bierce each, the base's median in issue #19.
    """
    writer, heldout = macdowell[:17], macdowell[17:]
    firsts = {f"doc{i}": _halves(t)[0] for i, t in enumerate(heldout)}
    own = [(f"doc{i}", p) for i, t in enumerate(heldout) for p in paragraphs(_halves(t)[1], 80)]
    own = [own[k] for k in np.random.default_rng(0).permutation(len(own))[:24]]
    others = [p for t in bierce for p in paragraphs(t, 168)]
    base = [truncate_words(p, 168) for p in others[:24]]
    return {"writer": writer, "heldout": firsts, "sources": [d for d, _ in own], "own": [p for _, p in own],
            "base": base}


def _report(s: dict, tuned_words: int, seed: int = 0) -> dict:
    tuned = [truncate_words(p, tuned_words) for p in s["own"]]
    return style_report(s["writer"], s["heldout"], s["base"], tuned, s["sources"], resamples=300, seed=seed)


def test_own_text_cut_short_closes_the_gap_to_a_longer_other_author(short_samples: dict) -> None:
    """The old evaluation (each side pooled as written, floor = median length x samples) gave 147% here,
    1,186% at 45 words and no figure at 30: the base's 3,655 words made it look as close as the writer."""
    rep = _report(short_samples, 60)
    words = rep["words"]
    assert words["base"] == words["tuned"] == words["floor"] == rep["words_used"] == 24 * 60
    assert rep["words_generated"]["base"] > 2 * rep["words_used"]
    assert rep["delta"]["tuned"] < rep["delta"]["base"]
    assert 0.7 < rep["gap_closed"] < 1.3, rep["gap_closed"]  # 110%: the own text is about as close as the floor
    assert rep["delta"]["gap_closed_ci"][0] <= rep["gap_closed"] <= rep["delta"]["gap_closed_ci"][1]
    assert rep["reliable"] is True and rep["unreliable_reason"] is None
    assert rep["delta"]["base_minus_floor_ci"][0] > 0


def test_own_text_is_closer_than_another_author_at_the_same_short_length(short_samples: dict) -> None:
    for words in (30, 45):  # 720 and 1,080 words per side
        rep = _report(short_samples, words)
        assert rep["words_used"] == 24 * words
        assert rep["delta"]["tuned"] < rep["delta"]["base"], (words, rep["delta"])
        assert rep["gap_closed"] is not None and rep["gap_closed"] > 0, (words, rep["gap_closed"])


def test_too_little_text_is_flagged_with_the_length_it_needs(short_samples: dict) -> None:
    rep = _report(short_samples, 10)  # 240 words per side: a coin toss between authors
    assert rep["words_used"] == 240 < rep["min_words"]
    assert rep["reliable"] is False
    assert "240 words" in rep["unreliable_reason"] and str(rep["min_words"]) in rep["unreliable_reason"]
    # Above the minimum, the same samples are trusted.
    assert _report(short_samples, 45)["reliable"] is True


def test_writing_more_does_not_buy_a_closer_delta(short_samples: dict) -> None:
    """Tuned = base's own text cut short: after matching both sides are the same text, so the same Delta."""
    s = short_samples
    base = [truncate_words(p, 150) for p in s["own"]]
    tuned = [truncate_words(p, 25) for p in s["own"]]
    rep = style_report(s["writer"], s["heldout"], base, tuned, s["sources"], resamples=100)
    assert rep["delta"]["tuned"] == pytest.approx(rep["delta"]["base"], abs=1e-12)
    # Unmatched, the longer side was much closer: 1,000+ more words lower Delta by a third.
    space = DeltaSpace.fit(s["writer"])
    assert space.delta(base) < 0.8 * space.delta(tuned)


def test_min_words_grows_with_the_word_list(macdowell: list[str]) -> None:
    spaces = [DeltaSpace.fit(macdowell[:17], n_words=n) for n in (50, 100, 200)]
    needed = [s.min_words for s in spaces]
    assert needed == sorted(needed) and needed[0] < needed[-1]
    assert needed[1] == math.ceil(1 / spaces[1].writer_freq.min())
    assert 500 < needed[1] < 2000  # 912 for these essays


def test_matched_lengths_and_writer_pieces() -> None:
    assert matched_lengths(["one two three", "a b", ""], ["x y", "p q r s", "z"]) == [2, 2, 0]
    docs = {"a": HAND[0], "b": HAND[1]}  # 45 and 40 words
    pieces = writer_pieces(docs, [("a", 10), ("a", 5), ("b", 7), (None, 3), ("a", 30), ("b", 1000)])
    assert pieces[:3] == ["The river ran past the mill, and the miller watched", "it, as he had watched",
                          "In the spring the water rose and"]
    assert pieces[3] == "the wheel turned"  # no document asked for: the one with the most words left
    assert word_count(pieces[4]) == 30 and pieces[4].endswith("charge for the trip")
    assert pieces[5] is None  # no document has 1,000 words left


def test_delta_words_counts_what_the_report_pools(short_samples: dict) -> None:
    """eval's top-up counts words as style_report pools them: a pair whose held-out piece has run out is not counted."""
    s = short_samples
    tuned = [truncate_words(p, 60) for p in s["own"]]
    assert delta_words(s["heldout"], s["base"], tuned, s["sources"]) == _report(s, 60)["words_used"] == 24 * 60
    little = {doc: " ".join(text.split()[:100]) for doc, text in s["heldout"].items()}  # 100 words a document
    rep = style_report(s["writer"], little, s["base"], tuned, s["sources"], resamples=50)
    assert delta_words(little, s["base"], tuned, s["sources"]) == rep["words_used"] < 24 * 60
    assert delta_words_needed(s["writer"]) == rep["min_words"]
    assert delta_words_needed(["too few words to chunk"]) is None


def test_paired_report_is_deterministic_and_resamples_triples(short_samples: dict) -> None:
    rep = _report(short_samples, 60)
    assert _report(short_samples, 60) == rep
    other = _report(short_samples, 60, seed=1)
    assert other["delta"]["gap_closed_ci"] != rep["delta"]["gap_closed_ci"]
    assert other["gap_closed"] == rep["gap_closed"]
    for side in ("base", "tuned", "floor"):
        low, high = rep["delta"][f"{side}_ci"]
        assert low <= rep["delta"][side] <= high
    sc = StyleComparison(short_samples["writer"])
    sc.add_group("base", short_samples["base"][:3])
    sc.add_group("tuned", short_samples["own"][:4])
    sc.add_group("floor", short_samples["own"][:4])
    with pytest.raises(ValueError):
        sc.report(resamples=10, paired=True)


# ------------------------------------------------------------------ attribution

def test_paragraphs_merge_short_ones() -> None:
    text = "Title\n\n" + " ".join(["word"] * 50) + "\n\nA short tail."
    paras = paragraphs(text, min_words=40)
    assert len(paras) == 1 and paras[0].startswith("Title\n\n") and paras[0].endswith("A short tail.")


def test_attribution_tells_writers_apart(bierce: list[str], macdowell: list[str]) -> None:
    bp = [p for t in bierce for p in paragraphs(t)]
    mp = [p for t in macdowell for p in paragraphs(t)]
    writer, writer_rest = bp[:180], bp[180:]
    other, other_rest = mp[:90], mp[90:150]
    sounds_like_writer = attribute(writer, other, writer_rest, seed=0, resamples=200)
    sounds_like_other = attribute(writer, other, other_rest, seed=0, resamples=200)
    assert sounds_like_writer.classifier_accuracy > 0.9
    assert sounds_like_writer.tuned_share > 0.8
    assert sounds_like_other.tuned_share < 0.3
    assert sounds_like_writer.ci[0] <= sounds_like_writer.tuned_share <= sounds_like_writer.ci[1]
    assert attribute(writer, other, writer_rest, seed=0, resamples=200) == sounds_like_writer


def test_a_base_pool_teaches_the_classifier_and_is_never_scored(bierce: list[str], macdowell: list[str]) -> None:
    # The writer is Bierce; "the base model" is MacDowell, of whom an evaluation has only a few
    # paragraphs (base) and the pool many more. Other MacDowell paragraphs play the tuned side.
    bp = [p for t in bierce for p in paragraphs(t)]
    mp = [p for t in macdowell for p in paragraphs(t)]
    writer, base, pool, other = bp[:180], mp[:6], mp[6:126], mp[126:186]
    alone = attribute(writer, base, other, seed=0, resamples=200)
    pooled = attribute(writer, base, other, seed=0, resamples=200, pool_paragraphs=pool)
    assert pooled.paragraphs["base"] == 6 and pooled.paragraphs["base_pool"] == 120
    assert pooled.paragraphs["tuned"] == len(other)
    # The floor is still measured on the evaluation's own base paragraphs (6 of them, cross-validated).
    assert pooled.base_share in {i / 6 for i in range(7)}
    assert pooled.base_share <= alone.base_share
    assert pooled.tuned_share < alone.tuned_share
    assert attribute(writer, base, other, seed=0, resamples=200, pool_paragraphs=pool) == pooled


# ------------------------------------------------------------------ habits

def test_habit_counts_on_hand_made_text() -> None:
    text = ("In today's fast-paced world, we must delve into the tapestry of life! Subscribe for more!!! "
            "#writing #life\nWhen I was a kid my father told me stories. It is important to note that C# "
            "is a language.\n# A heading, not a hashtag\nThanks for reading. Don't forget to like and share.")
    rates = habit_rates([text])
    counts = rates["counts"]
    assert counts == {"hashtags": 2, "calls_to_action": 4, "stock_phrases": 4, "exclamations": 2,
                      "first_person_claims": 1}
    words = rates["words"]
    assert rates["hashtags"] == pytest.approx(round(2000 / words, 3))


def test_first_person_only_counts_without_personal_context() -> None:
    answer = "My father was a miller. I remember the wheel. The river was cold."
    assert first_person_claims(answer) == 2
    assert gives_personal_context("Tell me about your childhood") is True
    assert gives_personal_context("Write an essay titled \"Rivers\".") is False
    assert habit_rates([answer], ["Write an essay titled \"Rivers\"."])["first_person_claims"] > 0
    assert habit_rates([answer], ["I grew up by a river. Continue:"])["first_person_claims"] is None


def test_plain_prose_has_no_habits() -> None:
    counts = habit_rates(HAND)["counts"]
    assert counts == {"hashtags": 0, "calls_to_action": 0, "stock_phrases": 0, "exclamations": 0,
                      "first_person_claims": 0}


def test_length_against_writer_median() -> None:
    rep = length_report(["one two three", "one two three four five"], [4, 8, 10], max_new_tokens=64,
                        truncated=[False, True])
    assert rep["median_words"] == 4 and rep["writer_median_words"] == 8
    assert rep["ratio"] == 0.5 and rep["truncated_share"] == 0.5


# ------------------------------------------------------------------ bootstrap

def test_writer_paragraph_lengths_count_every_body_paragraph() -> None:
    # Short paragraphs count (a writer of short notes is compared with short notes);
    # headings, code and rules are not paragraphs the writer wrote.
    text = ("# A heading\n\nFAIRY\n\nOne two three four five six seven eight.\n\n```\ncode here and more code"
            " in the fence\n```\n\n---\n\nFour five six seven eight nine ten eleven twelve.")
    assert body_paragraph_words([text, HAND[0]]) == [8, 9, len(HAND[0].split())]


def test_bootstrap_ci_contains_point_and_is_deterministic() -> None:
    values = np.random.default_rng(7).normal(3.0, 1.0, size=80)
    ci = bootstrap_ci(values, seed=11)
    assert ci.low < values.mean() < ci.high
    assert bootstrap_ci(values, seed=11) == ci
    assert bootstrap_ci(values, seed=12) != ci
    assert ci.high - ci.low < 1.0  # ~ 4 standard errors of 1/sqrt(80)


def test_ratio_ci_resamples_documents_with_their_tokens() -> None:
    nll = np.array([200.0, 90.0, 400.0, 55.0])
    tokens = np.array([100.0, 50.0, 180.0, 30.0])
    point = math.exp(nll.sum() / tokens.sum())
    ci = ratio_ci(nll, tokens, transform=math.exp, seed=3)
    assert ci.low <= point <= ci.high
    assert ratio_ci(nll, tokens, transform=math.exp, seed=3) == ci


def test_bias_corrected_interval_is_centred_on_the_point() -> None:
    shifted = np.linspace(1.0, 2.0, 101)  # bootstrap estimates all above a point of 0.5
    plain = percentile_interval(shifted)
    corrected = percentile_interval(shifted, point=0.5)
    assert plain.low > 0.5
    assert corrected.low < 0.5 < corrected.high
    assert corrected.high - corrected.low == pytest.approx(plain.high - plain.low)

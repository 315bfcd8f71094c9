"""The classifier training writes for the editor (voice-score.json) is the one the engine scores with.

test/fixtures/voice-score holds the portable classifier and scikit-learn's probabilities that
the editor's scorer (src/inference/voiceScore.ts) is tested against; this checks that the
engine still writes exactly that file, so the two cannot drift apart.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "voice-score"


def _maker():
    spec = importlib.util.spec_from_file_location("make_fixture", FIXTURE / "make_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def portable_probability(scorer: dict, text: str) -> float:
    """P(writer) from voice-score.json alone, as the editor computes it (src/inference/voiceScore.ts)."""
    import math
    import re

    lower = text.lower()
    words = [w for w in re.findall(r"\w+", lower) if re.fullmatch(r"[^\W\d_]+", w)]
    grams = []
    low, high = scorer["chars"]["ngram_range"]
    for word in lower.split():
        w = f" {word} "
        for n in range(low, high + 1):
            grams += [w[i:i + n] for i in range(max(1, len(w) - n + 1))]
            if len(w) <= n:
                break
    z, offset = scorer["intercept"], 0
    for block, terms in (("words", words), ("chars", grams)):
        index = {t: i for i, t in enumerate(scorer[block]["terms"])}
        counts: dict[int, int] = {}
        for t in terms:
            if t in index:
                counts[index[t]] = counts.get(index[t], 0) + 1
        row = {i: (1 + math.log(c)) * scorer[block]["idf"][i] for i, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in row.values())) or 1.0
        z += sum(scorer["coef"][offset + i] * v / norm for i, v in row.items())
        offset += len(scorer[block]["terms"])
    return 1 / (1 + math.exp(-z))


def test_the_file_alone_gives_scikit_learns_probabilities() -> None:
    m = _maker()
    scorer = json.loads((FIXTURE / "scorer.json").read_text("utf-8"))
    cases = json.loads((FIXTURE / "cases.json").read_text("utf-8"))
    assert [portable_probability(scorer, c["text"]) for c in cases] == pytest.approx([c["probability"] for c in cases], abs=1e-4)
    assert m.TEXTS


def test_the_fixture_is_what_the_engine_writes_now() -> None:
    from voice_draft_engine.voice_metrics.attribution import fit_writer_classifier, portable_writer_classifier

    m = _maker()
    scorer = portable_writer_classifier(m.WRITER, m.BASE, seed=7)
    assert scorer == json.loads((FIXTURE / "scorer.json").read_text("utf-8"))
    cases = json.loads((FIXTURE / "cases.json").read_text("utf-8"))
    probability = fit_writer_classifier(m.WRITER, m.BASE, seed=7)
    assert [c["text"] for c in cases] == m.TEXTS
    assert list(probability(m.TEXTS)) == pytest.approx([c["probability"] for c in cases])
    assert len(scorer["coef"]) == len(scorer["words"]["terms"]) + len(scorer["chars"]["terms"])
    assert cases[0]["probability"] > 0.5 > cases[2]["probability"]  # the writer's line vs the assistant's

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

"""The engine's content check says what the editor's says (src/inference/contentKept.ts).

The cases and the TypeScript answers are in test/fixtures/content-kept/cases.json; the
TypeScript test checks that file against contentKept.ts, this one the Python copy against it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice_draft_engine.content_kept import chrf, content_kept, content_stems, names, numbers

CASES = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "content-kept" / "cases.json").read_text("utf-8"))


def _items(items: list) -> list:
    return [(i["kind"], i["text"], i["start"], i["end"]) for i in items]


@pytest.mark.parametrize("case", CASES, ids=[c["draft"][:30] or "empty" for c in CASES])
def test_same_answer_as_the_editor(case: dict) -> None:
    got = content_kept(case["draft"], case["rewrite"]).as_json()
    want = case["expected"]
    assert got["recall"] == pytest.approx(want["recall"])
    assert got["precision"] == pytest.approx(want["precision"])
    assert got["chrF"] == pytest.approx(want["chrF"])
    assert got["missingWords"] == want["missingWords"]
    assert _items(got["lost"]) == _items(want["lost"])
    assert _items(got["added"]) == _items(want["added"])
    assert got["flags"] == want["flags"]


def test_pieces() -> None:
    assert content_stems("The shops were closing, and we really walked past them.") == ["shop", "clos", "walk", "past"]
    assert [n.text for n in names("My grandmother Rosa walked to Brighton. Rosa never drove. I did.")] == ["Rosa", "Brighton", "Rosa"]
    assert [n.value for n in numbers("In 1911 they walked twelve miles, 3.5 hours, for 12,000 people and twenty-five cents.")] == \
        [1911, 12, 3.5, 12000, 25]
    assert chrf("The mill closed.", "The mill closed.") == 1
    assert chrf("xyz", "abc") == 0

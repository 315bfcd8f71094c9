"""Synthetic drafts (issue #20): plain inputs that say what the writer's paragraph says, and nothing else.

The de-styling pass must never invent (every word it writes was in the paragraph, or is a
swap from its closed list); the checks must refuse drafts that drop or add a name, number,
negation or quotation, or copy the paragraph; training must learn plain -> the writer's own
paragraph, from training essays only, and a resumed run must train on the same pairs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import regex as re

from event_schema import train_stream_problems
from tiny_runs import Recorder, make_run
from voice_draft_engine.drafts import synthetic
from voice_draft_engine.drafts.checks import changed_share, judge
from voice_draft_engine.drafts.destyle import SWAPS, destyle
from voice_draft_engine.drafts.paraphrase import merge
from voice_draft_engine.train import train_run

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
TEMPLATES = {"system": "You are a writing partner.",
             "T1": [{"titled": 'Here is a rough draft of my essay "{title}". Edit it into the finished piece, in my voice.\n\n{draft}',
                     "untitled": "Here is a rough draft of my essay. Edit it into the finished piece, in my voice.\n\n{draft}"},
                    {"titled": 'Turn my rough draft "{title}" into the final version.\n\n{draft}',
                     "untitled": "Turn my rough draft into the final version.\n\n{draft}"}]}


def words_of(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[\p{L}\p{N}]+", text)}


SWAP_WORDS = {w for plain in SWAPS.values() for w in words_of(plain)} | {"not", "will", "is", "are", "have", "would", "but"}


def assert_invents_nothing(paragraph: str, plain: str) -> None:
    expanded = {w.lower() for w in re.findall(r"(\w+)n['’]t\b", paragraph)}  # "don't" -> "do not"
    new = words_of(plain) - words_of(paragraph) - expanded - SWAP_WORDS
    assert not new, f"invented {new}: {plain!r}"


def test_destyle_cuts_the_marks_of_a_voice_and_keeps_what_it_says() -> None:
    p = ("Now, the Greeks—and this is very important—had no harmony at all; their scale (which we have lost) "
         "was not ours, and upon this the whole of their music rested, in 480 B.C. as in the days of Homer!")
    plain = destyle(p)
    assert "—" not in plain and ";" not in plain and "!" not in plain and "(" not in plain
    assert "very" not in plain.split() and not plain.startswith("Now")
    assert "upon" not in plain and " on this" in plain
    assert "which we have lost" not in plain  # an aside with no name, number or negation goes
    for kept in ("Greeks", "no harmony", "not ours", "480", "Homer"):
        assert kept in plain
    assert_invents_nothing(p, plain)
    assert judge(p, plain).kept


def test_destyle_keeps_quotations_word_for_word_and_asides_that_carry_facts() -> None:
    p = 'He called the songs "gruesomely suggestive passages; sung gloatingly" (in 1899, in London) and we don\'t disagree.'
    plain = destyle(p)
    assert '"gruesomely suggestive passages; sung gloatingly"' in plain
    assert "1899" in plain and "London" in plain
    assert "do not disagree" in plain
    assert_invents_nothing(p, plain)


def test_destyle_splits_long_sentences_at_a_conjunction() -> None:
    p = ("The troubadours wandered from castle to castle singing of love and of war to any lord who would feed them, "
         "and the minnesingers of Germany took up the same art with a graver voice and a far more religious turn of mind.")
    plain = destyle(p)
    assert len(re.findall(r"[.?]", plain)) == 2, plain
    assert all(len(s.split()) <= 28 for s in re.split(r"(?<=\.)\s", plain))
    assert_invents_nothing(p, plain)


def test_destyle_on_a_real_corpus_invents_nothing_and_keeps_most_drafts() -> None:
    folder = CORPORA / "macdowell-essays"
    if not folder.is_dir():
        pytest.skip(f"corpus not found: {folder}")
    paragraphs = [p for f in sorted(folder.glob("*.md")) for p in re.split(r"\n\s*\n", f.read_text("utf-8"))
                  if synthetic.is_prose(p.strip())]
    kept = 0
    for p in paragraphs:
        p = " ".join(p.split())
        plain = destyle(p)
        assert_invents_nothing(p, plain)
        verdict = judge(p, plain)
        kept += verdict.kept
        assert verdict.kept or verdict.reason in ("near copy", "drops a name", "drops a number", "loses content words"), verdict
    assert kept >= 0.6 * len(paragraphs), f"{kept} of {len(paragraphs)} kept"


def test_the_checks_refuse_lost_or_added_facts_copies_and_chat() -> None:
    p = "The old mill closed in 1911, and Rosa never went back to Brighton."
    assert judge(p, "The old mill closed in 1911. Rosa never went back to Brighton.").kept
    assert judge(p, p).reason == "near copy"
    assert judge(p, "The old mill closed. Rosa never went back to Brighton.").reason == "drops a number"
    assert judge(p, "The old mill closed in 1911. Rosa went back to Brighton.").reason == "drops a negation"
    assert judge(p, "The old mill closed in 1911. Rosa never went back to Paris.").reason == "drops a name"
    assert judge(p, "The old mill closed in 1911 and Rosa never went back to Brighton with Tom.").reason == "adds a name"
    assert judge(p, "Sure! The old mill closed in 1911. Rosa never went back to Brighton.", model_made=True).reason == "chat talk"
    assert judge(p, "In 1911 the mill closed.", model_made=True).reason in ("length", "drops a name")
    assert changed_share(p, p) == 0 and changed_share(p, "") == 1


def test_a_restated_sentence_replaces_its_plain_one_only_when_it_passes() -> None:
    plain = ["The old mill closed in 1911.", "Rosa never went back."]
    restated = ["In 1911, the old mill closed.", "Rosa went back."]  # the second drops its negation
    merged, kept = merge(plain, restated, set())
    assert kept == 1 and merged == "In 1911, the old mill closed. Rosa never went back."


def _dataset(root: Path, manifest_prompts: bool = True, river: str = "river") -> SimpleNamespace:
    text = lambda n: "\n\n".join(f"Paragraph {i} of essay {n}: the {river} ran past the mill — very slowly — and the miller, "
                                 f"who never trusted it, counted {i + 2} sacks of flour upon the cart; so it went." for i in range(3))
    docs = [{"doc": "a.md", "title": "The Mill", "split": "train", "text": text("a")},
            {"doc": "b.md", "title": "", "split": "train", "text": text("b") + "\n\nToo short to use."},
            {"doc": "c.md", "title": "Held out", "split": "val", "text": text("c")},
            {"doc": "d.md", "title": "Drafted", "split": "train", "text": text("d")}]
    train = [{"id": "d.md#T1-0", "doc": "d.md", "tier": "T1", "messages": []}]
    (root / "dataset").mkdir(parents=True, exist_ok=True)
    manifest = {"format": 1, **({"prompts": TEMPLATES} if manifest_prompts else {})}
    (root / "dataset" / "manifest.json").write_text(json.dumps(manifest))
    return SimpleNamespace(documents=docs, train=train, val=[])


def test_pairs_learn_plain_to_the_writers_own_paragraph_from_training_essays_only(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    made = synthetic.synthetic_drafts(tmp_path, data, "destyled", None)
    assert made is not None and made.report["kept"] == len(made.pairs) == 6
    assert {p["doc"] for p in made.pairs} == {"a.md", "b.md"}  # not held out, not the essay with a real draft
    assert [p["doc"] for p in made.pairs[:2]] == ["a.md", "b.md"]  # essays take turns
    paragraphs = {p for d in data.documents for p in d["text"].split("\n\n")}
    for pair in made.pairs:
        system, user, answer = pair["messages"]
        assert pair["tier"] == "T1" and system == {"role": "system", "content": TEMPLATES["system"]}
        assert answer["role"] == "assistant" and answer["content"] in paragraphs  # the writer's own words
        draft = user["content"].split("\n\n", 1)[1]
        assert draft != answer["content"] and "—" not in draft and "very" not in draft.split()
        assert ('"The Mill"' in user["content"]) == (pair["doc"] == "a.md")
    saved = json.loads((tmp_path / synthetic.FILE).read_text())
    assert saved["pairs"] == made.pairs and saved["report"]["eligible"] == 6 and len(saved["examples"]) == 5
    capped = synthetic.synthetic_drafts(tmp_path, data, "destyled", 2)
    assert capped is not None and capped.report["tried"] == 2 and {p["doc"] for p in capped.pairs} == {"a.md", "b.md"}


def test_drafts_are_cached_and_a_resume_reads_the_runs_own(tmp_path: Path) -> None:
    data = _dataset(tmp_path, river="stream")  # paragraphs no other test has cached
    first = synthetic.synthetic_drafts(tmp_path, data, "destyled", None)
    again = synthetic.synthetic_drafts(tmp_path, data, "destyled", None)
    assert first is not None and again is not None
    assert not first.report["cached"] and again.report["cached"] and again.pairs == first.pairs
    saved = json.loads((tmp_path / synthetic.FILE).read_text())
    saved["pairs"] = saved["pairs"][:1]
    (tmp_path / synthetic.FILE).write_text(json.dumps(saved))
    resumed = synthetic.synthetic_drafts(tmp_path, data, "destyled", None, resumed=True)
    assert resumed is not None and resumed.pairs == first.pairs[:1]


def test_off_or_an_old_dataset_makes_none_and_says_why(tmp_path: Path) -> None:
    off = synthetic.synthetic_drafts(tmp_path, _dataset(tmp_path), "off", None)
    assert off is not None and off.pairs == [] and "off" in off.report["skipped"]
    old = synthetic.synthetic_drafts(tmp_path / "old", _dataset(tmp_path / "old", manifest_prompts=False), "destyled", None)
    assert old is not None and old.pairs == [] and "build it again" in old.report["skipped"]


def test_a_stop_while_restating_makes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voice_draft_engine.drafts import paraphrase

    calls = []

    def fake_restate(model, tokenizer, items, seed, on_batch=None):
        calls.append(len(items))
        return None if on_batch is not None and not on_batch(1) else list(items)

    monkeypatch.setattr(paraphrase, "restate", fake_restate)
    made = synthetic.synthetic_drafts(tmp_path, _dataset(tmp_path), "paraphrased", None, model=object(),
                                      should_stop=lambda: True)
    assert made is None and calls and not (tmp_path / synthetic.FILE).exists()


def test_training_learns_the_rewrite_from_synthetic_drafts(tiny_model_dir: Path, small_dataset: Path, tmp_path: Path) -> None:
    dataset = tmp_path / "dataset"
    shutil.copytree(small_dataset, dataset)
    manifest = json.loads((dataset / "manifest.json").read_text())
    (dataset / "manifest.json").write_text(json.dumps({**manifest, "prompts": TEMPLATES}))
    run = make_run(tmp_path, dataset, epochs=1, max_steps=2, canary_samples=1, max_seq_len=256)
    sink = Recorder()
    assert train_run(run, sink) == "done"
    sink.close()
    events = sink.events
    assert train_stream_problems(events) == []
    drafts = [e for e in events if e["event"] == "train.drafts"]
    done = drafts[-1]
    assert done["stage"] == "done" and done["kept"] >= 1 and done["method"] == "destyled"
    started = next(e for e in events if e["event"] == "train.started")
    assert started["dataset"]["tiers"]["T1"] == done["kept"]
    assert started["dataset"]["synthetic_drafts"]["kept"] == done["kept"]
    saved = json.loads((run / synthetic.FILE).read_text())
    val_docs = {json.loads(line)["doc"] for line in (dataset / "documents.jsonl").read_text().splitlines()
                if json.loads(line)["split"] == "val"}
    assert saved["pairs"] and not {p["doc"] for p in saved["pairs"]} & val_docs

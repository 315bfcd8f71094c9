"""The base pool: the base model's continuations of the writer's training essays, made once per
base model and corpus and read from the cache after that."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice_draft_engine import canaries
from voice_draft_engine.data import load_dataset
from voice_draft_engine.drafts.synthetic import model_identity
from voice_draft_engine.model_setup import load_tokenizer
from voice_draft_engine.voice_metrics.base_pool import base_pool, pool_file
from voice_draft_engine.voice_metrics.continuations import continuation_prompts


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path):
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval(), \
        load_tokenizer(tiny_model_dir)


def _training_documents(dataset: Path) -> list[dict]:
    return [d for d in load_dataset(dataset).documents if d.get("split") == "train" and d.get("text")]


def test_the_pool_is_written_once_per_model_and_corpus(tiny, tiny_model_dir: Path, bierce_dataset: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    model, tokenizer = tiny
    docs = _training_documents(bierce_dataset)
    texts = base_pool(model, tokenizer, docs, model_identity(tiny_model_dir), prompts=3, samples=2, max_new_tokens=24)
    assert 0 < len(texts) <= 6 and all(t.strip() for t in texts)
    answers = json.loads(pool_file(model_identity(tiny_model_dir), 2, 24).read_text())["answers"]
    assert sorted(t for a in answers.values() for t in a) == sorted(texts)

    def no_generation(*_a, **_k):
        raise AssertionError("the cached pool was written again")

    monkeypatch.setattr(canaries, "generate_many", no_generation)
    assert base_pool(model, tokenizer, docs, model_identity(tiny_model_dir), prompts=3, samples=2,
                     max_new_tokens=24) == texts
    # A shorter pool is the start of a longer one: nothing new is written.
    assert base_pool(model, tokenizer, docs, model_identity(tiny_model_dir), prompts=2, samples=2,
                     max_new_tokens=24) == texts[:_first(answers, 2)]
    # Another corpus (or another base model) is another pool.
    opened = {cut.doc for cut in continuation_prompts(docs, 3)}
    with pytest.raises(AssertionError, match="written again"):
        base_pool(model, tokenizer, [d for d in docs if d["doc"] not in opened], model_identity(tiny_model_dir),
                  prompts=3, samples=2, max_new_tokens=24)
    with pytest.raises(AssertionError, match="written again"):
        base_pool(model, tokenizer, docs, "another model", prompts=3, samples=2, max_new_tokens=24)


def _first(answers: dict, n: int) -> int:
    """How many texts the first n openings written gave."""
    return sum(len(a) for a in list(answers.values())[:n])


def test_a_damaged_cache_file_is_written_again(tiny, tiny_model_dir: Path, bierce_dataset: Path) -> None:
    model, tokenizer = tiny
    docs = _training_documents(bierce_dataset)[:4]
    first = base_pool(model, tokenizer, docs, model_identity(tiny_model_dir), prompts=2, samples=1, max_new_tokens=16)
    pool_file(model_identity(tiny_model_dir), 1, 16).write_text('{"format": 2, "answers": [3]}')
    # The same openings and seeds write the same pool again.
    assert base_pool(model, tokenizer, docs, model_identity(tiny_model_dir), prompts=2, samples=1,
                     max_new_tokens=16) == first


def test_each_batch_is_kept_as_soon_as_it_is_written(tiny, tiny_model_dir: Path, bierce_dataset: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A run stopped while the pool is written keeps the openings already done."""
    from voice_draft_engine import sampling

    model, tokenizer = tiny
    docs = _training_documents(bierce_dataset)[2:]  # openings no other test asked for
    monkeypatch.setattr(sampling, "MAX_ROWS", 2)  # two samples a batch: one opening each
    real, calls = canaries.generate_many, []

    def stopped_after_one(*args, **kwargs):
        calls.append(len(args[2]))
        if len(calls) > 1:
            raise KeyboardInterrupt("the engine was stopped")
        return real(*args, **kwargs)

    monkeypatch.setattr(canaries, "generate_many", stopped_after_one)
    with pytest.raises(KeyboardInterrupt):
        base_pool(model, tokenizer, docs, model_identity(tiny_model_dir), prompts=3, samples=2, max_new_tokens=16)
    assert calls == [1, 1]
    kept = json.loads(pool_file(model_identity(tiny_model_dir), 2, 16).read_text())["answers"]
    assert len(kept) == 1
    monkeypatch.setattr(canaries, "generate_many", real)
    texts = base_pool(model, tokenizer, docs, model_identity(tiny_model_dir), prompts=3, samples=2, max_new_tokens=16)
    assert texts[:len(next(iter(kept.values())))] == next(iter(kept.values()))


def test_the_pool_is_drawn_as_ghost_text_and_keyed_by_its_draw(tiny, tiny_model_dir: Path, bierce_dataset: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The classifiers set the pool against text drawn as ghost text is; a pool drawn another
    way (the earlier 0.8 / top-k 50) is another file, never read as this one."""
    import hashlib
    from dataclasses import asdict, replace

    from voice_draft_engine.editor_sampling import BEFORE_EDITOR_SAMPLING, GHOST_TEXT
    from voice_draft_engine.voice_metrics import base_pool as pool_module

    model, tokenizer = tiny
    asked: list[dict] = []
    write = canaries.generate_many

    def recording(model, tokenizer, batch, *a, **k):
        asked.extend(s for _, _, s in batch)
        return write(model, tokenizer, batch, *a, **k)

    monkeypatch.setattr(canaries, "generate_many", recording)
    base_pool(model, tokenizer, _training_documents(bierce_dataset), "drawn-as-ghost-text", prompts=2, samples=2,
              max_new_tokens=16)
    assert asked and all({k: s[k] for k in asdict(GHOST_TEXT)} == asdict(GHOST_TEXT) for s in asked)
    now = pool_file("drawn-as-ghost-text", 2, 16)
    monkeypatch.setattr(pool_module, "SAMPLING", BEFORE_EDITOR_SAMPLING)
    assert now.is_file() and pool_file("drawn-as-ghost-text", 2, 16) != now
    # A penalty window is part of the draw; none (0) keys the file as pools were keyed before the field.
    monkeypatch.setattr(pool_module, "SAMPLING", replace(GHOST_TEXT, repetition_window=64))
    assert pool_file("drawn-as-ghost-text", 2, 16) != now
    before_the_window = {k: v for k, v in asdict(GHOST_TEXT).items() if k != "repetition_window"}
    key = hashlib.sha256(json.dumps([pool_module.FORMAT, "drawn-as-ghost-text", 2, 16, pool_module.MAX_PROMPT_TOKENS,
                                     pool_module.SEED, before_the_window]).encode()).hexdigest()[:24]
    assert now.name == f"{key}.json"

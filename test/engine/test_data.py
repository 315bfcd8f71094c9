"""Dataset reading, formatting, masking and packing, on the Bierce notes with the real tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from voice_draft_engine import data
from voice_draft_engine.data import IGNORE, PLAIN_SEPARATOR
from voice_draft_engine.model_setup import load_tokenizer
from voice_draft_engine.protocol import EngineError

SEQ = 256


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path):
    return load_tokenizer(tiny_model_dir)  # the SmolLM2 tokenizer, chat template included


@pytest.fixture(scope="module")
def plain_tokenizer(tiny_model_dir: Path):
    tok = load_tokenizer(tiny_model_dir)
    tok.chat_template = None  # as a base (non-instruct) model's tokenizer
    return tok


@pytest.fixture(scope="module")
def dataset(bierce_dataset: Path) -> data.Dataset:
    return data.load_dataset(bierce_dataset)


def first_of_each_tier(dataset: data.Dataset) -> list[dict]:
    seen: dict[str, dict] = {}
    for e in dataset.train:
        seen.setdefault(e["tier"], e)
    return list(seen.values())


def test_reads_the_contract_format(dataset: data.Dataset, bierce_dataset: Path) -> None:
    manifest = json.loads((bierce_dataset / "manifest.json").read_text())
    assert len(dataset.train) == manifest["pairs"]["train"] and len(dataset.val) == manifest["pairs"]["val"]
    assert {e["tier"] for e in dataset.train} >= {"T2", "T3", "T4", "raw"}
    train_docs = {e["doc"] for e in dataset.train}
    assert not train_docs & {e["doc"] for e in dataset.val}  # split by document


@pytest.mark.parametrize("lines, where, says", [
    (['{"id": "a", "tier": "raw", "text": "fine"}', '{"id": "b", "tier": "raw", "text": "cut sho'], ":2:", "JSON"),
    (['{"id": "a", "tier": "T2", "messages": [{"role": "user", "content": "hi"}]}'], ":1:", "assistant"),
    (['{"id": "a", "tier": "T9", "text": "x"}'], ":1:", "tier"),
    (['', '{"id": "a", "tier": "raw", "text": "   "}'], ":2:", "non-empty"),
])
def test_invalid_lines_are_named(tmp_path: Path, lines: list[str], where: str, says: str) -> None:
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(EngineError) as e:
        data.load_dataset(tmp_path)
    assert e.value.code == "dataset_invalid"
    assert f"train.jsonl{where}" in e.value.message and says in e.value.message


def test_empty_or_missing_train_set(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as e:
        data.load_dataset(tmp_path)
    assert e.value.code == "dataset_invalid" and "train.jsonl" in e.value.message
    (tmp_path / "train.jsonl").write_text("\n")
    with pytest.raises(EngineError) as e:
        data.load_dataset(tmp_path)
    assert e.value.code == "dataset_invalid" and "no examples" in e.value.message


def test_chat_pairs_train_only_the_answer_and_end_of_turn(dataset: data.Dataset, tokenizer) -> None:
    example = next(e for e in dataset.train if e["tier"] == "T3")
    [t] = data.tokenize_example(example, tokenizer, 4096)
    answer = example["messages"][-1]["content"]
    trained = [tok for tok, lab in zip(t.input_ids, t.labels) if lab != IGNORE]
    assert tokenizer.decode(trained) == answer + "<|im_end|>" == t.target
    prompt = tokenizer.decode([tok for tok, lab in zip(t.input_ids, t.labels) if lab == IGNORE])
    assert prompt.endswith("<|im_start|>assistant\n") and example["messages"][1]["content"] in prompt
    # The prompt is exactly what generation sees: the chat template with the generation prompt.
    assert t.input_ids[:len(t.input_ids) - len(trained)] == data.prompt_ids(tokenizer, example["messages"][:-1])


def test_plain_format_without_chat_template(dataset: data.Dataset, plain_tokenizer) -> None:
    example = next(e for e in dataset.train if e["tier"] == "T2")
    [t] = data.tokenize_example(example, plain_tokenizer, 4096)
    text = plain_tokenizer.decode(t.input_ids)
    assert "<|im_start|>" not in text and PLAIN_SEPARATOR in text
    prompt, answer = text.split(PLAIN_SEPARATOR)
    assert prompt == example["messages"][0]["content"] + "\n\n" + example["messages"][1]["content"]
    assert answer == example["messages"][-1]["content"] + plain_tokenizer.eos_token == t.target


def test_raw_text_trains_all_but_its_first_token(dataset: data.Dataset, tokenizer) -> None:
    example = next(e for e in dataset.train if e["tier"] == "raw")
    [t] = data.tokenize_example(example, tokenizer, 100_000)
    assert t.labels[0] == IGNORE and all(l != IGNORE for l in t.labels[1:])
    first = tokenizer.decode(t.input_ids[:1])
    assert example["text"].startswith(first) and t.target == example["text"][len(first):] + tokenizer.eos_token


def test_long_examples_are_windowed_truncated_or_dropped(dataset: data.Dataset, tokenizer) -> None:
    raw = max((e for e in dataset.train if e["tier"] == "raw"), key=lambda e: len(e["text"]))
    windows = data.tokenize_example(raw, tokenizer, 64)
    assert len(windows) > 3 and all(len(w.input_ids) <= 64 for w in windows)
    whole = tokenizer(raw["text"])["input_ids"] + [tokenizer.eos_token_id]
    assert sum((w.input_ids for w in windows), []) == whole  # nothing lost, nothing repeated

    pair = max((e for e in dataset.train if e["tier"] == "T2"), key=lambda e: len(e["messages"][-1]["content"]))
    prompt_len = len(data.prompt_ids(tokenizer, pair["messages"][:-1]))
    [cut] = data.tokenize_example(pair, tokenizer, prompt_len + 80)
    assert cut.truncated and len(cut.input_ids) == prompt_len + 80
    assert pair["messages"][-1]["content"].startswith(cut.target)
    assert data.tokenize_example(pair, tokenizer, prompt_len + 10) == []  # no room left for an answer

    encoded = data.encode_split([raw, pair], tokenizer, prompt_len + 80)
    assert (encoded.pairs, encoded.truncated, encoded.dropped) == (2, 1, 0)


def test_packing_is_deterministic_and_fills_rows(dataset: data.Dataset, tokenizer) -> None:
    seq = 1024
    encoded = data.encode_split(dataset.train, tokenizer, seq)
    a = data.epoch_rows(encoded.examples, 0, 7, seq, True)
    again = data.epoch_rows(encoded.examples, 0, 7, seq, True)
    assert [[t.id for t in row] for row in a] == [[t.id for t in row] for row in again]
    b = data.epoch_rows(encoded.examples, 1, 7, seq, True)
    assert [t.id for row in a for t in row] != [t.id for row in b for t in row]  # reshuffled per epoch
    assert sorted(t.id for row in a for t in row) == sorted(t.id for t in encoded.examples)
    assert all(sum(len(t.input_ids) for t in row) <= seq for row in a)
    assert len(a) < 0.75 * len(encoded.examples)  # short notes share rows
    unpacked = data.epoch_rows(encoded.examples, 0, 7, seq, False)
    assert all(len(row) == 1 for row in unpacked)


def test_held_out_rows_are_capped_evenly_and_the_same_each_time(dataset: data.Dataset, tokenizer) -> None:
    seq = 256
    rows = data.pack(data.encode_split(dataset.val, tokenizer, seq).examples, seq)
    total = sum(len(t.input_ids) for row in rows for t in row)
    assert data.spread_rows(rows, None) == rows
    assert data.spread_rows(rows, total) == rows  # under the cap: every row
    cap = total // 3
    kept = data.spread_rows(rows, cap)
    assert kept == data.spread_rows(rows, cap)
    assert sum(len(t.input_ids) for row in kept for t in row) <= cap
    assert len(kept) >= 0.8 * len(rows) / 3
    where = [rows.index(row) for row in kept]
    assert where == sorted(where) and where[0] == 0
    assert where[-1] >= len(rows) * 0.6  # the last held-out documents keep their share
    gaps = {b - a for a, b in zip(where, where[1:])}
    assert max(gaps) - min(gaps) <= 1  # evenly spread, not the first third
    assert len(data.spread_rows(rows, 1)) == 1


def test_collate_restarts_positions_and_never_trains_padding(dataset: data.Dataset, tokenizer) -> None:
    encoded = data.encode_split(dataset.train[:20], tokenizer, SEQ)
    rows = data.pack(encoded.examples, SEQ)
    batch = data.collate(rows[:3], data.pad_token_id(tokenizer))
    for r, row in enumerate(rows[:3]):
        starts = [i for i, p in enumerate(batch.position_ids[r].tolist()) if p == 0]
        lengths = [len(t.input_ids) for t in row]
        assert starts[:len(row)] == [sum(lengths[:k]) for k in range(len(row))]
        used = sum(lengths)
        assert (batch.labels[r, used:] == IGNORE).all()
    assert batch.n_labels == int((batch.labels[:, 1:] != IGNORE).sum())


def test_check_mask_passes_on_real_batches(dataset: data.Dataset, tokenizer, plain_tokenizer) -> None:
    for tok in (tokenizer, plain_tokenizer):
        encoded = data.encode_split(first_of_each_tier(dataset) + dataset.train[:30], tok, SEQ)
        for batch in data.batches_of(data.pack(encoded.examples, SEQ), 2, data.pad_token_id(tok)):
            data.check_mask(batch, tok)


@pytest.mark.parametrize("break_it", ["mask undone", "labels shifted", "nothing trained", "prompt leaks"])
def test_check_mask_catches_a_broken_collator(dataset: data.Dataset, tokenizer, break_it: str) -> None:
    encoded = data.encode_split(first_of_each_tier(dataset), tokenizer, SEQ)
    batch = data.collate(data.pack(encoded.examples, SEQ)[:1], data.pad_token_id(tokenizer))
    labels = batch.labels.clone()
    if break_it == "mask undone":  # the seed's bug: labels copied from input_ids after masking
        labels = batch.input_ids.clone()
    elif break_it == "labels shifted":  # a collator that shifts, when the model shifts again
        labels = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], IGNORE)], dim=1)
    elif break_it == "nothing trained":
        labels[:] = IGNORE
    elif break_it == "prompt leaks":  # one prompt token (the one just before an answer) trained
        first_trained = int((labels[0] != IGNORE).nonzero()[0])
        labels[0, first_trained - 1] = batch.input_ids[0, first_trained - 1]
    broken = data.Batch(batch.input_ids, labels, batch.position_ids, batch.targets, batch.n_labels)
    with pytest.raises(EngineError) as e:
        data.check_mask(broken, tokenizer)
    assert e.value.code == "mask_check_failed"


def test_packed_examples_do_not_see_each_other(dataset: data.Dataset, tokenizer, tiny_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval()
    raw = next(e for e in dataset.train if e["tier"] == "raw")
    row = data.pack(data.tokenize_example(raw, tokenizer, 40), 128)[0]  # three 40-token windows
    assert len(row) == 3
    batch = data.collate([row], data.pad_token_id(tokenizer))
    with torch.no_grad():
        packed = model(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False).logits[0]
        start = 0
        for t in row:
            alone = model(input_ids=torch.tensor([t.input_ids]), use_cache=False).logits[0]
            assert torch.allclose(packed[start:start + len(t.input_ids)], alone, atol=1e-4)
            start += len(t.input_ids)
        # Without restarting positions the same row does leak: the check above can fail.
        leaky = model(input_ids=batch.input_ids, use_cache=False).logits[0]
    second = slice(len(row[0].input_ids), len(row[0].input_ids) + len(row[1].input_ids))
    assert (leaky[second] - packed[second]).abs().max() > 1e-3
    data.check_packing(model, batch, rtol=1e-3)

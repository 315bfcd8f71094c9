"""Fill-in-the-middle pairs (tier "fim", src/core/dataset/fim.ts): the prompt is masked, the
middle and the end-of-sequence token are trained, in either framing, and a malformed row is
named. The pairs' cross-language path (the TypeScript builder's rows through a real tiny
training) is test/unit/runs/fimTraining.test.ts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice_draft_engine import data
from voice_draft_engine.data import IGNORE
from voice_draft_engine.model_setup import load_tokenizer
from voice_draft_engine.protocol import EngineError

PROMPT = "<after>\nThe ferry still leaves at six.\n</after>\n\nHabits are the furniture of a life. We stop seeing them"
MIDDLE = " the way we stop seeing a chair."
ROW = {"id": "ferry.md#fim-0", "doc": "ferry.md", "tier": "fim", "prompt": PROMPT, "completion": MIDDLE}


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path):
    return load_tokenizer(tiny_model_dir)


@pytest.mark.parametrize("framing", ["plain", "chat"])
def test_the_middle_and_end_of_sequence_are_trained_and_the_prompt_is_not(tokenizer, framing: str) -> None:
    [t] = data.tokenize_example(ROW, tokenizer, 512, framing)
    prompt = tokenizer(PROMPT, add_special_tokens=True)["input_ids"]
    # The prompt tokens are exactly ghost text's (the worker encodes the same text the same way), all masked.
    assert t.input_ids[:len(prompt)] == prompt and t.labels[:len(prompt)] == [IGNORE] * len(prompt)
    trained = [tok for tok, lab in zip(t.input_ids, t.labels) if lab != IGNORE]
    assert len(trained) == len(t.input_ids) - len(prompt)
    assert tokenizer.decode(trained) == MIDDLE + tokenizer.eos_token == t.target
    assert trained[-1] == tokenizer.eos_token_id, "the model learns to stop where the text after the cursor takes over"


def test_mask_check_passes_on_batches_with_fill_in_the_middle_rows(tokenizer) -> None:
    raw = {"id": "ferry.md#raw-0", "doc": "ferry.md", "tier": "raw", "text": "The ferry left at six. Nobody on the pier waved."}
    encoded = data.encode_split([ROW, raw, {**ROW, "id": "ferry.md#fim-1", "completion": " and then we forget them."}], tokenizer, 256)
    assert encoded.tiers == {"fim": 2, "raw": 1} and encoded.dropped == 0
    for batch in data.batches_of(data.pack(encoded.examples, 256), 2, data.pad_token_id(tokenizer)):
        data.check_mask(batch, tokenizer)


def test_a_run_without_fim_pairs_trains_and_measures_the_other_tiers_only(tokenizer) -> None:
    from voice_draft_engine.config import TrainConfig
    from voice_draft_engine.train import make_batches

    raw = {"id": "ferry.md#raw-0", "doc": "ferry.md", "tier": "raw", "text": "The ferry left at six. Nobody on the pier waved."}
    held_out = {**raw, "id": "pier.md#raw-0", "doc": "pier.md"}
    dataset = data.Dataset(train=[ROW, raw], val=[{**ROW, "doc": "pier.md"}, held_out], documents=[])
    both = make_batches(dataset, tokenizer, TrainConfig(max_seq_len=256, micro_batch_size=2))
    assert both.train.tiers == {"fim": 1, "raw": 1} and both.val.tiers == {"fim": 1, "raw": 1}
    cpu = make_batches(dataset, tokenizer, TrainConfig(max_seq_len=256, micro_batch_size=2, fim_pairs=False))
    assert cpu.train.tiers == {"raw": 1} and cpu.val.tiers == {"raw": 1}
    assert len(cpu.train.examples) == 1 and MIDDLE not in cpu.train.examples[0].target


@pytest.mark.parametrize("row, says", [
    ({"id": "a", "tier": "fim", "prompt": "before"}, "completion"),
    ({"id": "a", "tier": "fim", "prompt": "  ", "completion": " middle."}, "prompt"),
    ({"id": "a", "tier": "fim", "prompt": "before", "completion": 3}, "completion"),
])
def test_a_malformed_fill_in_the_middle_row_is_named(tmp_path: Path, row: dict, says: str) -> None:
    (tmp_path / "train.jsonl").write_text(json.dumps(ROW) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(EngineError) as e:
        data.load_dataset(tmp_path)
    assert e.value.code == "dataset_invalid" and "train.jsonl:2:" in e.value.message and says in e.value.message

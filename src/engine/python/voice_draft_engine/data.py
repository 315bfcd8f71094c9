"""From dataset/*.jsonl to packed, masked training batches.

Formatting: instruction pairs go through the model's chat template, exactly as the
editor will prompt it; a model without a template (a base model) gets the plain
`prompt + PLAIN_SEPARATOR + response` format instead. Raw segments are
plain text, for plain continuation; fill-in-the-middle pairs (tier "fim") are plain text
too: the prompt (the text after a cut, then the text before it) masked, the middle trained.

Masking: labels are -100 on every prompt token (docs/architecture.md, "Lessons the code
guards"). What is trained is the assistant's text and the end-of-turn token, so the model
learns to stop; for raw text, everything but the first token (nothing in the example predicts it).

Packing: examples are laid end to end in rows of up to max_seq_len tokens, with
position ids restarting at 0 for each one. transformers turns restarting position
ids (with no attention mask) into a block-diagonal causal mask, so no token attends
to another example; `check_packing` verifies that on the real model before step 1.

`check_mask` verifies on real batches that the labels are what we mean them to be:
one seed lost a run to a collator that silently undid the mask.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from .framing import plain_pair
from .protocol import EngineError

log = logging.getLogger(__name__)

IGNORE = -100
# Models without a chat template see instructions in this plain format;
# the editor's inference uses the same separator for such models.
PLAIN_SEPARATOR = "\n\n### Response:\n"
TIERS = ("T1", "T2", "T3", "T4", "raw", "fim")
# An instruction pair whose prompt leaves less than this share of max_seq_len for the
# response is skipped rather than trained on a stub of its answer.
MIN_RESPONSE_SHARE = 0.25


# --- Reading the dataset folder ------------------------------------------------------------

def read_examples(path: Path) -> list[dict[str, Any]]:
    """Examples of one jsonl file, each validated; errors name the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as e:
        raise EngineError("dataset_invalid", f"{path} does not exist.",
                          "Build the dataset first (Voice Draft: Train Voice Adapter does it).") from e
    except (OSError, UnicodeDecodeError) as e:
        raise EngineError("dataset_invalid", f"{path} cannot be read: {e}") from e
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            example = json.loads(line)
        except ValueError as e:
            raise EngineError("dataset_invalid", f"{path}:{number}: not valid JSON ({e}).",
                              "Rebuild the dataset; the file may have been cut short.") from e
        problem = _example_problem(example)
        if problem:
            raise EngineError("dataset_invalid", f"{path}:{number}: {problem}",
                              "Rebuild the dataset; see docs/contracts.md for the format.")
        examples.append(example)
    return examples


def _example_problem(e: Any) -> str | None:
    if not isinstance(e, dict):
        return "an example must be a JSON object."
    if e.get("tier") not in TIERS:
        return f"tier must be one of {', '.join(TIERS)} (got {e.get('tier')!r})."
    if e["tier"] == "raw":
        if not isinstance(e.get("text"), str) or not e["text"].strip():
            return "a raw example needs a non-empty 'text'."
        return None
    if e["tier"] == "fim":
        if not all(isinstance(e.get(k), str) and e[k].strip() for k in ("prompt", "completion")):
            return "a fim example needs a non-empty 'prompt' and 'completion'."
        return None
    messages = e.get("messages")
    if not isinstance(messages, list) or not messages:
        return "an instruction example needs a 'messages' list."
    for m in messages:
        if not (isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
                and isinstance(m.get("content"), str)):
            return "each message needs a role (system/user/assistant) and a string content."
    roles = [m["role"] for m in messages]
    if roles[-1] != "assistant" or roles.count("assistant") != 1:
        return "exactly one assistant message, and it must be the last."
    if "user" not in roles:
        return "an instruction example needs a user message."
    if not messages[-1]["content"].strip():
        return "the assistant message is empty."
    return None


@dataclass
class Dataset:
    train: list[dict[str, Any]]
    val: list[dict[str, Any]]
    documents: list[dict[str, Any]]


def load_dataset(folder: Path) -> Dataset:
    train = read_examples(folder / "train.jsonl")
    if not train:
        raise EngineError("dataset_invalid", f"{folder / 'train.jsonl'} has no examples.",
                          "Add more essays to the workspace (or loosen the include patterns) and rebuild.")
    val = read_examples(folder / "val.jsonl") if (folder / "val.jsonl").exists() else []
    documents: list[dict[str, Any]] = []
    docs_path = folder / "documents.jsonl"
    if docs_path.exists():
        for number, line in enumerate(docs_path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    documents.append(json.loads(line))
                except ValueError as e:
                    raise EngineError("dataset_invalid", f"{docs_path}:{number}: not valid JSON ({e}).") from e
    return Dataset(train=train, val=val, documents=documents)


# --- Formatting and tokenizing ---------------------------------------------------------------

def has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def format_prompt(tokenizer: Any, messages: Sequence[dict[str, str]]) -> str:
    """The text a model sees before it answers `messages` (system/user turns, no answer):
    the chat template with its generation prompt, or the plain format."""
    if messages and messages[-1]["role"] == "assistant":
        raise ValueError("format_prompt takes the messages before the answer, not the answer itself")
    if has_chat_template(tokenizer):
        return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
    return "\n\n".join(m["content"] for m in messages if m["role"] in ("system", "user")) + PLAIN_SEPARATOR


def prompt_ids(tokenizer: Any, messages: Sequence[dict[str, str]]) -> list[int]:
    # A chat template writes its own special tokens (BOS included); the plain format
    # gets the tokenizer's usual ones, as any plain text would.
    return tokenizer(format_prompt(tokenizer, messages),
                     add_special_tokens=not has_chat_template(tokenizer))["input_ids"]


def _target_text(tokenizer: Any, messages: Sequence[dict[str, str]]) -> str:
    """What the model should write after the prompt: the answer and its end-of-turn token."""
    eos = tokenizer.eos_token or ""
    answer = messages[-1]["content"]
    if not has_chat_template(tokenizer):
        return answer + eos
    prompt = tokenizer.apply_chat_template(list(messages[:-1]), tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(list(messages), tokenize=False)
    if not full.startswith(prompt) or answer.strip() not in full[len(prompt):]:
        raise EngineError("chat_template_unsupported",
                          "This model's chat template does not render the answer after the generation prompt.",
                          "Choose another base model, or one without a chat template (plain format).")
    completion = full[len(prompt):]
    end = completion.find(eos, completion.find(answer.strip()) + len(answer.strip())) if eos else -1
    # The template's end-of-turn is trained (the model must learn to stop); what follows it
    # (a newline before the next turn) belongs to no answer.
    return completion[:end + len(eos)] if end >= 0 else completion + eos


@dataclass
class Tokenized:
    id: str
    input_ids: list[int]
    labels: list[int]
    target: str  # the text the labelled tokens must decode to (check_mask)
    truncated: bool = False  # the answer was cut to fit max_seq_len


def tokenize_example(example: dict[str, Any], tokenizer: Any, max_seq_len: int, framing: str = "chat",
                     titles: dict[str, str] | None = None) -> list[Tokenized]:
    """One example as token ids and labels; long raw text becomes several windows, a long
    instruction pair keeps its prompt and as much of the answer as fits (or is dropped).
    In the plain framing (framing.py) a generating pair is a document the model continues."""
    eid = str(example.get("id", "?"))
    if example["tier"] == "raw":
        return _tokenize_raw(eid, example["text"], tokenizer, max_seq_len)
    plain = plain_pair(example, titles or {}) if framing == "plain" else None
    if example["tier"] == "fim":
        # Fill-in-the-middle (src/core/dataset/fim.ts formats the prompt): plain text in either
        # framing, tokenized as ghost text's prompt is; the middle and EOS (where the text after
        # the cursor takes over) are trained.
        prompt = tokenizer(example["prompt"], add_special_tokens=True)["input_ids"]
        target_text = example["completion"] + (tokenizer.eos_token or "")
    elif plain is not None:
        prompt_text, answer, ends_piece = plain
        if not prompt_text:  # no title and no opening: the piece is plain text, trained as raw text is
            return _tokenize_raw(eid, answer, tokenizer, max_seq_len)
        prompt = tokenizer(prompt_text, add_special_tokens=True)["input_ids"]
        target_text = answer + ((tokenizer.eos_token or "") if ends_piece else "")
    else:
        messages = example["messages"]
        prompt = prompt_ids(tokenizer, messages[:-1])
        target_text = _target_text(tokenizer, messages)
    target = tokenizer(target_text, add_special_tokens=False)["input_ids"]
    room = max_seq_len - len(prompt)
    if room < len(target):
        if room < MIN_RESPONSE_SHARE * max_seq_len:
            return []
        target = target[:room]
        return [Tokenized(eid, prompt + target, [IGNORE] * len(prompt) + target, tokenizer.decode(target), True)]
    if tokenizer.decode(target) != target_text:
        target_text = tokenizer.decode(target)  # a tokenizer that normalises text (not byte-level)
    return [Tokenized(eid, prompt + target, [IGNORE] * len(prompt) + target, target_text)]


def _tokenize_raw(eid: str, text: str, tokenizer: Any, max_seq_len: int) -> list[Tokenized]:
    ids = tokenizer(text, add_special_tokens=True)["input_ids"]
    if tokenizer.eos_token_id is not None:
        ids = ids + [tokenizer.eos_token_id]
    out = []
    for start in range(0, len(ids), max_seq_len):
        window = ids[start:start + max_seq_len]
        if len(window) < 2:
            break
        # Nothing inside the window predicts its first token, so it is not a target.
        out.append(Tokenized(f"{eid}@{start}" if start else eid, window, [IGNORE] + window[1:],
                             tokenizer.decode(window[1:])))
    return out


@dataclass
class Encoded:
    examples: list[Tokenized]
    pairs: int
    tokens: int
    truncated: int = 0
    dropped: int = 0
    tiers: dict[str, int] = field(default_factory=dict)


def encode_split(examples: Iterable[dict[str, Any]], tokenizer: Any, max_seq_len: int, framing: str = "chat",
                 titles: dict[str, str] | None = None) -> Encoded:
    out: list[Tokenized] = []
    pairs = truncated = dropped = 0
    tiers: Counter[str] = Counter()
    for example in examples:
        pairs += 1
        tiers[example["tier"]] += 1
        pieces = tokenize_example(example, tokenizer, max_seq_len, framing, titles)
        if not pieces:
            dropped += 1
        truncated += any(p.truncated for p in pieces)
        out.extend(pieces)
    return Encoded(out, pairs, sum(len(t.input_ids) for t in out), truncated, dropped, dict(tiers))


# --- Packing and batching --------------------------------------------------------------------

def pack(examples: Sequence[Tokenized], max_seq_len: int, packing: bool = True) -> list[list[Tokenized]]:
    """Rows of examples, in order; a row is closed when the next example does not fit."""
    rows: list[list[Tokenized]] = []
    row: list[Tokenized] = []
    used = 0
    for example in examples:
        n = len(example.input_ids)
        if row and (not packing or used + n > max_seq_len):
            rows.append(row)
            row, used = [], 0
        row.append(example)
        used += n
    if row:
        rows.append(row)
    return rows


def spread_rows(rows: Sequence[Sequence[Tokenized]], max_tokens: int | None) -> list[Sequence[Tokenized]]:
    """At most `max_tokens` tokens of `rows`, taken evenly from first to last so every part of
    the held-out set (each document, each kind of example) keeps its share; all of them when
    they fit or there is no cap. The same rows every time: losses stay comparable across evals."""
    def tokens(chosen: Sequence[Sequence[Tokenized]]) -> int:
        return sum(len(t.input_ids) for row in chosen for t in row)

    def evenly(keep: int) -> list[Sequence[Tokenized]]:
        return [rows[i * len(rows) // keep] for i in range(keep)]

    total = tokens(rows)
    if max_tokens is None or total <= max_tokens:
        return list(rows)
    keep = max(1, len(rows) * max_tokens // total)
    chosen = evenly(keep)
    while keep > 1 and tokens(chosen) > max_tokens:
        keep -= 1  # rows differ in length: the evenly spread ones may hold a little more than the mean
        chosen = evenly(keep)
    return chosen


def epoch_rows(examples: Sequence[Tokenized], epoch: int, seed: int, max_seq_len: int,
               packing: bool) -> list[list[Tokenized]]:
    """This epoch's rows: examples shuffled by (seed, epoch), then packed. Deterministic,
    so a resumed run sees exactly the rows the interrupted one would have."""
    order = list(examples)
    random.Random(f"{seed}:{epoch}").shuffle(order)
    return pack(order, max_seq_len, packing)


@dataclass
class Batch:
    input_ids: Any  # LongTensor [B, L]
    labels: Any  # LongTensor [B, L], IGNORE where not trained
    position_ids: Any  # LongTensor [B, L], restarting at 0 for each packed example
    targets: list[list[str]]  # per row, per example: what the labelled tokens must decode to
    n_labels: int  # tokens that contribute to the loss (after the causal shift)

    def to(self, device: Any) -> "Batch":
        return Batch(self.input_ids.to(device), self.labels.to(device), self.position_ids.to(device),
                     self.targets, self.n_labels)

    @property
    def n_tokens(self) -> int:
        return int(self.input_ids.numel())


def collate(rows: Sequence[Sequence[Tokenized]], pad_id: int) -> Batch:
    """Rows into tensors. Padding is its own segment (positions restart), never a target."""
    import torch

    length = max(sum(len(t.input_ids) for t in row) for row in rows)
    ids, labels, positions = [], [], []
    for row in rows:
        r_ids: list[int] = []
        r_labels: list[int] = []
        r_pos: list[int] = []
        for t in row:
            r_ids += t.input_ids
            r_labels += t.labels
            r_pos += range(len(t.input_ids))
        pad = length - len(r_ids)
        ids.append(r_ids + [pad_id] * pad)
        labels.append(r_labels + [IGNORE] * pad)
        positions.append(r_pos + list(range(pad)))
    labels_t = torch.tensor(labels, dtype=torch.long)
    return Batch(
        input_ids=torch.tensor(ids, dtype=torch.long),
        labels=labels_t,
        position_ids=torch.tensor(positions, dtype=torch.long),
        targets=[[t.target for t in row] for row in rows],
        n_labels=int((labels_t[:, 1:] != IGNORE).sum()),
    )


def batches_of(rows: Sequence[Sequence[Tokenized]], micro_batch_size: int, pad_id: int) -> list[Batch]:
    return [collate(rows[i:i + micro_batch_size], pad_id) for i in range(0, len(rows), micro_batch_size)]


def pad_token_id(tokenizer: Any) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0


# --- Checks before step 1 ----------------------------------------------------------------------

def check_mask(batch: Batch, tokenizer: Any) -> None:
    """Fail loudly unless the labels train exactly the intended texts and nothing else.

    Per row: labelled tokens equal the input tokens at the same place (no shift in the
    collator), some tokens are masked, and the maximal runs of labelled tokens decode,
    in order, to the examples' targets (the assistant texts, or the raw text).
    """
    input_ids, labels = batch.input_ids.tolist(), batch.labels.tolist()
    masked = sum(l == IGNORE for row in labels for l in row)
    if masked == 0:
        _mask_failure("no token is masked: prompt tokens would be trained on.")
    for r, (ids, labs) in enumerate(zip(input_ids, labels)):
        spans: list[list[int]] = []
        previous = IGNORE
        for i, (tok, lab) in enumerate(zip(ids, labs)):
            if lab != IGNORE and lab != tok:
                _mask_failure(f"row {r}, position {i}: label {lab} is not the input token {tok} "
                              "(labels shifted or scrambled by the collator).")
            if lab != IGNORE:
                if previous == IGNORE:
                    spans.append([])
                spans[-1].append(lab)
            previous = lab
        got = [tokenizer.decode(span) for span in spans]
        want = batch.targets[r]
        if got != want:
            for j in range(max(len(got), len(want))):
                g = got[j] if j < len(got) else None
                w = want[j] if j < len(want) else None
                if g != w:
                    _mask_failure(f"row {r}, trained span {j}: decodes to {_clip(g)} but the target is {_clip(w)} "
                                  f"({len(got)} trained spans for {len(want)} examples).")


def _clip(text: str | None) -> str:
    if text is None:
        return "nothing"
    return repr(text if len(text) < 120 else text[:80] + " ... " + text[-30:])


def _mask_failure(detail: str) -> None:
    raise EngineError("mask_check_failed", f"Label mask check failed before step 1: {detail}",
                      "This is a bug in the engine's data pipeline, not in your essays; please report it.")


def check_packing(model: Any, batch: Batch, rtol: float) -> None:
    """Logits of an example packed after another must equal its logits alone: proof that
    attention does not cross example boundaries with this model and attention kernel."""
    import torch

    positions = batch.position_ids[0].tolist()
    starts = [i for i, p in enumerate(positions) if p == 0]
    if len(starts) < 2:
        return
    a, b = starts[1], (starts[2] if len(starts) > 2 else len(positions))
    b = min(b, a + 64)  # a prefix of the second example is proof enough, and cheap
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.no_grad():
        packed = model(input_ids=batch.input_ids[:1, :b].to(device), position_ids=batch.position_ids[:1, :b].to(device),
                       use_cache=False).logits[0, a:b].float()
        alone = model(input_ids=batch.input_ids[:1, a:b].to(device), position_ids=batch.position_ids[:1, a:b].to(device),
                      use_cache=False).logits[0].float()
    model.train(was_training)
    diff = (packed - alone).abs().max().item()
    if not diff <= rtol * alone.abs().max().item():
        raise EngineError("packing_leak",
                          f"Packed examples attend to each other with this model (logit difference {diff:.3g}).",
                          "Set packing to false in the run's config.json, or use a newer transformers.")

"""Seeded samples written in batches (sampling.py): a prompt's samples are its own whatever it
is batched with, each row stops at its own end, and the draw is the model's distribution."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM

from voice_draft_engine.sampling import Ask, Warping, sample_many

WARP = Warping(temperature=0.9, top_k=50)


def tiny(tiny_model_dir: Path):
    return AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval()


def asks() -> list[Ask]:
    g = torch.Generator().manual_seed(7)
    lengths = [5, 17, 9, 30]  # different lengths: the batch is left-padded
    return [Ask(torch.randint(10, 1000, (n,), generator=g).tolist(), samples=2, seed=100 + i, max_new_tokens=12 + 4 * i)
            for i, n in enumerate(lengths)]


def test_a_prompts_samples_do_not_depend_on_what_shares_its_batch(tiny_model_dir: Path) -> None:
    model, asked = tiny(tiny_model_dir), asks()
    together = sample_many(model, asked, WARP, pad_id=0, eos_id=None, max_rows=16)
    alone = [sample_many(model, [a], WARP, pad_id=0, eos_id=None)[0] for a in asked]
    assert together == alone
    for a, rows in zip(asked, together):
        assert len(rows) == a.samples and all(len(r) == a.max_new_tokens for r in rows)  # each its own length
    assert together[0][0] != together[0][1]  # two samples, two draws
    again = sample_many(model, asked[::-1], WARP, pad_id=0, eos_id=None, max_rows=4)[::-1]
    assert again == together  # the same seeds, the same samples, in any order and batch size
    other = sample_many(model, [Ask(asked[0].input_ids, 2, 999, asked[0].max_new_tokens)], WARP, pad_id=0, eos_id=None)
    assert other[0] != together[0]


def test_the_global_random_stream_is_left_alone(tiny_model_dir: Path) -> None:
    model = tiny(tiny_model_dir)
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    sample_many(model, asks(), WARP, pad_id=0, eos_id=None)
    assert torch.equal(torch.rand(4), expected)


def test_top_k_one_is_the_models_greedy_answer_and_rows_end_at_the_end_token(tiny_model_dir: Path) -> None:
    model, asked = tiny(tiny_model_dir), asks()
    greedy = []
    for a in asked:
        with torch.no_grad():
            out = model.generate(input_ids=torch.tensor([a.input_ids]), do_sample=False, max_new_tokens=a.max_new_tokens,
                                 pad_token_id=0, eos_token_id=None)
        greedy.append(out[0, len(a.input_ids):].tolist())
    drawn = sample_many(model, asked, Warping(temperature=1.0, top_k=1), pad_id=0, eos_id=None)
    assert [rows[0] for rows in drawn] == greedy and all(rows[0] == rows[1] for rows in drawn)

    end = greedy[1][5]  # a token the second prompt's answer writes: make it the end token
    ended = sample_many(model, asked, Warping(temperature=1.0, top_k=1), pad_id=0, eos_id=end)
    assert ended[1][0] == greedy[1][:greedy[1].index(end)]
    assert all(end not in r for rows in ended for r in rows)


def test_the_draw_follows_the_warped_distribution(tiny_model_dir: Path) -> None:
    """Many one-token samples of one prompt land where top-k 3 at temperature 1 puts them."""
    model = tiny(tiny_model_dir)
    prompt = asks()[1].input_ids
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([prompt])).logits[0, -1].float()
    top = torch.topk(logits, 3)
    expected = torch.softmax(top.values, -1)
    drawn = sample_many(model, [Ask(prompt, 300, 5, 1)], Warping(temperature=1.0, top_k=3), pad_id=0, eos_id=None,
                        max_rows=300)[0]
    firsts = torch.tensor([r[0] for r in drawn])
    assert set(firsts.tolist()) <= set(top.indices.tolist())
    share = torch.tensor([(firsts == t).float().mean() for t in top.indices])
    assert (share - expected).abs().max() < 0.1  # ~3.5 standard errors at 300 draws


def test_the_repetition_penalty_is_hugging_faces_over_the_prompt_and_the_answer_not_the_padding(tiny_model_dir: Path) -> None:
    """As the editor's decoder applies it with no window (src/inference/decoder.ts: every token of
    the prompt and of the answer so far, once); a greedy draw then matches `generate`'s own penalty."""
    model, asked = tiny(tiny_model_dir), asks()
    penalized = Warping(temperature=1.0, top_k=1, repetition_penalty=1.5)
    expected = []
    for a in asked:
        with torch.no_grad():
            out = model.generate(input_ids=torch.tensor([a.input_ids]), do_sample=False, max_new_tokens=a.max_new_tokens,
                                 repetition_penalty=1.5, pad_token_id=0, eos_token_id=None)
        expected.append(out[0, len(a.input_ids):].tolist())
    # The pad is a token the model would write: were it penalised, padded rows would change.
    pad = expected[0][0]
    drawn = sample_many(model, asked, penalized, pad_id=pad, eos_id=None)
    assert [rows[0] for rows in drawn] == expected
    # Temperature 0 is the editor's greedy: the likeliest token after the penalty, whatever top-k says.
    greedy = sample_many(model, asked, Warping(temperature=0, top_k=40, repetition_penalty=1.5), pad_id=pad, eos_id=None)
    assert greedy == [[e, e] for e in expected]
    plain = sample_many(model, asked, Warping(temperature=1.0, top_k=1), pad_id=pad, eos_id=None)
    assert [rows[0] for rows in plain] != expected  # the penalty changed the answers
    sampled = Warping(temperature=0.9, top_k=50, repetition_penalty=1.5)
    assert sample_many(model, asked, sampled, pad_id=pad, eos_id=None) == [
        sample_many(model, [a], sampled, pad_id=pad, eos_id=None)[0] for a in asked]


def test_a_penalty_window_penalises_only_the_last_tokens_of_prompt_and_answer(tiny_model_dir: Path) -> None:
    """The editor's RecentTokens (src/inference/sampling.ts): the penalty looks at the last
    `repetition_window` tokens, prompt and answer, each once; checked against the greedy answer
    recomputed from the whole text for each token, in a left-padded batch."""
    model, asked = tiny(tiny_model_dir), asks()
    window, penalty = 6, 3.0

    def reference(prompt: list[int], n: int, reach: int) -> list[int]:
        tokens = list(prompt)
        for _ in range(n):
            with torch.no_grad():
                logits = model(torch.tensor([tokens])).logits[0, -1]
            for t in set(tokens[-reach:] if reach else tokens):
                logits[t] = logits[t] * penalty if logits[t] < 0 else logits[t] / penalty
            tokens.append(int(logits.argmax()))
        return tokens[len(prompt):]

    expected = {reach: [reference(a.input_ids, a.max_new_tokens, reach) for a in asked] for reach in (window, 0)}
    assert expected[window] != expected[0]  # the window reaches the answers: the check below can tell them apart
    for reach, want in expected.items():
        drawn = sample_many(model, asked, Warping(temperature=0, top_k=0, repetition_penalty=penalty,
                                                  repetition_window=reach), pad_id=0, eos_id=None)
        assert [rows[0] for rows in drawn] == want, reach

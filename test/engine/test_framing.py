"""The plain framing: generating pairs become documents the model continues, masked as before;
canaries and evaluation ask the same way; chat residue and plain continuations are measured."""

from __future__ import annotations

from pathlib import Path

from voice_draft_engine import data
from voice_draft_engine.canaries import default_canaries
from voice_draft_engine.config import TrainConfig
from voice_draft_engine.framing import document_prompt, plain_pair
from voice_draft_engine.model_setup import load_tokenizer
from voice_draft_engine.chat_residue import chat_residue
from voice_draft_engine.voice_metrics.continuations import continuation_prompts, first_paragraph

SYSTEM = {"role": "system", "content": "You are a writing partner. You write in the author's own voice."}
OPENING = "Music began, I think, with the cry of an animal.\n\nThen came the drum."
CONTINUATION = "Of all instruments the drum is the oldest, and it has kept its hold on us."
T3 = {"id": "a.md#T3-0", "doc": "a.md", "tier": "T3", "messages": [
    SYSTEM, {"role": "user", "content": f'Keep writing "Origins":\n\n{OPENING}'},
    {"role": "assistant", "content": CONTINUATION}]}
T2 = {"id": "a.md#T2-0", "doc": "a.md", "tier": "T2", "messages": [
    SYSTEM, {"role": "user", "content": 'Write an essay titled "Origins".'},
    {"role": "assistant", "content": OPENING + "\n\n" + CONTINUATION}]}
T1 = {"id": "a.md#T1-0", "doc": "a.md", "tier": "T1", "messages": [
    SYSTEM, {"role": "user", "content": "Turn my rough draft into the final version.\n\nmusic old. drum older."},
    {"role": "assistant", "content": CONTINUATION}]}
TITLES = {"a.md": "Origins"}


def test_generating_pairs_become_documents_and_the_rewrite_stays_an_instruction() -> None:
    assert plain_pair(T3, TITLES) == (f"# Origins\n\n{OPENING}\n\n", CONTINUATION, False)
    assert plain_pair(T2, TITLES) == ("# Origins\n\n", T2["messages"][-1]["content"], True)
    assert plain_pair(T1, TITLES) is None
    assert document_prompt(None, "  one\n\n") == "one\n\n" and document_prompt("T") == "# T\n\n"


def test_plain_tokens_mask_the_document_start_and_train_only_the_writer(default_model_dir: Path) -> None:
    tok = load_tokenizer(default_model_dir)
    t3, = data.tokenize_example(T3, tok, 256, "plain", TITLES)
    prompt_len = t3.labels.count(data.IGNORE)
    assert tok.decode(t3.input_ids[:prompt_len]).endswith(f"# Origins\n\n{OPENING}\n\n")
    assert "<|im_start|>" not in tok.decode(t3.input_ids)  # no chat roles anywhere
    assert tok.decode([i for i in t3.labels if i != data.IGNORE]) == CONTINUATION == t3.target  # no end token
    t2, = data.tokenize_example(T2, tok, 256, "plain", TITLES)
    assert t2.target == T2["messages"][-1]["content"] + tok.eos_token  # a whole piece ends
    t1, = data.tokenize_example(T1, tok, 256, "plain", TITLES)
    assert "<|im_start|>assistant" in tok.decode(t1.input_ids)  # the rewrite keeps its chat turn
    batch = data.collate([data.pack([t3, t2, t1], 256)[0]], data.pad_token_id(tok))
    data.check_mask(batch, tok)
    chat, = data.tokenize_example(T3, tok, 256, "chat", TITLES)
    assert "<|im_start|>user" in tok.decode(chat.input_ids)


def test_canaries_in_the_plain_framing_are_essay_starts() -> None:
    ds = data.Dataset(train=[T2], val=[], documents=[{"doc": "a.md", "title": "Origins", "split": "train", "words": 9}])
    canaries = default_canaries(ds, TrainConfig(framing="plain"))
    assert [c.document for c in canaries] == ["# Origins\n\n", "# Assembling Flat-Pack Furniture with a Friend\n\n",
                                              "# What a City Sounds Like at Night\n\n"]
    assert all(c.document is None for c in default_canaries(ds, TrainConfig(framing="chat")))


def test_chat_residue_counts_samples_that_talk_like_an_assistant() -> None:
    samples = ["Sure! Here's the next part of your essay: the drum came first.",
               "That's a fun way to start a new paper. I'm excited to pick this one.",
               "The drum came first, and the flute after it, as the cry gave way to the song.",
               "Of course! The drum came first."]
    got = chat_residue(samples)
    assert got.with_residue == 3 and got.share == 0.75 and got.samples == 4
    assert got.patterns["sure"] == 1 and len(got.examples) == 3
    # A writer who opens paragraphs with "Of course," is not an assistant for doing so.
    assert chat_residue(samples, ["Of course, the savage drums.\n\nAnd more."]).with_residue == 2
    # Prose and headings that open with the same words answer nothing.
    prose = ["Of course the drum came first.", "GREAT FRAMES. After Hucbald's time the hexachords named the notes.",
             "Surely the flute came after.", "Okay Street runs north of the hall."]
    assert chat_residue(prose).with_residue == 0
    assert chat_residue(["Great question! The drum came first.", "Okay, the drum came first."]).with_residue == 2
    assert chat_residue([]).share is None


def test_a_character_speaking_is_not_chat_residue() -> None:
    story = ['"I\'m delighted to see you\'re always in," the janitor says. "But I have heard you\'re a good deputy."',
             'The janitor says, "Feel free to pass your money to me," and locks the door.',
             '"Of course!" cried the alderman, and voted twice.']
    assert chat_residue(story).with_residue == 0
    answers = ['"Sure! Here\'s the revised paragraph: the janitor locks the door."',
               '"I\'m delighted to help." Here is the next part of your essay.',
               'The janitor locks the door. Feel free to let me know if you want changes.']
    assert chat_residue(answers).with_residue == 3


def test_continuation_prompts_cut_held_out_essays_at_paragraphs() -> None:
    paras = [f"Paragraph {i} " + "word " * 30 for i in range(8)]
    docs = [{"doc": "b.md", "text": "\n\n".join(paras)}, {"doc": "a.md", "text": "# Head\n\n" + "\n\n".join(paras[:3])}]
    got = continuation_prompts(docs, 5)
    assert [p.doc for p in got][:4] == ["a.md", "b.md", "a.md", "b.md"]  # documents take turns
    assert all(p.opening.endswith("\n\n") and p.reference.startswith("Paragraph") for p in got)
    b = [p for p in got if p.doc == "b.md"]
    assert b[0].opening == paras[0].strip() + "\n\n" and b[0].reference == paras[1].strip()
    assert len({p.id for p in got}) == len(got)
    assert first_paragraph("One two.\n\nThree.") == "One two."
    # A headword and the entry under it: a sample, not a one-word paragraph.
    assert first_paragraph("FLOWER\n\nFLOWER, n. A weed.\n\nFOOL") == "FLOWER\n\nFLOWER, n. A weed."
    assert first_paragraph("## Part two\n\nIt rained.") == "## Part two\n\nIt rained."
    assert first_paragraph("Your sentiments, sir.\n\nMore.") == "Your sentiments, sir."  # short, but a sentence
    assert first_paragraph("FLOWER") == "FLOWER"  # nothing came after it


def test_continuation_prompts_give_the_model_some_of_the_writer_first() -> None:
    entry = "FAITH, n. " + "belief " * 30
    text = "FAIRY\n\n" + entry + "\n\nFAME\n\n" + entry
    got = continuation_prompts([{"doc": "f.md", "text": text}], 5)
    # Not after the lone heading (a one-word opening); after a heading that follows an entry, yes.
    assert [p.opening for p in got] == ["FAIRY\n\n" + entry.strip() + "\n\nFAME\n\n"]


def test_the_cpu_recipe_fills_only_what_the_run_leaves_out() -> None:
    from voice_draft_engine.hardware import Hardware, apply_hardware_defaults

    cpu = Hardware(device="cpu", gpu=None, gpu_memory_gib=None, gpu_count=0, bf16=False)
    cfg = TrainConfig(max_steps=7)
    apply_hardware_defaults(cfg, {"max_steps"}, cpu)
    assert (cfg.max_seq_len, cfg.micro_batch_size, cfg.gradient_accumulation_steps, cfg.max_steps) == (512, 2, 2, 7)
    fresh = TrainConfig()
    apply_hardware_defaults(fresh, set(), cpu)
    assert fresh.max_steps == 60  # the ~30-minute budget on 2 cores
    assert (fresh.canary_samples, fresh.canary_max_new_tokens) == (2, 160)  # canaries within that budget
    assert fresh.lora_dropout == 0.0 and TrainConfig().lora_dropout == 0.05  # masks cost a third of a CPU step
    assert fresh.val_max_tokens == 16_384 and TrainConfig().val_max_tokens is None  # a GPU reads every held-out row
    assert fresh.fim_pairs is False and TrainConfig().fim_pairs is True  # 15% of a CPU step for no measured gain
    asked = TrainConfig(canary_samples=3)
    apply_hardware_defaults(asked, {"canary_samples"}, cpu)
    assert (asked.canary_samples, asked.canary_max_new_tokens) == (3, 160)
    bf16_cpu = Hardware(device="cpu", gpu=None, gpu_memory_gib=None, gpu_count=0, bf16=True)
    faster = TrainConfig()
    apply_hardware_defaults(faster, set(), bf16_cpu)
    assert faster.max_steps == 100  # the same budget where the CPU trains in bf16
    assert (fresh.framing, fresh.learning_rate, fresh.lora_r, fresh.lora_alpha) == ("plain", 1e-3, 64, 128)
    gpu = Hardware(device="cuda", gpu="H100", gpu_memory_gib=80.0, gpu_count=1, bf16=True)
    on_gpu = TrainConfig()
    apply_hardware_defaults(on_gpu, set(), gpu)
    assert on_gpu == TrainConfig()  # a GPU trains the epochs on 1,024-token rows


def test_a_piece_without_a_title_is_trained_as_plain_text(default_model_dir: Path) -> None:
    tok = load_tokenizer(default_model_dir)
    untitled, = data.tokenize_example(T2, tok, 256, "plain", {})  # no documents.jsonl: no title
    assert untitled.labels[0] == data.IGNORE and data.IGNORE not in untitled.labels[1:]
    data.check_mask(data.collate([[untitled]], data.pad_token_id(tok)), tok)


def test_lora_on_a_cpu_with_native_bf16_computes_in_bf16(monkeypatch) -> None:
    import torch

    from voice_draft_engine import model_setup

    monkeypatch.setattr(model_setup, "cpu_bf16", lambda: True)
    assert model_setup.pick_autocast(TrainConfig(), "cpu", torch.float32) is torch.bfloat16
    # The writer's explicit dtype wins, and a GPU's dtype is its weights' own.
    assert model_setup.pick_autocast(TrainConfig(dtype="float32"), "cpu", torch.float32) is None
    assert model_setup.pick_autocast(TrainConfig(), "cuda", torch.bfloat16) is None
    # Full fine-tuning keeps fp32 master weights and computes in the half dtype it was given.
    assert model_setup.pick_autocast(TrainConfig(full_finetune=True), "cuda", torch.bfloat16) is torch.bfloat16
    assert model_setup.pick_autocast(TrainConfig(full_finetune=True), "cpu", torch.float32) is None
    monkeypatch.setattr(model_setup, "cpu_bf16", lambda: False)
    assert model_setup.pick_autocast(TrainConfig(), "cpu", torch.float32) is None

"""`python -m voice_draft_engine eval` end to end on a real (tiny) trained run.

The run is trained by the engine's own `train` command (tiny random Llama, two
steps), then evaluated as a writer's run would be: the protocol on stdout,
eval.json in the run folder, the same figures again for the same seed, a clean
stop on SIGTERM, and an honest error for a run with nothing to evaluate.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = [sys.executable, "-m", "voice_draft_engine"]
# Small but real: 4 prompts x 2 samples per model, 96 tokens each (a paragraph of 40+
# words each, enough for the attribution classifier's minimum of 5 a side).
EVAL_ARGS = ["--samples", "2", "--prompts", "4", "--max-new-tokens", "96", "--resamples", "200",
             "--perplexity-tokens", "4000", "--continuation-prompts", "3", "--continuation-tokens", "48",
             "--continuation-prompts-max", "0"]


@pytest.fixture(scope="module")
def env(engine_cache: Path) -> dict[str, str]:
    """The session's cache (conftest), the package on PYTHONPATH, and one thread.

    One thread because a tiny model's decode step is far too small to share: on a
    busy 2-core machine two OpenMP threads spent ten times the CPU spinning (measured:
    0.19 s vs 2.1 s of CPU for 20 tokens).
    """
    out = dict(os.environ)
    out["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src" / "engine" / "python")
    out["VOICE_DRAFT_CACHE"] = str(engine_cache)
    out["HF_HUB_OFFLINE"] = "1"
    out["OMP_NUM_THREADS"] = "1"
    return out


def _events(stdout: str) -> list[dict]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every stdout line must be an event


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory, bierce_dataset: Path, tiny_model_dir: Path,
                env: dict[str, str]) -> Path:
    run = tmp_path_factory.mktemp("eval-run")
    shutil.copytree(bierce_dataset, run / "dataset")
    (run / "config.json").write_text(json.dumps({
        "base_model": "tiny:llama", "max_steps": 2, "micro_batch_size": 4, "max_seq_len": 256,
        "canary_samples": 1, "canary_max_new_tokens": 8,
    }))
    done = subprocess.run([*ENGINE, "train", "--run", str(run)], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (run / "adapter" / "adapter_config.json").is_file()
    return run


def _eval(run: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENGINE, "eval", "--run", str(run), *EVAL_ARGS, *extra],
                          capture_output=True, text=True, env=env, timeout=900)


def test_eval_writes_scores_and_speaks_the_protocol(trained_run: Path, env: dict[str, str]) -> None:
    done = _eval(trained_run, env)
    assert done.returncode == 0, done.stderr[-2000:]
    events = _events(done.stdout)
    assert [e["event"] for e in events[:-1]] == ["eval.progress"] * (len(events) - 1)
    percents = [e["percent"] for e in events[:-1]]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert {e["stage"] for e in events[:-1]} == {"load", "perplexity", "generate", "scores"}
    final = events[-1]
    assert final["event"] == "eval.done" and final["path"] == str(trained_run / "eval.json")

    scores = json.loads((trained_run / "eval.json").read_text())
    assert scores["format"] == 1 and scores["summary"] == final["summary"]
    settings = scores["settings"]
    assert settings["samples"] == 2 and settings["max_new_tokens"] == 96 and settings["model"]["tuned"] == "adapter"
    assert 1 <= settings["prompts_used"] <= 4

    p = scores["perplexity"]
    assert p["base"] > 1 and p["tuned"] > 1 and p["base"] != p["tuned"]  # the adapter changes the model
    assert p["tokens"] > 0 and p["ratio"] == pytest.approx(p["tuned"] / p["base"])

    samples = [s for s in scores["samples"] if s["mode"] == "task"]
    assert len(samples) == 2 * settings["prompts_used"]
    assert any(s["base"] != s["tuned"] for s in samples)
    # The run was trained in the plain framing (the default): tasks are asked as documents to continue.
    assert settings["framing"] == "plain" and all(s["prompt"].startswith("# ") for s in samples)

    # Plain continuations, as ghost text asks: each beside the writer's own next paragraph.
    continued = [s for s in scores["samples"] if s["mode"] == "continuation"]
    assert len(continued) == 2 * settings["continuations_used"] and 1 <= settings["continuations_used"] <= 3
    assert all(s["reference"] and "\n\n" not in s["tuned"] for s in continued)
    cont = scores["continuation"]
    assert set(cont) == {"stylometry", "attribution", "chat_residue", "length"}
    # Lengths against all the writer's held-out paragraphs; the chosen references (25+ words) beside.
    assert cont["length"]["samples"] == len(continued) and cont["length"]["reference_median_words"] >= 25
    assert 0 < cont["length"]["writer_median_words"] <= cont["length"]["reference_median_words"]
    for block in (cont["chat_residue"], scores["chat_residue"]):
        assert set(block) == {"base", "tuned"} and 0 <= block["tuned"]["share"] <= 1
    for key in ("attributed_continuation", "gap_closed_continuation", "chat_residue_continuation",
                "chat_residue_instruction", "length_ratio_continuation"):
        assert key in scores["summary"]
    for side in ("base", "tuned", "floor"):
        delta = scores["stylometry"]["delta"][side]
        assert delta is not None and delta >= 0
        cosine = scores["stylometry"]["char_cosine"][side]
        assert 0 <= cosine <= 1
    # Delta on matched lengths: each side pools as many words; 8 short samples are too few to trust.
    style = scores["stylometry"]
    assert style["words"]["base"] == style["words"]["tuned"] == style["words"]["floor"] == style["words_used"] > 0
    assert style["words_used"] <= min(style["words_generated"].values())
    assert style["words_used"] < style["min_words"] and style["reliable"] is False
    assert f"{style['words_used']} words per side" in style["unreliable_reason"]
    summary = scores["summary"]
    assert summary["gap_closed_reliable"] is False and summary["delta_words"] == style["words_used"]
    assert summary["delta_min_words"] == style["min_words"]
    a = scores["attribution"]
    assert a.get("tuned_share") is not None, a.get("skipped")
    assert a["ci"][0] <= a["tuned_share"] <= a["ci"][1]
    for habit in ("hashtags", "calls_to_action", "stock_phrases", "exclamations", "first_person_claims"):
        assert set(scores["habits"][habit]) == {"base", "tuned", "writer"}
    assert scores["habits"]["words"]["writer"] > 1000
    for tier in scores["length"].values():
        assert tier["writer_median_words"] > 0 and tier["samples"] > 0

    # Every event also went to the run's events.jsonl, after training's.
    logged = [json.loads(line)["event"] for line in (trained_run / "events.jsonl").read_text().splitlines()]
    assert "train.done" in logged and logged[-1] == "eval.done"

    # Same run, same seed: the same figures (only the time stamps differ).
    again = _eval(trained_run, env)
    assert again.returncode == 0, again.stderr[-2000:]
    second = json.loads((trained_run / "eval.json").read_text())
    for key in ("created", "seconds"):
        scores.pop(key)
        second.pop(key)
    assert second == scores


def test_continuations_too_short_for_delta_are_topped_up_to_the_cap(trained_run: Path, env: dict[str, str]) -> None:
    """A writer of short notes gets short continuations: more held-out openings are continued, by
    both models and with the seeds they would have had asked at once, until Delta has its words or
    --continuation-prompts-max is reached (the tiny model's 48-token paragraphs never get there)."""
    from voice_draft_engine.voice_metrics.continuations import continuation_prompts

    documents = [json.loads(line) for line in (trained_run / "dataset" / "documents.jsonl").read_text().splitlines()]
    available = [p.id for p in continuation_prompts([d for d in documents if d.get("split") == "val"], 1000)]
    cap = min(7, len(available))
    assert cap > 3, "the held-out notes should offer more than the 3 openings asked first"

    done = _eval(trained_run, env, "--continuation-prompts-max", str(cap))
    assert done.returncode == 0, done.stderr[-2000:]
    events = _events(done.stdout)
    told = [e["message"] for e in events if e.get("stage") == "generate"]
    assert any("a trusted Delta needs" in m and "more openings" in m for m in told)
    percents = [e["percent"] for e in events[:-1]]
    assert percents == sorted(percents)  # more work found: the bar waits, it does not go back

    scores = json.loads((trained_run / "eval.json").read_text())
    settings = scores["settings"]
    style = scores["continuation"]["stylometry"]
    assert settings["continuations_used"] == cap
    assert settings["continuation_words_needed"] == style["min_words"] > style["words_used"]
    continued = [s for s in scores["samples"] if s["mode"] == "continuation"]
    assert len(continued) == 2 * cap
    # The openings in the order they are offered, each with its own seed, the first three as before.
    assert [s["prompt_id"] for s in continued[::2]] == available[:cap]
    assert [s["seed"] for s in continued[::2]] == [settings["seed"] + i for i in range(cap)]


def test_samples_are_drawn_as_the_writers_ghost_text_settings_say(trained_run: Path, env: dict[str, str]) -> None:
    """*Evaluate Voice* passes the writer's voiceDraft.inline.* sampling. At temperature 0 (greedy)
    a prompt gets one sample, not copies; the penalty reaches the draw; eval.json says how the
    samples were drawn. A penalty below 1 is a usage error before anything loads."""
    greedy = ["--rewrite-paragraphs", "0", "--base-pool", "0", "--temperature", "0"]
    written = {}
    for penalty in ("1.3", "1"):
        done = _eval(trained_run, env, *greedy, "--repetition-penalty", penalty)
        assert done.returncode == 0, done.stderr[-2000:]
        scores = json.loads((trained_run / "eval.json").read_text())
        settings = scores["settings"]
        assert (settings["temperature"], settings["top_k"], settings["repetition_penalty"], settings["samples"]) == (
            0.0, 40, float(penalty), 1)
        assert settings["repetition_window"] == 0  # the editor's voiceDraft.inline.repetitionWindow: all of it
        continued = [s for s in scores["samples"] if s["mode"] == "continuation"]
        assert len(continued) == settings["continuations_used"] == len({s["prompt_id"] for s in continued})
        written[penalty] = [s["tuned"] for s in scores["samples"]]
    assert written["1.3"] != written["1"]  # the penalty changed the greedy answers

    bad = _eval(trained_run, env, "--repetition-penalty", "0.5")
    assert bad.returncode != 0 and "--repetition-penalty must be at least 1" in bad.stdout
    bad = _eval(trained_run, env, "--repetition-window", "-1")
    assert bad.returncode != 0 and "--repetition-window must be 0 or more" in bad.stdout


def test_more_continuations_wanted_covers_the_shortfall_within_the_cap() -> None:
    from voice_draft_engine.voice_metrics.continuations import more_continuations_wanted

    # 12 openings gave 250 words; 1,180 needed: ~21 words each, 1.2 x 930 / 20.8 -> 54 more, within 60 in all.
    assert more_continuations_wanted(250, 1180, 12, 198, 60) == 48
    assert more_continuations_wanted(250, 1180, 12, 198, 100) == 54
    assert more_continuations_wanted(250, 1180, 12, 20, 60) == 8      # only 20 openings held out
    assert more_continuations_wanted(1200, 1180, 12, 198, 60) == 0    # enough already
    assert more_continuations_wanted(250, 1180, 12, 198, 0) == 0      # top-up off
    assert more_continuations_wanted(250, 1180, 60, 198, 60) == 0     # cap reached
    assert more_continuations_wanted(0, 1180, 12, 198, 60) == 48      # nothing written yet: all the room


def test_sigterm_stops_the_evaluation_and_keeps_the_old_scores(trained_run: Path, env: dict[str, str]) -> None:
    path = trained_run / "eval.json"
    before = path.read_bytes() if path.exists() else None
    proc = subprocess.Popen([*ENGINE, "eval", "--run", str(trained_run), *EVAL_ARGS], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1].get("stage") == "generate":
            proc.send_signal(signal.SIGTERM)
            break
    rest = proc.stdout.read()
    code = proc.wait(timeout=300)
    events += _events(rest)
    assert code == 1
    assert events[-1]["event"] == "error" and events[-1]["code"] == "cancelled"
    assert (path.read_bytes() if path.exists() else None) == before


def test_a_run_without_a_trained_voice_is_an_error_with_a_hint(tmp_path: Path, bierce_dataset: Path,
                                                              env: dict[str, str]) -> None:
    shutil.copytree(bierce_dataset, tmp_path / "dataset")
    (tmp_path / "config.json").write_text(json.dumps({"base_model": "tiny:llama"}))
    done = _eval(tmp_path, env)
    assert done.returncode == 1
    (error,) = [e for e in _events(done.stdout) if e["event"] == "error"]
    assert error["code"] == "no_adapter" and "Train" in error["hint"]
    assert not (tmp_path / "eval.json").exists()

    missing = _eval(tmp_path / "nope", env)
    assert missing.returncode == 1 and _events(missing.stdout)[-1]["code"] == "run_not_found"


def test_perplexity_matches_a_direct_computation(trained_run: Path) -> None:
    """The strided scorer equals exp(mean NLL) from one forward pass when the text fits one window."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # see `env`: a tiny model on a busy machine
    try:
        _check_perplexity(trained_run)
    finally:
        torch.set_num_threads(threads)


def _check_perplexity(trained_run: Path) -> None:
    import torch

    from voice_draft_engine.voice_metrics.generation import load_run_models
    from voice_draft_engine.voice_metrics.perplexity import score_documents

    pair = load_run_models(trained_run)
    ids = pair.tokenizer("The devil is in the details, and the details are in the devil.")["input_ids"]
    with pair.use("tuned") as model:
        strided = score_documents(model, [ids], max_length=8, stride=4)
        whole = score_documents(model, [ids], max_length=1024, stride=512)
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0, :-1]
        direct = torch.nn.functional.cross_entropy(logits, torch.tensor(ids[1:]), reduction="sum").item()
    assert whole.tokens == [len(ids) - 1] and strided.tokens == whole.tokens
    assert whole.nll[0] == pytest.approx(direct, rel=1e-5)
    assert math.isfinite(strided.nll[0])
    with pair.use("base") as model:
        base = score_documents(model, [ids])
    assert base.nll[0] != pytest.approx(whole.nll[0], rel=1e-9)

    # On a CPU each side is a plain model (no LoRA layers to pay for), and it scores as the PEFT
    # model does with its adapter on (tuned) and off (base).
    from voice_draft_engine.model_setup import load_tuned_model

    peft, _ = load_tuned_model(trained_run, merge=False)
    assert not hasattr(pair.tuned, "disable_adapter") and not hasattr(pair._base, "disable_adapter")
    assert score_documents(peft, [ids]).nll[0] == pytest.approx(whole.nll[0], rel=1e-5)
    with peft.disable_adapter():
        assert score_documents(peft, [ids]).nll[0] == pytest.approx(base.nll[0], rel=1e-5)

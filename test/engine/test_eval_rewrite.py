"""eval's rewrite section (issue #20): held-out paragraphs made plain, rewritten by base and voice, scored.

The figures on hand-made outputs (no model): a rewrite that keeps the draft keeps its content,
one that answers like a chat assistant is counted as residue, one that says something else
loses the content; then `eval --rewrite-paragraphs` on a tiny trained run writes the section.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tiny_runs import Recorder, make_run
from voice_draft_engine.train import train_run
from voice_draft_engine.voice_metrics.rewrite import rewrite_items, rewrite_messages, rewrite_summary, score_rewrites

TEMPLATES = {"system": "You are a writing partner.",
             "T1": [{"titled": 'Here is a rough draft of my essay "{title}". Edit it into the finished piece.\n\n{draft}',
                     "untitled": "Here is a rough draft of my essay. Edit it into the finished piece.\n\n{draft}"}]}
PARAGRAPH = ("The miller, who had watched the river every morning of his life, did not trust it; rivers, he said, "
             "take the shortest way to the sea and charge for the trip, as any lawyer does in 1911.")
WRITER = [f"{PARAGRAPH}\n\nIn the spring the water rose and the wheel turned faster, and the miller counted the sacks "
          f"of flour and was not pleased, for a fast wheel wears its teeth. Essay {i}." for i in range(12)]
BASE = [f"Sure! Here is a short story about a river number {i}. It is a very nice river and everyone loves it, "
        "and I hope you enjoy reading about it as much as I enjoyed writing it for you today." for i in range(12)]


def documents() -> list[dict]:
    return [{"doc": "held.md", "title": "The Mill", "split": "val", "text": f"{PARAGRAPH}\n\nShort line.\n\n{PARAGRAPH} Again."},
            {"doc": "other.md", "title": "", "split": "val", "text": PARAGRAPH.replace("miller", "baker")},
            {"doc": "train.md", "title": "T", "split": "train", "text": WRITER[0]}]


def test_items_are_held_out_prose_paragraphs_with_their_plain_drafts() -> None:
    items = rewrite_items(documents(), 10)
    assert [i.doc for i in items] == ["held.md", "other.md", "held.md"]  # held-out only, essays take turns
    assert all("—" not in i.plain and ";" not in i.plain and i.plain != i.paragraph for i in items)
    messages = rewrite_messages(TEMPLATES, items[0])
    assert messages[0] == {"role": "system", "content": "You are a writing partner."}
    assert messages[1]["content"].startswith('Here is a rough draft of my essay "The Mill".')
    assert messages[1]["content"].endswith(items[0].plain)
    assert rewrite_items(documents(), 1) == items[:1]


def test_scores_content_residue_and_attribution_per_side() -> None:
    items = rewrite_items(documents(), 10)
    outputs = {"kept": [i.paragraph for i in items],
               "chatty": [f"Sure! Here's the revised version:\n\n{i.plain}\n\nI hope this helps!" for i in items],
               "drifted": ["Here is a short story about a river. It is a very nice river and everyone loves it, and I hope "
                           "you enjoy reading about it as much as I enjoyed writing it for you today." for _ in items]}
    report = score_rewrites(items, outputs, WRITER, BASE)
    assert report["paragraphs"] == 3 and report["inputs"] == "destyled"
    assert report["content"]["kept"]["recall"] >= 0.9 and report["content"]["drifted"]["recall"] < 0.2
    assert report["content"]["drifted"]["flagged_share"] == 1 and report["chat_residue"]["drifted"]["with_residue"] == 3
    assert report["chat_residue"]["chatty"]["with_residue"] == 3 and report["chat_residue"]["kept"]["with_residue"] == 0
    assert set(report["attributed"]) == {"plain", "kept", "chatty", "drifted", "writer"}
    assert report["attributed"]["writer"] == 1 and report["attributed"]["drifted"] == 0
    assert report["length_ratio"]["kept"] > 0.9
    assert [s["kept"] for s in report["samples"]] == outputs["kept"]
    summary = rewrite_summary({**report, "attributed": {**report["attributed"], "tuned": 0.5}})
    assert summary["rewrite_attributed"] == 0.5 and summary["rewrite_attributed_plain"] == report["attributed"]["plain"]
    assert rewrite_summary({"skipped": "why"})["rewrite_attributed"] is None


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory, small_dataset: Path, tiny_model_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("rewrite-eval")
    dataset = root / "dataset"
    shutil.copytree(small_dataset, dataset)
    manifest = json.loads((dataset / "manifest.json").read_text())
    (dataset / "manifest.json").write_text(json.dumps({**manifest, "prompts": TEMPLATES}))
    run = make_run(root, dataset, epochs=1, max_steps=1, canary_samples=1, max_seq_len=256)
    assert train_run(run, Recorder()) == "done"
    return run


def test_eval_writes_the_rewrite_section(trained_run: Path, engine_cache: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src" / "engine" / "python"),
           "VOICE_DRAFT_CACHE": str(engine_cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    args = ["--samples", "1", "--prompts", "2", "--max-new-tokens", "48", "--resamples", "50", "--perplexity-tokens", "1000",
            "--continuation-prompts", "1", "--continuation-prompts-max", "0", "--continuation-tokens", "24",
            "--rewrite-paragraphs", "2"]
    done = subprocess.run([sys.executable, "-m", "voice_draft_engine", "eval", "--run", str(trained_run), *args],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert "rewrite" in {e.get("stage") for e in events}
    scores = json.loads((trained_run / "eval.json").read_text())
    section = scores["rewrite"]
    assert section["paragraphs"] == len(section["samples"]) >= 1
    held_out = {json.loads(line)["doc"] for line in (trained_run / "dataset" / "documents.jsonl").read_text().splitlines()
                if json.loads(line)["split"] == "val"}
    assert all(s["doc"] in held_out and s["plain"] and set(s) >= {"base", "tuned", "paragraph"} for s in section["samples"])
    assert set(section["content"]) == set(section["chat_residue"]) == {"base", "tuned"}
    for key in ("rewrite_attributed", "rewrite_content_recall", "rewrite_chat_residue", "rewrite_attributed_plain"):
        assert key in scores["summary"]
    assert scores["summary"]["rewrite_content_recall"] == section["content"]["tuned"]["recall"]

"""The base model's own continuations of the writer's training essays: what every
writer-vs-base classifier learns "the base model" from (eval's attribution, the voice check
that chooses the checkpoint, and the editor's voice-score.json that ranks rewrites).

Why a pool: one evaluation writes ~35 base paragraphs, and a classifier that learns the
base model from those took 31-41% of the base model's own paragraphs for the writer's
(cross-validated, README "Voice recipe"); the training-time check learned it from 8 short
samples. The pool continues openings cut from the *training* essays, so both sides of the
classifier are about the same subjects and it has to learn the style, not the topic;
all openings missing from the cache are written side by side in batches (sampling.py: on a
CPU a batch of 16 rows costs little more than one). It depends only on the base model and the
corpus, so it is cached in the engine's cache folder, beside the synthetic drafts, and every
later run and evaluation of the same essays reads it. It is drawn as ghost text is, as every
text it is set against (editor_sampling.py): drawn hotter than them, it would teach the classifier
that the base model is the hotter draw.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from ..editor_sampling import GHOST_TEXT
from ..files import write_json
from ..paths import cache_root

log = logging.getLogger(__name__)

FORMAT = 3  # 3: each opening drawn from its own generator (sampling.py)
SAMPLING = GHOST_TEXT  # in the cache key: pools drawn another way (before: 0.8, top-k 50) are not read
PROMPTS = 24  # eval's; the voice check during training takes the first TRAINING_PROMPTS of them
TRAINING_PROMPTS = 8
SAMPLES = 4  # per opening, in one batch
MAX_NEW_TOKENS = 160
MAX_PROMPT_TOKENS = 384
SEED = 2468


def pool_file(model_id: str, samples: int, max_new_tokens: int) -> Path:
    """One file per base model and sampling; inside it, the answers per opening (by digest), so a
    shorter pool (the voice check's) is the start of a longer one (eval's) and neither is written twice."""
    key = hashlib.sha256(json.dumps([FORMAT, model_id, samples, max_new_tokens, MAX_PROMPT_TOKENS, SEED,
                                     _draw_key()]).encode())
    return cache_root() / "base-pool" / f"{key.hexdigest()[:24]}.json"


def _draw_key() -> dict[str, Any]:
    """SAMPLING as the cache key names it. A penalty window of 0 is the draw from before the window
    was a field: left out, the pools cached then keep their file instead of being written again."""
    draw = asdict(SAMPLING)
    if not draw["repetition_window"]:
        del draw["repetition_window"]
    return draw


def base_pool(model: Any, tokenizer: Any, writer_documents: list[dict[str, Any]], model_id: str, *,
              prompts: int = PROMPTS, samples: int = SAMPLES, max_new_tokens: int = MAX_NEW_TOKENS,
              progress: Callable[[int, int], None] | None = None) -> list[str]:
    """The base model's continuations of `prompts` openings of the writer's documents (texts,
    several paragraphs each), from the cache or written now. `model` must answer as the base
    model (a PEFT model with its adapter disabled, or the base itself). `model_id` names the
    base's weights (drafts.synthetic.model_identity): other weights, another pool."""
    from ..canaries import Canary, generate_many
    from ..sampling import MAX_ROWS
    from .continuations import continuation_prompts, fit_opening

    cuts = continuation_prompts(writer_documents, prompts)
    path = pool_file(model_id, samples, max_new_tokens)
    cached = _read(path)
    digests = [hashlib.sha256(cut.opening.encode("utf-8")).hexdigest()[:24] for cut in cuts]
    missing = {d: cut for d, cut in zip(digests, cuts) if d not in cached}
    asked = []
    for digest, cut in missing.items():
        opening = fit_opening(tokenizer, cut.opening, MAX_PROMPT_TOKENS)
        # The seed follows the opening, not its place in the list: the same opening gets the
        # same answers in a pool of any size (sampling.py keeps each prompt's draw its own).
        asked.append((Canary(cut.id, opening[-400:], max_new_tokens, opening), None,
                      {**asdict(SAMPLING), "max_new_tokens": max_new_tokens, "num_samples": samples,
                       "seed": SEED + int(digest[:6], 16)}))
    have = len(cuts) - len(missing)
    if progress is not None and have:
        progress(have, len(cuts))
    # A batch's worth of openings at a time, each kept as soon as its batch is written: a
    # stopped evaluation or training loses one batch, not the pool.
    per_batch = max(1, MAX_ROWS // samples)
    pending = list(missing)
    for at in range(0, len(asked), per_batch):
        written = generate_many(model, tokenizer, asked[at:at + per_batch])
        for digest, texts in zip(pending[at:at + per_batch], written):
            cached[digest] = [t for t in texts if t.strip()]
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, {"format": FORMAT, "answers": cached})
        if progress is not None:
            progress(have + min(at + per_batch, len(asked)), len(cuts))
    return [t for d in digests for t in cached[d]]


def _read(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    answers = data.get("answers") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(answers, dict):
        log.warning("ignoring a damaged base pool at %s", path)
        return {}
    return {k: v for k, v in answers.items()
            if isinstance(v, list) and all(isinstance(t, str) for t in v)}

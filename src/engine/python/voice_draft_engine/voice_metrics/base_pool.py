"""The base model's own continuations of the writer's training essays: what every
writer-vs-base classifier learns "the base model" from (eval's attribution, the voice check
that chooses the checkpoint, and the editor's voice-score.json that ranks rewrites).

Why a pool: one evaluation writes ~35 base paragraphs, and a classifier that learns the
base model from those took 31-41% of the base model's own paragraphs for the writer's
(cross-validated, README "Voice recipe"); the training-time check learned it from 8 short
samples. The pool continues openings cut from the *training* essays, so both sides of the
classifier are about the same subjects and it has to learn the style, not the topic;
several samples per opening come from one batched `generate` (on a CPU a batch of 4 costs
little more than one). It depends only on the base model and the corpus, so it is cached in
the engine's cache folder, beside the synthetic drafts, and every later run and evaluation
of the same essays reads it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Callable

from ..files import write_json
from ..paths import cache_root

log = logging.getLogger(__name__)

FORMAT = 1
PROMPTS = 24
SAMPLES = 4  # per opening, in one batch
MAX_NEW_TOKENS = 160
MAX_PROMPT_TOKENS = 384
SEED = 2468


def pool_key(model_id: str, openings: list[str], prompts: int, samples: int, max_new_tokens: int) -> str:
    h = hashlib.sha256(json.dumps([FORMAT, model_id, prompts, samples, max_new_tokens, SEED]).encode())
    for text in openings:
        h.update(text.encode("utf-8") + b"\0")
    return h.hexdigest()[:24]


def base_pool(model: Any, tokenizer: Any, writer_documents: list[dict[str, Any]], model_id: str, *,
              prompts: int = PROMPTS, samples: int = SAMPLES, max_new_tokens: int = MAX_NEW_TOKENS,
              progress: Callable[[int, int], None] | None = None) -> list[str]:
    """The base model's continuations of `prompts` openings of the writer's documents (texts,
    several paragraphs each), from the cache or written now. `model` must answer as the base
    model (a PEFT model with its adapter disabled, or the base itself). `model_id` names the
    base's weights (drafts.synthetic.model_identity): other weights, another pool."""
    from ..canaries import Canary, generate
    from .continuations import continuation_prompts, fit_opening

    cuts = continuation_prompts(writer_documents, prompts)
    if not cuts:
        return []
    key = pool_key(model_id, [c.opening for c in cuts], prompts, samples, max_new_tokens)
    cache = cache_root() / "base-pool" / f"{key}.json"
    cached = _read(cache)
    if cached is not None:
        return cached
    texts: list[str] = []
    for i, cut in enumerate(cuts):
        opening = fit_opening(tokenizer, cut.opening, MAX_PROMPT_TOKENS)
        sampling = {"temperature": 0.8, "top_k": 50, "top_p": 1.0, "max_new_tokens": max_new_tokens,
                    "num_samples": samples, "seed": SEED + i}
        texts += [t for t in generate(model, tokenizer, Canary(cut.id, opening[-400:], max_new_tokens, opening),
                                      None, sampling) if t.strip()]
        if progress is not None:
            progress(i + 1, len(cuts))
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_json(cache, {"format": FORMAT, "key": key, "texts": texts})
    return texts


def _read(path: Path) -> list[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    texts = data.get("texts") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        log.warning("ignoring a damaged base pool at %s", path)
        return None
    return texts

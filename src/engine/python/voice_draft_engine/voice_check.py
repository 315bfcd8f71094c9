"""A quick voice score at every evaluation, so the voice is chosen by voice, not by loss.

The seeds' lesson: validation loss can stay flat while the voice changes a lot ("the loss
lied"), and the lowest loss is not the checkpoint that sounds most like the writer. So at
each evaluation the model continues a few fixed openings of the writer's essays (fixed
seeds: every checkpoint answers the same prompts), and a writer-vs-base classifier, fitted
once on the writer's paragraphs and the base model's continuations of the same openings,
says how much each continuation reads like the writer. The score is the mean probability;
the exported voice is the best-scoring checkpoint when it is surely better than the
lowest-loss one (train.py, chosen_checkpoint), unless the writer picks another
(`choose --run DIR --step N`, choose.py).

Burrows' Delta is reported with it but does not choose: a check writes ~200 words, and
Delta needs several hundred before it ranks an author's own text above another's
(voice_metrics/stylometry.py, DeltaSpace.min_words).

Cost: `PROMPTS` x `SAMPLES` short continuations per evaluation, written as one batch
(sampling.py). Needs scikit-learn (the engine's lock has it); without it, or without
enough writer text, the check is off and the loss chooses, as before.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from .data import Dataset
from .editor_sampling import BEFORE_EDITOR_SAMPLING, GHOST_TEXT, Warping
from .events import TrainVoice
from .files import write_json

log = logging.getLogger(__name__)

FILE = "voice-check.json"
SCORER_FILE = "voice-score.json"  # the classifier as numbers, for the editor (docs/contracts.md)
# 8 openings x 2 samples: one batch of 16 rows (sampling.MAX_ROWS). At 4 openings the score's
# standard error was ~0.12 (Bierce) and the check chose on noise (train.py, chosen_checkpoint);
# at 8 it was 0.06-0.08 on MacDowell. A check took ~9 s for Bierce's 4 short openings and
# ~30 s for MacDowell's 8 longer ones (2 EPYC cores, float32).
PROMPTS = 8
SAMPLES = 2  # per prompt
MAX_NEW_TOKENS = 64
SEED = 4321
MIN_WRITER_PARAGRAPHS = 8


@dataclass
class VoiceScore:
    step: int
    score: float  # mean P(writer) of the continuations, 0..1
    attributed: float  # share of continuations the classifier takes for the writer
    delta: float | None  # Burrows' Delta of the pooled continuations to the writer (lower: closer)
    samples: int
    stderr: float = 0.0  # the score's standard error: two checks closer than this do not differ

    def event(self) -> TrainVoice:
        return TrainVoice(step=self.step, score=round(self.score, 4), attributed=round(self.attributed, 4),
                          delta=None if self.delta is None else round(self.delta, 4), samples=self.samples,
                          stderr=round(self.stderr, 4))


class VoiceCheck:
    """Fixed continuation prompts, the base model's answers and the classifier fitted on them."""

    def __init__(self, run_dir: Path, dataset: Dataset, base_dir: Path | None = None) -> None:
        from .voice_metrics.attribution import paragraphs
        from .voice_metrics.continuations import continuation_prompts

        self.path = run_dir / FILE
        docs = [d for d in dataset.documents if d.get("text")]
        held_out = [d for d in docs if d.get("split") == "val"]
        # Held-out openings when there are any: the voice must carry to essays it never saw.
        self.prompts = continuation_prompts(held_out or docs, PROMPTS)
        self.writer_texts = [d["text"] for d in docs if d.get("split", "train") == "train"]
        self.writer = [p for t in self.writer_texts for p in paragraphs(t)]
        self.writer_documents = [d for d in docs if d.get("split", "train") == "train"]
        self.base_dir = base_dir
        self.base: list[str] = []
        self.pool: list[str] = []  # more of the base model's writing (voice_metrics/base_pool.py)
        # Drawn as ghost text is: the checkpoint is chosen by the text the writer will be shown. A
        # resumed run keeps the draw its base answers were written with (start()).
        self.sampling: Warping = GHOST_TEXT
        self._probability: Callable[[list[str]], Any] | None = None
        self._style: Any = None

    @property
    def usable(self) -> bool:
        return bool(self.prompts) and len(self.writer) >= MIN_WRITER_PARAGRAPHS

    def _write(self, model: Any, tokenizer: Any) -> list[str]:
        from .voice_metrics.continuations import sample_continuations

        made = sample_continuations(model, tokenizer, self.prompts, samples=SAMPLES, seed=SEED,
                                    max_new_tokens=MAX_NEW_TOKENS, warp=self.sampling, max_prompt_tokens=384)
        return [s.text for s in made]

    def start(self, base_model: Any, tokenizer: Any, resumed: bool) -> bool:
        """Base continuations (from voice-check.json on a resume), then the classifier.
        `base_model` answers as the base model (judge_model.JudgeModels.base); None where it is
        not at hand. False when the check cannot run here (it is then off for the run)."""
        if not self.usable:
            log.info("voice check off: too few essays or paragraphs to score a voice on")
            return False
        try:
            from .voice_metrics.attribution import fit_writer_classifier, paragraphs, portable_writer_classifier
            from .voice_metrics.stylometry import DeltaSpace
        except ImportError as e:  # no scikit-learn on a host with its own Python
            log.warning("voice check off: %s", e)
            return False
        if resumed and self.path.is_file():
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            self.base, self.pool = saved.get("base", []), saved.get("pool", [])
            # A check started before it recorded its draw drew at 0.8 from the top 50.
            self.sampling = Warping(**saved["sampling"]) if "sampling" in saved else BEFORE_EDITOR_SAMPLING
        if not self.base:
            if base_model is None:  # a resumed full fine-tune has no base model left to ask
                log.warning("voice check off: %s is missing and the base model is not at hand", FILE)
                return False
            self.base = self._write(base_model, tokenizer)
            self.pool = self._pool(base_model, tokenizer)
        # The base side: the check's own prompts' answers and the pool. Learned from its own short
        # answers alone, the classifier (and the editor's rewrite ranking) knew the base model
        # from a few hundred words.
        negatives = [t for t in self.base if t.strip()] + [p for t in self.pool for p in paragraphs(t)] or [""]
        self._probability = fit_writer_classifier(self.writer, negatives, SEED)
        try:
            self._style = DeltaSpace.fit(self.writer_texts)
        except ValueError:  # a corpus too small to give word frequencies a spread
            self._style = None
        write_json(self.path, {"format": 1, "prompts": [p.id for p in self.prompts], "seed": SEED,
                               "max_new_tokens": MAX_NEW_TOKENS, "sampling": asdict(self.sampling), "base": self.base,
                               "pool": self.pool})
        # The same classifier for the editor, which ranks rewrite candidates by it (voiceScore.ts).
        write_json(self.path.with_name(SCORER_FILE), portable_writer_classifier(self.writer, negatives, SEED))
        return True

    def _pool(self, model: Any, tokenizer: Any) -> list[str]:
        from .drafts.synthetic import model_identity
        from .voice_metrics.base_pool import TRAINING_PROMPTS, base_pool

        # A smaller pool than eval's (inside the training budget);
        # eval's pool starts with the same openings and reads them from the cache.
        return base_pool(model, tokenizer, self.writer_documents, model_identity(self.base_dir),
                         prompts=TRAINING_PROMPTS)

    def score(self, model: Any, tokenizer: Any, step: int) -> VoiceScore:
        texts = [t for t in self._write(model, tokenizer) if t.strip()] or [""]
        assert self._probability is not None
        probs = self._probability(texts)
        delta = None
        if self._style is not None:
            delta = self._style.delta(texts)
        stderr = float(probs.std(ddof=1) / len(probs) ** 0.5) if len(probs) > 1 else 0.0
        return VoiceScore(step, float(probs.mean()), float((probs >= 0.5).mean()), delta, len(texts), stderr)

"""Arguments of `eval` and its entry point; kept free of heavy imports so `--help` is instant."""

from __future__ import annotations

import argparse
import math

from ..protocol import EventSink
from .settings import EvalSettings


def add_eval_arguments(p: argparse.ArgumentParser) -> None:
    d = EvalSettings()
    p.add_argument("--run", required=True, help="the run folder (with dataset/ and adapter/)")
    p.add_argument("--samples", type=int, default=d.samples, help=f"samples per prompt and model (default {d.samples})")
    p.add_argument("--prompts", type=int, default=d.prompts, help=f"held-out prompts to use (default {d.prompts})")
    p.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens, help=f"tokens per sample (default {d.max_new_tokens})")
    p.add_argument("--continuation-prompts", type=int, default=d.continuation_prompts,
                   help=f"held-out paragraph boundaries to continue as ghost text would (default {d.continuation_prompts})")
    p.add_argument("--continuation-prompts-max", type=int, default=d.continuation_prompts_max,
                   help="continue up to this many boundaries when the first ones hold too few words for a Delta "
                        f"to be trusted (default {d.continuation_prompts_max}; 0: never more than --continuation-prompts)")
    p.add_argument("--continuation-tokens", type=int, default=d.continuation_tokens,
                   help=f"tokens per continuation; each is cut at its first paragraph break (default {d.continuation_tokens})")
    p.add_argument("--temperature", type=float, default=d.temperature,
                   help="samples are drawn as ghost text is: its voiceDraft.inline.temperature "
                        f"(default {d.temperature}; 0: greedy, one sample per prompt)")
    p.add_argument("--top-k", type=int, default=d.top_k, help=f"as voiceDraft.inline.topK (default {d.top_k}; 0: off)")
    p.add_argument("--repetition-penalty", type=float, default=d.repetition_penalty,
                   help=f"as voiceDraft.inline.repetitionPenalty (default {d.repetition_penalty}; 1: none)")
    p.add_argument("--repetition-window", type=int, default=d.repetition_window,
                   help=f"as voiceDraft.inline.repetitionWindow: the penalty looks at this many of the last tokens "
                        f"(default {d.repetition_window}; 0: the whole prompt and answer)")
    p.add_argument("--rewrite-paragraphs", type=int, default=d.rewrite_paragraphs,
                   help=f"held-out paragraphs made plain and rewritten by each model (default {d.rewrite_paragraphs}; 0: none)")
    p.add_argument("--base-pool", type=int, default=d.base_pool,
                   help=f"training-essay openings the base model continues for the attribution classifier "
                        f"(default {d.base_pool}, cached; 0: none)")
    p.add_argument("--seed", type=int, default=d.seed, help=f"sampling and bootstrap seed (default {d.seed})")
    p.add_argument("--resamples", type=int, default=d.resamples, help=f"bootstrap resamples (default {d.resamples})")
    p.add_argument("--perplexity-tokens", type=int, default=d.perplexity_tokens,
                   help=f"held-out tokens scored for perplexity (default {d.perplexity_tokens})")


def run_eval_command(sink: EventSink, args: argparse.Namespace) -> int:
    from ..protocol import EngineError
    from .evaluate import run_eval

    for name in ("samples", "prompts", "max_new_tokens", "resamples", "perplexity_tokens", "continuation_prompts",
                 "continuation_tokens"):
        if getattr(args, name) < 1:
            raise EngineError("usage", f"--{name.replace('_', '-')} must be at least 1.")
    for name in ("rewrite_paragraphs", "base_pool", "continuation_prompts_max", "top_k", "temperature",
                 "repetition_window"):
        if not 0 <= getattr(args, name) < math.inf:
            raise EngineError("usage", f"--{name.replace('_', '-')} must be 0 or more.")
    if not 1 <= args.repetition_penalty < math.inf:  # as the editor's setting: below 1 rewards repeats
        raise EngineError("usage", "--repetition-penalty must be at least 1 (1: no penalty).")
    settings = EvalSettings(samples=args.samples, prompts=args.prompts, max_new_tokens=args.max_new_tokens,
                            seed=args.seed, resamples=args.resamples, perplexity_tokens=args.perplexity_tokens,
                            continuation_prompts=args.continuation_prompts, continuation_tokens=args.continuation_tokens,
                            continuation_prompts_max=args.continuation_prompts_max,
                            temperature=args.temperature, top_k=args.top_k, repetition_penalty=args.repetition_penalty,
                            repetition_window=args.repetition_window,
                            rewrite_paragraphs=args.rewrite_paragraphs, base_pool=args.base_pool)
    return run_eval(sink, args.run, settings)

"""Seeded bootstrap confidence intervals.

Writers compare runs by these numbers, so the interval must be reproducible:
the same units and seed always give the same interval (numpy's PCG64 stream).
The percentile method is used because it needs no distributional assumption and
works for ratios (perplexity, gap closed) as well as means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    confidence: float
    resamples: int

    def as_json(self) -> list[float]:
        """[low, high]: compact in eval.json; confidence and resamples are in its settings."""
        return [self.low, self.high]


def resample_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """`resamples` rows of `n` indices drawn with replacement, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(resamples, n))


def resample_weights(n: int, resamples: int, seed: int) -> np.ndarray:
    """How often each unit was drawn in each resample (shape resamples × n).

    Statistics over pooled counts are then `weights @ counts`: one matrix
    product instead of a Python loop per resample.
    """
    idx = resample_indices(n, resamples, seed)
    weights = np.zeros((resamples, n), dtype=np.float64)
    rows = np.repeat(np.arange(resamples), n)
    np.add.at(weights, (rows, idx.ravel()), 1.0)
    return weights


def percentile_interval(
    estimates: Sequence[float] | np.ndarray,
    confidence: float = DEFAULT_CONFIDENCE,
    point: float | None = None,
) -> Interval:
    """Percentile interval of bootstrap estimates; NaN estimates (degenerate resamples) are dropped.

    With `point`, the interval is corrected for the bootstrap's bias (mean of
    the estimates minus the point estimate) before it is reported. Pooled
    statistics such as Burrows' Delta need this: a resample repeats some units,
    which makes its word frequencies noisier and its Delta larger than the
    sample's, so the raw percentiles sit entirely above the point estimate.
    """
    values = np.asarray(estimates, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return Interval(float("nan"), float("nan"), confidence, 0)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    if point is not None and np.isfinite(point):
        bias = float(values.mean()) - point
        low, high = low - bias, high - bias
    return Interval(float(low), float(high), confidence, int(values.size))


def bootstrap_ci(
    units: Sequence[float] | np.ndarray,
    statistic: Callable[[np.ndarray], float] = np.mean,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """Interval for `statistic` over per-unit values (e.g. 1/0 per paragraph attributed)."""
    values = np.asarray(units, dtype=np.float64)
    if values.size == 0:
        return Interval(float("nan"), float("nan"), confidence, 0)
    idx = resample_indices(values.size, resamples, seed)
    return percentile_interval([statistic(values[row]) for row in idx], confidence)


def ratio_ci(
    numerators: Sequence[float] | np.ndarray,
    denominators: Sequence[float] | np.ndarray,
    transform: Callable[[float], float] = lambda x: x,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """Interval for transform(sum(num)/sum(den)) resampling paired units.

    This is how token-weighted figures are resampled: a document is drawn with
    all of its tokens, so long documents weigh more, as in the point estimate.
    """
    num = np.asarray(numerators, dtype=np.float64)
    den = np.asarray(denominators, dtype=np.float64)
    if num.size == 0:
        return Interval(float("nan"), float("nan"), confidence, 0)
    weights = resample_weights(num.size, resamples, seed)
    totals = weights @ den
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(totals > 0, (weights @ num) / totals, np.nan)
    return percentile_interval([transform(float(r)) if np.isfinite(r) else float("nan") for r in ratios], confidence)

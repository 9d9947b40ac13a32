"""How far two test sets agree on a set of models: the linear fit of one accuracy on the other, rank correlation
(Spearman's rho, Kendall's tau-b) with bootstrap intervals over models, and the models whose rank moves most.

The evidence ImageNetV2 (Recht et al. 2019) gave that a new test set measures what the old one does: accuracies on
a line, and a ranking that is kept. Pure functions of arrays; ties are ranked by their average rank, as scipy does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

CONFIDENCE = 95.0


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values`` (ascending); tied values share the mean of their ranks."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2.0
            start = end
    return ranks


def _pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation along the last axis (NaN where a side is constant)."""
    xm, ym = x - x.mean(axis=-1, keepdims=True), y - y.mean(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (xm * ym).sum(axis=-1) / np.sqrt((xm ** 2).sum(axis=-1) * (ym ** 2).sum(axis=-1))


def spearman(x, y) -> float:
    """Spearman's rank correlation: Pearson's on average ranks."""
    return float(_pearson(average_ranks(x), average_ranks(y)))


@lru_cache(maxsize=4)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The index pairs i < j of n items, row by row; cached because a bootstrap asks for the same n per resample."""
    i, j = np.triu_indices(n, k=1)
    i.setflags(write=False)
    j.setflags(write=False)
    return i, j


def kendall_tau_b(x, y) -> float:
    """Kendall's tau-b: (concordant - discordant) / sqrt((pairs - ties in x) (pairs - ties in y))."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    i, j = _pairs(len(x))
    dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    s = float((dx * dy).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(s / np.sqrt(float((dx != 0).sum()) * float((dy != 0).sum())))


@dataclass(frozen=True)
class Interval:
    """A statistic and its bootstrap interval (percentiles of the resamples that define it)."""

    value: float
    low: float | None
    high: float | None
    resamples: int  # resamples kept (those where both sides vary)


def bootstrap(x, y, statistic, resamples: int = 1000, seed: int = 0) -> Interval:
    """``statistic(x, y)`` and the 95% percentile interval over ``resamples`` resamples of the models (pairs drawn
    with replacement; resamples where either side is constant are dropped, the statistic is undefined there)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    value = statistic(x, y)
    if resamples <= 0:
        return Interval(value, None, None, 0)
    idx = np.random.default_rng(seed).integers(0, len(x), size=(resamples, len(x)))
    samples = np.array([statistic(x[i], y[i]) for i in idx])
    samples = samples[np.isfinite(samples)]
    if not len(samples):
        return Interval(value, None, None, 0)
    tail = (100.0 - CONFIDENCE) / 2
    low, high = np.percentile(samples, [tail, 100.0 - tail])
    return Interval(value, float(low), float(high), len(samples))


def places(accuracies) -> np.ndarray:
    """Each model's place in a ranking: 1 for the highest accuracy; tied models share their average place."""
    return average_ranks(-np.asarray(accuracies, dtype=float))

"""Effective robustness for the leaderboard, recomputed from accuracies (never read from a submission).

The one place the leaderboard talks to `imagenet_g.robustness`. Natural-shift fits use the shipped
imagenet-testbed STANDARD rows; the ImageNet-G fit of a release uses that release's standard entries.
Submissions and published rows go through the same `rows_er`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from imagenet_g import robustness
from imagenet_g.benchmarks import SHIFT_CONTROLS
from imagenet_g.leaderboard.board import ErValue, ShiftEr, rounded
from imagenet_g.results import ER_AXES, BaselineFit, Line

SEED = 0  # bootstrap resamples: the same for every entry and every build


@dataclass(frozen=True)
class RowsEr:
    """ER of many rows: per row, the shift sets it has ER on; per shift, the linear bootstrap ER of each
    row (NaN where the row has no ER there), for intervals of means over several shift sets."""

    er: list[dict[str, ShiftEr]]
    linear: dict[str, np.ndarray]  # unrounded linear ER per row, NaN where none
    samples: dict[str, np.ndarray]


@cache
def natural_baseline(shift: str) -> robustness.BaselinePoints:
    """The baseline points of a natural shift set: the imagenet-testbed STANDARD models (shipped table)."""
    return robustness.load_baselines(shift, SHIFT_CONTROLS[shift])


def baseline_fit(shift: str, points: robustness.BaselinePoints) -> BaselineFit:
    """The fit of ``shift`` on its control through ``points``, as the board shows it (rounded)."""
    fit = robustness.fit_baseline(shift, SHIFT_CONTROLS[shift], points)
    return fit.model_copy(update={
        "x_range": None if fit.x_range is None else (rounded(fit.x_range[0]), rounded(fit.x_range[1])),
        "lines": {axis: Line(slope=rounded(line.slope), intercept=rounded(line.intercept))
                  for axis, line in fit.lines.items()},
    })


def rows_er(
    top1s: Sequence[Mapping[str, float]], baselines: Mapping[str, robustness.BaselinePoints], bootstrap: int
) -> RowsEr:
    """ER of every row (its top-1 per dataset) on every shift set whose baseline points can be fitted and whose
    control and shift accuracies the row has; one batched bootstrap per shift set and axis."""
    er: list[dict[str, ShiftEr]] = [{} for _ in top1s]
    linear: dict[str, np.ndarray] = {}
    samples: dict[str, np.ndarray] = {}
    for shift, points in sorted(baselines.items()):
        fit = robustness.fit_baseline(shift, SHIFT_CONTROLS[shift], points)
        rows = [i for i, t in enumerate(top1s) if shift in t and fit.control in t]
        if not fit.lines or not rows:
            continue
        control = np.array([top1s[i][fit.control] for i in rows])
        target = np.array([top1s[i][shift] for i in rows])
        batches = {axis: robustness.effective_robustness_batch(control, target, points, axis, bootstrap, SEED)
                   for axis in ER_AXES}
        values = {axis: _values(batch) for axis, batch in batches.items()}
        low, high = fit.x_range
        for j, i in enumerate(rows):
            outside = max(low - control[j], control[j] - high, 0.0)
            er[i][shift] = ShiftEr.model_construct(linear=values["linear"][j], logit=values["logit"][j], outside=rounded(outside))
        linear[shift] = np.full(len(top1s), np.nan)
        linear[shift][rows] = batches["linear"].er
        if batches["linear"].samples is not None:
            full = np.full((len(top1s), batches["linear"].samples.shape[1]), np.nan)
            full[rows] = batches["linear"].samples
            samples[shift] = full
    return RowsEr(er, linear, samples)


def _er_value(er: float, ci_low: float | None, ci_high: float | None) -> ErValue:
    # built from floats this module computed: skip validation, it is thousands of rows per build
    return ErValue.model_construct(er=er, ci_low=ci_low, ci_high=ci_high)


def _values(batch: robustness.ERBatch) -> list[ErValue]:
    interval = batch.interval()
    if interval is None:
        return [_er_value(er=rounded(v), ci_low=None, ci_high=None) for v in batch.er]
    return [_er_value(er=rounded(v), ci_low=rounded(lo), ci_high=rounded(hi))
            for v, lo, hi in zip(batch.er, *interval, strict=True)]


def mean_er(result: RowsEr, shifts: Sequence[str]) -> list[ErValue | None]:
    """Per row, the mean linear ER over ``shifts`` (None unless the row has all of them), with the 95%
    interval of the mean over the per-shift bootstrap resamples."""
    n = len(result.er)
    if not shifts or any(s not in result.linear for s in shifts):
        return [None] * n
    value = np.mean([result.linear[s] for s in shifts], axis=0)
    interval = None
    if all(s in result.samples for s in shifts):
        width = min(result.samples[s].shape[1] for s in shifts)
        has = np.isfinite(value)
        mean = np.mean([result.samples[s][has, :width] for s in shifts], axis=0)
        low, high = np.full(n, np.nan), np.full(n, np.nan)
        if has.any():
            low[has], high[has] = np.percentile(mean, [2.5, 97.5], axis=-1)
        interval = (low, high)
    out: list[ErValue | None] = []
    for i in range(n):
        if not np.isfinite(value[i]):
            out.append(None)
        elif interval is None:
            out.append(_er_value(er=rounded(value[i]), ci_low=None, ci_high=None))
        else:
            out.append(_er_value(er=rounded(value[i]), ci_low=rounded(interval[0][i]), ci_high=rounded(interval[1][i])))
    return out

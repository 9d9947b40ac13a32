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

AXES = ("linear", "logit")
SEED = 0  # bootstrap resamples: the same for every entry and every build



@dataclass(frozen=True)
class ShiftBaseline:
    """The baseline points and fits of one shift set; ``fits`` is empty when no line can be fitted."""

    shift: str
    control: str
    points: robustness.BaselinePoints
    fits: dict[str, robustness.LinearFit]
    status: str

    @property
    def enough(self) -> bool:
        """True when there are enough points to fit (and so to report ER)."""
        return bool(self.fits)


@dataclass(frozen=True)
class RowsEr:
    """ER of many rows: per row, the shift sets it has ER on; per shift, the linear bootstrap ER of each
    row (NaN where the row has no ER there), for intervals of means over several shift sets."""

    er: list[dict[str, ShiftEr]]
    linear: dict[str, np.ndarray]  # unrounded linear ER per row, NaN where none
    samples: dict[str, np.ndarray]


def min_baselines() -> int:
    """The fewest baseline points a fit needs."""
    return robustness.MIN_BASELINES


def _fit(shift: str, points: robustness.BaselinePoints) -> ShiftBaseline:
    control = SHIFT_CONTROLS[shift]
    if len(points) < robustness.MIN_BASELINES:
        status = f"not enough baselines ({len(points)} of {robustness.MIN_BASELINES} needed)"
        return ShiftBaseline(shift, control, points, {}, status)
    if len(set(points.x)) == 1:
        status = f"no fit: all {len(points)} baselines share one {control} accuracy"
        return ShiftBaseline(shift, control, points, {}, status)
    fits = {"linear": robustness.fit_linear(points.x, points.y), "logit": robustness.fit_logit(points.x, points.y)}
    return ShiftBaseline(shift, control, points, fits, "ok")


@cache
def natural_baseline(shift: str) -> ShiftBaseline:
    """The fit of a natural shift set on the imagenet-testbed STANDARD models (shipped table)."""
    return _fit(shift, robustness.load_baselines(shift, SHIFT_CONTROLS[shift]))


def points_baseline(
    shift: str, names: Sequence[str], x: Sequence[float], y: Sequence[float], source: str
) -> ShiftBaseline:
    """The fit of a shift set on in-memory points (the ImageNet-G fit on a release's standard entries)."""
    points = robustness.BaselinePoints(names=tuple(names), x=tuple(x), y=tuple(y), source=source)
    return _fit(shift, points)


def rows_er(top1s: Sequence[Mapping[str, float]], baselines: Mapping[str, ShiftBaseline], bootstrap: int) -> RowsEr:
    """ER of every row (its top-1 per dataset) on every shift set whose baseline fits and whose control and
    shift accuracies the row has; one batched bootstrap per shift set and axis."""
    er: list[dict[str, ShiftEr]] = [{} for _ in top1s]
    linear: dict[str, np.ndarray] = {}
    samples: dict[str, np.ndarray] = {}
    for shift, baseline in sorted(baselines.items()):
        rows = [i for i, t in enumerate(top1s) if shift in t and baseline.control in t]
        if not baseline.enough or not rows:
            continue
        control = np.array([top1s[i][baseline.control] for i in rows])
        target = np.array([top1s[i][shift] for i in rows])
        batches = {axis: robustness.effective_robustness_batch(control, target, baseline.points, axis, bootstrap, SEED)
                   for axis in AXES}
        values = {axis: _values(batch) for axis, batch in batches.items()}
        low, high = min(baseline.points.x), max(baseline.points.x)
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

"""Effective robustness for the leaderboard, recomputed from accuracies (never read from a submission).

The one place the leaderboard talks to `imagenet_g.robustness`. Natural-shift fits use the shipped
imagenet-testbed STANDARD rows; the ImageNet-G fit of a release uses that release's standard entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from imagenet_g import robustness
from imagenet_g.results import FitER

AXES = ("linear", "logit")

SHIFT_CONTROLS = robustness.SHIFT_CONTROLS  # shift set (y-axis) -> control (x-axis)
NATURAL_SHIFTS: tuple[str, ...] = ("imagenet-v2", "imagenet-sketch", "imagenet-r", "imagenet-a", "objectnet")


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


def entry_er(baseline: ShiftBaseline, control_top1: float, shift_top1: float, bootstrap: int) -> dict[str, FitER]:
    """ER of one model on one shift set under each axis; empty when the baseline is too small to fit."""
    if not baseline.enough:
        return {}
    return {
        axis: robustness.effective_robustness(
            control_top1, shift_top1, baseline.points, axis=axis, bootstrap=bootstrap, seed=0
        )
        for axis in AXES
    }

"""Effective Robustness (ER): how far a model sits above the line that standard models follow.

Formulas (accuracies in percent, A(D) = top-1 on the control set, A(D') = top-1 on the shift set):

- linear axis (the seed paper): fit A(D') = m * A(D) + c by least squares over baseline models;
  ER = B(D') - (m * B(D) + c) for the model B.
- logit axis (Taori et al. 2020, "Measuring robustness to natural distribution shifts"): with
  logit(p) = ln(p / (1 - p)) on accuracy fractions p = A / 100, fit logit(A(D')) = m * logit(A(D)) + c;
  the prediction is mapped back to percent, 100 * sigmoid(m * logit(B(D)/100) + c), and ER is the
  difference to B(D') in percentage points, like the linear axis.
- 95% interval: refit on ``bootstrap`` resamples (with replacement) of the baseline points and take
  the 2.5th and 97.5th percentiles of the resulting ER values.

Baselines: the imagenet-testbed table shipped in ``data/baselines/imagenet_testbed_top1.csv`` (rows
typed STANDARD: real-data, standard-training classifiers), or points given in memory (the
leaderboard's standard entries, for ImageNet-G).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from imagenet_g.benchmarks import TESTBED_COLUMNS
from imagenet_g.errors import ImagenetGError, unknown
from imagenet_g.results import BaselineFit, ErAxis, FitER, Line

MIN_BASELINES = 3  # fewer points leave no degrees of freedom for a 2-parameter fit and its interval
# Control accuracies closer than this carry no slope: random-weight models all sit at chance (0.1% on ImageNet,
# within ~0.1 pp of each other on its 50,000 images), and a line through them is noise extrapolated.
MIN_CONTROL_SPAN = 1.0

TESTBED_TABLE = "imagenet_testbed_top1.csv"
_TESTBED_SOURCE = "imagenet-testbed (Taori et al. 2020), model_type STANDARD"

# Fractions are clipped away from 0 and 1 before the logit, so 0% or 100% stay finite.
_LOGIT_EPS = 1e-6


@dataclass(frozen=True)
class BaselinePoints:
    """Control (x) and shift (y) top-1 in percent of standard models, one point per model."""

    names: tuple[str, ...]
    x: tuple[float, ...]
    y: tuple[float, ...]
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        object.__setattr__(self, "x", tuple(float(v) for v in np.asarray(self.x, dtype=float).ravel()))
        object.__setattr__(self, "y", tuple(float(v) for v in np.asarray(self.y, dtype=float).ravel()))
        if not len(self.names) == len(self.x) == len(self.y):
            raise ImagenetGError(
                f"baseline points from {self.source!r}: {len(self.names)} names, {len(self.x)} x values and "
                f"{len(self.y)} y values; give one name, x and y per model"
            )
        values = np.asarray(self.x + self.y)
        if not np.all(np.isfinite(values)) or values.min(initial=0) < 0 or values.max(initial=0) > 100:
            raise ImagenetGError(
                f"baseline points from {self.source!r} hold accuracies outside [0, 100]; give top-1 in percent"
            )

    def __len__(self) -> int:
        return len(self.names)


@cache
def baseline_text(name: str) -> str:
    """A shipped published table, ``imagenet_g/data/baselines/<name>`` (``timm/results-imagenet.csv``)."""
    return resources.files("imagenet_g").joinpath("data", "baselines", *name.split("/")).read_text(encoding="utf-8")


def baseline_table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of a shipped published table (see ``baseline_text``)."""
    return tuple(csv.DictReader(baseline_text(name).splitlines()))


def _testbed_column(name: str) -> str:
    if name in TESTBED_COLUMNS:
        return TESTBED_COLUMNS[name]
    if name in TESTBED_COLUMNS.values():
        return name
    fix = "ImageNet-G baselines are the leaderboard's standard entries: pass BaselinePoints" if name == "imagenet-g" else None
    raise unknown("dataset with baselines", name, TESTBED_COLUMNS, fix=fix)


def load_baselines(shift: str, control: str) -> BaselinePoints:
    """The STANDARD models of the shipped imagenet-testbed table that report both ``control`` and ``shift``.

    Names are our dataset names (``imagenet-r``) or the table's column names (``val``).
    """
    x_col, y_col = _testbed_column(control), _testbed_column(shift)
    names, xs, ys = [], [], []
    for row in baseline_table(TESTBED_TABLE):
        if row["model_type"] != "STANDARD" or not row[x_col] or not row[y_col]:
            continue
        names.append(row["model"])
        xs.append(float(row[x_col]))
        ys.append(float(row[y_col]))
    return BaselinePoints(names=tuple(names), x=tuple(xs), y=tuple(ys), source=f"{_TESTBED_SOURCE}: {y_col} vs {x_col}")


def _lstsq(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope and intercept along the last axis (vectorised over bootstrap resamples)."""
    xm, ym = x.mean(axis=-1, keepdims=True), y.mean(axis=-1, keepdims=True)
    var = ((x - xm) ** 2).sum(axis=-1)
    cov = ((x - xm) * (y - ym)).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = cov / var
    return slope, ym[..., 0] - slope * xm[..., 0]


def _check_points(x: np.ndarray, y: np.ndarray) -> None:
    if x.shape != y.shape or x.ndim != 1:
        raise ImagenetGError(f"fit needs two equal-length 1-d arrays, got shapes {x.shape} and {y.shape}")
    if len(x) < MIN_BASELINES:
        raise ImagenetGError(
            f"an ER fit needs at least {MIN_BASELINES} baseline points, got {len(x)}; add standard models"
        )
    if np.ptp(x) == 0:
        raise ImagenetGError("all baseline points share one control accuracy, so no line can be fitted")


def logit(percent: np.ndarray) -> np.ndarray:
    """logit of accuracy fractions, from percentages (clipped to stay finite at 0% and 100%)."""
    p = np.clip(np.asarray(percent, dtype=float) / 100.0, _LOGIT_EPS, 1 - _LOGIT_EPS)
    return np.log(p) - np.log1p(-p)


def _inverse_logit(z: np.ndarray) -> np.ndarray:
    """Back from logit space to percent."""
    return 100.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def fit_linear(x, y) -> Line:
    """Least-squares line y = m x + c through (control, shift) top-1 points in percent."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    _check_points(x, y)
    slope, intercept = _lstsq(x, y)
    return Line(slope=float(slope), intercept=float(intercept))


def fit_logit(x, y) -> Line:
    """Least-squares line in logit space: logit(y/100) = m logit(x/100) + c (Taori et al. 2020)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    _check_points(x, y)
    return fit_linear(logit(x), logit(y))


def _line(slope, intercept, control_top1, axis: str) -> np.ndarray:
    """The fitted line(s) evaluated at ``control_top1``, in percent; broadcasts over arrays of fits."""
    if axis == "linear":
        return slope * np.asarray(control_top1, dtype=float) + intercept
    return _inverse_logit(slope * logit(control_top1) + intercept)


def expected_shift_top1(fit: Line, control_top1, axis: ErAxis) -> np.ndarray:
    """The shift top-1 (percent) that the baseline fit expects of a model with the given control top-1 (percent):
    the control accuracy mapped through the fit's line on ``axis``. ER is the measured shift top-1 minus this."""
    return _line(fit.slope, fit.intercept, control_top1, axis)


_FITS: dict[ErAxis, Callable[..., Line]] = {"linear": fit_linear, "logit": fit_logit}


def fit_baseline(shift: str, control: str, points: BaselinePoints) -> BaselineFit:
    """The baseline lines of ``shift`` on ``control`` through ``points`` on both axes, or none and why not.

    Example:
        >>> from imagenet_g.robustness import fit_baseline, load_baselines
        >>> points = load_baselines("imagenet-r", "val-on-imagenet-r-classes")  # imagenet-testbed's STANDARD models
        >>> fit = fit_baseline("imagenet-r", "val-on-imagenet-r-classes", points)
        >>> fit.status, fit.n_baselines, round(fit.lines["linear"].slope, 3)
        ('ok', 82, 1.548)
    """
    x_range = (min(points.x), max(points.x)) if len(points) else None
    status, lines = "ok", {}
    if len(points) < MIN_BASELINES:
        status = f"not enough baselines ({len(points)} of {MIN_BASELINES} needed)"
    elif len(set(points.x)) == 1:
        status = f"no fit: all {len(points)} baselines share one {control} accuracy"
    elif x_range[1] - x_range[0] < MIN_CONTROL_SPAN:
        status = (f"no fit: the {len(points)} baselines span only {x_range[1] - x_range[0]:.2f} pp of {control} "
                  f"top-1 ({x_range[0]:.2f}-{x_range[1]:.2f}; a line needs {MIN_CONTROL_SPAN:g} pp: models near "
                  "chance, such as random weights, span none)")
    else:
        lines = {axis: fit(points.x, points.y) for axis, fit in _FITS.items()}
    return BaselineFit(shift=shift, control=control, status=status, n_baselines=len(points),
                       min_baselines=MIN_BASELINES, source=points.source, x_range=x_range, lines=lines)


@dataclass(frozen=True)
class ERBatch:
    """ER of many models against one baseline fit on one axis, with the bootstrap ER of each resample.

    ``samples`` has one row per model and one column per kept resample (none when ``bootstrap=0``);
    the 95% interval of a model is the 2.5th and 97.5th percentile of its row.
    """

    axis: str
    fit: Line
    er: np.ndarray
    samples: np.ndarray | None

    def interval(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Low and high ends of the 95% bootstrap interval of every model, or None without resamples."""
        if self.samples is None:
            return None
        low, high = np.percentile(self.samples, [2.5, 97.5], axis=-1)
        return low, high


# Resamples are drawn at once, (bootstrap, baseline points) indices: 100,000 of ~200 points is 160 MB; a 95%
# interval is stable to 0.01 pp long before that.
MAX_BOOTSTRAP = 100_000


def effective_robustness_batch(
    control_top1,
    shift_top1,
    baselines: BaselinePoints,
    axis: ErAxis,
    bootstrap: int = 1000,
    seed: int = 0,
) -> ERBatch:
    """ER in percentage points of each model (arrays of control and shift top-1) against ``baselines``.

    Every model is measured against the same fit and the same ``bootstrap`` resamples of the baseline
    points (with replacement; resamples whose points all share one x are dropped), so the ER of a model
    does not depend on which other models are in the batch.
    """
    if axis not in _FITS:
        raise unknown("ER axis", axis, _FITS)
    control = np.asarray(control_top1, dtype=float).reshape(-1)
    shift = np.asarray(shift_top1, dtype=float).reshape(-1)
    x, y = np.asarray(baselines.x), np.asarray(baselines.y)
    fit = _FITS[axis](x, y)
    er = shift - expected_shift_top1(fit, control, axis)
    samples = None
    if bootstrap > 0:
        idx = np.random.default_rng(seed).integers(0, len(x), size=(bootstrap, len(x)))
        bx, by = (x[idx], y[idx]) if axis == "linear" else (logit(x)[idx], logit(y)[idx])
        slopes, intercepts = _lstsq(bx, by)
        ok = np.isfinite(slopes)
        samples = shift[:, None] - _line(slopes[ok], intercepts[ok], control[:, None], axis)
    return ERBatch(axis=axis, fit=fit, er=er, samples=samples)


def effective_robustness(
    control_top1: float,
    shift_top1: float,
    baselines: BaselinePoints,
    axis: ErAxis,
    bootstrap: int = 1000,
    seed: int = 0,
) -> FitER:
    """ER in percentage points of a model against ``baselines`` on one axis, with a bootstrap 95% interval.

    ``bootstrap=0`` skips the interval. The same computation as `effective_robustness_batch` for one model.

    Example:
        >>> from imagenet_g.robustness import BaselinePoints, effective_robustness
        >>> baselines = BaselinePoints(names=("a", "b", "c"), x=(60.0, 70.0, 80.0), y=(30.0, 40.0, 50.0),
        ...                            source="three models on the line y = x - 30")
        >>> er = effective_robustness(75.0, 50.0, baselines, "linear", bootstrap=0)
        >>> er.slope, er.intercept, er.er  # 50 on the shift set, where the line expects 45
        (1.0, -30.0, 5.0)
    """
    batch = effective_robustness_batch([control_top1], [shift_top1], baselines, axis, bootstrap, seed)
    interval = batch.interval()
    ci_low, ci_high = (None, None) if interval is None else (float(interval[0][0]), float(interval[1][0]))
    return FitER(axis=axis, slope=batch.fit.slope, intercept=batch.fit.intercept, er=float(batch.er[0]),
                 ci_low=ci_low, ci_high=ci_high)

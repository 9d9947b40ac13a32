"""ER math against values computed by hand, and the shipped baseline table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imagenet_g.benchmarks import SHIFT_CONTROLS
from imagenet_g.errors import ImagenetGError, UnknownNameError
from imagenet_g.robustness import (
    MIN_BASELINES,
    BaselinePoints,
    effective_robustness,
    fit_baseline,
    fit_linear,
    fit_logit,
    load_baselines,
)


def _points(x, y):
    return BaselinePoints(names=tuple(f"m{i}" for i in range(len(x))), x=x, y=y, source="hand")


def test_linear_fit_recovers_an_exact_line_and_er_is_the_vertical_gap():
    # y = 0.5 x + 10 through four points
    base = _points((60.0, 70.0, 80.0, 90.0), (40.0, 45.0, 50.0, 55.0))
    fit = fit_linear(base.x, base.y)
    assert fit.slope == pytest.approx(0.5) and fit.intercept == pytest.approx(10.0)
    on_line = effective_robustness(75.0, 47.5, base, "linear")
    assert on_line.er == pytest.approx(0.0, abs=1e-9)
    # a model at (75, 50): predicted 0.5 * 75 + 10 = 47.5, so ER = +2.5 pp
    above = effective_robustness(75.0, 50.0, base, "linear")
    assert above.er == pytest.approx(2.5)
    assert (above.slope, above.intercept) == (pytest.approx(0.5), pytest.approx(10.0))
    # every resample of exact-line points refits the same line: a zero-width interval
    assert above.ci_low == pytest.approx(2.5) and above.ci_high == pytest.approx(2.5)


def test_linear_fit_of_noisy_points_matches_the_normal_equations():
    # x = 1, 2, 3; y = 1, 3, 2: mean x 2, mean y 2, cov 1, var 2 -> slope 0.5, intercept 1
    fit = fit_linear([1.0, 2.0, 3.0], [1.0, 3.0, 2.0])
    assert fit.slope == pytest.approx(0.5) and fit.intercept == pytest.approx(1.0)


def test_logit_fit_on_points_exactly_on_a_logit_line():
    def logit(p):
        return math.log(p / (1 - p))

    xs = (50.0, 70.0, 80.0, 90.0)
    # logit(y) = 2 logit(x) - 1
    ys = tuple(100 / (1 + math.exp(-(2 * logit(x / 100) - 1))) for x in xs)
    base = _points(xs, ys)
    fit = fit_logit(base.x, base.y)
    assert fit.slope == pytest.approx(2.0) and fit.intercept == pytest.approx(-1.0)
    # at x = 50%: logit 0 -> predicted sigmoid(-1) = 26.894...%
    predicted = 100 / (1 + math.exp(1))
    assert predicted == pytest.approx(26.894142, abs=1e-6)
    res = effective_robustness(50.0, 30.0, base, "logit")
    assert res.er == pytest.approx(30.0 - predicted)
    assert res.ci_low == pytest.approx(res.er) and res.ci_high == pytest.approx(res.er)
    # the linear axis on the same curved points does not give ER 0 for a point on the logit line
    assert effective_robustness(50.0, predicted, base, "logit").er == pytest.approx(0.0, abs=1e-9)


def test_bootstrap_interval_brackets_er_and_is_seeded():
    rng = np.random.default_rng(1)
    x = rng.uniform(60, 85, 40)
    y = 0.9 * x - 20 + rng.normal(0, 1.5, 40)
    base = _points(tuple(x), tuple(y))
    a = effective_robustness(80.0, 55.0, base, "linear", bootstrap=500, seed=3)
    b = effective_robustness(80.0, 55.0, base, "linear", bootstrap=500, seed=3)
    assert a == b
    assert a.ci_low < a.er < a.ci_high
    assert effective_robustness(80.0, 55.0, base, "linear", bootstrap=0).ci_low is None


def test_too_few_or_degenerate_points_raise_a_catchable_error():
    with pytest.raises(ImagenetGError, match=f"at least {MIN_BASELINES}"):
        effective_robustness(70.0, 50.0, _points((60.0, 70.0), (40.0, 50.0)), "linear")
    with pytest.raises(ImagenetGError, match="one control accuracy"):
        fit_linear([70.0, 70.0, 70.0], [1.0, 2.0, 3.0])
    with pytest.raises(ImagenetGError, match="outside"):
        _points((60.0, 170.0, 80.0), (1.0, 2.0, 3.0))
    with pytest.raises(ImagenetGError, match="names"):
        BaselinePoints(names=("a",), x=(1.0, 2.0), y=(1.0, 2.0), source="hand")


def test_baseline_fit_holds_both_axes_lines_or_says_why_not():
    base = _points((60.0, 70.0, 80.0, 90.0), (40.0, 45.0, 50.0, 55.0))
    fit = fit_baseline("imagenet-r", "val-on-imagenet-r-classes", base)
    assert fit.status == "ok" and fit.n_baselines == 4 and fit.x_range == (60.0, 90.0) and fit.source == "hand"
    assert fit.lines["linear"] == fit_linear(base.x, base.y) and fit.lines["logit"] == fit_logit(base.x, base.y)
    # the record an ER carries is the same line
    er = effective_robustness(75.0, 50.0, base, "linear", bootstrap=0)
    assert (er.slope, er.intercept) == (fit.lines["linear"].slope, fit.lines["linear"].intercept)
    few = fit_baseline("imagenet-g", "imagenet", _points((60.0, 70.0), (40.0, 50.0)))
    assert few.status == f"not enough baselines (2 of {MIN_BASELINES} needed)" and few.lines == {}
    flat = fit_baseline("imagenet-g", "imagenet", _points((70.0, 70.0, 70.0), (1.0, 2.0, 3.0)))
    assert flat.status == "no fit: all 3 baselines share one imagenet accuracy" and flat.lines == {}
    assert fit_baseline("imagenet-g", "imagenet", _points((), ())).x_range is None


def test_results_json_keeps_the_fields_of_an_er_fit():
    er = effective_robustness(75.0, 50.0, _points((60.0, 70.0, 80.0), (40.0, 45.0, 50.0)), "logit", bootstrap=0)
    assert set(er.model_dump()) == {"axis", "slope", "intercept", "er", "ci_low", "ci_high"}


@pytest.mark.parametrize("shift", [s for s in SHIFT_CONTROLS if s != "imagenet-g"])
def test_shipped_baselines_load_for_every_shift(shift):
    base = load_baselines(shift, SHIFT_CONTROLS[shift])
    assert len(base) >= 40  # the table has 87 STANDARD rows; a few lack some columns
    assert "STANDARD" in base.source
    assert all(0 <= v <= 100 for v in base.x + base.y)  # ResNet-50 scores 0 on ImageNet-A by construction


def test_a_standard_baseline_model_has_er_near_zero():
    base = load_baselines("imagenet-r", "val-on-imagenet-r-classes")
    i = base.names.index("resnet50")
    for axis in ("linear", "logit"):
        res = effective_robustness(base.x[i], base.y[i], base, axis, bootstrap=200)
        # the fit runs through the cloud of standard models, so one of them sits close to it
        assert abs(res.er) < 5.0, (axis, res)
        assert res.ci_low <= res.er <= res.ci_high
    # and on average over all standard models ER is exactly 0 on the linear axis (least squares)
    ers = [effective_robustness(x, y, base, "linear", bootstrap=0).er for x, y in zip(base.x, base.y)]
    assert np.mean(ers) == pytest.approx(0.0, abs=1e-9)


def test_unknown_baseline_names_raise_with_a_hint():
    with pytest.raises(UnknownNameError, match="imagenet-r"):
        load_baselines("imagenet-rr", "val-on-imagenet-r-classes")
    with pytest.raises(UnknownNameError, match="leaderboard"):
        load_baselines("imagenet-g", "imagenet")
    assert load_baselines("imagenet-sketch", "val").x == load_baselines("imagenet-sketch", "imagenet").x

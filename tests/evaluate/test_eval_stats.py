"""Wilson intervals and the exact McNemar test against scipy and published values."""

from __future__ import annotations

import pytest

from imagenet_g.evaluate.stats import mcnemar_exact, wilson_interval

scipy_stats = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize(("b", "c"), [(0, 0), (3, 7), (10, 10), (0, 25), (1, 0), (400, 330), (2000, 2150), (9, 31)])
def test_exact_mcnemar_equals_scipy_binomtest(b, c):
    expected = 1.0 if b + c == 0 else scipy_stats.binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


@pytest.mark.parametrize(("k", "n"), [(81, 263), (15, 148), (0, 20), (1, 29), (20, 20), (5000, 10000)])
def test_wilson_interval_equals_scipy(k, n):
    ci = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert (low, high) == pytest.approx((100 * ci.low, 100 * ci.high), abs=1e-9)


def test_wilson_interval_matches_newcombe_1998_table():
    # Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score, no continuity correction)
    published = {(81, 263): (25.53, 36.62), (15, 148): (6.24, 16.05), (0, 20): (0.0, 16.11), (1, 29): (0.61, 17.18)}
    for (k, n), (low, high) in published.items():
        assert wilson_interval(k, n) == pytest.approx((low, high), abs=0.006)


def test_degenerate_inputs():
    assert wilson_interval(0, 0) == (0.0, 100.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)

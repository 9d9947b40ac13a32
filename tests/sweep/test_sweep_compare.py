"""`imagenet-g sweep compare`: the fit and rank statistics checked against scipy, the report, the movers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from sweep_fixtures import write_sweep

from imagenet_g.sweep.agreement import average_ranks, bootstrap, kendall_tau_b, places, spearman


def _paired(seed: int, n: int = 40, ties: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(40, 85, n)
    y = 0.9 * x - 12 + rng.normal(0, 4, n)
    if ties:  # accuracies on a finite test set repeat: 0.02 pp steps of 5,000 images
        x, y = np.round(x * 50) / 50, np.round(y / 2) * 2
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rank_statistics_equal_scipys(seed):
    x, y = _paired(seed)
    assert np.array_equal(average_ranks(x), stats.rankdata(x, method="average"))
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y, variant="b").statistic, abs=1e-12)
    assert np.array_equal(places(x), stats.rankdata(-x, method="average"))


def test_bootstrap_intervals_equal_a_plain_loop_over_scipy():
    x, y = _paired(3, n=25)
    got = bootstrap(x, y, kendall_tau_b, resamples=300, seed=7)
    idx = np.random.default_rng(7).integers(0, len(x), size=(300, len(x)))
    plain = np.array([stats.kendalltau(x[i], y[i]).statistic for i in idx])
    plain = plain[np.isfinite(plain)]
    assert got.resamples == len(plain)
    assert (got.low, got.high) == pytest.approx(tuple(np.percentile(plain, [2.5, 97.5])), abs=1e-12)
    assert got.low <= got.value <= got.high
    assert bootstrap(x, y, spearman, resamples=0).low is None


def test_compare_reports_the_fit_correlations_and_movers(run_cli, tmp_path):
    x, y = _paired(5, n=30)
    names = [f"model-{i:02d}" for i in range(len(x))]
    write_sweep(tmp_path / "v1", "v1", {**dict(zip(names, x)), "only-v1": 50.0})
    write_sweep(tmp_path / "v2", "v2", {**dict(zip(names, y)), "only-v2": 50.0}, failed=("oom",))
    done = run_cli("sweep", "compare", tmp_path / "v1", tmp_path / "v2", "--bootstrap", "200", "--json")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    line = stats.linregress(x, y)
    assert report["fit"]["slope"] == pytest.approx(line.slope)
    assert report["fit"]["intercept"] == pytest.approx(line.intercept)
    assert report["r_squared"] == pytest.approx(line.rvalue ** 2)
    assert report["spearman"]["value"] == pytest.approx(stats.spearmanr(x, y).statistic)
    assert report["kendall"]["value"] == pytest.approx(stats.kendalltau(x, y).statistic)
    assert report["only_a"] == ["only-v1"] and report["only_b"] == ["only-v2"] and len(report["models"]) == 30
    moves = stats.rankdata(-x) - stats.rankdata(-y)
    biggest = max(range(len(x)), key=lambda i: (abs(moves[i]), -i))
    assert report["movers"][0]["model"] == names[biggest]
    assert report["movers"][0]["rank_a"] - report["movers"][0]["rank_b"] == moves[biggest]
    md = (tmp_path / "v2" / "compare-v1-imagenet-g.md").read_text()
    assert md.startswith("# imagenet-g: release v2 against release v1")
    assert f"Spearman's rho: {stats.spearmanr(x, y).statistic:.3f} [" in md
    assert "![imagenet-g top-1 on v2 against v1](compare-v1-imagenet-g.png)" in md
    png = (tmp_path / "v2" / "compare-v1-imagenet-g.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    again = run_cli("sweep", "compare", tmp_path / "v1", tmp_path / "v2", "--bootstrap", "200")
    assert again.exit_code == 0 and (tmp_path / "v2" / "compare-v1-imagenet-g.png").read_bytes() == png


def test_compare_refuses_too_few_common_models_or_no_ranking(run_cli, tmp_path):
    write_sweep(tmp_path / "a", "v1", {"m1": 10.0, "m2": 20.0, "m3": 30.0})
    write_sweep(tmp_path / "b", "v2", {"m1": 10.0, "m2": 20.0, "other": 30.0})
    few = run_cli("sweep", "compare", tmp_path / "a", tmp_path / "b")
    assert few.exit_code == 2 and "share 2 models scored on imagenet-g; a comparison needs at least 3" in few.stderr
    write_sweep(tmp_path / "c", "v3", {"m1": 0.0, "m2": 0.0, "m3": 0.0})
    flat = run_cli("sweep", "compare", tmp_path / "a", tmp_path / "c")
    assert flat.exit_code == 2 and "same imagenet-g top-1 on v3" in flat.stderr
    missing = run_cli("sweep", "compare", tmp_path / "a", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "is not a sweep folder" in missing.stderr

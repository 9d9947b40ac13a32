"""Published reference rows: the numbers are the source tables', ER is computed like a submission's, rank is declared.

Expected accuracies below are copied from the shipped CSV files by hand; the expected fits are
numpy.polyfit over the testbed's STANDARD rows read here with the csv module, not our fitting code.
"""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest

from imagenet_g import robustness
from imagenet_g.leaderboard import load_leaderboard, rank
from imagenet_g.leaderboard.aggregate import published_entries
from imagenet_g.leaderboard.published import SOURCES, timm_category

# timm results CSVs, rows 'resnet18.tv_in1k,224,...' (top1 column)
RESNET18_TIMM = {"imagenet": 69.752, "imagenet-v2": 57.35, "imagenet-sketch": 20.238, "imagenet-r": 33.023,
                 "val-on-imagenet-r-classes": 88.2, "imagenet-a": 1.12, "val-on-imagenet-a-classes": 87.38}
# imagenet-testbed row 'resnet50,STANDARD,...': objectnet-1.0-beta and val-on-objectnet-classes
RESNET50_TESTBED_OBJECTNET = (35.75132332289079, 78.86400604248047)


def _standard(x_col: str, y_col: str) -> tuple[np.ndarray, np.ndarray]:
    text = resources.files("imagenet_g").joinpath("data", "baselines", "imagenet_testbed_top1.csv").read_text()
    rows = [r for r in csv.DictReader(text.splitlines()) if r["model_type"] == "STANDARD" and r[x_col] and r[y_col]]
    return np.array([float(r[x_col]) for r in rows]), np.array([float(r[y_col]) for r in rows])


@pytest.fixture(scope="module")
def rows():
    return {(e.source, e.name): e for e in published_entries(0)}


def test_every_published_model_is_a_row_with_its_source_and_version(rows):
    assert sum(1 for s, _ in rows if s == "timm") == 1556  # one per (model, test size) of results-imagenet.csv
    assert sum(1 for s, _ in rows if s == "imagenet-testbed") == 338
    assert {e.origin for e in rows.values()} == {"published"}
    assert all(src.version.startswith("sha256:") for src in SOURCES.values())
    assert ("timm", "cs3darknet_l.c2ns_in1k @ 288 px") in rows  # listed at two test sizes: both kept, told apart


def test_timm_row_holds_the_tables_numbers_and_er_against_the_testbed_fit(rows):
    row = rows[("timm", "resnet18.tv_in1k")]
    assert row.top1 == RESNET18_TIMM
    assert row.preprocess == {"img_size": 224, "crop_pct": 0.875, "interpolation": "bilinear"}
    assert row.category == "real" and row.precision is None
    for shift, control, x_col, y_col in (
        ("imagenet-v2", "imagenet", "val", "imagenetv2-matched-frequency-format-val"),
        ("imagenet-r", "val-on-imagenet-r-classes", "val-on-imagenet-r-classes", "imagenet-r"),
        ("imagenet-a", "val-on-imagenet-a-classes", "val-on-imagenet-a-classes", "imagenet-a"),
    ):
        slope, intercept = np.polyfit(*_standard(x_col, y_col), 1)
        expected = RESNET18_TIMM[shift] - (slope * RESNET18_TIMM[control] + intercept)
        assert row.er[shift].linear.er == pytest.approx(expected, abs=1e-3)
        assert row.er[shift].outside == 0.0  # a standard-accuracy model: inside the baseline range
    assert "objectnet" not in row.er  # timm publishes no ObjectNet


def test_testbed_row_adds_objectnet_on_its_own_axis(rows):
    row = rows[("imagenet-testbed", "resnet50")]
    y, x = RESNET50_TESTBED_OBJECTNET
    slope, intercept = np.polyfit(*_standard("val-on-objectnet-classes", "objectnet-1.0-beta"), 1)
    assert row.er["objectnet"].linear.er == pytest.approx(y - (slope * x + intercept), abs=1e-3)
    assert row.model_type == "STANDARD" and row.category == "real"
    assert rows[("imagenet-testbed", "efficientnet-l2-noisystudent")].category == "more data"


def test_categories_come_from_the_timm_pretrained_tag():
    assert timm_category("resnet50.a1_in1k") == "real"
    assert timm_category("convnext_base.fb_in22k_ft_in1k") == "more data"
    assert timm_category("vit_large_patch14_clip_224.openai_ft_in12k_in1k") == "more data"
    assert timm_category("resnext101_32x8d.fb_swsl_ig1b_ft_in1k") == "more data"


def test_default_rank_is_the_mean_over_the_sets_every_source_reports(board_root, catalog):
    board = load_leaderboard(board_root, catalog, bootstrap=0)
    default = board.ranks[0]
    assert board.default_rank == default.key
    assert default.shifts == ["imagenet-v2", "imagenet-sketch", "imagenet-r", "imagenet-a"]  # timm has no ObjectNet
    assert "ObjectNet" in board.ranks[1].title and board.ranks[1].shifts[-1] == "objectnet"
    scores = [rank.rank_value(e, default) for e in board.published]
    ranked = [s.er for s in scores if s is not None]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) > 1500
    assert all(s is None for s in scores[len(ranked):])  # unranked rows come after the ranked ones
    top = board.published[0]
    assert top.scores[default.key].er == pytest.approx(np.mean([top.er[s].linear.er for s in default.shifts]), abs=2e-3)


def test_unranked_rows_say_why(rows):
    default = next(r for r in load_ranks() if r.key == "natural-common")
    by_name = {name: e for (_, name), e in rows.items()}
    assert rank.unranked_reason(by_name["resnet50.tv_in1k"], default) == "no ER on imagenet-a"  # absent from timm's A table
    assert rank.unranked_reason(by_name["resnet50-vtab"], default) == "no ER on imagenet-r"
    far = rank.unranked_reason(by_name["resnet101_0_epochs"], default)
    assert far.startswith("control accuracy more than 10 pp outside the baseline range on imagenet-v2")
    assert by_name["resnet101_0_epochs"].er["imagenet-v2"].outside > 50
    assert rank.unranked_reason(by_name["resnet18.tv_in1k"], default) is None


def load_ranks():
    from imagenet_g.leaderboard.aggregate import declared_ranks

    return declared_ranks()


def test_batched_er_is_the_single_model_er():
    points = robustness.load_baselines("imagenet-r", "val-on-imagenet-r-classes")
    controls, shifts = [88.2, 95.0, 60.0], [33.023, 50.0, 10.0]
    for axis in ("linear", "logit"):
        batch = robustness.effective_robustness_batch(controls, shifts, points, axis, bootstrap=200, seed=0)
        low, high = batch.interval()
        for i, (c, s) in enumerate(zip(controls, shifts)):
            one = robustness.effective_robustness(c, s, points, axis, bootstrap=200, seed=0)
            assert (one.er, one.ci_low, one.ci_high) == (batch.er[i], low[i], high[i])

"""Opt-in (`pytest -m slow`): reproduce timm's published top-1 with real weights on real data.

Needs the Hub (or a warm cache) for resnet50.a1_in1k and the datasets under $IMAGENET_G_DATA_ROOT in
their publishers' layouts (imagenet/val/<wnid>/, imagenet-r/<wnid>/).
"""

from __future__ import annotations

import csv
import os
from importlib import resources
from pathlib import Path

import pytest

from imagenet_g.evaluate import EvalRequest, run_eval

pytestmark = pytest.mark.slow

MODEL = "resnet50.a1_in1k"  # timm evaluates it at its test size, 288 / crop 1.0, as we do
TIMM_CSV = {"imagenet": "results-imagenet.csv", "imagenet-r": "results-imagenet-r.csv"}


def _published(dataset: str, img_size: int) -> float:
    text = resources.files("imagenet_g").joinpath("data", "baselines", "timm", TIMM_CSV[dataset]).read_text()
    row = next(r for r in csv.DictReader(text.splitlines()) if r["model"] == MODEL and int(r["img_size"]) == img_size)
    return float(row["top1"])


@pytest.mark.parametrize("dataset", list(TIMM_CSV))
def test_resnet50_top1_matches_timm_results_csv(dataset, tmp_path):
    root = os.environ.get("IMAGENET_G_DATA_ROOT")
    if not root:
        pytest.skip("set IMAGENET_G_DATA_ROOT to a folder holding imagenet/val and imagenet-r")
    result = run_eval(EvalRequest(model=MODEL, datasets=(dataset,), data_root=Path(root), out=tmp_path / "r.json"))
    size = result.model.preprocess["input_size"][-1]
    assert result.datasets[dataset].top1 == pytest.approx(_published(dataset, size), abs=0.05)

"""Custom models: in-memory modules from Python, preprocessing overrides from the CLI, wrong output sizes
and failing factories refused with one line."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from imagenet_g.errors import ModelError
from imagenet_g.evaluate import EvalRequest, load_model, run_eval
from imagenet_g.results import EvalResult

from data_fixtures import one_error_line

USER_MODELS = """
import torch
def ten_outputs():
    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 10))
def r200_outputs():
    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 200))
def broken():
    raise RuntimeError("CUDA out of memory in my factory")
def tiny():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 1000))
"""


@pytest.fixture
def user_models(tmp_path, monkeypatch):
    (tmp_path / "user_models_eval.py").write_text(USER_MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "user_models_eval"
    sys.modules.pop("user_models_eval", None)


def _tiny_module() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 1000))


def test_an_in_memory_module_is_scored_like_the_same_module_from_a_factory(user_models, data_root, tmp_path):
    common = dict(data_root=data_root, datasets=("imagenet-a",), workers=0, bootstrap=0)
    ours = run_eval(EvalRequest(model=_tiny_module(), name="my-net", out=tmp_path / "mem.json", **common))
    factory = run_eval(EvalRequest(model=f"{user_models}:tiny", out=tmp_path / "fac.json", **common))
    assert ours.model.id == "my-net" and ours.model.source == "custom"
    assert ours.model.weights_sha256 == factory.model.weights_sha256
    assert ours.datasets["imagenet-a"].top1 == factory.datasets["imagenet-a"].top1
    assert load_model(torch.nn.Identity()).module is not None  # the AttributeError


def test_an_in_memory_module_with_its_own_transform(data_root, tmp_path):
    import torchvision.transforms as T

    transform = T.Compose([T.Resize(16), T.CenterCrop(16), T.ToTensor()])
    result = run_eval(EvalRequest(model=_tiny_module(), transform=transform, data_root=data_root,
                                  datasets=("imagenet-a",), out=tmp_path / "t.json", workers=0, bootstrap=0))
    assert result.model.preprocess["kind"] == "custom" and "Resize" in result.model.preprocess["transform"]


def test_a_model_with_ten_outputs_is_refused_with_one_line(run_cli, user_models, data_root, tmp_path):
    out = tmp_path / "r.json"
    res = run_cli("eval", "--model", f"{user_models}:ten_outputs", "--datasets", "imagenet-a",
                  "--data-root", data_root, "--out", out, "--workers", "0")
    assert res.exit_code == 2, res.stderr
    assert "outputs 10 classes" in res.stderr and "1000" in res.stderr and one_error_line(res.stderr)
    assert not out.exists() or not EvalResult.read(out).datasets


def test_a_model_with_the_subsets_200_outputs_is_scored_on_that_subset(user_models, data_root, tmp_path):
    result = run_eval(EvalRequest(model=f"{user_models}:r200_outputs", data_root=data_root, out=tmp_path / "r.json",
                                  paths={"imagenet-r": str(data_root / "imagenet-r")}, datasets=("imagenet-r",),
                                  workers=0, bootstrap=0))
    assert result.datasets["imagenet-r"].images == 4
    assert "val-on-imagenet-r-classes" in result.datasets  # same 200 classes: scored too


def test_a_failing_factory_is_one_line_naming_the_model(run_cli, user_models, data_root, tmp_path):
    res = run_cli("eval", "--model", f"{user_models}:broken", "--data-root", data_root, "--out", tmp_path / "r.json")
    assert res.exit_code == 2 and f"{user_models}:broken" in res.stderr and "CUDA out of memory" in res.stderr
    assert one_error_line(res.stderr)
    with pytest.raises(ModelError, match="broken"):
        load_model(f"{user_models}:broken")


def test_cli_preprocessing_overrides_are_applied_printed_and_recorded(run_cli, data_root, tmp_path):
    out = tmp_path / "r.json"
    res = run_cli("eval", "--model", "resnet10t", "--no-pretrained", "--datasets", "objectnet",
                  "--data-root", data_root, "--out", out, "--workers", "0", "--bootstrap", "0",
                  "--input-size", "96", "--crop-pct", "1.0", "--interpolation", "bilinear",
                  "--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25")
    assert res.exit_code == 0, res.stderr
    assert "96x96" in res.stderr and "bilinear" in res.stderr  # printed before scoring
    result = EvalResult.read(out)
    pre = result.model.preprocess
    assert (pre["input_size"], pre["crop_pct"], pre["interpolation"]) == ([3, 96, 96], 1.0, "bilinear")
    assert pre["mean"] == [0.5] * 3 and pre["std"] == [0.25] * 3
    # as applied per dataset: ObjectNet trims its 2-pixel frame, its control does not
    assert result.datasets["objectnet"].preprocess["crop_border_pixels"] == 2
    assert result.datasets["val-on-objectnet-classes"].preprocess["crop_border_pixels"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interpolation", "bicubik"], "bicubic"),
        (["--crop-pct", "0"], "crop"),
        (["--mean", "0.5,0.5"], "mean"),
        (["--std", "0.2,0,0.2"], "std"),
        (["--input-size", "-3"], "input"),
    ],
)
def test_bad_preprocessing_overrides_exit_2(run_cli, data_root, tmp_path, args, message):
    res = run_cli("eval", "--model", "resnet10t", "--no-pretrained", "--data-root", data_root,
                  "--out", tmp_path / "r.json", *args)
    assert res.exit_code == 2 and message in res.stderr and res.stderr.count("\n") == 1


def test_predictions_json_is_not_polluted_by_the_preprocessing_note(run_cli, data_root, tmp_path):
    res = run_cli("eval", "--model", "resnet10t", "--no-pretrained", "--datasets", "imagenet-a",
                  "--data-root", data_root, "--out", tmp_path / "r.json", "--workers", "0", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["complete"]
    assert np.isfinite(json.loads(res.stdout)["datasets"]["imagenet-a"]["top1"])


def test_a_fixed_size_vit_at_another_size_runs_and_records_the_size(run_cli, data_root, tmp_path):
    out = tmp_path / "r.json"
    res = run_cli("eval", "--model", "test_vit3", "--no-pretrained", "--datasets", "imagenet", "--input-size", "192",
                  "--data-root", data_root, "--out", out, "--workers", "0", "--bootstrap", "0")
    assert res.exit_code == 0, res.stderr
    assert "192x192" in res.stderr
    result = EvalResult.read(out)
    assert result.model.preprocess["input_size"] == [3, 192, 192]
    assert result.datasets["imagenet"].preprocess["input_size"] == [3, 192, 192] and result.datasets["imagenet"].images


@pytest.mark.parametrize(("model", "size", "message"), [
    ("crossvit_tiny_240", "250", "cannot take input size 250x250"),  # its two branches' token counts differ
    ("test_vit3", "8", "cannot take input size 8x8"),  # smaller than a 16 px patch
])
def test_a_size_the_model_cannot_take_exits_2_with_one_line(run_cli, data_root, tmp_path, model, size, message):
    out = tmp_path / "r.json"
    res = run_cli("eval", "--model", model, "--no-pretrained", "--input-size", size, "--data-root", data_root,
                  "--out", out, "--workers", "0")
    assert res.exit_code == 2, res.stderr
    assert message in res.stderr and model in res.stderr and "--input-size" in res.stderr
    assert one_error_line(res.stderr) and not out.exists()


def test_a_size_refused_for_a_module_built_for_another_size():
    import timm

    fixed = timm.create_model("test_vit3")  # built for 160 px: timm's resolve_input_data_config refuses 192
    with pytest.raises(ModelError, match=r"requires \(160, 160\)"):
        load_model(fixed, preprocess_overrides={"input_size": (3, 192, 192)})

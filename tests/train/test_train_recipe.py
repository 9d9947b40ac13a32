"""Recipes: the shipped files load, the paper's numbers are exactly the issue's, unknown keys are one-line errors."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
import torch

from imagenet_g.errors import RecipeError, UnknownNameError
from imagenet_g.train import load_recipe, recipe_names
from imagenet_g.train.loop import make_scheduler
from imagenet_g.train.optim import build_optimizer
from imagenet_g.train.model import build_model


def test_shipped_recipes_load():
    assert set(recipe_names()) >= {"paper", "paper-imagenet100", "smoke"}
    for name in recipe_names():
        load_recipe(name)
    assert load_recipe("paper-imagenet100").classes == "imagenet-100"


def test_paper_recipe_is_the_issue_recipe():
    r = load_recipe("paper")
    assert (r.model.arch, r.model.blurpool, r.model.kwargs) == ("resnet18", True, {"zero_init_last": False})
    assert (r.optimizer.momentum, r.optimizer.lr, r.optimizer.reference_batch) == (0.9, 0.5, 640)
    assert (r.optimizer.weight_decay, r.optimizer.no_decay) == (5e-5, "bn-in-name")
    assert r.loss.label_smoothing == 0.1
    assert (r.schedule.epochs, r.schedule.warmup_epochs, r.schedule.warmup_lr_factor, r.schedule.decay) == (
        56, 2, 1e-4, "linear")
    assert (r.data.size, r.amp, r.channels_last) == (160, True, True)
    assert (r.eval.size, r.eval.crop_pct, r.eval.tta) == (256, 224 / 256, "flip")
    assert r.lr_for(640) == 0.5 and r.lr_for(1280) == 1.0 and r.lr_for(320) == 0.25


def test_the_papers_three_architectures_are_timm_models():
    import timm

    assert all(timm.is_model(name) for name in ("resnet18", "resnext50_32x4d", "resnext101_32x8d"))


def test_paper_optimizer_is_classical_momentum_sgd_without_decay_on_the_blocks_norm_parameters():
    recipe = load_recipe("paper", {"model.kwargs": {"channels": [8, 16, 32, 64], "stem_width": 8}})
    model = build_model(recipe.model, 10)
    optimizer = build_optimizer(model, recipe.optimizer, 0.5)
    assert isinstance(optimizer, torch.optim.SGD)
    decay = {id(p): g["weight_decay"] for g in optimizer.param_groups for p in g["params"]}
    assert all(g["momentum"] == 0.9 and g["nesterov"] is False for g in optimizer.param_groups)
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.BatchNorm2d):  # the code's rule: the name says bn (downsample.1 does not)
            expected = 5e-5 if name.endswith("downsample.1") else 0
            assert decay[id(module.weight)] == expected and decay[id(module.bias)] == expected, name
        if isinstance(module, torch.nn.Conv2d):
            assert decay[id(module.weight)] == 5e-5, name
    assert len(decay) == len(list(model.parameters()))


@pytest.mark.parametrize("global_batch", [640, 320])
def test_paper_lr_schedule_at_chosen_steps(global_batch):
    recipe = load_recipe("paper")
    lr = recipe.lr_for(global_batch)
    steps_per_epoch = 100
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = make_scheduler(optimizer, recipe, lr, steps_per_epoch)

    def lr_at(step: int) -> float:
        scheduler.step_update(step)
        return optimizer.param_groups[0]["lr"]

    # the code repository's get_cyclic_lr, per step: np.interp(epoch, [0, 2, 56], [1e-4 * lr, lr, 0])
    for step in (0, 1, 50, 199, 200, 201, 1000, 2900, 5599, 5600):
        reference = float(np.interp(step / steps_per_epoch, [0, 2, 56], [1e-4 * lr, lr, 0]))
        assert lr_at(step) == pytest.approx(reference, rel=1e-9, abs=1e-12), step
    # and by hand: start, peak after 2 epochs, half-way down at epoch 29, zero at the end
    assert lr_at(0) == pytest.approx(1e-4 * lr)
    assert lr_at(200) == pytest.approx(lr)
    assert lr_at(2900) == pytest.approx(lr / 2)
    assert lr_at(5600) == pytest.approx(0.0, abs=1e-12)


def test_unknown_key_names_it(tmp_path):
    with pytest.raises(RecipeError, match="recipe paper: optimizer.lrr: unknown key"):
        load_recipe("paper", {"optimizer.lrr": 0.1})
    with pytest.raises(RecipeError, match="schedule: warmup_epochs .60. must be fewer than epochs"):
        load_recipe("paper", {"schedule.warmup_epochs": 60})
    with pytest.raises(UnknownNameError, match="did you mean: paper"):
        load_recipe("papr")


def test_cli_unknown_recipe_key_is_one_line_exit_2(run_cli, tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text(resources.files("imagenet_g").joinpath("recipes", "smoke.yaml").read_text()
                   .replace("  momentum: 0.9\n", "  momentum: 0.9\n  nesterof: true\n"))
    result = run_cli("train", "--out", tmp_path / "run", "--recipe", bad, "--real", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "optimizer.nesterof: unknown key" in result.stderr
    assert not (tmp_path / "run").exists()

"""The shipped `paper*` recipes against the paper's code: every field of each recipe is checked against the training
config it comes from (generative-robustness train/resnet_configs/*.yaml, shipped in imagenet_g/data with the
repository's license, read here as YAML), or against what train/train_imagenet.py itself does where the config is
silent; and that code's weight-decay groups and resolution schedule, written out here as it writes them."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
import torch
import yaml

from imagenet_g.train import load_recipe, recipe_names
from imagenet_g.train.loader import train_size
from imagenet_g.train.model import build_model
from imagenet_g.train.optim import build_optimizer
from imagenet_g.train.recipe import DataConfig

CONFIGS = resources.files("imagenet_g").joinpath("data", "generative-robustness")
README_WORLD_SIZE = 5  # the repository README's training command: --training.distributed=1 --dist.world_size=5
# recipe -> (the repository's config, the architecture trained)
RECIPES = {
    "paper": ("rn18_88_epochs.yaml", "resnet18"),
    "paper-imagenet100": ("rn18_88_epochs.yaml", "resnet18"),  # README: --model.num_classes=100 for ImageNet-100
    "paper-resnet50": ("resnext50.yaml", "resnet50"),  # the repository ships no ResNet-50 config: --model.arch
    "paper-resnext50": ("resnext50.yaml", "resnext50_32x4d"),
    "paper-resnext101": ("resnext101.yaml", "resnext101_32x8d"),
}


def _cyclic(value):
    # get_cyclic_lr: np.interp([epoch], [0, lr_peak_epoch, epochs], [1e-4 * lr, lr, 0]), set every step
    assert value == "cyclic"
    return {"schedule.decay": "linear", "schedule.warmup_lr_factor": 1e-4}


def _global_batch(value):  # batch_size is per process; DDP over the README's 5 GPUs; lr 0.5 is not rescaled
    return {"data.batch_size": value * README_WORLD_SIZE, "optimizer.reference_batch": value * README_WORLD_SIZE}


# Each config key -> the recipe values it decides. PyYAML reads `5e-5` (no dot) as a string, hence float().
FROM_CONFIG = {
    "model.arch": lambda v: {"model.arch": v},
    "lr.lr": lambda v: {"optimizer.lr": float(v)},
    "lr.lr_peak_epoch": lambda v: {"schedule.warmup_epochs": v},
    "lr.lr_schedule_type": _cyclic,
    "resolution.min_res": lambda v: {"data.size": v},
    "resolution.max_res": lambda v: {"data.max_size": v},
    "resolution.start_ramp": lambda v: {"data.ramp_epochs.0": v},
    "resolution.end_ramp": lambda v: {"data.ramp_epochs.1": v},
    "training.batch_size": _global_batch,
    "training.epochs": lambda v: {"schedule.epochs": v},
    "training.label_smoothing": lambda v: {"loss.label_smoothing": float(v)},
    "training.momentum": lambda v: {"optimizer.momentum": float(v)},
    "training.optimizer": lambda v: {"optimizer.name": {"sgd": "momentum"}[v]},  # torch SGD, classical momentum
    "training.weight_decay": lambda v: {"optimizer.weight_decay": float(v)},
    "training.use_blurpool": lambda v: {"model.blurpool": bool(v)},
    "validation.lr_tta": lambda v: {"eval.tta": "flip" if v else "none"},
    "validation.resolution": lambda v: {"eval.size": v},
}
# Config keys about the machine or the launch, not the training (the global batch uses the README's 5 GPUs), and
# bn_wd: 0, which train_imagenet.py declares nowhere (its create_optimizer always exempts the 'bn' parameters).
IGNORED = {"data.gpu", "data.in_memory", "data.num_workers", "dist.world_size", "logging.folder", "logging.log_level",
           "training.distributed", "training.bn_wd"}
# Recipe keys the configs leave to train_imagenet.py's code and torchvision, with the values they have there.
FROM_CODE = {
    "model.kwargs.zero_init_last": False,  # torchvision ResNets: zero_init_residual=False
    "optimizer.no_decay": "bn-in-name",  # create_optimizer: no weight decay on parameters named 'bn'
    "data.scale.0": 0.08, "data.scale.1": 1.0,  # ffcv RandomResizedCropRGBImageDecoder's defaults
    "data.ratio.0": 3 / 4, "data.ratio.1": 4 / 3,
    "data.hflip": 0.5,  # ffcv RandomHorizontalFlip()
    "data.color_jitter": 0.0,  # the pipeline: crop, flip, normalise
    "data.mean.0": 0.485, "data.mean.1": 0.456, "data.mean.2": 0.406,  # IMAGENET_MEAN / 255
    "data.std.0": 0.229, "data.std.1": 0.224, "data.std.2": 0.225,  # IMAGENET_STD / 255
    "eval.crop_pct": 224 / 256,  # DEFAULT_CROP_RATIO of CenterCropRGBImageDecoder
    "amp": True,  # autocast + GradScaler
    "channels_last": True,  # model.to(memory_format=ch.channels_last)
    "ema_decay": None,  # no weight averaging
}
# Recipe keys with no counterpart in that code: how we run, not what is trained. The resize filter is timm's:
# ffcv's decoders resize with OpenCV in their own C code, which timm's PIL transforms cannot name.
OURS = {"description", "data.workers", "data.interpolation", "eval.interpolation", "eval.batch_size",
        "checkpoint_every", "seed"}


def _flat(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{prefix}{key}.").items()}
    if isinstance(value, (list, tuple)) and prefix.startswith(("data.", "resolution.")):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{prefix}{i}.").items()}
    return {prefix[:-1]: value}


def _config(name: str) -> dict[str, object]:
    return _flat(yaml.safe_load(CONFIGS.joinpath(name).read_text(encoding="utf-8")))


def test_the_shipped_paper_recipes_are_the_models_the_paper_trains():
    assert sorted(n for n in recipe_names() if n.startswith("paper")) == sorted(RECIPES)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_field_comes_from_the_repositorys_config_or_code(name):
    config_file, arch = RECIPES[name]
    config = _config(config_file)
    assert not set(config) - set(FROM_CONFIG) - IGNORED, "a config key this test does not place"
    expected = {k: v for key, value in config.items() if key in FROM_CONFIG for k, v in FROM_CONFIG[key](value).items()}
    if name == "paper-resnet50":
        assert expected["model.arch"] == "resnext50_32x4d"
    expected["model.arch"] = arch
    expected.update(FROM_CODE)
    expected["classes"] = "imagenet-100" if name == "paper-imagenet100" else None
    recipe = _flat(load_recipe(name).model_dump(mode="json"))
    assert set(recipe) == set(expected) | OURS  # every recipe field is placed, by the config, the code, or us
    assert {k: recipe[k] for k in expected} == expected
    assert load_recipe(name).lr_for(recipe["data.batch_size"]) == 0.5  # the code's lr at the code's batch


def test_resnext101_trains_at_batch_320_with_the_same_lr():
    r = load_recipe("paper-resnext101")
    assert (r.data.batch_size, r.lr_for(r.data.batch_size)) == (320, 0.5)


def _get_resolution(epoch, min_res, max_res, end_ramp, start_ramp):
    # generative-robustness train/train_imagenet.py, ImageNetTrainer.get_resolution (MIT, imagenet_g/data), verbatim
    assert min_res <= max_res

    if epoch <= start_ramp:
        return min_res

    if epoch >= end_ramp:
        return max_res

    # otherwise, linearly interpolate to the nearest multiple of 32
    interp = np.interp([epoch], [start_ramp, end_ramp], [min_res, max_res])
    final_res = int(np.round(interp[0] / 32)) * 32
    return final_res


@pytest.mark.parametrize(("low", "high", "start", "end"), [(160, 192, 65, 76), (160, 192, 10, 20), (128, 256, 3, 9),
                                                           (160, 160, 0, 0), (96, 224, 5, 5)])
def test_the_resolution_schedule_is_the_codes(low, high, start, end):
    config = DataConfig(batch_size=8, size=low, max_size=high, ramp_epochs=(start, end))
    sizes = [train_size(config, epoch) for epoch in range(100)]
    assert sizes == [_get_resolution(epoch, low, high, end, start) for epoch in range(100)]
    assert train_size(DataConfig(batch_size=8, size=low), 99) == low  # no schedule: one size
    paper = load_recipe("paper")
    assert {train_size(paper.data, e) for e in range(paper.schedule.epochs)} == {160}  # the ramp starts after epoch 56


def _bn_named(model: torch.nn.Module) -> set[str]:
    # generative-robustness create_optimizer: bn_params = [v for k, v in all_params if ('bn' in k)]
    return {name for name, _ in model.named_parameters() if "bn" in name}


@pytest.mark.parametrize("name", ["paper", "paper-resnet50", "paper-resnext50", "paper-resnext101"])
def test_weight_decay_groups_are_the_codes(name):
    import torchvision

    recipe = load_recipe(name)
    with torch.device("meta"):  # names and shapes only: no memory, no init time
        ours = build_model(recipe.model, 1000)
        theirs = getattr(torchvision.models, recipe.model.arch)()  # the code builds torchvision's models
    optimizer = build_optimizer(ours, recipe.optimizer, 0.5)
    names = {id(p): n for n, p in ours.named_parameters()}
    undecayed = {names[id(p)] for g in optimizer.param_groups if g["weight_decay"] == 0 for p in g["params"]}
    decayed = {names[id(p)] for g in optimizer.param_groups if g["weight_decay"] == 5e-5 for p in g["params"]}
    # the same network (blur-pool adds no parameter), the same parameters exempt, all others decayed
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    assert undecayed == _bn_named(theirs) and undecayed | decayed == set(names.values())
    # against timm's rule (every 1-D parameter undecayed): the downsample batch norms and the classifier's bias
    timm_rule = {n for n, p in ours.named_parameters() if p.ndim <= 1}
    blocks_with_downsample = sum(1 for n, _ in ours.named_modules() if n.endswith("downsample"))
    assert timm_rule - undecayed == {"fc.bias"} | {n for n in timm_rule if ".downsample." in n}
    assert len(timm_rule - undecayed) == 1 + 2 * blocks_with_downsample  # ResNet-18: 7 tensors
    if name == "paper":
        assert len(timm_rule - undecayed) == 7


def test_timms_rule_and_decay_everywhere_stay_available():
    recipe = load_recipe("smoke")
    model = build_model(recipe.model, 4)
    by_rule = {}
    for rule in ("norm-and-bias", "none"):
        optimizer = build_optimizer(model, recipe.optimizer.model_copy(update={"no_decay": rule}), 0.1)
        by_rule[rule] = sum(len(g["params"]) for g in optimizer.param_groups if g["weight_decay"] == 0)
    assert by_rule == {"norm-and-bias": sum(1 for p in model.parameters() if p.ndim <= 1), "none": 0}

"""What a training run is asked to do (``TrainRequest``) and the check of every argument in it before any work
(``check_train_request``): the recipe as it will be trained, the model's name, the data each source names; this
module imports no torch, so a wrong argument is one line at once, before the first step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from imagenet_g.checks import check_folder
from imagenet_g.devices import check_device
from imagenet_g.evaluate import check_model_id
from imagenet_g.layout import DEFAULT_DATASET_DIR
from imagenet_g.outputs import RequestPath, check_output_folder
from imagenet_g.strict import StrictRequest
from imagenet_g.train.mix import MixPolicy, check_mix_sources, parse_split
from imagenet_g.train.recipe import Recipe, load_recipe
from imagenet_g.train.record import RECORD_FILE
from imagenet_g.train.sources import built_split, check_real


class TrainRequest(StrictRequest):
    """Everything `imagenet-g train` needs; the CLI builds one and calls ``train``."""

    recipe: str = Field(default="paper", description="a shipped recipe name or a recipe .yaml file")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted recipe keys, e.g. schedule.epochs")
    real: str | None = Field(default=None, description="real set: wnid-folder tree, dataset folder or Hub id")
    generated: tuple[str, ...] = Field(default=(), description="release splits, VERSION:SPLIT")
    dataset_dir: Path = Field(default=DEFAULT_DATASET_DIR, description="folder of built releases")
    mix: MixPolicy = MixPolicy()
    out: RequestPath = Field(description="run folder: checkpoints, record, results")
    device: str = "auto"


def check_train_request(request: TrainRequest) -> Recipe:
    """Every argument of ``request`` that can be checked without torch or reading an image: the recipe with its
    overrides (its model a timm architecture), the sources the policy needs (the real set a Hub id, a dataset folder
    or a folder of wnid folders; each generated split completely built), the run folder (new, empty or this run's),
    the device's name. Returns the recipe."""
    recipe = load_recipe(request.recipe, request.overrides)
    check_model_id(recipe.model.arch)
    check_mix_sources(request.mix, request.real, request.generated)
    if request.real is not None and request.mix.uses_real:
        check_real(request.real)
    for generated in request.generated:
        built_split(request.dataset_dir, *parse_split(generated))
    check_folder(request.out, "out", must_exist=False)
    check_output_folder(request.out, RECORD_FILE, f"a training run folder (it has no {RECORD_FILE})", "out")
    check_device(request.device)
    return recipe

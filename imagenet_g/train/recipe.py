"""Training recipes: YAML files validated by a strict schema (an unknown key is an error naming it).

The shipped recipes live in ``imagenet_g/recipes/<name>.yaml`` (package data); a user passes a name or the path
of their own copy. ``Recipe.lr_for(global_batch)`` scales the learning rate linearly from the reference batch.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from imagenet_g.checks import MAX_BATCH
from imagenet_g.errors import RecipeError, UnknownNameError, unknown
from imagenet_g.results import Tta
from imagenet_g.strict import StrictModel, validation_message

_RECIPE_SUFFIX = ".yaml"
# Which parameters get no weight decay (``imagenet_g.train.optim``): timm's rule, the paper's code's, or none.
_NoDecay = Literal["norm-and-bias", "bn-in-name", "none"]
# the most epochs a recipe may train: far beyond any published ImageNet schedule, a bound on a typo
# (schedule.epochs=100000000000 would run for ever); docs/train.md says it
MAX_EPOCHS = 10_000


class ModelConfig(StrictModel):
    """A timm architecture trained from scratch."""

    arch: str = Field(min_length=1, description="timm model name, e.g. resnet18, resnext50_32x4d")
    blurpool: bool = Field(default=False, description="blur before every strided conv (>= 16 input channels)")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="extra timm.create_model keyword arguments")


class OptimizerConfig(StrictModel):
    """An optimizer from timm's ``create_optimizer_v2``; lr is given at ``reference_batch`` and scaled linearly."""

    name: str = Field(default="momentum", description="timm optimizer name (momentum = SGD, classical momentum)")
    lr: float = Field(gt=0)
    reference_batch: int = Field(ge=1)
    momentum: float = Field(default=0.9, ge=0, lt=1)
    weight_decay: float = Field(default=0.0, ge=0)
    no_decay: _NoDecay = Field(
        default="norm-and-bias",
        description="parameters without weight decay: norm-and-bias (timm's rule: every 1-D parameter), bn-in-name "
                    "(the paper's code: names containing 'bn'), none (decay every parameter)",
    )


class ScheduleConfig(StrictModel):
    """Per-step learning rate: linear warm-up from ``warmup_lr_factor`` x lr to lr, then decay to 0 at the end."""

    epochs: int = Field(ge=1, le=MAX_EPOCHS, description=f"at most {MAX_EPOCHS:,}")
    warmup_epochs: int = Field(default=0, ge=0)
    warmup_lr_factor: float = Field(default=1e-4, ge=0, le=1)
    decay: Literal["linear", "cosine"] = "linear"

    @model_validator(mode="after")
    def _warmup_fits(self) -> ScheduleConfig:
        if self.warmup_epochs >= self.epochs:
            raise ValueError(f"warmup_epochs ({self.warmup_epochs}) must be fewer than epochs ({self.epochs})")
        return self


class LossConfig(StrictModel):
    label_smoothing: float = Field(default=0.0, ge=0, lt=1)


class DataConfig(StrictModel):
    """Training input: global batch, crop size and augmentation (timm ``create_transform(is_training=True)``).

    The crop size is ``size`` throughout, or with ``max_size`` and ``ramp_epochs`` the paper's code's resolution
    schedule (``imagenet_g.train.loader.train_size``): ``size`` up to epoch ``ramp_epochs[0]``, ``max_size`` from
    epoch ``ramp_epochs[1]``, in between interpolated linearly and rounded to a multiple of 32.
    """

    batch_size: int = Field(ge=1, le=MAX_BATCH, description="global batch, split evenly over the processes")
    size: int = Field(ge=8, description="training crop size (the schedule's start)")
    max_size: int | None = Field(default=None, ge=8, description="the size the schedule ends at; None: size throughout")
    ramp_epochs: tuple[int, int] | None = Field(
        default=None, description="(first, last) epoch of the ramp from size to max_size, counted from 0")
    scale: tuple[float, float] = (0.08, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    hflip: float = Field(default=0.5, ge=0, le=1)
    color_jitter: float = Field(default=0.0, ge=0)
    interpolation: Literal["bilinear", "bicubic", "nearest", "random"] = "bilinear"
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    workers: int = Field(default=8, ge=0, description="decode processes per training process")

    @model_validator(mode="after")
    def _schedule_complete(self) -> DataConfig:
        if (self.max_size is None) != (self.ramp_epochs is None):
            raise ValueError("max_size and ramp_epochs go together (the resolution schedule), or neither is set")
        if self.max_size is not None and self.max_size < self.size:
            raise ValueError(f"max_size ({self.max_size}) must be at least size ({self.size})")
        if self.ramp_epochs is not None and not 0 <= self.ramp_epochs[0] <= self.ramp_epochs[1]:
            raise ValueError(f"ramp_epochs {list(self.ramp_epochs)} must be a first and a last epoch, first <= last")
        return self


class EvalConfig(StrictModel):
    """How the trained model is evaluated: resize to size / crop_pct, centre crop ``size``."""

    size: int = Field(ge=8)
    crop_pct: float = Field(default=0.875, gt=0, le=1)
    interpolation: Literal["bilinear", "bicubic", "nearest"] = "bilinear"
    batch_size: int = Field(default=256, ge=1, le=MAX_BATCH)
    tta: Tta = Field(default="none", description="test-time augmentation: flip sums the logits of each image and "
                                                 "its horizontal flip (the paper's code)")


class Recipe(StrictModel):
    """Everything that decides how a model is trained, apart from the data mix."""

    description: str = ""
    classes: str | None = Field(
        default=None, description="label space (a labels subset name); None = the real set's classes"
    )
    model: ModelConfig
    optimizer: OptimizerConfig
    schedule: ScheduleConfig
    loss: LossConfig = LossConfig()
    data: DataConfig
    eval: EvalConfig
    amp: bool = Field(default=True, description="float16 autocast + GradScaler; applied on CUDA only")
    channels_last: bool = True
    ema_decay: float | None = Field(default=None, gt=0, lt=1, description="timm ModelEmaV3 decay; None = off")
    checkpoint_every: int = Field(default=0, ge=0, description="also checkpoint every N steps; 0 = each epoch")
    seed: int = Field(default=0, ge=0)

    def lr_for(self, global_batch: int) -> float:
        """Peak learning rate at ``global_batch``: linear scaling from the reference batch."""
        return self.optimizer.lr * global_batch / self.optimizer.reference_batch


def recipe_names() -> tuple[str, ...]:
    """The recipes shipped with the package."""
    folder = resources.files("imagenet_g").joinpath("recipes")
    return tuple(sorted(p.name[: -len(_RECIPE_SUFFIX)] for p in folder.iterdir() if p.name.endswith(_RECIPE_SUFFIX)))


def _recipe_text(name_or_path: str | Path) -> tuple[str, str]:
    """(where it came from, YAML text) of a shipped recipe name or a recipe file."""
    path = Path(name_or_path)
    if path.suffix in (_RECIPE_SUFFIX, ".yml") or path.is_file():
        if not path.is_file():
            raise UnknownNameError(f"recipe file {str(path)!r} does not exist",
                                   fix="set {recipe} to an existing file or a shipped recipe name")
        return str(path), path.read_text(encoding="utf-8")
    name = str(name_or_path)
    if name not in recipe_names():
        raise unknown("recipe", name, recipe_names(), param="recipe", otherwise="a recipe .yaml file")
    text = resources.files("imagenet_g").joinpath("recipes", name + _RECIPE_SUFFIX).read_text(encoding="utf-8")
    return name, text


def _set_dotted(data: dict, key: str, value: Any) -> None:
    node = data
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise RecipeError(f"recipe override {key!r}: {part!r} is not a section",
                              fix="set a key inside a section in {overrides}, e.g. schedule.epochs")
    node[leaf] = value


def load_recipe(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Recipe:
    """Load a shipped recipe by name, or a recipe file; ``overrides`` set dotted keys (``schedule.epochs``).

    Example:
        >>> from imagenet_g.train import load_recipe
        >>> recipe = load_recipe("paper", {"schedule.epochs": 16})
        >>> recipe.model.arch, recipe.schedule.epochs, recipe.data.batch_size, recipe.optimizer.lr
        ('resnet18', 16, 640, 0.5)
    """
    source, text = _recipe_text(name_or_path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RecipeError(f"recipe {source} is not valid YAML: {' '.join(str(exc).split())[:200]}",
                          fix="fix the file's syntax") from None
    if not isinstance(data, dict):
        raise RecipeError(f"recipe {source} is not a mapping of sections",
                          fix="write it as sections (model, optimizer, schedule, ...) like the shipped recipes")
    for key, value in (overrides or {}).items():
        _set_dotted(data, key, value)
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise RecipeError(f"recipe {source}: {validation_message(exc)}") from None

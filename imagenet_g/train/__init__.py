"""Training on real + generated data: recipe + data mix -> timm model -> checkpoint + record -> evaluation.

Public API:
- ``load_recipe(name_or_path, overrides) -> Recipe``, ``recipe_names()``: the YAML recipes (``imagenet_g/recipes``).
- ``MixPolicy``, ``load_mix(...) -> Mix`` (``Mix.record``: the exact mix), ``plan_mix`` over ``Source`` tables.
- ``TrainRequest``, ``train(request) -> TrainResult``: one process or one per GPU under torchrun; resumable.
- ``evaluate_run(run_dir, EvalRequest) -> EvalResult``: score a finished run with ``imagenet_g.evaluate``.
- ``TrainingRecord``, ``read_record(run_dir)``, ``training_category(results_file)``.

``train``, ``TrainRequest``, ``TrainResult`` and ``evaluate_run`` need torch and are imported on first use, so that
reading recipes and records stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from imagenet_g.train.mix import Mix, MixPolicy, MixRecord, load_mix, plan_mix
from imagenet_g.train.recipe import Recipe, load_recipe, recipe_names
from imagenet_g.train.record import TrainingRecord, read_record, training_category

_HEAVY = {
    "TrainRequest": "imagenet_g.train.loop",
    "TrainResult": "imagenet_g.train.loop",
    "train": "imagenet_g.train.loop",
    "evaluate_run": "imagenet_g.train.evaluation",
}


def __getattr__(name: str) -> Any:
    if name in _HEAVY:
        return getattr(import_module(_HEAVY[name]), name)
    raise AttributeError(f"module 'imagenet_g.train' has no attribute {name!r}")


__all__ = [
    "Mix",
    "MixPolicy",
    "MixRecord",
    "Recipe",
    "TrainRequest",
    "TrainResult",
    "TrainingRecord",
    "evaluate_run",
    "load_mix",
    "load_recipe",
    "plan_mix",
    "read_record",
    "recipe_names",
    "train",
    "training_category",
]

"""Training on real + generated data: recipe + data mix -> timm model -> checkpoint + record -> evaluation.

Public API:
- ``load_recipe(name_or_path, overrides) -> Recipe``, ``recipe_names()``: the YAML recipes (``imagenet_g/recipes``).
- ``MixPolicy``, ``load_mix(...) -> Mix`` (``Mix.record``: the exact mix), ``plan_mix`` over ``Source`` tables.
- ``TrainRequest``, ``check_train_request(request)`` (no torch: every argument, before the first step),
  ``train(request) -> TrainResult``: one process or one per GPU under torchrun; resumable.
- ``evaluate_run(run_dir, EvalRequest) -> EvalResult``: score a finished run with ``imagenet_g.evaluate``.
- ``trained.load_source``: the model source ``train`` (an ``imagenet_g.model_sources`` entry point): a finished run as
  a classifier, loaded by ``imagenet_g.evaluate`` from its id ``train:<run>/<arch>`` (the eval after training,
  ``leaderboard verify``, ``imagenet-g eval``).
- ``TrainingRecord``, ``read_record(run_dir)``, ``training_category(results_file)``.

Names are imported on first use, so that reading recipes and records does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.train.evaluation import RESULTS_FILE, evaluate_run
    from imagenet_g.train.loop import TrainResult, train
    from imagenet_g.train.mix import Mix, MixPolicy, MixRecord, load_mix, plan_mix
    from imagenet_g.train.recipe import Recipe, load_recipe, recipe_names
    from imagenet_g.train.record import RECORD_FILE, TrainingRecord, read_record, training_category
    from imagenet_g.train.request import TrainRequest, check_train_request

_HOMES = {
    "evaluate_run": "evaluation",
    "RESULTS_FILE": "evaluation",
    "TrainResult": "loop",
    "train": "loop",
    "Mix": "mix",
    "MixPolicy": "mix",
    "MixRecord": "mix",
    "load_mix": "mix",
    "plan_mix": "mix",
    "Recipe": "recipe",
    "load_recipe": "recipe",
    "recipe_names": "recipe",
    "TrainingRecord": "record",
    "read_record": "record",
    "training_category": "record",
    "RECORD_FILE": "record",
    "TrainRequest": "request",
    "check_train_request": "request",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

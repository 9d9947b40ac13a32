"""Evaluation: model + dataset -> predictions -> metrics -> results JSON (see ``run_eval``).

The public names below are loaded on first use, so that importing a light module of this package (``datasets``,
for ``imagenet-g data``; ``compare``, for ``imagenet-g compare``) does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.evaluate.compare import compare_results
    from imagenet_g.evaluate.datasets import inventory
    from imagenet_g.evaluate.predictions import Predictions, predict
    from imagenet_g.evaluate.models import LoadedModel, load_model, parse_model_id
    from imagenet_g.evaluate.preprocess import PreprocessConfig, resolve_preprocess
    from imagenet_g.evaluate.run import EvalInterrupted, EvalRequest, run_eval, run_evals

_HOMES = {
    "compare_results": "compare",
    "inventory": "datasets",
    "Predictions": "predictions",
    "predict": "predictions",
    "LoadedModel": "models",
    "load_model": "models",
    "parse_model_id": "models",
    "PreprocessConfig": "preprocess",
    "resolve_preprocess": "preprocess",
    "EvalInterrupted": "run",
    "EvalRequest": "run",
    "run_eval": "run",
    "run_evals": "run",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

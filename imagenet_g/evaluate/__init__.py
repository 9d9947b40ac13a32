"""Evaluation: model + dataset -> predictions -> metrics -> results JSON (see ``run_eval``)."""

from imagenet_g.evaluate.datasets import inventory
from imagenet_g.evaluate.harness import Predictions, predict
from imagenet_g.evaluate.models import LoadedModel, load_model, parse_model_id
from imagenet_g.evaluate.preprocess import PreprocessConfig, resolve_preprocess
from imagenet_g.evaluate.run import EvalRequest, run_eval

__all__ = [
    "EvalRequest",
    "LoadedModel",
    "PreprocessConfig",
    "Predictions",
    "inventory",
    "load_model",
    "parse_model_id",
    "predict",
    "resolve_preprocess",
    "run_eval",
]

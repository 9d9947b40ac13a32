"""Evaluation: model + dataset -> predictions -> metrics -> results JSON (see ``run_eval``).

Images are read through ``imagenet_g.images``; this package scores them. The public names below are loaded on first
use, so that importing a light module of this package (``datasets``, for ``imagenet-g data``; ``compare``, for
``imagenet-g compare``) does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.evaluate.compare import compare_results
    from imagenet_g.evaluate.datasets import inventory
    from imagenet_g.evaluate.models import (OPEN_CLIP_PREFIX, LoadedModel, LoadOptions, ModelId, check_model_id,
                                            load_model, parse_model_id)
    from imagenet_g.evaluate.predictions import Predictions, predict
    from imagenet_g.evaluate.preprocess import PreprocessConfig, check_overrides, recorded_overrides, resolve_preprocess
    from imagenet_g.evaluate.request import (EvalRequest, check_dataset_paths, check_datasets_found, check_eval_request,
                                             check_precision, check_tta, output_paths)
    from imagenet_g.evaluate.run import EvalInterrupted, run_eval, run_evals
    from imagenet_g.evaluate.sources import SourcedModel, SourceRequest
    from imagenet_g.evaluate.zeroshot import build_head, cached_head, head_key

_HOMES = {
    "compare_results": "compare",
    "inventory": "datasets",
    "OPEN_CLIP_PREFIX": "models",
    "LoadedModel": "models",
    "LoadOptions": "models",
    "ModelId": "models",
    "check_model_id": "models",
    "load_model": "models",
    "parse_model_id": "models",
    "Predictions": "predictions",
    "predict": "predictions",
    "PreprocessConfig": "preprocess",
    "check_overrides": "preprocess",
    "recorded_overrides": "preprocess",
    "resolve_preprocess": "preprocess",
    "EvalRequest": "request",
    "check_dataset_paths": "request",
    "check_datasets_found": "request",
    "check_eval_request": "request",
    "check_precision": "request",
    "check_tta": "request",
    "EvalInterrupted": "run",
    "output_paths": "request",
    "run_eval": "run",
    "run_evals": "run",
    "SourcedModel": "sources",
    "SourceRequest": "sources",
    "build_head": "zeroshot",
    "cached_head": "zeroshot",
    "head_key": "zeroshot",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

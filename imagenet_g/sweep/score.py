"""The unit of work of every executor: one group of models loaded, scored by eval's own loop, recorded.

A model that cannot be loaded is recorded as failed and the rest of its group is scored. When the group's shared
pass fails for a reason of one model (out of memory, non-finite logits, an error in its forward pass), each model
of the group is scored on its own, resuming from the datasets the shared pass completed, so only the culprit is
recorded as failed. Errors that are no model's (a dataset missing, an unwritable folder) and interruptions stop
the sweep.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from imagenet_g.errors import ImagenetGError, ModelError, one_line
from imagenet_g.evaluate import LoadedModel, LoadOptions, load_model, run_evals
from imagenet_g.sweep.folder import ModelRecord, write_record
from imagenet_g.sweep.model_sets import ModelEntry
from imagenet_g.sweep.plan import asked
from imagenet_g.sweep.request import SweepRequest, eval_request

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupTask:
    """One group's work, picklable for Ray workers: the models still to score and how to score them.

    ``threads``: torch's thread count where the forward pass runs in the scoring process, so that a worker of
    another executor computes the same floats (None: leave it as it is).
    """

    request: SweepRequest
    entries: tuple[ModelEntry, ...]
    device: str
    threads: int | None = None


def _is_models_fault(exc: BaseException) -> bool:
    """Whether a failed pass is a model's doing (rather than the data's, the folder's, or the user's)."""
    return isinstance(exc, ModelError) or not isinstance(exc, ImagenetGError)


def _parameters(module) -> int | None:
    parameters = getattr(module, "parameters", None)
    return sum(p.numel() for p in parameters()) if callable(parameters) else None


def _scored(entry: ModelEntry, model: LoadedModel, request: SweepRequest) -> ModelRecord:
    size = model.preprocess.input_size if model.preprocess is not None else None
    return ModelRecord(id=entry.id, status="scored", standard=entry.standard, parameters=_parameters(model.module),
                       input_size=size, asked=asked(entry, request))


def _failed(entry: ModelEntry, stage: str, exc: BaseException, request: SweepRequest,
            model: LoadedModel | None = None) -> ModelRecord:
    reason = exc.render() if isinstance(exc, ImagenetGError) else one_line(exc)
    _log.warning("%s failed (%s): %s", entry.id, stage, reason)
    size = model.preprocess.input_size if model is not None and model.preprocess is not None else None
    return ModelRecord(id=entry.id, status="failed", reason=reason, stage=stage, standard=entry.standard,
                       parameters=_parameters(model.module) if model is not None else None, input_size=size,
                       asked=asked(entry, request))


def _free(models: Sequence[LoadedModel]) -> None:
    """Give the device memory of ``models`` back (eval moved them there) before each is scored alone."""
    import torch

    for model in models:
        if hasattr(model.module, "cpu"):
            model.module.cpu()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def score_group(task: GroupTask, progress: bool = False) -> list[ModelRecord]:
    """Load, score and record every model of ``task``; returns their records, in the task's order."""
    import torch

    request = task.request
    if task.threads is not None:
        torch.set_num_threads(task.threads)
    options = LoadOptions(pretrained=request.pretrained, device=task.device, cache_dir=request.cache_dir,
                          progress=progress)
    loaded: dict[str, LoadedModel] = {}
    records: dict[str, ModelRecord] = {}
    for entry in task.entries:
        try:
            loaded[entry.id] = load_model(entry.id, options, preprocess_overrides=dict(entry.overrides))
        except Exception as exc:  # any failure to build a model (its own code included) is that model's
            records[entry.id] = _failed(entry, "load", exc, request)
    todo = [e for e in task.entries if e.id in loaded]
    try:
        if todo:
            _score(task, todo, loaded, records)
    finally:
        del loaded
        gc.collect()
    out = [records[e.id] for e in task.entries]
    for record in out:
        write_record(request.out_dir, record)
    return out


def _score(task: GroupTask, todo: list[ModelEntry], loaded: dict[str, LoadedModel],
           records: dict[str, ModelRecord]) -> None:
    request = task.request
    models = [loaded[e.id] for e in todo]
    try:
        run_evals(eval_request(request, [e.id for e in todo], request.force), models=models)
    except Exception as exc:
        if not _is_models_fault(exc):
            raise
        if len(todo) == 1:
            records[todo[0].id] = _failed(todo[0], "score", exc, request, models[0])
            return
        _log.warning("the shared pass of %s failed (%s); scoring each alone", ", ".join(e.id for e in todo),
                     one_line(exc))
        _free(models)
        for entry, model in zip(todo, models):
            try:
                run_evals(eval_request(request, [entry.id], False), models=[model])
            except Exception as alone:
                if not _is_models_fault(alone):
                    raise
                records[entry.id] = _failed(entry, "score", alone, request, model)
            else:
                records[entry.id] = _scored(entry, model, request)
            _free([model])
        return
    for entry, model in zip(todo, models):
        records[entry.id] = _scored(entry, model, request)

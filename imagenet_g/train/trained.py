"""A finished training run as a classifier: its final weights in the recipe's network, seen as an ImageNet-1k model,
with the recipe's eval preprocessing. This is the model source ``train`` (``train:<run>/<arch>`` ids), declared in
pyproject.toml's ``imagenet_g.model_sources`` entry points, so that ``imagenet_g.evaluate`` loads runs (the eval after
training, ``leaderboard verify`` and ``imagenet-g eval`` alike) without importing train.
"""

from __future__ import annotations

from pathlib import Path

from imagenet_g.errors import ModelError, UnknownNameError
from imagenet_g.evaluate import SourcedModel, SourceRequest
from imagenet_g.train.checkpoint import FINAL
from imagenet_g.train.record import RECORD_FILE, read_record

SOURCE = "train"  # the entry point's name in pyproject.toml


def run_model_id(run_dir: Path, arch: str) -> str:
    """The one model id of an ``imagenet-g train`` run, ``train:<run folder name>/<arch>``, whichever path it was
    loaded by and whichever folder it is scored from (the eval after training and ``imagenet-g eval`` alike)."""
    return f"{SOURCE}:{Path(run_dir).resolve().name}/{arch}"


def load_source(request: SourceRequest) -> SourcedModel:
    """The ``train`` model source: ``train:<run>/<arch>`` -> the run's network with its weights (``pretrained`` does
    not apply: a run has its own)."""
    run, _, arch = request.spec.rpartition("/")
    if not run or not arch:
        raise UnknownNameError(f"model id {request.id!r} must look like train:<run folder>/<architecture>")
    return _load_run(request.id, run, arch, request.checkpoint)


def _find_run(model_id: str, run: str, checkpoint: Path | None = None) -> Path:
    """The run folder of the id ``train:<run>/<arch>``: the folder of ``checkpoint`` when one is given (the run's
    weights file, as results record it), else ``run`` as a path from here; one line naming the id when neither
    holds a training record."""
    folder = Path(checkpoint).parent if checkpoint is not None else Path(run)
    if (folder / RECORD_FILE).is_file():
        return folder
    where = f"beside the weights {str(checkpoint)!r}" if checkpoint is not None else f"in a folder {run!r} here"
    raise ModelError(
        f"model {model_id!r} is an `imagenet-g train` run, but no training run ({RECORD_FILE}) is {where}",
        f"give the run's weights file (<run folder>/{FINAL}) as {{checkpoint}}, or work from the run folder's parent",
    )


def _load_run(model_id: str, run: str, arch: str, checkpoint: Path | None = None) -> SourcedModel:
    """Build the run's network (random init, then its weights: ``checkpoint``, else the run's final weights)."""
    from timm.models import load_checkpoint

    from imagenet_g.train.model import ImageNetLogits, build_model

    run_dir = _find_run(model_id, run, checkpoint)
    record = read_record(run_dir)
    if record is None or not record.complete:
        raise ModelError(f"model {model_id!r}: the training run in {run_dir} is not finished",
                         "train it to the end (rerun the same train command) first")
    if record.recipe.model.arch != arch:
        raise ModelError(f"model {model_id!r}: the run in {run_dir} trained {record.recipe.model.arch!r}, not "
                         f"{arch!r}", f"use {SOURCE}:{run}/{record.recipe.model.arch} as the model id")
    weights = Path(checkpoint) if checkpoint is not None else run_dir / (record.weights_file or FINAL)
    if not weights.is_file():
        raise ModelError(f"model {model_id!r}: the run in {run_dir} has no weights file {weights.name}",
                         "give the run's weights file as {checkpoint}")
    network = build_model(record.recipe.model, len(record.mix.classes))
    try:
        load_checkpoint(network, str(weights), strict=True)
    except (RuntimeError, KeyError, ValueError, OSError) as exc:
        raise ModelError(f"model {model_id!r}: {weights} does not fit the run's {arch}: "
                         f"{' '.join(str(exc).split())[:200]}", "give the run's own weights file as {checkpoint}"
                         ) from exc
    spec, data = record.recipe.eval, record.recipe.data
    return SourcedModel(
        id=run_model_id(run_dir, arch),
        module=ImageNetLogits(network, record.mix.classes).eval(),
        preprocess={"input_size": (3, spec.size, spec.size), "crop_pct": spec.crop_pct,
                    "interpolation": spec.interpolation, "mean": tuple(data.mean), "std": tuple(data.std)},
        weights=weights,
    )

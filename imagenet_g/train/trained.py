"""A finished training run as a classifier: its final weights in the recipe's network, seen as an ImageNet-1k model,
with the recipe's eval preprocessing. ``imagenet_g.evaluate`` loads ``train:<run>/<arch>`` model ids through this
(the eval after training, ``leaderboard verify`` and ``imagenet-g eval`` alike); it imports nothing of evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.errors import ModelError
from imagenet_g.train.checkpoint import FINAL
from imagenet_g.train.record import RECORD_FILE, read_record


@dataclass(frozen=True)
class TrainedRun:
    """A run's network with its weights loaded, and how its inputs are made."""

    run_dir: Path
    arch: str
    module: object  # ImageNetLogits around the recipe's network, in eval mode
    preprocess: dict[str, object]  # the recipe's eval preprocessing, as overrides of timm's data config
    weights: Path


def find_run(model_id: str, run: str, checkpoint: Path | None = None) -> Path:
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


def load_run(model_id: str, run: str, arch: str, checkpoint: Path | None = None) -> TrainedRun:
    """Build the run's network (random init, then its weights: ``checkpoint``, else the run's final weights)."""
    from timm.models import load_checkpoint

    from imagenet_g.train.model import ImageNetLogits, build_model

    run_dir = find_run(model_id, run, checkpoint)
    record = read_record(run_dir)
    if record is None or not record.complete:
        raise ModelError(f"model {model_id!r}: the training run in {run_dir} is not finished",
                         "train it to the end (rerun the same train command) first")
    if record.recipe.model.arch != arch:
        raise ModelError(f"model {model_id!r}: the run in {run_dir} trained {record.recipe.model.arch!r}, not "
                         f"{arch!r}", f"use train:{run}/{record.recipe.model.arch} as the model id")
    weights = Path(checkpoint) if checkpoint is not None else run_dir / (record.weights_file or FINAL)
    if not weights.is_file():
        raise ModelError(f"model {model_id!r}: the run in {run_dir} has no weights file {weights.name}",
                         f"give the run's weights file as {{checkpoint}}")
    network = build_model(record.recipe.model, len(record.mix.classes))
    try:
        load_checkpoint(network, str(weights), strict=True)
    except (RuntimeError, KeyError, ValueError, OSError) as exc:
        raise ModelError(f"model {model_id!r}: {weights} does not fit the run's {arch}: "
                         f"{' '.join(str(exc).split())[:200]}", "give the run's own weights file as {checkpoint}"
                         ) from exc
    spec, data = record.recipe.eval, record.recipe.data
    return TrainedRun(
        run_dir=run_dir,
        arch=arch,
        module=ImageNetLogits(network, record.mix.classes).eval(),
        preprocess={"input_size": (3, spec.size, spec.size), "crop_pct": spec.crop_pct,
                    "interpolation": spec.interpolation, "mean": tuple(data.mean), "std": tuple(data.std)},
        weights=weights,
    )

"""The training record (``training-record.json`` in the run folder): recipe, data mix, hashes, versions, metrics.

It is rewritten atomically after every epoch and marked ``complete`` once the final weights are written. The
leaderboard reads a model's training-data category from it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from imagenet_g.dotted import differences, flatten
from imagenet_g.errors import OutputError
from imagenet_g.files import atomic_write_text
from imagenet_g.strict import StrictModel
from imagenet_g.train.mix import MixRecord
from imagenet_g.train.recipe import Recipe

RECORD_FILE = "training-record.json"
Category = Literal["real", "generated", "real+generated"]


class EpochMetrics(StrictModel):
    """One finished epoch."""

    epoch: int
    size: int | None = Field(default=None, description="training crop size of the epoch (the resolution schedule)")
    loss: float = Field(description="mean training loss over the epoch's samples (all processes)")
    lr: float = Field(description="learning rate after the epoch's last step")
    images: int
    seconds: float
    images_per_second: float
    unreadable_skipped: int = Field(default=0, description="unreadable images skipped, each replaced by the next "
                                    "readable image of the mix (counted every epoch)")


class TrainingRecord(StrictModel):
    """What was trained on what, how, with which software, and how it went."""

    format: int = 1
    recipe_source: str
    recipe: Recipe
    mix: MixRecord
    category: Category
    fingerprint: str = Field(description="sha256 of what decides the weights (recipe less its workers, checkpoint "
                                         "interval, text and eval; the mix): a resume must match what it covers")
    world_size: int
    global_batch: int
    lr: float = Field(description="peak learning rate after linear scaling")
    steps_per_epoch: int
    device: str
    environment: dict[str, str]
    epochs: tuple[EpochMetrics, ...] = ()
    weights_file: str | None = None
    weights_sha256: str | None = None
    results_file: str | None = None
    created: datetime
    complete: bool = False


# Recipe keys that do not change the trained weights: a resume may change them, and the record keeps the new values
# (how many processes decode, how often to checkpoint, the text, how the finished model is evaluated).
_OUTSIDE_FINGERPRINT = ("description", "data.workers", "checkpoint_every", "eval")


def _fingerprint_fields(recipe: Recipe, mix: MixRecord) -> dict[str, object]:
    """What decides the trained weights, as dotted keys: the recipe's (as ``--set`` names them) less
    `_OUTSIDE_FINGERPRINT`, and the data mix's under ``mix.``."""
    fields = flatten(recipe.model_dump(mode="json"))
    fields = {k: v for k, v in fields.items()
              if not any(k == skip or k.startswith(skip + ".") for skip in _OUTSIDE_FINGERPRINT)}
    return {**fields, **flatten(mix.model_dump(mode="json"), "mix")}


def fingerprint(recipe: Recipe, mix: MixRecord) -> str:
    """sha256 of `_fingerprint_fields`: what must not change between a run and its resume."""
    payload = json.dumps(_fingerprint_fields(recipe, mix), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def fingerprint_differences(before: TrainingRecord, recipe: Recipe, mix: MixRecord) -> list[str]:
    """``key: <the run's value> in the run, <this value> now`` for each fingerprinted key that differs."""
    changed = differences(_fingerprint_fields(before.recipe, before.mix), _fingerprint_fields(recipe, mix))
    return [f"{key}: {_show(old)} in the run, {_show(new)} now" for key, (old, new) in changed.items()]


def _show(value: object) -> str:
    text = json.dumps(value) if value is not None else "not set"
    return text if len(text) <= 60 else text[:57] + "..."


def read_record(run_dir: Path) -> TrainingRecord | None:
    """The record of a run folder; None when there is none."""
    path = Path(run_dir) / RECORD_FILE
    if not (path.exists() or path.is_symlink()):
        return None
    try:
        return TrainingRecord.model_validate_json(path.read_bytes(), strict=True)
    except ValidationError as exc:
        problem = f"is damaged ({exc.error_count()} problems)"
    except OSError as exc:  # a folder, a dangling link, no permission
        problem = f"cannot be read ({exc.strerror or type(exc).__name__})"
    raise OutputError(f"{path} {problem}", fix="restore it, or set {out} to a new folder")


def write_record(run_dir: Path, record: TrainingRecord) -> Path:
    """Write the record atomically."""
    path = Path(run_dir) / RECORD_FILE
    atomic_write_text(path, record.model_dump_json(indent=2) + "\n")
    return path


def training_category(results_file: Path) -> Category | None:
    """The training-data category recorded beside an eval results file (a run folder's), or None."""
    record = read_record(Path(results_file).parent)
    return record.category if record is not None else None

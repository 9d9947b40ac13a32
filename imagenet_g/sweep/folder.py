"""A sweep's folder: its marker, eval's results files (one per model), a record per model, the summary.

::

    DIR/sweep.json                  the marker: this folder holds the sweep of one release
    DIR/<slug>.json                 eval's results file of each model (+ <slug>.<dataset>.parquet, .per-class.csv)
    DIR/models/<slug>.json          what the sweep knows of each model: scored or failed (and why), parameters
    DIR/summary.csv|.parquet|.md    one row per model

A sweep writes only into a folder that is new, empty, or carries its marker for the same release. Records hold no
timestamps, so two runs of the same sweep (any executor) write the same records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from imagenet_g.errors import OutputError
from imagenet_g.files import atomic_write_text
from imagenet_g.job_array import Share
from imagenet_g.outputs import check_output_folder
from imagenet_g.slugs import slug
from imagenet_g.strict import StrictModel, validation_message

MARKER_FILE = "sweep.json"
_RECORDS_DIR = "models"
SUMMARY_STEM = "summary"
_SWEEP_FORMAT = "imagenet-g sweep"


class SweepMarker(StrictModel):
    """The marker that makes a folder a sweep's own: which release it scores."""

    format: Literal["imagenet-g sweep"] = _SWEEP_FORMAT
    schema_version: Literal[1] = 1
    release: str


Status = Literal["scored", "failed"]


class ModelRecord(StrictModel):
    """The outcome of one model in a sweep, and the request it answers (a rerun of the same request skips it)."""

    id: str
    status: Status
    reason: str | None = Field(default=None, description="why it failed, on one line")
    stage: Literal["load", "score"] | None = Field(default=None, description="where it failed")
    standard: bool = False
    parameters: int | None = Field(default=None, description="parameter count of the scored module")
    input_size: tuple[int, int, int] | None = None
    asked: dict[str, Any] = Field(description="the model's part of the request: overrides, weights, datasets")


def check_sweep_folder(out_dir: Path, release: str) -> None:
    """The sweep folder is new, empty, or holds the sweep of ``release`` (its marker); else ``OutputError`` (the
    output rule, ``imagenet_g.outputs``)."""
    if (Path(out_dir) / MARKER_FILE).is_file():
        held = read_marker(out_dir).release
        if held != release:
            raise OutputError(f"{out_dir} holds the sweep of release {held}, not {release}",
                              "set {out_dir} to another folder for this release's sweep")
    check_output_folder(out_dir, MARKER_FILE, f"a sweep folder (it has no {MARKER_FILE})", "out_dir")


def open_folder(out_dir: Path, release: str) -> None:
    """Make ``out_dir`` this release's sweep folder (``check_sweep_folder`` first): write its marker if it has none."""
    check_sweep_folder(out_dir, release)
    marker = Path(out_dir) / MARKER_FILE
    if marker.is_file():
        return
    try:
        atomic_write_text(marker, SweepMarker(release=release).model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise OutputError(f"cannot write the sweep folder {out_dir}: {exc.strerror or exc}",
                          "set {out_dir} to another folder") from None


def claim_target(out_dir: Path, share: Share | None) -> Path:
    """What a sweep claims while it runs: its folder, or a job of an array its share of it (the jobs of one array
    run side by side; each model's results file is claimed by eval as it is written)."""
    return Path(out_dir) if share is None else Path(out_dir) / f"job-{share.index}-of-{share.count}"


def read_marker(out_dir: Path) -> SweepMarker:
    """The marker of a sweep folder; raises when there is none or it is damaged."""
    path = Path(out_dir) / MARKER_FILE
    try:
        return SweepMarker.model_validate_json(path.read_bytes())
    except OSError:  # missing, or a file where the folder should be
        raise OutputError(f"{out_dir} is not a sweep folder (no {MARKER_FILE})",
                          "give a folder that `imagenet-g sweep` wrote") from None
    except ValidationError as exc:
        raise OutputError(f"{path} is not a sweep marker: {validation_message(exc)}",
                          "give a folder that `imagenet-g sweep` wrote") from None


def results_path(out_dir: Path, model_id: str) -> Path:
    """Eval's results file of a model in the sweep folder (the name ``imagenet-g eval --out-dir`` gives it)."""
    return Path(out_dir) / f"{slug(model_id)}.json"


def _record_path(out_dir: Path, model_id: str) -> Path:
    return Path(out_dir) / _RECORDS_DIR / f"{slug(model_id)}.json"


def write_record(out_dir: Path, record: ModelRecord) -> None:
    """Save a model's record atomically (after its results file, so a record never names missing results)."""
    atomic_write_text(_record_path(out_dir, record.id), record.model_dump_json(indent=2) + "\n")


def read_records(out_dir: Path, model_ids: list[str]) -> dict[str, ModelRecord]:
    """The readable records of these models; a damaged record counts as none (the model is scored again)."""
    found = {}
    for model_id in model_ids:
        path = _record_path(out_dir, model_id)
        try:
            record = ModelRecord.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            continue
        if record.id == model_id:
            found[model_id] = record
    return found


def all_records(out_dir: Path) -> list[ModelRecord]:
    """Every model record of a sweep folder, in file order; a damaged one is an error naming it."""
    records = []
    for path in sorted((Path(out_dir) / _RECORDS_DIR).glob("*.json")):
        try:
            records.append(ModelRecord.model_validate_json(path.read_bytes()))
        except (OSError, ValueError):
            raise OutputError(f"{path} is not a model record of a sweep", "rerun the sweep to write it again") from None
    return records


# what differs between two runs of the same sweep, by design: when it ran and on what (versions, memory layout)
_RUN_FIELDS = ("created", "environment")


def run_independent_contents(out_dir: Path) -> dict[str, object]:
    """Every file of a sweep folder as two runs of the same sweep agree on it, whichever executor ran them: results
    files without ``_RUN_FIELDS``, every other file as bytes (hidden temp and lock files left out)."""
    out_dir = Path(out_dir)
    contents: dict[str, object] = {}
    for path in sorted(out_dir.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        key = path.relative_to(out_dir).as_posix()
        if path.parent == out_dir and path.suffix == ".json" and path.name != MARKER_FILE:
            data = json.loads(path.read_text(encoding="utf-8"))
            contents[key] = {k: v for k, v in data.items() if k not in _RUN_FIELDS}
        else:
            contents[key] = path.read_bytes()
    return contents


def answers(record: ModelRecord | None, asked: Mapping[str, Any]) -> bool:
    """Whether ``record`` is the outcome of the same request for its model."""
    return record is not None and record.asked == dict(asked)

"""The files an evaluation writes for each model: its results JSON (``request.output_paths``), and beside it the per-image
predictions of each dataset and the per-class CSV; ``check_outputs`` refuses, before any work and creating nothing,
a run that would write where it cannot or over anything that is not one of these files of ours
(``imagenet_g.outputs``). This module imports no torch: ``check_eval_request`` calls it."""

from __future__ import annotations

import os
from pathlib import Path
from imagenet_g.errors import OutputError
from imagenet_g.outputs import check_output_file
from imagenet_g.results import EvalResult, rewritable_results

PER_CLASS_COLUMNS = ("dataset", "class_index", "wnid", "class_name", "images", "top1", "top5")


def _check_writable(path: Path, param: str) -> None:
    """Fail before any work if the results file cannot be written: the nearest folder that exists on its way is a
    writable folder. Creates nothing (the run's claim makes the folder, and removes it when the run writes nothing)."""
    folder = path.absolute().parent
    while not (folder.exists() or folder.is_symlink()) and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write results to {path}: {folder} is a file", f"choose another {{{param}}}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write results to {path}: {folder} is not writable", f"choose another {{{param}}}")


def predictions_path(out: Path, dataset: str) -> Path:
    """The per-image predictions of one dataset, beside the results file ``out``."""
    return out.with_name(f"{out.stem}.{dataset}.parquet")


def per_class_path(out: Path) -> Path:
    """The per-class CSV beside the results file ``out``."""
    return out.with_name(f"{out.stem}.per-class.csv")


def earlier_results(out: Path, param: str, model_id: str | None = None) -> EvalResult | None:
    """The results file at ``out``, read once; None where there is none. Anything else there, or the results of
    another model than ``model_id`` (when given), is refused (``imagenet_g.outputs``)."""
    earlier = None

    def problem(path: Path) -> str | None:
        nonlocal earlier
        found = rewritable_results(path, model_id)
        if isinstance(found, str):
            return found
        earlier = found
        return None

    check_output_file(out, problem, param)
    return earlier


def _listed_by(earlier: EvalResult | None) -> set[str]:
    """The files beside a results file that it names (none without one)."""
    if earlier is None:
        return set()
    return {d.predictions_file for d in earlier.datasets.values() if d.predictions_file} | (
        {earlier.per_class_file} if earlier.per_class_file else set())


def _predictions_problem(path: Path) -> str | None:
    """None for a predictions file of ours (a kill between it and its results file leaves one unlisted)."""
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(path).names)
    except (OSError, ValueError):
        return "is not an imagenet-g predictions file"
    return None if {"key", "target", "topk", "correct_top1"} <= names else "is not an imagenet-g predictions file"


def _per_class_problem(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8") as fh:
            header = fh.readline().strip()
    except (OSError, UnicodeDecodeError):
        header = ""
    return None if header == ",".join(PER_CLASS_COLUMNS) else "is not an imagenet-g per-class file"


def check_outputs(outs: tuple[Path, ...], names: tuple[str, ...], param: str) -> None:
    """Every file the run would write (the results files ``outs`` and beside each the files of the datasets
    ``names``) is absent or one of ours (``imagenet_g.outputs``), where it can be written; else refused before any
    work, naming the parameter ``param`` that set it."""
    for out in outs:
        earlier = earlier_results(out, param)
        _check_writable(out, param)
        listed = _listed_by(earlier)
        for path, problem in [(predictions_path(out, n), _predictions_problem) for n in names] + [
                (per_class_path(out), _per_class_problem)]:
            check_output_file(path, lambda p: None if p.name in listed else problem(p), param)

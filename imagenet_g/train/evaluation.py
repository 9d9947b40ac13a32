"""Evaluate a finished run: its weights as an ImageNet-1k classifier, preprocessed as its recipe says, scored by
``imagenet_g.evaluate.run_eval``; the results JSON goes into the run folder, beside the training record."""

from __future__ import annotations

from pathlib import Path

from imagenet_g.errors import OutputError
from imagenet_g.evaluate import EvalRequest, run_eval
from imagenet_g.results import EvalResult
from imagenet_g.train.checkpoint import FINAL
from imagenet_g.train.record import read_record, write_record
from imagenet_g.train.trained import run_model_id

RESULTS_FILE = "results.json"


def evaluate_run(run_dir: Path, request: EvalRequest, progress: bool = False) -> EvalResult:
    """Score a completely trained run on ``request``'s datasets (its ``model``, ``checkpoint``, ``batch_size`` and
    test-time augmentation come from the run and its recipe); the results file defaults to ``<run>/results.json``
    and is named in the training record.

    The model is loaded by its id ``train:<run>/<arch>`` with the run's weights file as checkpoint, as
    ``leaderboard verify`` and ``imagenet-g eval`` load it again from the results.
    """
    run_dir = Path(run_dir)
    record = read_record(run_dir)
    if record is None or not record.complete:
        raise OutputError(f"{run_dir} holds no finished training run", fix="train it to the end first")
    out = request.out or run_dir / RESULTS_FILE
    request = request.model_copy(update={
        "model": run_model_id(run_dir, record.recipe.model.arch),
        "checkpoint": run_dir / (record.weights_file or FINAL),
        "out": out, "pretrained": False, "batch_size": record.recipe.eval.batch_size, "tta": record.recipe.eval.tta,
    })
    result = run_eval(request, progress=progress)
    relative = out.name if out.parent.resolve() == run_dir.resolve() else str(out)
    write_record(run_dir, record.model_copy(update={"results_file": relative}))
    return result

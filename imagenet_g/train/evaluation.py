"""Evaluate a finished run: its weights as an ImageNet-1k classifier, preprocessed as its recipe says, scored by
``imagenet_g.evaluate.run_eval``; the results JSON goes into the run folder, beside the training record."""

from __future__ import annotations

from pathlib import Path

from imagenet_g.errors import OutputError
from imagenet_g.evaluate import EvalRequest, LoadedModel, resolve_preprocess, run_eval
from imagenet_g.results import EvalResult
from imagenet_g.train.checkpoint import FINAL
from imagenet_g.train.model import ImageNetLogits, build_model
from imagenet_g.train.record import TrainingRecord, read_record, write_record

RESULTS_FILE = "results.json"


def trained_model(run_dir: Path, record: TrainingRecord) -> LoadedModel:
    """The run's final weights wrapped to 1000 ImageNet logits, with the recipe's eval preprocessing."""
    from timm.models import load_checkpoint

    weights = Path(run_dir) / FINAL
    network = build_model(record.recipe.model, len(record.mix.classes))
    load_checkpoint(network, str(weights), strict=True)
    module = ImageNetLogits(network, record.mix.classes).eval()
    spec = record.recipe.eval
    data = record.recipe.data
    preprocess = resolve_preprocess(module, {
        "input_size": (3, spec.size, spec.size), "crop_pct": spec.crop_pct, "interpolation": spec.interpolation,
        "mean": data.mean, "std": data.std,
    })
    return LoadedModel(
        id=f"train:{Path(run_dir).resolve().name}/{record.recipe.model.arch}", source="custom", module=module,
        preprocess=preprocess, transform=None, preprocess_info=preprocess.as_dict(), pretrained=False,
        checkpoint=str(weights), weights_sha256=record.weights_sha256,
    )


def evaluate_run(run_dir: Path, request: EvalRequest, progress: bool = False) -> EvalResult:
    """Score a completely trained run on ``request``'s datasets (its ``model`` and ``batch_size`` come from the run);
    the results file defaults to ``<run>/results.json`` and is named in the training record."""
    run_dir = Path(run_dir)
    record = read_record(run_dir)
    if record is None or not record.complete:
        raise OutputError(f"{run_dir} holds no finished training run", fix="train it to the end first")
    model = trained_model(run_dir, record)
    out = request.out or run_dir / RESULTS_FILE
    request = request.model_copy(update={
        "model": model.id, "out": out, "pretrained": False, "batch_size": record.recipe.eval.batch_size,
    })
    result = run_eval(request, progress=progress, model=model)
    relative = out.name if out.parent.resolve() == run_dir.resolve() else str(out)
    write_record(run_dir, record.model_copy(update={"results_file": relative}))
    return result

"""One evaluation run: models + datasets -> predictions -> metrics -> results JSON (+ per-image parquet) -> ER.

Each model gets its own results file, rewritten atomically after every dataset with ``complete=False`` and
once more with ``complete=True`` at the end, so an interrupted run never leaves a file that claims to be
complete. A rerun of the same request resumes: a dataset already in the file with the same fingerprint
(weights, preprocessing as applied, precision, test-time augmentation, dataset files) and its predictions beside
it is kept, not scored again (``force`` rescores everything). Several models share one pass over the images.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from imagenet_g import labels
from imagenet_g.benchmarks import SHIFT_CONTROLS, V2_DEFAULT, Benchmark, get_benchmark
from imagenet_g.claims import claimed
from imagenet_g.devices import pick_device
from imagenet_g.environment import environment
from imagenet_g.errors import DatasetNotFoundError, ModelError
from imagenet_g.evaluate.metrics import accuracy_from_topk, label_map, label_space_for, topk_hits
from imagenet_g.evaluate.models import LoadedModel, LoadOptions, load_model
from imagenet_g.evaluate.predictions import Predictions, predict
from imagenet_g.evaluate.request import (EvalRequest, check_eval_outputs, check_eval_request, locate_source,
                                         output_paths, planned_datasets, source_of)
from imagenet_g.evaluate.results_files import PER_CLASS_COLUMNS, earlier_results, per_class_path, predictions_path
from imagenet_g.evaluate.stats import wilson_interval
from imagenet_g.files import atomic_path, relative_path
from imagenet_g.images import LoadedDataset, load, not_found
from imagenet_g.results import ER_AXES, DatasetResult, EffectiveRobustness, EvalResult, ModelInfo, Tta
from imagenet_g.robustness import effective_robustness, fit_baseline, load_baselines

# What decides the numbers, recorded in every results file.
ENVIRONMENT_PACKAGES = ("torch", "torchvision", "timm", "open-clip-torch", "datasets", "numpy", "pillow")
_log = logging.getLogger(__name__)


class EvalInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: what was kept (results file -> datasets complete) and what is left to score."""

    def __init__(self, kept: dict[Path, tuple[str, ...]], remaining: tuple[str, ...]) -> None:
        super().__init__("interrupted")
        self.kept, self.remaining = kept, remaining


def _check_model(out: Path, model: LoadedModel, request: EvalRequest) -> EvalResult | None:
    """A results file is rewritten by its own model only; returns it (None where there is none). Read again now
    that the run holds its claim: a run that held it until then may have added datasets since ``check_eval_outputs``."""
    return earlier_results(out, "out" if request.out is not None else "out_dir", model.id)


def _find(
    request: EvalRequest, names: tuple[str, ...], explicit: set[str]
) -> tuple[dict[str, LoadedDataset], dict[str, str]]:
    """Locate and scan every dataset; missing explicit ones raise, others are recorded as skipped."""
    loaded: dict[str, LoadedDataset] = {}
    missing: dict[str, str] = {}
    sources = dict.fromkeys(source_of(n) for n in names)
    for name in sources:
        spec = get_benchmark(name)
        location = locate_source(request, name, [n for n in names if source_of(n) == name and n in explicit])
        if location is None:
            reason = not_found(spec, request.data_root, request.v2_variant)
            for n in names:
                if source_of(n) == name:
                    missing[n] = reason if n == name else f"needs {name}, which was {reason}"
            continue
        loaded[name] = load(spec, location, request.release, request.v2_variant)
    return loaded, missing


def _applied_preprocess(model: LoadedModel, border: int) -> dict[str, object]:
    """The model's preprocessing as applied to a dataset that trims ``border`` pixels off each edge."""
    if model.preprocess is not None:
        return model.preprocess.with_border(border).as_dict()
    return {**model.preprocess_info, "crop_border_pixels": border}


def fingerprint(model: LoadedModel, spec: Benchmark, data: LoadedDataset, preprocess: dict[str, object],
                precision: str, tta: Tta = "none") -> str:
    """What decides a dataset's numbers: weights, preprocessing as applied, precision, test-time augmentation and
    the data itself."""
    record = {
        "weights": model.weights_sha256, "preprocess": preprocess, "precision": precision, "dataset": spec.name,
        "classes": spec.classes, "version": data.version, "checksum": data.checksum,
        "files": data.images.fingerprint(), "scoring": "imagenet-testbed collapsed top-k",
    }
    if tta != "none":  # only then: results scored before the option existed keep their fingerprints
        record["tta"] = tta
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


def _dataset_result(
    spec: Benchmark, data: LoadedDataset, preds: Predictions, predictions_file: str,
    preprocess: dict[str, object], print_: str,
) -> DatasetResult:
    topk, lmap, n = preds.topk[spec.name], label_map(spec), len(preds.keys)
    hits = {k: int(topk_hits(topk, preds.targets, k, lmap).sum()) if n else 0 for k in (1, 5)}
    return DatasetResult(
        name=spec.name,
        version=data.version,
        source=data.source,
        checksum=data.checksum,
        classes=spec.classes,
        top1=accuracy_from_topk(topk, preds.targets, 1, lmap),
        top5=accuracy_from_topk(topk, preds.targets, 5, lmap),
        top1_ci=wilson_interval(hits[1], n),
        top5_ci=wilson_interval(hits[5], n),
        images=n,
        skipped=sum(preds.skipped.values()),
        skipped_reasons=dict(preds.skipped),
        predictions_file=predictions_file,
        preprocess=preprocess,
        fingerprint=print_,
    )


def _write_predictions(path: Path, spec: Benchmark, preds: Predictions) -> None:
    """Per-image predictions as parquet (temp file + rename): key, join keys, target, top-5 and scores, hits."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    topk, scores, lmap = preds.topk[spec.name], preds.scores[spec.name], label_map(spec)
    k = topk.shape[1]
    table = pa.table({
        "key": pa.array(preds.keys, pa.string()),
        **{name: pa.array(values.tolist()) for name, values in preds.columns.items()},
        "target": pa.array(preds.targets, pa.int64()),
        "topk": pa.FixedSizeListArray.from_arrays(pa.array(topk.ravel(), pa.int64()), k),
        "topk_scores": pa.FixedSizeListArray.from_arrays(pa.array(scores.ravel(), pa.float32()), k),
        "correct_top1": pa.array(topk_hits(topk, preds.targets, 1, lmap)),
        "correct_top5": pa.array(topk_hits(topk, preds.targets, min(5, k), lmap)),
    })
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)



def _write_per_class(path: Path, result: EvalResult, folder: Path) -> None:
    """Per-class top-1/top-5 of every dataset as CSV, from the predictions files (classes with images only).

    ``class_index`` is the image's ImageNet target; on ObjectNet-scored sets the name is the ObjectNet class.
    """
    import pyarrow.parquet as pq

    objectnet = {i: c for c, idx in labels.objectnet_mapping().class_to_indices.items() for i in idx}
    rows = []
    for name, d in result.datasets.items():
        table = pq.read_table(folder / d.predictions_file, columns=["target", "correct_top1", "correct_top5"])
        target = table["target"].to_numpy()
        top1, top5 = table["correct_top1"].to_numpy(), table["correct_top5"].to_numpy()
        collapse = get_benchmark(name).objectnet_labels
        for cls in np.unique(target):
            mask = target == cls
            rows.append((name, int(cls), labels.wnids()[cls],
                         objectnet[int(cls)] if collapse else labels.class_names()[cls],
                         int(mask.sum()), round(100.0 * top1[mask].mean(), 6), round(100.0 * top5[mask].mean(), 6)))
    with atomic_path(path) as tmp:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(PER_CLASS_COLUMNS)
            writer.writerows(rows)


def _effective_robustness(
    request: EvalRequest, results: dict[str, DatasetResult]
) -> tuple[dict[str, EffectiveRobustness], dict[str, str]]:
    out: dict[str, EffectiveRobustness] = {}
    skipped: dict[str, str] = {}
    for shift, control in SHIFT_CONTROLS.items():
        if shift not in results:
            continue
        if control not in results:
            skipped[shift] = f"control {control} was not evaluated"
            continue
        if shift == "imagenet-v2" and request.v2_variant != V2_DEFAULT:
            skipped[shift] = f"baselines exist for matched-frequency only, not {request.v2_variant}"
            continue
        if shift == "imagenet-g":
            if request.imagenet_g_baselines is None:
                skipped[shift] = "ImageNet-G baselines are the leaderboard's standard entries (the leaderboard fits it)"
                continue
            baselines = request.imagenet_g_baselines
        else:
            baselines = load_baselines(shift, control)
        fit = fit_baseline(shift, control, baselines)
        if not fit.lines:
            skipped[shift] = f"{fit.source}: {fit.status}"
            continue
        x, y = results[control].top1, results[shift].top1
        fits = [effective_robustness(x, y, baselines, axis, request.bootstrap, request.seed) for axis in ER_AXES]
        low, high = fit.x_range
        out[shift] = EffectiveRobustness(
            shift=shift, control=control, control_top1=x, shift_top1=y,
            baseline=fit.source, n_baselines=fit.n_baselines, fits=fits,
            baseline_control_range=fit.x_range, extrapolated=not low <= x <= high,
        )
    return out, skipped


def _model_info(model: LoadedModel, out: Path) -> ModelInfo:
    """The model as its results file at ``out`` records it: the checkpoint as a path from that file's folder, so
    that it is found again from any working folder while the two stay where they are."""
    checkpoint = relative_path(model.checkpoint, Path(out).parent) if model.checkpoint is not None else None
    return ModelInfo(
        id=model.id, source=model.source, pretrained=model.pretrained, checkpoint=checkpoint,
        weights_sha256=model.weights_sha256, preprocess=model.preprocess_info,
    )


def _previous(path: Path, earlier: EvalResult | None, force: bool) -> dict[str, DatasetResult]:
    """Datasets of an earlier run's results file at ``path`` that a rerun may keep (their predictions still beside
    it); ``earlier`` is that file, checked to be one of this model's (``_check_model``)."""
    if force or earlier is None:
        return {}
    return {n: d for n, d in earlier.datasets.items()
            if d.fingerprint and d.predictions_file and (path.parent / d.predictions_file).is_file()}


def _describe(model: LoadedModel, request: EvalRequest, device: str) -> str:
    how = model.preprocess.describe() if model.preprocess is not None else f"its own transform {model.transform!r}"
    tta = "; logits of the image + its horizontal flip (tta flip)" if request.tta == "flip" else ""
    return f"{model.id}: {how}{tta}; {request.precision} on {device}"


class _Run:
    """The bookkeeping of one model in a run: its results so far and its results file."""

    def __init__(self, model: LoadedModel, out: Path, previous: dict[str, DatasetResult], env: dict[str, str],
                 precision: str, tta: Tta) -> None:
        self.model, self.out, self.previous, self.env = model, out, previous, env
        self.precision, self.tta = precision, tta
        self.results: dict[str, DatasetResult] = {}
        self.created = datetime.now(timezone.utc)
        self.channels_last: bool | None = None

    def save(self, names, missing, complete: bool, er=None, er_skipped=None) -> EvalResult:
        per_class = per_class_path(self.out)
        env = {**self.env}
        if self.channels_last is not None:
            env["memory_format"] = "channels_last" if self.channels_last else "contiguous"
        result = EvalResult(
            model=_model_info(self.model, self.out), datasets={n: self.results[n] for n in names if n in self.results},
            effective_robustness=er or {}, datasets_skipped=dict(missing),
            effective_robustness_skipped=er_skipped or {}, precision=self.precision, tta=self.tta,
            per_class_file=per_class.name if complete else None, environment=env, created=self.created,
            complete=complete,
        )
        if complete:
            _write_per_class(per_class, result, self.out.parent)
        result.write(self.out)
        return result


def run_evals(request: EvalRequest, progress: bool = False,
              models: Sequence[LoadedModel] | None = None) -> list[EvalResult]:
    """Evaluate each model of the request on the requested datasets, one pass over the images for all.

    Writes one results JSON per model (with predictions and per-class files beside it) and returns them.
    ``models``: classifiers already loaded (e.g. just trained), scored instead of loading ``request.model``.
    """
    check_eval_request(request, models=models is None)  # with the request's models: its outputs too
    if models is not None:
        check_eval_outputs(request)
    names, explicit = planned_datasets(request)
    outs = output_paths(request)
    with ExitStack() as claims:
        for out in outs:
            claims.enter_context(claimed(out, f"results file {out}"))
        return _run_evals(request, progress, models, names, explicit, outs)


def _run_evals(request: EvalRequest, progress: bool, models: Sequence[LoadedModel] | None, names: tuple[str, ...],
               explicit: set[str], outs: tuple[Path, ...]) -> list[EvalResult]:
    """``run_evals`` once its outputs are checked and claimed."""
    device = pick_device(request.device)
    options = LoadOptions(pretrained=request.pretrained, checkpoint=request.checkpoint,
                          preprocess_overrides=request.preprocess, transform=request.transform, name=request.name,
                          device=device, cache_dir=request.cache_dir, progress=progress)
    if models is None:
        models = [load_model(m, options) for m in request.models]
    elif len(models) != len(outs):
        raise ModelError(f"{len(models)} loaded models given for a request naming {len(outs)}; give one per model")
    earlier = [_check_model(out, model, request) for model, out in zip(models, outs)]
    loaded, missing = _find(request, names, explicit)
    for model in models:
        _log.info("preprocessing %s", _describe(model, request, device))
    env = environment(device, ENVIRONMENT_PACKAGES)
    runs = [_Run(m, out, _previous(out, e, request.force), env, request.precision, request.tta)
            for m, out, e in zip(models, outs, earlier)]
    try:
        for source_name, data in loaded.items():
            _score_source(request, names, explicit, missing, runs, source_name, data, progress)
            for run in runs:
                run.save(names, missing, complete=False)
    except KeyboardInterrupt:
        kept = {run.out: tuple(run.results) for run in runs}
        remaining = tuple(n for n in names if n not in missing and any(n not in run.results for run in runs))
        raise EvalInterrupted(kept, remaining) from None
    if not any(run.results for run in runs):
        if loaded:
            notes = "; ".join(f"{n}: {r}" for n, r in missing.items() if r.startswith("no image"))
            raise DatasetNotFoundError(f"nothing could be scored ({notes})")
        raise DatasetNotFoundError(
            f"no dataset found under {request.data_root}",
            "list where each is looked for with the inventory of {data_root} (`imagenet-g data`)",
        )
    finished = []
    for run in runs:
        er, er_skipped = _effective_robustness(request, run.results)
        finished.append(run.save(names, missing, complete=True, er=er, er_skipped=er_skipped))
    return finished


def _score_source(request: EvalRequest, names, explicit: set[str], missing: dict[str, str], runs: list[_Run],
                  source_name: str, data: LoadedDataset, progress: bool) -> None:
    """Score every dataset drawn from one source's images, for the models that do not have them yet."""
    specs = [get_benchmark(n) for n in names if source_of(n) == source_name]
    border = data.spec.border
    applied = {id(run): _applied_preprocess(run.model, border) for run in runs}
    prints = {(id(run), s.name): fingerprint(run.model, s, data, applied[id(run)], request.precision, request.tta)
              for run in runs for s in specs}
    todo = []
    for run in runs:
        for spec in specs:
            old = run.previous.get(spec.name)
            if old is not None and old.fingerprint == prints[(id(run), spec.name)]:
                run.results[spec.name] = old
        if any(s.name not in run.results for s in specs):
            todo.append(run)
    if not todo:
        _log.info("%s: kept from the previous run (same weights, preprocessing, precision, test-time augmentation "
                  "and data)", source_name)
        return
    images = data.images
    if source_name not in names:  # only controls wanted: score just their classes' images
        wanted = sorted({i for s in specs for i in labels.subset_indices(s.classes)})
        images = images.subset(np.isin(images.targets, wanted))
    spaces = {s.name: label_space_for(s) for s in specs}
    layouts = [run.channels_last for run in todo]
    all_preds = predict(
        [run.model for run in todo], images, spaces, border=border, batch_size=request.batch_size,
        workers=request.workers, device=request.device, channels_last=layouts if request.channels_last is None
        else request.channels_last, precision=request.precision, cache_dir=request.cache_dir, progress=progress,
        description=source_name, tta=request.tta,
    )
    for run, preds in zip(todo, all_preds):
        run.channels_last = preds.channels_last
        for spec in specs:
            part = preds if spec.parent is None else preds.for_classes(labels.subset_indices(spec.classes), [spec.name])
            if not part.keys:
                reasons = ", ".join(f"{v} {k}" for k, v in part.skipped.items()) or "no images of its classes"
                note = f"no image could be scored ({reasons})"
                if spec.name in explicit:
                    raise DatasetNotFoundError(f"{spec.name}: {note}; check the files in {data.source}")
                missing[spec.name] = note
                continue
            pq_path = predictions_path(run.out, spec.name)
            _write_predictions(pq_path, spec, part)
            run.results[spec.name] = _dataset_result(spec, data, part, pq_path.name, applied[id(run)],
                                                     prints[(id(run), spec.name)])


def run_eval(request: EvalRequest, progress: bool = False, model: LoadedModel | None = None) -> EvalResult:
    """Evaluate one model on the requested datasets; write results JSON and predictions; return the result.

    ``model``: an already loaded classifier (e.g. one just trained) scored instead of loading ``request.model``.
    """
    if len(request.models) != 1:
        raise ModelError(f"run_eval scores one model, {len(request.models)} were given; use run_evals")
    return run_evals(request, progress, None if model is None else [model])[0]


"""One evaluation run: model + datasets -> predictions -> metrics -> results JSON (+ per-image parquet) -> ER.

The results file is rewritten atomically after every dataset with ``complete=False`` and once more
with ``complete=True`` at the end, so an interrupted run never leaves a file that claims to be complete.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from imagenet_g import labels
from imagenet_g.benchmarks import SHIFT_CONTROLS, V2_DEFAULT, Benchmark, check_variant, expand_names, get_benchmark
from imagenet_g.devices import pick_device
from imagenet_g.environment import environment
from imagenet_g.errors import DatasetNotFoundError, ImagenetGError, OutputError, UnknownNameError
from imagenet_g.evaluate import datasets as ds
from imagenet_g.evaluate.harness import Predictions, predict
from imagenet_g.evaluate.metrics import accuracy_from_topk, topk_hits
from imagenet_g.evaluate.models import LoadedModel, load_model
from imagenet_g.files import atomic_path
from imagenet_g.results import DatasetResult, EffectiveRobustness, EvalResult, ModelInfo
from imagenet_g.robustness import BaselinePoints, effective_robustness, load_baselines
from imagenet_g.slugs import slug

# What decides the numbers, recorded in every results file.
ENVIRONMENT_PACKAGES = ("torch", "torchvision", "timm", "open-clip-torch", "datasets", "numpy", "pillow")
ER_AXES = ("linear", "logit")


class EvalRequest(BaseModel):
    """Everything `imagenet-g eval` needs; the CLI builds one of these and calls ``run_eval``."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    model: str = Field(description="timm name, timm/<name>.<tag>, open_clip:<arch>/<tag> or package.module:callable")
    checkpoint: Path | None = Field(default=None, description="local state dict; beats pretrained weights")
    pretrained: bool = True
    datasets: tuple[str, ...] | None = Field(
        default=None, description="names or collections; None = every dataset found (missing ones are skipped)"
    )
    release: str = "v1"
    data_root: Path = Path(".")
    paths: dict[str, str] = Field(default_factory=dict, description="dataset name -> folder or Hub id")
    v2_variant: str = V2_DEFAULT
    batch_size: int = Field(default=64, ge=1)
    device: str = "auto"
    out: Path | None = Field(default=None, description="results JSON; default results/<model>.json")
    workers: int | None = Field(default=None, ge=0, description="decode worker processes; default one per core")
    channels_last: bool = True
    amp: bool | None = Field(default=None, description="float16 autocast; default on for CUDA only")
    preprocess: dict[str, object] = Field(default_factory=dict, description="overrides of the timm data config")
    bootstrap: int = Field(default=1000, ge=0)
    seed: int = 0
    imagenet_g_baselines: BaselinePoints | None = Field(
        default=None, description="standard models' (imagenet, imagenet-g) top-1 for ImageNet-G ER"
    )


def output_path(request: EvalRequest) -> Path:
    """The results file this request writes."""
    return request.out or Path("results") / f"{slug(request.model)}.json"


def _check_writable(path: Path) -> None:
    """Fail before any work if the results file cannot be written."""
    if path.is_dir():
        raise OutputError(f"--out {path} is a folder; give a file path such as {path / 'results.json'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.with_name(f".{path.name}.probe")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write results to {path}: {exc.strerror or exc}; choose another --out") from exc


def _plan(request: EvalRequest) -> tuple[tuple[str, ...], set[str]]:
    """Datasets to run (controls of requested shift sets added) and the explicitly requested ones."""
    for name in request.paths:
        parent = get_benchmark(name).parent
        if parent:
            raise UnknownNameError(f"{name} is scored from {parent}'s images; set --path {parent}=DIR instead")
    check_variant(request.v2_variant)
    pick_device(request.device)
    explicit = set(expand_names(request.datasets)) if request.datasets else set()
    names = list(expand_names(request.datasets or ("all",)))
    for name in list(names):
        control = get_benchmark(name).control
        if control and control not in names:
            names.append(control)
    return tuple(names), explicit


def _find(
    request: EvalRequest, names: tuple[str, ...], explicit: set[str]
) -> tuple[dict[str, ds.LoadedDataset], dict[str, str]]:
    """Locate and scan every dataset; missing explicit ones raise, others are recorded as skipped."""
    loaded: dict[str, ds.LoadedDataset] = {}
    missing: dict[str, str] = {}
    sources = dict.fromkeys(get_benchmark(n).parent or n for n in names)
    for name in sources:
        spec = get_benchmark(name)
        location = ds.locate(spec, request.data_root, request.paths.get(name), request.v2_variant)
        if location is None:
            looked = ", ".join(str(p) for p in ds.candidate_folders(spec, request.data_root, request.v2_variant))
            reason = f"not found (looked in {looked}; set its path with --path {name}=DIR)"
            wanted_by = [n for n in names if (get_benchmark(n).parent or n) == name and n in explicit]
            if wanted_by:
                raise DatasetNotFoundError(f"{', '.join(wanted_by)}: {name} {reason}")
            for n in names:
                if (get_benchmark(n).parent or n) == name:
                    missing[n] = reason if n == name else f"needs {name}, which was {reason}"
            continue
        loaded[name] = ds.load(spec, location, request.release, request.v2_variant)
    return loaded, missing


def _dataset_result(
    spec: Benchmark, data: ds.LoadedDataset, preds: Predictions, predictions_file: str | None
) -> DatasetResult:
    topk, lmap = preds.topk[spec.name], ds.label_map(spec)
    return DatasetResult(
        name=spec.name,
        version=data.version,
        source=data.source,
        checksum=data.checksum,
        classes=spec.classes,
        top1=accuracy_from_topk(topk, preds.targets, 1, lmap),
        top5=accuracy_from_topk(topk, preds.targets, 5, lmap),
        images=len(preds.keys),
        skipped=sum(preds.skipped.values()),
        skipped_reasons=dict(preds.skipped),
        predictions_file=predictions_file,
    )


def write_predictions(path: Path, spec: Benchmark, preds: Predictions) -> None:
    """Per-image predictions as parquet (temp file + rename): key, target, top-5 classes and scores, hits."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    topk, scores, lmap = preds.topk[spec.name], preds.scores[spec.name], ds.label_map(spec)
    k = topk.shape[1]
    table = pa.table({
        "key": pa.array(preds.keys, pa.string()),
        "target": pa.array(preds.targets, pa.int64()),
        "topk": pa.FixedSizeListArray.from_arrays(pa.array(topk.ravel(), pa.int64()), k),
        "topk_scores": pa.FixedSizeListArray.from_arrays(pa.array(scores.ravel(), pa.float32()), k),
        "correct_top1": pa.array(topk_hits(topk, preds.targets, 1, lmap)),
        "correct_top5": pa.array(topk_hits(topk, preds.targets, min(5, k), lmap)),
    })
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


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
        x, y = results[control].top1, results[shift].top1
        try:
            fits = [effective_robustness(x, y, baselines, axis, request.bootstrap, request.seed) for axis in ER_AXES]
        except ImagenetGError as exc:
            skipped[shift] = str(exc)
            continue
        out[shift] = EffectiveRobustness(
            shift=shift, control=control, control_top1=x, shift_top1=y,
            baseline=baselines.source, n_baselines=len(baselines), fits=fits,
        )
    return out, skipped


def _model_info(model: LoadedModel) -> ModelInfo:
    return ModelInfo(
        id=model.id, source=model.source, pretrained=model.pretrained, checkpoint=model.checkpoint,
        weights_sha256=model.weights_sha256, preprocess=model.preprocess_info,
    )


def run_eval(request: EvalRequest, progress: bool = False, model: LoadedModel | None = None) -> EvalResult:
    """Evaluate one model on the requested datasets; write results JSON and predictions; return the result.

    ``model``: an already loaded classifier (e.g. one just trained) scored instead of loading ``request.model``.
    """
    names, explicit = _plan(request)
    out = output_path(request)
    _check_writable(out)
    if model is None:
        model = load_model(request.model, request.pretrained, request.checkpoint, request.preprocess)
    loaded, missing = _find(request, names, explicit)
    device = pick_device(request.device)
    info, env, created = _model_info(model), environment(device, ENVIRONMENT_PACKAGES), datetime.now(timezone.utc)
    results: dict[str, DatasetResult] = {}

    def save(complete: bool, er=None, er_skipped=None) -> EvalResult:
        result = EvalResult(
            model=info, datasets={n: results[n] for n in names if n in results}, effective_robustness=er or {},
            datasets_skipped=dict(missing), effective_robustness_skipped=er_skipped or {},
            environment=env, created=created, complete=complete,
        )
        result.write(out)
        return result

    for source_name, data in loaded.items():
        specs = [get_benchmark(n) for n in names if (get_benchmark(n).parent or n) == source_name]
        images = data.images
        if source_name not in names:  # only controls wanted: score just their classes' images
            wanted = sorted({i for s in specs for i in labels.subset_indices(s.classes)})
            images = images.subset(np.isin(images.targets, wanted))
        heads = {s.name: None if s.classes == "imagenet-1k" else labels.subset_indices(s.classes) for s in specs}
        (preds,) = predict(
            [model], images, heads, border=data.spec.border, batch_size=request.batch_size, workers=request.workers,
            device=request.device, channels_last=request.channels_last, amp=request.amp, progress=progress,
            description=source_name,
        )
        for spec in specs:
            part = preds if spec.parent is None else preds.for_classes(labels.subset_indices(spec.classes), [spec.name])
            pq_path = out.with_name(f"{out.stem}.{spec.name}.parquet")
            write_predictions(pq_path, spec, part)
            results[spec.name] = _dataset_result(spec, data, part, pq_path.name)
        save(complete=False)
    if not results:
        raise DatasetNotFoundError(
            f"no dataset found under {request.data_root}; "
            "run `imagenet-g data --data-root DIR` to see where each is looked for"
        )
    er, er_skipped = _effective_robustness(request, results)
    return save(complete=True, er=er, er_skipped=er_skipped)

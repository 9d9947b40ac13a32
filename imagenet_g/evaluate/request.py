"""What an evaluation is asked to do (``EvalRequest``) and the check of every argument in it before any work
(``check_eval_request``): this module imports no torch, so a wrong argument is one line at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from imagenet_g.benchmarks import V2_DEFAULT, check_variant, expand_names, get_benchmark
from imagenet_g.checks import MAX_BATCH, check_file, check_folder, check_workers
from imagenet_g.devices import check_device
from imagenet_g.errors import ArgumentError, DatasetNotFoundError, OutputError, UnknownNameError, unknown
from imagenet_g.evaluate.models import LOADERS, check_model_id
from imagenet_g.evaluate.preprocess import check_overrides
from imagenet_g.evaluate.results_files import check_outputs
from imagenet_g.images import Location, check_cache_dir, check_release_built, is_hub_id, locate, not_found
from imagenet_g.layout import DEFAULT_RELEASE
from imagenet_g.outputs import RequestPath
from imagenet_g.results import PRECISIONS, TTAS, Precision, Tta
from imagenet_g.robustness import MAX_BOOTSTRAP, BaselinePoints
from imagenet_g.slugs import slug
from imagenet_g.strict import StrictRequest


def check_precision(precision: str) -> Precision:
    """Validate a precision name."""
    if precision not in PRECISIONS:
        raise unknown("precision", precision, PRECISIONS, fix="choose fp32 (validate.py's default) or amp")
    return precision  # type: ignore[return-value]


def check_tta(tta: str) -> Tta:
    """Validate a test-time augmentation name."""
    if tta not in TTAS:
        raise unknown("test-time augmentation", tta, TTAS,
                      fix="choose none, or flip (the image and its horizontal flip, logits summed)")
    return tta  # type: ignore[return-value]


class EvalRequest(StrictRequest):
    """Everything `imagenet-g eval` needs; the CLI builds one of these and calls ``run_evals``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Any = Field(description="a model id (timm name, timm/<name>.<tag>, open_clip:<arch>/<tag>, "
                                   "package.module:callable), a torch.nn.Module, or a list of these")
    name: str | None = Field(default=None, description="the id of a torch.nn.Module given as model")
    transform: Callable | None = Field(default=None, description="PIL image -> float tensor, for your own module")
    checkpoint: Path | None = Field(default=None, description="local state dict; beats pretrained weights")
    pretrained: bool = True
    datasets: tuple[str, ...] | None = Field(
        default=None, description="names or collections; None = every dataset found (missing ones are skipped)"
    )
    release: str = DEFAULT_RELEASE
    data_root: Path = Path(".")
    paths: dict[str, str] = Field(default_factory=dict, description="dataset name -> folder or Hub id")
    v2_variant: str = V2_DEFAULT
    batch_size: int = Field(default=64, ge=1, le=MAX_BATCH)
    device: str = "auto"
    out: RequestPath | None = Field(default=None,
                                    description="results JSON of a single model; default out_dir/<model>.json")
    out_dir: RequestPath = Field(default=Path("results"), description="folder of the results files (one per model)")
    workers: int | None = Field(default=None, ge=0,
                                description="worker processes: decode, and on CPU also run the models; default one per core")
    channels_last: bool | None = Field(default=None, description="None: timed per model on the device, faster wins")
    precision: Precision = Field(default="fp32", description="fp32 as validate.py, or float16 autocast")
    tta: Tta = Field(default="none", description="test-time augmentation: flip sums the logits of each image and its "
                                                 "horizontal flip (the paper's code)")
    preprocess: dict[str, object] = Field(default_factory=dict, description="overrides of the timm data config")
    cache_dir: Path | None = Field(default=None, description="persistent pixel cache (and zero-shot heads)")
    force: bool = Field(default=False, description="rescore datasets a previous run already completed")
    bootstrap: int = Field(default=1000, ge=0, le=MAX_BOOTSTRAP)
    seed: int = 0
    imagenet_g_baselines: BaselinePoints | None = Field(
        default=None, description="standard models' (imagenet, imagenet-g) top-1 for ImageNet-G ER"
    )

    @field_validator("model")
    @classmethod
    def _models_given(cls, value):
        items = value if isinstance(value, (list, tuple)) else [value]
        if not items:
            raise ValueError("give at least one model")
        return tuple(items) if isinstance(value, (list, tuple)) else value

    @field_validator("precision", mode="before")
    @classmethod
    def _known_precision(cls, value):
        return check_precision(value)  # an UnknownNameError with close matches, not pydantic's literal message

    @field_validator("tta", mode="before")
    @classmethod
    def _known_tta(cls, value):
        return check_tta(value)

    @property
    def models(self) -> tuple:
        """The model ids and modules to score, in order."""
        return self.model if isinstance(self.model, tuple) else (self.model,)


def check_eval_request(request: EvalRequest, *, models: bool = True, datasets: bool = True) -> EvalRequest:
    """Every argument of ``request`` that can be checked without torch or reading an image: model ids against
    timm's and open_clip's names and the checkpoint file (``models=False``: the request's models are not loaded, the
    caller scores its own), dataset names, each dataset path (a folder here or a Hub id), the data root, the device's
    name, worker count, preprocessing overrides, the cache folder; then, reading files but creating none, what the run
    would write (``check_eval_outputs``, with the request's models only: a caller scoring its own writes its own),
    and that each dataset named is found and a local ImageNet-G folder holds the release (``check_datasets_found``;
    ``datasets=False``: left to the run, which checks its request again before loading a model). Returns the
    request."""
    if models:
        ids = [check_model_id(model) for model in request.models if isinstance(model, str)]
        # a model source other packages declare checks the weights it is given itself, naming the model id
        if request.checkpoint is not None and all(mid.source in LOADERS for mid in ids):
            check_file(request.checkpoint, "checkpoint")
    if request.datasets is not None:
        if not request.datasets:
            raise ArgumentError("no dataset named", "set {datasets} to names or collections, e.g. imagenet,natural-shift")
        expand_names(request.datasets)
    check_dataset_paths(request.paths)
    check_folder(request.data_root, "data_root")
    check_variant(request.v2_variant)
    check_device(request.device)
    check_workers(request.workers)
    check_overrides(request.preprocess)
    check_cache_dir(request.cache_dir)
    if models:
        check_eval_outputs(request)
    if datasets:
        check_datasets_found(request)
    return request


def planned_datasets(request: EvalRequest) -> tuple[tuple[str, ...], set[str]]:
    """Datasets to run (controls of requested shift sets added) and the explicitly requested ones."""
    explicit = set(expand_names(request.datasets)) if request.datasets else set()
    names = list(expand_names(request.datasets or ("all",)))
    for name in list(names):
        control = get_benchmark(name).control
        if control and control not in names:
            names.append(control)
    return tuple(names), explicit


def source_of(name: str) -> str:
    """The dataset whose images ``name`` is scored from: its parent (a control drawn from ImageNet val), or itself."""
    return get_benchmark(name).parent or name


def locate_source(request: EvalRequest, name: str, wanted_by: list[str]) -> Location | None:
    """Where the images of dataset ``name`` are (``imagenet_g.images.locate``); None where they are not found, an
    error when the datasets ``wanted_by`` drawn from them were named in the request."""
    spec = get_benchmark(name)
    location = locate(spec, request.data_root, request.paths.get(name), request.v2_variant)
    if location is None and wanted_by:
        raise DatasetNotFoundError(f"{', '.join(wanted_by)}: {name} {not_found(spec, request.data_root, request.v2_variant)}")
    return location


def check_datasets_found(request: EvalRequest, every: bool = False) -> None:
    """Before any work, from the file system alone: each dataset named in the request is found, and an ImageNet-G
    folder named holds the release (datasets not named, "all that are found", are looked for by the run; with
    ``every``, a local ImageNet-G folder found is also checked for the release when no dataset is named)."""
    explicit = expand_names(request.datasets) if request.datasets else ()
    for name in dict.fromkeys(source_of(n) for n in explicit):
        location = locate_source(request, name, [n for n in explicit if source_of(n) == name])
        if location is not None and location.kind == "folder" and get_benchmark(name).layout == "release":
            check_release_built(location, request.release)
    if every and not explicit:
        spec = next(s for s in map(get_benchmark, expand_names(("all",))) if s.layout == "release")
        location = locate(spec, request.data_root, request.paths.get(spec.name), request.v2_variant)
        if location is not None and location.kind == "folder":
            check_release_built(location, request.release)


def check_dataset_paths(paths: dict[str, str]) -> None:
    """``--path NAME=WHERE`` values: a registered dataset that has its own images (a control is scored from its
    parent's), at a folder that exists here or a Hub id."""
    for name, where in paths.items():
        parent = get_benchmark(name).parent
        if parent:
            raise UnknownNameError(f"{name} is scored from {parent}'s images", f"set {{paths={parent}=DIR}} instead")
        if Path(where).is_file():
            raise DatasetNotFoundError(f"{name} path {where!r} is a file, not a folder", f"set {{paths={name}=DIR}}")
        if not Path(where).exists() and not is_hub_id(where):  # as imagenet_g.images.locate reads it
            raise DatasetNotFoundError(f"{name} path {where!r} does not exist and is not a Hub id like ORG/NAME",
                                       f"set {{paths={name}=DIR}}")


def _model_name(model) -> str:
    return model if isinstance(model, str) else type(model).__name__


def output_paths(request: EvalRequest) -> tuple[Path, ...]:
    """The results file of each model of the request, in order."""
    models = request.models
    if request.out is not None:
        if len(models) > 1:
            raise OutputError(f"out names one results file, but {len(models)} models were given; "
                              "give a folder (out_dir) instead, one file per model is written there")
        return (request.out,)
    names = [request.name if request.name and not isinstance(m, str) else _model_name(m) for m in models]
    paths = tuple(request.out_dir / f"{slug(n)}.json" for n in names)
    if len(set(paths)) != len(paths):
        raise OutputError(f"two models would write the same results file in {request.out_dir}: "
                          f"{', '.join(names)}; give each model once")
    return paths


def check_eval_outputs(request: EvalRequest) -> None:
    """What the request would write: ``out_dir`` (when it is used) is a folder or nothing yet, and each results file
    and the files beside it are absent or ours (``results_files.check_outputs``). Creates nothing."""
    param = "out" if request.out is not None else "out_dir"
    if request.out is None:
        check_folder(request.out_dir, "out_dir", must_exist=False)
    check_outputs(output_paths(request), planned_datasets(request)[0], param)

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
from imagenet_g.errors import ArgumentError, DatasetNotFoundError, UnknownNameError, unknown
from imagenet_g.evaluate.models import LOADERS, check_model_id
from imagenet_g.evaluate.preprocess import check_overrides
from imagenet_g.images import check_cache_dir, is_hub_id
from imagenet_g.layout import DEFAULT_RELEASE
from imagenet_g.outputs import RequestPath
from imagenet_g.results import PRECISIONS, TTAS, Precision, Tta
from imagenet_g.robustness import MAX_BOOTSTRAP, BaselinePoints
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


def check_eval_request(request: EvalRequest, *, models: bool = True) -> EvalRequest:
    """Every argument of ``request`` that can be checked without torch or reading an image: model ids against
    timm's and open_clip's names and the checkpoint file (``models=False``: the request's models are not loaded, the
    caller scores its own), dataset names, each dataset path (a folder here or a Hub id), the data root, the device's
    name, worker count, preprocessing overrides, the cache folder. Returns the request."""
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
    return request


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

"""What `imagenet-g sweep` is asked to do (``SweepRequest``) and the check of every argument in it before any work
(``check_sweep_request``): this module imports no torch, so a wrong argument is one line at once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from imagenet_g.benchmarks import V2_DEFAULT
from imagenet_g.checks import MAX_BATCH
from imagenet_g.errors import ArgumentError, unknown
from imagenet_g.evaluate import EvalRequest, check_datasets_found, check_eval_request, check_precision
from imagenet_g.job_array import Share
from imagenet_g.layout import DEFAULT_RELEASE
from imagenet_g.outputs import RequestPath
from imagenet_g.results import Precision
from imagenet_g.robustness import MAX_BOOTSTRAP
from imagenet_g.strict import StrictRequest
from imagenet_g.sweep.folder import check_sweep_folder
from imagenet_g.sweep.model_sets import MODEL_SETS, ModelEntry, check_entries, model_file, read_model_file
from imagenet_g.sweep.selection import check_selection, filter_models, keep_some

Executor = Literal["local", "ray"]
EXECUTORS: tuple[str, ...] = Executor.__args__
# models held in memory at once: enough to share a pass over the images, few enough that memory stays flat
DEFAULT_GROUP_SIZE = 4
# A group's models are in memory together and its pass decodes each image once for all of them: past a few dozen the
# pass saves nothing more, while memory keeps growing with every model.
_MAX_GROUP_SIZE = 256
# A task scores on one device (eval runs a group on one), so a task reserving more than one GPU leaves the rest idle.
_MAX_GPUS_PER_TASK = 1.0


class SweepRequest(StrictRequest):
    """A model set scored on a release and the shift sets, into one folder (see ``run_sweep``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    models: Any = Field(description="a model set's name, a model file, or a sequence of ModelEntry")
    out_dir: RequestPath = Field(description="the sweep's folder: one results file per model, the summary, its marker")
    release: str = DEFAULT_RELEASE
    datasets: tuple[str, ...] | None = Field(
        default=None, description="names or collections; None = every dataset found (missing ones are skipped)")
    data_root: RequestPath = Path(".")
    paths: dict[str, str] = Field(default_factory=dict, description="dataset name -> folder or Hub id")
    v2_variant: str = V2_DEFAULT
    pretrained: bool = True
    device: str = "auto"
    batch_size: int = Field(default=64, ge=1, le=MAX_BATCH)
    workers: int | None = Field(default=None, ge=0, description="decoding worker processes; default one per core")
    precision: Precision = "fp32"
    channels_last: bool | None = Field(default=None, description="None: timed per model on the device, faster wins")
    cache_dir: RequestPath | None = Field(default=None, description="persistent pixel cache shared by every group")
    include: tuple[str, ...] = Field(default=(), description="fnmatch patterns: only the model ids matching one")
    exclude: tuple[str, ...] = Field(default=(), description="fnmatch patterns: the model ids to leave out")
    max_params: float | None = Field(default=None, description="only models of at most this many million parameters")
    group_size: int = Field(default=DEFAULT_GROUP_SIZE, ge=1, le=_MAX_GROUP_SIZE,
                            description="models in memory (and one pass) at once")
    force: bool = Field(default=False, description="rescore every model, complete or failed")
    retry_failed: bool = Field(default=False, description="score the models an earlier run recorded as failed")
    executor: Executor = "local"
    address: str | None = Field(default=None, description="ray: auto, HOST:PORT, or None to start Ray here")
    gpus_per_task: float | None = Field(default=None, ge=0, le=_MAX_GPUS_PER_TASK,
                                        description="ray: GPUs per task; None: 1 on CUDA")
    job_index: int | None = Field(default=None, description="job array: this job's index (0-based)")
    num_jobs: int | None = Field(default=None, description="job array: the number of jobs")
    bootstrap: int = Field(default=1000, ge=0, le=MAX_BOOTSTRAP)

    @field_validator("precision", mode="before")
    @classmethod
    def _known_precision(cls, value):
        return check_precision(value)  # close matches, not pydantic's literal message

    @field_validator("executor", mode="before")
    @classmethod
    def _known_executor(cls, value):
        if value not in EXECUTORS:
            raise unknown("executor", value, EXECUTORS, param="executor")
        return value

    @property
    def share(self) -> Share | None:
        """This job's share of a job array; None when the request is not one job of an array."""
        return None if self.job_index is None else Share(self.job_index, self.num_jobs)  # type: ignore[arg-type]


def check_sweep_request(request: SweepRequest) -> tuple[ModelEntry, ...] | None:
    """Every argument of ``request`` that can be checked without torch or reading an image: the models (see
    ``_check_models``), what eval is asked (``check_eval_request``: dataset names and paths, the data root, the
    device's name, worker count, the cache folder), the executor's options, the job array's numbers, the sweep
    folder (new, empty, or this release's), and the datasets (``check_datasets_found``: each one named is found, a
    local ImageNet-G folder found holds the release). Returns the models when they are known without a model library (a model
    file, or entries given; after the id filters), else None (a named set, listed when the sweep runs)."""
    entries = _check_models(request.models, request.include, request.exclude, request.max_params)
    ids = [e.id for e in entries] if entries is not None else [str(request.models)]
    asked = check_eval_request(eval_request(request, ids, request.force), models=False, datasets=False)  # models: above
    _check_executor(request)
    if entries is not None and request.share is not None and request.max_params is None:  # a budget counts later
        request.share.check(_planned_groups(entries, request.group_size), "model groups")
    check_sweep_folder(request.out_dir, request.release)
    check_datasets_found(asked, every=True)
    return entries


def eval_request(request: SweepRequest, ids: Sequence[str], force: bool) -> EvalRequest:
    """What eval is asked to score a group of the sweep's models with (``ids``: the group's, in order)."""
    return EvalRequest(
        model=list(ids) if len(ids) > 1 else ids[0], pretrained=request.pretrained, datasets=request.datasets,
        release=request.release, data_root=request.data_root, paths=request.paths, v2_variant=request.v2_variant,
        batch_size=request.batch_size, device=request.device, out_dir=request.out_dir, workers=request.workers,
        precision=request.precision, channels_last=request.channels_last, cache_dir=request.cache_dir, force=force,
        bootstrap=request.bootstrap,
    )


def _check_models(models: object, include: Sequence[str] = (), exclude: Sequence[str] = (),
                 max_params: float | None = None) -> tuple[ModelEntry, ...] | None:
    """The filters (``selection.check_selection``) and the models: a set's name (None: its models are listed when
    the sweep runs), else the entries of a model file or the entries given, each id checked (``check_entries``),
    those the id patterns keep (at least one; a parameter budget is applied when the sweep runs)."""
    check_selection(include, exclude, max_params)
    if isinstance(models, (str, Path)):
        if str(models) in MODEL_SETS:
            return None
        entries = read_model_file(model_file(models))
    else:
        entries = tuple(models) if isinstance(models, (list, tuple)) else ()
        if not entries or not all(isinstance(e, ModelEntry) for e in entries):
            raise ArgumentError("models must be a model set's name, a model file, or ModelEntry values",
                                "give {models} as one of these")
    check_entries(entries)
    return keep_some(filter_models(entries, include, exclude), models)


def _planned_groups(entries: tuple[ModelEntry, ...], group_size: int) -> int:
    """How many groups the sweep of ``entries`` is cut into (``plan.plan_groups`` cuts them)."""
    available = sum(e.available for e in entries)
    return -(-available // group_size)


def _check_executor(request: SweepRequest) -> None:
    if request.executor != "ray" and (request.address is not None or request.gpus_per_task is not None):
        raise ArgumentError("an address and GPUs per task apply to the ray executor", "set {executor=ray}")
    if (request.job_index is None) != (request.num_jobs is None):
        raise ArgumentError("a job array needs both the job's index and the number of jobs",
                            "give {job_index} and {num_jobs} together")
    if request.share is None:
        return
    if request.executor == "ray":
        raise ArgumentError("a job array runs each job's share locally; Ray schedules the whole sweep itself",
                            "use {executor=local} with {job_index}, or leave the job array out with Ray")
    request.share.check()

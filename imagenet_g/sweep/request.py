"""What `imagenet-g sweep` is asked to do: one typed request, built by the CLI or from Python."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imagenet_g.benchmarks import V2_DEFAULT

Executor = Literal["local", "ray"]
EXECUTORS: tuple[str, ...] = Executor.__args__
# models held in memory at once: enough to share a pass over the images, few enough that memory stays flat
DEFAULT_GROUP_SIZE = 4


class SweepRequest(BaseModel):
    """A model set scored on a release and the shift sets, into one folder (see ``run_sweep``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    models: Any = Field(description="a model set's name, a model file, or a sequence of ModelEntry")
    out_dir: Path = Field(description="the sweep's folder: one results file per model, the summary, its marker")
    release: str = "v1"
    datasets: tuple[str, ...] | None = Field(
        default=None, description="names or collections; None = every dataset found (missing ones are skipped)")
    data_root: Path = Path(".")
    paths: dict[str, str] = Field(default_factory=dict, description="dataset name -> folder or Hub id")
    v2_variant: str = V2_DEFAULT
    pretrained: bool = True
    device: str = "auto"
    batch_size: int = Field(default=64, ge=1)
    workers: int | None = Field(default=None, ge=0, description="decoding worker processes; default one per core")
    precision: Literal["fp32", "amp"] = "fp32"
    channels_last: bool | None = Field(default=None, description="None: timed per model on the device, faster wins")
    cache_dir: Path | None = Field(default=None, description="persistent pixel cache shared by every group")
    group_size: int = Field(default=DEFAULT_GROUP_SIZE, ge=1, description="models in memory (and one pass) at once")
    force: bool = Field(default=False, description="rescore every model, complete or failed")
    retry_failed: bool = Field(default=False, description="score the models an earlier run recorded as failed")
    executor: Executor = "local"
    address: str | None = Field(default=None, description="ray: auto, HOST:PORT, or None to start Ray here")
    gpus_per_task: float | None = Field(default=None, ge=0, description="ray: GPUs per task; None: 1 on CUDA")
    job_index: int | None = Field(default=None, description="job array: this job's index (0-based)")
    num_jobs: int | None = Field(default=None, description="job array: the number of jobs")
    bootstrap: int = Field(default=1000, ge=0)

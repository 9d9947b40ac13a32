"""Running a build: the executor protocol and the local executor (``executor.py``), the Ray executor
(``ray_executor.py``), executors by name (``registry.py``), job arrays and their finalize step (``jobs.py``) and the
batch-size probe (``batching.py``).

The top stage (spec < store < generate < publish < run); ``imagenet_g.release.builder`` drives it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.release.run.batching import AUTO, BatchSize, resolve_batch_size
    from imagenet_g.release.run.executor import Executor, WrittenShard
    from imagenet_g.release.run.jobs import (
        JOBS_DIR,
        FinalizeReport,
        Share,
        finalize_if_complete,
        finalize_release,
        read_job_record,
        write_job_record,
    )
    from imagenet_g.release.run.ray_executor import RayExecutor, RayOptions
    from imagenet_g.release.run.registry import check_executor, get_executor

_HOMES = {
    "AUTO": "batching",
    "BatchSize": "batching",
    "resolve_batch_size": "batching",
    "Executor": "executor",
    "WrittenShard": "executor",
    "JOBS_DIR": "jobs",
    "FinalizeReport": "jobs",
    "Share": "jobs",
    "finalize_if_complete": "jobs",
    "finalize_release": "jobs",
    "read_job_record": "jobs",
    "write_job_record": "jobs",
    "RayExecutor": "ray_executor",
    "RayOptions": "ray_executor",
    "check_executor": "registry",
    "get_executor": "registry",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

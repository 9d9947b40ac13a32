"""The ``ray`` executor of a sweep: one Ray task per model group, each running ``score_group`` on a worker.

Tasks write into the sweep folder themselves, exactly as the local executor does (so the folder, and the datasets,
must be on a filesystem every node sees, as for a job array). A worker that dies mid-task is Ray's to retry
(``max_retries``): the retry resumes from the datasets the dead worker completed. A driver that dies takes its
tasks with it; rerunning the sweep resumes from what they recorded.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path

from imagenet_g.errors import ClusterError, ImagenetGError
from imagenet_g.ray_cluster import connect, first_time, require_ray
from imagenet_g.sweep.folder import ModelRecord
from imagenet_g.sweep.score import GroupTask, score_group

_MAX_RETRIES = 3  # a group whose worker dies is run again this many times before the sweep gives up
_WAIT_S = 1.0


def _score_on_worker(task: GroupTask, crash_once: tuple[str, str] | None) -> list[ModelRecord]:
    from imagenet_g.progress import quiet_model_libraries

    quiet_model_libraries()
    if crash_once is not None and task.entries[0].id == crash_once[0] and first_time(Path(crash_once[1])):
        os.kill(os.getpid(), signal.SIGKILL)  # testing hook: the worker dies mid-task, exactly once
    # Ray exposes a task's GPUs as CUDA_VISIBLE_DEVICES, so the driver's cuda:N is cuda here.
    device = "cuda" if task.device.startswith("cuda") else task.device
    return score_group(GroupTask(task.request, task.entries, device, task.threads))


def run_on_ray(tasks: Sequence[GroupTask], address: str | None, gpus_per_task: float | None,
               crash_once: tuple[str, Path] | None = None) -> Iterator[list[ModelRecord]]:
    """Run every task as a Ray task; yields each group's records as it finishes.

    ``gpus_per_task``: None means 1 when scoring on CUDA, else 0. Each task reserves one CPU per decoding worker
    it starts (at least one). ``crash_once=(model id, marker)``: testing hook, the worker that starts the group
    led by that model first is killed.
    """
    ray = require_ray()
    if not tasks:
        return
    started = connect(address)
    pending: list = []
    try:
        device = tasks[0].device
        gpus = gpus_per_task if gpus_per_task is not None else (1.0 if device.startswith("cuda") else 0.0)
        have = ray.cluster_resources().get("GPU", 0.0)
        if gpus > have:
            raise ClusterError(f"the Ray cluster has {have:g} GPUs, a task needs {gpus:g}",
                               "add GPU nodes, or set {gpus_per_task} lower")
        cpus = max(1, tasks[0].request.workers or 1)
        remote = ray.remote(_score_on_worker).options(num_cpus=cpus, num_gpus=gpus, max_retries=_MAX_RETRIES,
                                                      retry_exceptions=False)
        hook = (crash_once[0], str(crash_once[1])) if crash_once else None
        pending = [remote.remote(task, hook) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=_WAIT_S)
            for ref in done:
                yield _get(ray, ref)
    finally:
        # only the unfinished ones: cancelling a finished task that Ray had retried after its worker died can abort
        # the driver (Ray's task manager fails a check, 'Tried to complete task that was not pending')
        for ref in pending:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


def _get(ray, ref) -> list[ModelRecord]:
    """A finished task's records; errors of ours surface as themselves, dead workers as ClusterError."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, (ImagenetGError, KeyboardInterrupt)):
            raise exc.cause from None
        raise
    except ray.exceptions.WorkerCrashedError:
        raise ClusterError(
            f"a Ray worker died and {_MAX_RETRIES} retries did not finish its model group; the models already "
            "recorded are kept: fix the cause (worker logs: /tmp/ray/session_latest/logs) and rerun to resume"
        ) from None

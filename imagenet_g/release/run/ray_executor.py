"""The ``ray`` executor: a pool of Ray actors, each loading the pipeline once and generating whole shards.

Scheduling, retries and restarts are Ray's own: ``ray.util.ActorPool`` hands the next shard to whichever actor
is free, and actors are created with ``max_restarts`` / ``max_task_retries``, so when a worker process dies Ray
starts a fresh one (on any node with room) and runs the interrupted shard again there. Workers only generate:
each returns its shard as an arrow table, and the driver writes it (atomically, exactly once, under an
exclusive claim the builder took), checksums it, and the builder records it in the manifest.

Bytes match the local executor's because the settings that decide them travel in the ``ShardTask``: batch size,
device kind, fast path, and the torch thread count (each worker reserves that many CPUs from Ray). An auto batch
size is probed once, by the first worker on its GPU, and sent with every shard, so a restarted worker uses it too.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from imagenet_g.checks import MAX_RAY_WORKERS, check_range
from imagenet_g.errors import ClusterError, ImagenetGError
from imagenet_g.progress import quiet_model_libraries
from imagenet_g.ray_cluster import CONNECT_TIMEOUT_S, connect, first_time, require_ray
from imagenet_g.release.generate import ShardTask, generate_shard
from imagenet_g.release.run.executor import Advance, WrittenShard, load_task_generator, sized
from imagenet_g.release.spec import ShardPlan
from imagenet_g.release.store import write_shard

_PROGRESS_S = 1.0  # how often the driver collects the workers' progress while waiting for a shard


@dataclass(frozen=True)
class RayOptions:
    """Where the cluster is and how to carve it into workers.

    ``address``: None starts a local Ray runtime (or joins ``$RAY_ADDRESS``); ``auto`` joins the cluster started
    on this node with ``ray start``; ``HOST:PORT`` (or ``ray://HOST:PORT``) joins that head node.
    ``workers``: None uses every GPU (``gpus_per_worker`` each) or, on CPU, every CPU (``threads`` each); at most
    ``MAX_RAY_WORKERS`` (checked here, before Ray starts), and never more than the shards to build.
    ``gpus_per_worker``: None means 1 when building on CUDA, else 0. Each worker also reserves the build's
    ``threads`` CPUs.
    ``max_restarts``: how often a dead worker is replaced (and its shard retried) before the build gives up.
    """

    address: str | None = None
    workers: int | None = None
    gpus_per_worker: float | None = None
    max_restarts: int = 3
    connect_timeout_s: float = CONNECT_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.workers is not None:
            check_range(self.workers, "ray_workers", 1, MAX_RAY_WORKERS, "Ray workers, each loading a pipeline")


def _plan_workers(
    options: RayOptions, resources: dict[str, float], device: str, threads: int, shards: int
) -> tuple[int, float]:
    """(workers, GPUs per worker) for this cluster; raises when it cannot host even what was asked for."""
    gpus = options.gpus_per_worker if options.gpus_per_worker is not None else (1.0 if device != "cpu" else 0.0)
    have_gpus, have_cpus = resources.get("GPU", 0.0), resources.get("CPU", 0.0)
    if gpus > 0 and have_gpus < gpus:
        raise ClusterError(
            f"the Ray cluster has {have_gpus:g} GPUs, a worker needs {gpus:g}", "add GPU nodes or set {device=cpu}"
        )
    fit = int(have_gpus // gpus) if gpus > 0 else int(have_cpus // threads)
    workers = options.workers if options.workers is not None else max(1, fit)
    if options.workers is not None and workers > fit:
        need = f"{gpus:g} GPU" if gpus > 0 else f"{threads} CPU"
        raise ClusterError(
            f"{workers} Ray workers need {need} each, but the Ray cluster fits {fit}",
            "ask for fewer Ray workers or add nodes"
        )
    return max(1, min(workers, shards)), gpus


class _ProgressBoard:
    """A small Ray actor counting the images each shard has finished, whichever worker (or retry) did them."""

    def __init__(self) -> None:
        self.done: dict[str, int] = {}

    def report(self, shard: str, images: int) -> None:
        self.done[shard] = max(self.done.get(shard, 0), images)  # a retried shard counts from 0 again

    def total(self) -> int:
        return sum(self.done.values())


class _ShardWorker:
    """One Ray actor: loads the pipeline once, then generates whole shards (returned as arrow tables)."""

    def __init__(self, task: ShardTask, board: str) -> None:
        quiet_model_libraries()
        # Ray exposes the actor's GPUs as CUDA_VISIBLE_DEVICES, so the driver's cuda:N is cuda here.
        device = "cuda" if task.device.startswith("cuda") else task.device
        self.task = task
        # Looked up by name: an actor handle among the constructor arguments would pin them in the object
        # store, which Ray warns makes restarts fragile (ray-project/ray#53727).
        self.board = require_ray().get_actor(board)
        self.generator = load_task_generator(task, device)

    def probe(self) -> int:
        """The largest batch this worker's device holds: the build's auto batch size."""
        return sized(self.task, self.generator).batch_size

    def generate(self, shard: ShardPlan, batch_size: int, crash_once: tuple[str, str] | None = None) -> tuple[str, Any]:
        """(shard file name, its rows generated at ``batch_size`` as an arrow table); reports each finished
        batch to the board."""
        if crash_once is not None and shard.filename == crash_once[0] and first_time(Path(crash_once[1])):
            os.kill(os.getpid(), signal.SIGKILL)  # testing hook: killed mid-shard, exactly once
        done = 0

        def advance(images: int) -> None:
            nonlocal done
            done += images
            self.board.report.remote(shard.filename, done)

        task = replace(self.task, batch_size=batch_size)
        return shard.filename, generate_shard(task, shard, self.generator, advance)


@cache
def _remote_classes() -> tuple[Any, Any]:
    ray = require_ray()
    return ray.remote(_ShardWorker), ray.remote(num_cpus=0)(_ProgressBoard)


class RayExecutor:
    """Builds shards on a Ray cluster; see the module docstring."""

    name = "ray"

    def __init__(self, options: RayOptions | None = None, crash_once: tuple[str, Path] | None = None) -> None:
        """``crash_once=(shard file, marker)``: testing hook, the worker that starts that shard first exits."""
        require_ray()  # fail before the build touches anything
        self.options = options or RayOptions()
        self.crash_once = (crash_once[0], str(crash_once[1])) if crash_once else None

    def run(self, task: ShardTask, shards: Sequence[ShardPlan], advance: Advance) -> Iterator[WrittenShard]:
        if not shards:
            return
        ray = require_ray()
        from ray.util import ActorPool

        started = connect(self.options.address, self.options.connect_timeout_s)
        actors: list[Any] = []
        try:
            count, gpus = _plan_workers(self.options, ray.cluster_resources(), task.device, task.threads, len(shards))
            restarts = self.options.max_restarts
            worker_class, board_class = _remote_classes()
            board_name = f"imagenet-g-progress-{uuid.uuid4().hex}"
            board = board_class.options(name=board_name).remote()
            worker = worker_class.options(
                num_cpus=task.threads,
                num_gpus=gpus,
                max_restarts=restarts,
                max_task_retries=restarts,
            )
            actors = [board] + [worker.remote(task, board_name) for _ in range(count)]
            batch_size = task.batch_size or ray.get(actors[1].probe.remote())
            pool = ActorPool(actors[1:])
            for shard in shards:
                pool.submit(lambda actor, s: actor.generate.remote(s, batch_size, self.crash_once), shard)
            by_name = {s.filename: s for s in shards}
            shown = 0
            while pool.has_next():
                finished = _result(ray, pool, restarts)
                total = ray.get(board.total.remote())
                advance(total - shown)
                shown = total
                if finished is None:
                    continue
                filename, table = finished
                yield WrittenShard(write_shard(table, task.version_dir, by_name[filename]), batch_size)
            advance(sum(len(s.rows) for s in shards) - shown)
        finally:
            for actor in actors:
                ray.kill(actor)
            if started:
                ray.shutdown()


def _result(ray: Any, pool: Any, restarts: int) -> Any:
    """The next finished shard, or None after ``_PROGRESS_S`` without one (time to redraw the progress bar).

    Worker errors of ours surface as themselves, dead workers as ClusterError.
    """
    try:
        return pool.get_next_unordered(timeout=_PROGRESS_S)
    except TimeoutError:
        return None
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, ImagenetGError):
            raise exc.cause from None
        raise
    except ray.exceptions.ActorDiedError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClusterError(
            f"a Ray worker died ({first}) and up to {restarts} restarts did not finish its shard; the shards "
            "already written are kept: fix the cause (worker logs: /tmp/ray/session_latest/logs) and rerun to resume"
        ) from None


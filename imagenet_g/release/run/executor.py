"""Executors run shard generation. ``local`` runs in this process; others (Ray) plug in the same way.

An executor receives a picklable ``ShardTask`` and the shards still to do, and yields a ``ShardRecord``
for each shard once it is written under its final name (in any order). The builder claims every shard before
the executor starts and records each one in the manifest as it arrives, so an interrupted build keeps
everything that was yielded; executors take no claims of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from imagenet_g.release.generate import LoadedGenerator, ShardTask, apply_fast_path, generate_shard, load_generator
from imagenet_g.release.spec import ShardPlan
from imagenet_g.release.store import ShardRecord, write_shard

Advance = Callable[[int], None]


class Executor(Protocol):
    """Builds shards and yields their records as they complete."""

    name: str

    def run(self, task: ShardTask, shards: Sequence[ShardPlan], advance: Advance) -> Iterator[ShardRecord]:
        """Generate and write every shard in ``shards``; call ``advance(n)`` as images are done."""
        ...


def load_task_generator(task: ShardTask, device: str | None = None) -> LoadedGenerator:
    """The task's pipeline on ``device`` (default: the task's), with the task's fast-path settings applied."""
    generator = load_generator(task.spec.generator, task.model, device or task.device, task.spec.conditioning.kind)
    return apply_fast_path(generator, task.fast_path)


def build_shard(task: ShardTask, shard: ShardPlan, generator: LoadedGenerator, advance: Advance) -> ShardRecord:
    """Generate one whole shard and write it atomically: the unit of work of every executor."""
    table = generate_shard(task, shard, generator, advance)
    return write_shard(table, task.version_dir, shard)


class LocalExecutor:
    """Runs every shard in this process, loading the pipeline once."""

    name = "local"

    def run(self, task: ShardTask, shards: Sequence[ShardPlan], advance: Advance) -> Iterator[ShardRecord]:
        generator = load_task_generator(task)
        # The writer (parquet, sha256) works on its own thread while the next shard is generated. A shard's
        # record is handed out before the next write starts, so an interrupted build has on disk exactly the
        # shards it recorded (plus at most a temp file).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="imagenet-g-writer") as writer:
            pending = None
            for shard in shards:
                try:
                    table = generate_shard(task, shard, generator, advance)
                    written, pending = pending, None
                    if written is not None:
                        yield written.result()
                except BaseException:
                    if pending is not None:  # interrupted mid-generation: keep the shard written before it
                        yield pending.result()
                    raise
                pending = writer.submit(write_shard, table, task.version_dir, shard)
            if pending is not None:
                yield pending.result()

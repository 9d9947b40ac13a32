"""Executors run shard generation. ``local`` runs in this process; others (Ray) plug in the same way.

An executor receives a picklable ``ShardTask`` and the shards still to do, and yields a ``WrittenShard`` for each
shard once it is written under its final name (in any order). A task whose batch size is None (auto on a GPU) is
sized by the executor, once, with the pipeline it loads to generate anyway (``sized``); every shard then
uses that size, and the builder records it with the first. The builder claims every shard before the executor
starts and records each one in the manifest as it arrives, so an interrupted build keeps everything that was
yielded; executors take no claims of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from imagenet_g.release.generate import LoadedGenerator, ShardTask, apply_fast_path, generate_shard, load_generator
from imagenet_g.release.run.batching import probe_batch_size
from imagenet_g.release.spec import ShardPlan
from imagenet_g.release.store import ShardRecord, write_shard

Advance = Callable[[int], None]


@dataclass(frozen=True)
class WrittenShard:
    """A shard an executor wrote under its final name, and the batch size it generated it at."""

    record: ShardRecord
    batch_size: int


class Executor(Protocol):
    """Builds shards and yields them as they complete."""

    name: str

    def run(self, task: ShardTask, shards: Sequence[ShardPlan], advance: Advance) -> Iterator[WrittenShard]:
        """Generate and write every shard in ``shards`` at the task's batch size (None: probe it first, once); call
        ``advance(n)`` as images are done."""
        ...


def load_task_generator(task: ShardTask, device: str | None = None) -> LoadedGenerator:
    """The task's pipeline on ``device`` (default: the task's), with the task's fast-path settings applied."""
    generator = load_generator(task.spec.generator, task.model, device or task.device, task.spec.conditioning.kind)
    return apply_fast_path(generator, task.fast_path)


def sized(task: ShardTask, generator: LoadedGenerator) -> ShardTask:
    """``task`` with a batch size: its own, or (None) the largest that ``generator``, the task's loaded pipeline,
    holds on its device."""
    if task.batch_size is not None:
        return task
    return replace(task, batch_size=probe_batch_size(generator, task.spec.output.rows_per_shard))


class LocalExecutor:
    """Runs every shard in this process, loading the pipeline once."""

    name = "local"

    def run(self, task: ShardTask, shards: Sequence[ShardPlan], advance: Advance) -> Iterator[WrittenShard]:
        generator = load_task_generator(task)
        task = sized(task, generator)

        def written(future: Future) -> WrittenShard:
            return WrittenShard(future.result(), task.batch_size)

        # The writer (parquet, sha256) works on its own thread while the next shard is generated. A shard's
        # record is handed out before the next write starts, so an interrupted build has on disk exactly the
        # shards it recorded (plus at most a temp file).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="imagenet-g-writer") as writer:
            pending = None
            for shard in shards:
                try:
                    table = generate_shard(task, shard, generator, advance)
                    done, pending = pending, None
                    if done is not None:
                        yield written(done)
                except BaseException:
                    if pending is not None:  # interrupted mid-generation: keep the shard written before it
                        yield written(pending)
                    raise
                pending = writer.submit(write_shard, table, task.version_dir, shard)
            if pending is not None:
                yield written(pending)

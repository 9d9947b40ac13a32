"""Executors run shard generation. ``local`` runs in this process; others (Ray) plug in the same way.

An executor receives a picklable ``ShardTask`` and the shards still to do, and yields a ``ShardRecord``
for each shard once it is written under its final name (in any order). The builder records each one
in the manifest as it arrives, so an interrupted build keeps everything that was yielded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from imagenet_g.build.manifest import ShardRecord
from imagenet_g.build.plan import ShardPlan
from imagenet_g.build.shard import ShardTask, generate_shard
from imagenet_g.build.writer import write_shard
from imagenet_g.errors import UnknownNameError, close_matches
from imagenet_g.generate import LoadedGenerator, load_generator

Advance = Callable[[int], None]


class Executor(Protocol):
    """Builds shards and yields their records as they complete."""

    name: str

    def run(self, task: ShardTask, shards: Sequence[ShardPlan], advance: Advance) -> Iterator[ShardRecord]:
        """Generate and write every shard in ``shards``; call ``advance(n)`` as images are done."""
        ...


def build_shard(task: ShardTask, shard: ShardPlan, generator: LoadedGenerator, advance: Advance) -> ShardRecord:
    """Generate one whole shard and write it atomically: the unit of work of every executor."""
    table = generate_shard(task, shard, generator, advance)
    return write_shard(table, task.version_dir, shard)


class LocalExecutor:
    """Runs every shard in this process, loading the pipeline once."""

    name = "local"

    def run(self, task: ShardTask, shards: Sequence[ShardPlan], advance: Advance) -> Iterator[ShardRecord]:
        generator = load_generator(task.spec.generator, task.model, task.device)
        for shard in shards:
            yield build_shard(task, shard, generator, advance)


EXECUTORS: dict[str, Callable[[], Executor]] = {"local": LocalExecutor}


def get_executor(name: str) -> Executor:
    """The executor registered as ``name``."""
    if name not in EXECUTORS:
        raise UnknownNameError(
            f"unknown executor {name!r}{close_matches(name, EXECUTORS)}; choose one of: {', '.join(EXECUTORS)}"
        )
    return EXECUTORS[name]()

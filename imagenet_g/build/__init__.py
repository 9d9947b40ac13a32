"""Build a release: plan -> shards -> executor (local | ray) -> writer -> manifest -> card.

Public API:
- ``build_release(BuildRequest) -> BuildReport``: the whole build, resumable.
- ``plan_shards(spec, spec_dir, splits) -> list[ShardPlan]``: the static shard plan.
- ``ShardTask``: the picklable input of a worker; ``generate_shard(task, shard, generator)`` -> arrow table
  and ``build_shard(...)`` -> generate + ``write_shard`` -> ``ShardRecord``.
- ``Executor`` protocol, ``EXECUTORS`` registry (``local``), ``get_executor(name)``.
- ``Manifest``/``read_manifest``/``write_manifest``/``shard_problem``.
"""

from imagenet_g.build.builder import DEFAULT_OUT, BuildReport, BuildRequest, build_release
from imagenet_g.build.executor import EXECUTORS, Executor, LocalExecutor, build_shard, get_executor
from imagenet_g.build.manifest import Manifest, ShardRecord, read_manifest, shard_problem, write_manifest
from imagenet_g.build.plan import ShardPlan, plan_shards
from imagenet_g.build.shard import ShardTask, generate_shard
from imagenet_g.build.writer import write_shard

__all__ = [
    "DEFAULT_OUT",
    "EXECUTORS",
    "BuildReport",
    "BuildRequest",
    "Executor",
    "LocalExecutor",
    "Manifest",
    "ShardPlan",
    "ShardRecord",
    "ShardTask",
    "build_release",
    "build_shard",
    "generate_shard",
    "get_executor",
    "plan_shards",
    "read_manifest",
    "shard_problem",
    "write_manifest",
    "write_shard",
]

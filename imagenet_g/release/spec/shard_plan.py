"""Split a release's prompt plan into shards of ``rows_per_shard`` rows, in release order."""

from __future__ import annotations

import math
from dataclasses import dataclass

from imagenet_g.release.spec.prompts import PromptRow, plan_prompts
from imagenet_g.release.spec.spec import ReleaseSpec


@dataclass(frozen=True)
class ShardPlan:
    """One shard to generate: its rows."""

    split: str
    index: int
    num_shards: int
    rows: tuple[PromptRow, ...]

    @property
    def filename(self) -> str:
        """``<split>-00000-of-00010.parquet``, the Hub's shard naming."""
        return f"{self.split}-{self.index:05d}-of-{self.num_shards:05d}.parquet"


def plan_shards(spec: ReleaseSpec, splits: tuple[str, ...] | None = None) -> list[ShardPlan]:
    """Every shard of the chosen splits (all by default), in order."""
    per_shard = spec.output.rows_per_shard
    shards = []
    for split, rows in plan_prompts(spec, splits).items():
        count = math.ceil(len(rows) / per_shard)
        for index in range(count):
            chunk = rows[index * per_shard : (index + 1) * per_shard]
            shards.append(ShardPlan(split=split, index=index, num_shards=count, rows=chunk))
    return shards

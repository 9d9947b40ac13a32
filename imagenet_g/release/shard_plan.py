"""Split a release's prompt plan into shards of ``rows_per_shard`` rows, in release order."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from imagenet_g.errors import DatasetNotFoundError
from imagenet_g.release.prompts import PromptRow, plan_prompts
from imagenet_g.release.spec import ReleaseSpec

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".webp", ".bmp")


@dataclass(frozen=True)
class ShardPlan:
    """One shard to generate: its rows, and for image-to-image one init image per row (relative path)."""

    split: str
    index: int
    num_shards: int
    rows: tuple[PromptRow, ...]
    init_images: tuple[str, ...] | None = None

    @property
    def filename(self) -> str:
        """``<split>-00000-of-00010.parquet``, the Hub's shard naming."""
        return f"{self.split}-{self.index:05d}-of-{self.num_shards:05d}.parquet"


def init_image_root(spec: ReleaseSpec, spec_dir: Path) -> Path | None:
    """The image-to-image input folder (absolute), or None for text-to-image."""
    if spec.generator.init_images is None:
        return None
    return (spec_dir / spec.generator.init_images).resolve()


def _init_images(rows: tuple[PromptRow, ...], root: Path) -> tuple[str, ...]:
    listings: dict[str, list[str]] = {}
    chosen = []
    for row in rows:
        if row.wnid not in listings:
            folder = root / row.wnid
            files = sorted(
                p.relative_to(root).as_posix() for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES
            )
            if not files:
                raise DatasetNotFoundError(
                    f"generator.init_images: no images in {folder}; put {row.wnid}'s images there (one folder per wnid)"
                )
            listings[row.wnid] = files
        # Image i of a class starts from the class's i-th image (sorted by name), cycling when there are fewer.
        files = listings[row.wnid]
        chosen.append(files[row.image_index % len(files)])
    return tuple(chosen)


def plan_shards(spec: ReleaseSpec, spec_dir: Path, splits: tuple[str, ...] | None = None) -> list[ShardPlan]:
    """Every shard of the chosen splits (all by default), in order."""
    per_shard = spec.output.rows_per_shard
    root = init_image_root(spec, spec_dir)
    shards = []
    for split, rows in plan_prompts(spec, splits).items():
        count = math.ceil(len(rows) / per_shard)
        for index in range(count):
            chunk = rows[index * per_shard : (index + 1) * per_shard]
            inits = _init_images(chunk, root) if root is not None else None
            shards.append(ShardPlan(split=split, index=index, num_shards=count, rows=chunk, init_images=inits))
    return shards

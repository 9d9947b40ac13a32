"""Write a shard as parquet, deterministically and atomically (temp name, then rename)."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

from imagenet_g.errors import OutputError
from imagenet_g.files import atomic_path, sha256_file
from imagenet_g.release.spec import ShardPlan
from imagenet_g.release.store.manifest import ShardRecord

if TYPE_CHECKING:
    import pyarrow as pa

# 100 images per row group keeps random access cheap (datasets' default for image data).
_ROW_GROUP_SIZE = 100


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` with fixed options; pyarrow embeds no time or host, so equal tables give equal bytes."""
    import pyarrow.parquet as pq

    pq.write_table(table, path, row_group_size=_ROW_GROUP_SIZE, compression="snappy", store_schema=True)


def write_shard(table: pa.Table, version_dir: Path, shard: ShardPlan) -> ShardRecord:
    """Write one shard under its final name via a temp file; a failure leaves no file behind."""
    final = version_dir / shard.filename
    try:
        version_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(final) as tmp:
            write_parquet(table, tmp)
    except OSError as exc:
        reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise OutputError(
            f"cannot write {final}: {reason} (completed shards are kept)",
            "free space or choose another {dataset_dir}, then build again to resume",
        ) from None
    return ShardRecord(
        split=shard.split,
        index=shard.index,
        file=shard.filename,
        rows=table.num_rows,
        sha256=sha256_file(final),
        num_bytes=final.stat().st_size,
    )

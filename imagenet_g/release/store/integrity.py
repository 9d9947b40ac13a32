"""What is inside a shard, checked against the plan: the spec it was built from and every row's provenance.

A checksum in the manifest proves that a shard is the file that was recorded, not that it is the right file: a
shard of another build (or another shard of this one) with a matching record passes the checksum. This check reads
the shard's small columns (not the images) and compares them with the prompt plan, so ``verify``, a resumed build
and ``finalize`` all catch it.
"""

from __future__ import annotations

from pathlib import Path

from imagenet_g.release.spec import ShardPlan
from imagenet_g.release.store.schema import SPEC_HASH_KEY

# The provenance columns that the plan decides (the image bytes are covered by the manifest's sha256).
_PLANNED_COLUMNS = ("label", "wnid", "image_index", "template_id", "prompt", "seed", "spec_hash")


def _planned(shard: ShardPlan, spec_hash: str) -> list[tuple]:
    return [(r.class_index, r.wnid, r.image_index, r.template_id, r.prompt, r.seed, spec_hash) for r in shard.rows]


def content_problem(path: Path, shard: ShardPlan, spec_hash: str) -> str | None:
    """Why the shard at ``path`` does not hold ``shard``'s planned rows of spec ``spec_hash``, or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        embedded = (pq.read_schema(path).metadata or {}).get(SPEC_HASH_KEY, b"").decode()
        table = pq.read_table(path, columns=list(_PLANNED_COLUMNS))
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        return f"{path.name} is not a shard of this release ({type(exc).__name__})"
    if embedded != spec_hash:
        return f"{path.name} was built from another spec (hash {embedded[:12] or 'none'})"
    if table.num_rows != len(shard.rows):
        return f"{path.name} has {table.num_rows} rows, the plan has {len(shard.rows)}"
    columns = table.to_pydict()
    found = list(zip(*(columns[name] for name in _PLANNED_COLUMNS)))
    for position, (got, want) in enumerate(zip(found, _planned(shard, spec_hash))):
        if got != want:
            return (
                f"{path.name} row {position} is not the planned image (class {want[0]}, image {want[2]}, "
                f"seed {want[5]})"
            )
    return None


def unlisted_entries(version_dir: Path, listed: set[str]) -> list[str]:
    """Visible files and folders of a version folder that are not in ``listed`` (hidden ones are claims and temp
    files, which ``datasets`` and the Hub upload skip)."""
    if not version_dir.is_dir():
        return []
    return sorted(p.name for p in version_dir.iterdir() if not p.name.startswith(".") and p.name not in listed)

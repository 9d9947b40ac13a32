"""``<version>/manifest.json``: spec, lock, build settings, environment and a sha256 per shard.

The builder rewrites it (atomically) after every completed shard, so it always lists exactly the
shards that are known good; ``complete`` turns true when every shard of every split is there.
Writers take turns (``manifest_turn``), and a build merges its records into what other builds of the same
version (other splits, started alongside) recorded meanwhile (``update_manifest``), so none loses another's.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from pydantic import ValidationError

from imagenet_g.errors import OutputError, ReleaseIntegrityError
from imagenet_g.files import atomic_write_text, mutex_path, sha256_file, turn_to_write
from imagenet_g.layout import MANIFEST_FILE
from imagenet_g.release.spec import Lock, ReleaseSpec, ShardPlan
from imagenet_g.release.store.integrity import content_problem
from imagenet_g.strict import StrictModel



class ShardRecord(StrictModel):
    """A written shard and its checksum."""

    split: str
    index: int
    file: str
    rows: int
    sha256: str
    num_bytes: int


class SplitRecord(StrictModel):
    """A split's planned size and its completed shards (sorted by index)."""

    num_rows: int
    num_shards: int
    shards: tuple[ShardRecord, ...] = ()

    @property
    def complete(self) -> bool:
        return len(self.shards) == self.num_shards


class BuildSettings(StrictModel):
    """What, besides the spec and lock, decides the bytes: device kind, dtype, batch size, CPU threads."""

    device_type: str
    dtype: str
    batch_size: int | None  # None only before an auto build's first shard, which brings the size the executor probed
    threads: int
    fast_path: tuple[str, ...] = ()


class Manifest(StrictModel):
    """The record of one built version."""

    format: int = 1
    version: str
    spec_hash: str
    spec: ReleaseSpec
    lock: Lock
    lock_mismatch: tuple[str, ...] = ()
    build: BuildSettings
    environment: dict[str, str]
    splits: dict[str, SplitRecord]
    complete: bool = False

    @property
    def spec_edited(self) -> bool:
        """Whether the recorded spec was edited after the build: it no longer hashes to the hash the shards carry."""
        return self.spec.content_hash() != self.spec_hash

    def shard(self, split: str, index: int) -> ShardRecord | None:
        """The record of a completed shard, if any."""
        record = self.splits.get(split)
        return next((s for s in record.shards if s.index == index), None) if record else None

    def with_splits(self, splits: dict[str, SplitRecord]) -> Manifest:
        """A copy with these split records; complete when every split of the spec has all its shards."""
        done = set(self.spec.plan.splits) <= set(splits) and all(s.complete for s in splits.values())
        return self.model_copy(update={"splits": splits, "complete": done})

    def with_shard(self, record: ShardRecord) -> Manifest:
        """A copy with ``record`` added (replacing an older record of the same shard)."""
        split = self.splits[record.split]
        shards = tuple(sorted([*(s for s in split.shards if s.index != record.index), record], key=lambda s: s.index))
        return self.with_splits({**self.splits, record.split: split.model_copy(update={"shards": shards})})


def read_manifest(version_dir: Path) -> Manifest | None:
    """The manifest of a version folder; None when there is none."""
    path = version_dir / MANIFEST_FILE
    if not (path.exists() or path.is_symlink()):
        return None
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        problem = f"is damaged ({exc.error_count()} problems)"
    except OSError as exc:  # a folder, a dangling link, no permission
        problem = f"cannot be read ({exc.strerror or type(exc).__name__})"
    raise ReleaseIntegrityError(
        f"{path} {problem}; delete it and rerun the build, which checks the shards' spec and rebuilds them"
    )


def manifest_turn(version_dir: Path) -> AbstractContextManager[None]:
    """Wait for this writer's turn at the version's manifest, clearing the temp files killed writers left.

    The lock file sits beside the version folder, not in it, so that it is never part of the release.
    """
    return turn_to_write(version_dir / MANIFEST_FILE, mutex_path(version_dir))


def _write(version_dir: Path, manifest: Manifest) -> None:
    atomic_write_text(version_dir / MANIFEST_FILE, manifest.model_dump_json(indent=2) + "\n")


def write_manifest(version_dir: Path, manifest: Manifest) -> None:
    """Write the manifest atomically, in turn with every other writer."""
    with manifest_turn(version_dir):
        _write(version_dir, manifest)


def _records(manifest: Manifest | None) -> dict[tuple[str, int], ShardRecord]:
    if manifest is None:
        return {}
    return {(r.split, r.index): r for split in manifest.splits.values() for r in split.shards}


def _merged(version_dir: Path, base: Manifest | None, ours: Manifest, theirs: Manifest) -> Manifest:
    """``ours`` with every shard record that changed in ``theirs`` since ``base`` (added by another build, or
    dropped by one as bad) taken from ``theirs``; a record ours changed too stays ours (its shard is ours: claimed)."""
    if theirs.spec_hash != ours.spec_hash or theirs.build != ours.build:
        raise OutputError(
            f"another build of {version_dir} is running alongside with another spec or other build settings "
            f"({theirs.build}), so their shards' bytes would not match",
            "let it finish, then build again with the same spec, {batch_size}, {threads}, {device} and {fast_path}",
        )
    old, mine, other = _records(base), _records(ours), _records(theirs)
    kept = {}
    for key in old.keys() | mine.keys() | other.keys():
        changed_there = other.get(key) != old.get(key) and mine.get(key) == old.get(key)
        record = other.get(key) if changed_there else mine.get(key)
        if record is not None and key[0] in ours.splits:
            kept[key] = record
    splits = {
        name: split.model_copy(update={"shards": tuple(sorted(
            (r for (s, _), r in kept.items() if s == name), key=lambda r: r.index))})
        for name, split in ours.splits.items()
    }
    return ours.model_copy(update={"lock": ours.lock.extended_by(theirs.lock)}).with_splits(splits)


def update_manifest(version_dir: Path, base: Manifest | None, ours: Manifest) -> Manifest:
    """Save this build's manifest without losing what other builds of the version recorded since it read ``base``
    (two builds of different splits at once): in turn with every other writer, read the manifest on disk, merge
    (``_merged``), write atomically. Returns what was written, the ``base`` of the next update."""
    with manifest_turn(version_dir):
        theirs = read_manifest(version_dir)
        merged = ours if theirs is None else _merged(version_dir, base, ours, theirs)
        _write(version_dir, merged)
    return merged


def shard_problem(version_dir: Path, record: ShardRecord, planned: ShardPlan | None, spec_hash: str) -> str | None:
    """Why a shard does not match its record (missing, truncated, altered) or its plan (a shard of another spec or
    of another position, other rows: ``planned`` None means the record names no planned shard), or None."""
    path = version_dir / record.file
    if not path.is_file():
        return f"{record.file} missing"
    size = path.stat().st_size
    if size != record.num_bytes:
        return f"{record.file} has {size} bytes, expected {record.num_bytes} (truncated or altered)"
    if sha256_file(path) != record.sha256:
        return f"{record.file} corrupted (sha256 differs)"
    if planned is None or planned.filename != record.file or len(planned.rows) != record.rows:
        return f"{record.file} is recorded as {record.split} shard {record.index}, which the plan does not have"
    return content_problem(path, planned, spec_hash)

"""``verify_release``: check a built version's shards, manifest and card against each other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.errors import ReleaseIntegrityError
from imagenet_g.layout import CARD_FILE, MANIFEST_FILE, audit_dir
from imagenet_g.release.generate import init_digest
from imagenet_g.release.publish.card import card_configs
from imagenet_g.release.spec import Lock, plan_shards
from imagenet_g.release.store import Manifest, read_manifest, shard_problem, unlisted_entries


def _init_image_problems(version_dir: Path, manifest: Manifest, lock: Lock | None = None) -> list[str]:
    """The classes whose rows' init images (ids and sha256) do not match the digests of ``lock`` (the release's
    committed lock; by default the lock the manifest recorded). Splits the lock does not cover are skipped."""
    import pyarrow.parquet as pq

    locked = (lock or manifest.lock).init_images
    if locked is None:
        return []
    problems = []
    for name, split in manifest.splits.items():
        if name not in locked.digests:
            continue
        per_class: dict[str, list[tuple[str, str]]] = {}
        for record in split.shards:
            table = pq.read_table(version_dir / record.file, columns=["wnid", "init_image", "init_image_sha256"])
            for wnid, image_id, sha in zip(*(table.column(c).to_pylist() for c in table.column_names)):
                per_class.setdefault(wnid, []).append((image_id, sha))
        expected = locked.digests[name]
        bad = sorted(w for w, images in per_class.items() if init_digest(images) != expected.get(w))
        problems += [f"{name}: init images of class {w} differ from the lock" for w in bad[:3]]
        if len(bad) > 3:
            problems.append(f"{name}: and {len(bad) - 3} more classes")
    return problems


@dataclass(frozen=True)
class VerifiedRelease:
    """A release that passed verification."""

    version: str
    version_dir: Path
    spec_hash: str
    shards: int
    rows: int


def verify_release(
    dataset_dir: Path, version: str, expected_spec_hash: str | None = None, expected_lock: Lock | None = None
) -> VerifiedRelease:
    """Check a built version: every planned shard recorded, each one's bytes against its record and its rows
    against the plan (spec hash, class, image index, seed, prompt), the init images against ``expected_lock``
    (the release's committed lock; default: the manifest's), no unlisted file, the card lists it; names every
    problem."""
    dataset_dir = Path(dataset_dir)
    version_dir = dataset_dir / version
    manifest = read_manifest(version_dir)
    if manifest is None:
        raise ReleaseIntegrityError(f"no {MANIFEST_FILE} in {version_dir}", f"build release {version} first")
    if manifest.spec_edited:
        raise ReleaseIntegrityError(
            f"{version_dir / MANIFEST_FILE} was edited: its spec does not match its hash",
            f"build release {version} again: the build restores the manifest's spec from the release's spec",
        )
    if expected_spec_hash is not None and manifest.spec_hash != expected_spec_hash:
        raise ReleaseIntegrityError(
            f"{version_dir} was built from another spec than releases/{version}/spec.yaml; rebuild it"
        )
    planned = plan_shards(manifest.spec)
    by_key = {(s.split, s.index): s for s in planned}
    records = [r for split in manifest.splits.values() for r in split.shards]
    problems = [f"{s.split} shard {s.index} of {s.num_shards} never built" for s in planned
                if manifest.shard(s.split, s.index) is None]
    problems += [
        p for p in (shard_problem(version_dir, r, by_key.get((r.split, r.index)), manifest.spec_hash) for r in records)
        if p
    ]
    listed = {r.file for r in records} | {MANIFEST_FILE}
    unlisted = unlisted_entries(version_dir, listed)
    problems += [f"{name} is not part of the release ({MANIFEST_FILE} does not list it)" for name in unlisted]
    if not problems:
        problems += _init_image_problems(version_dir, manifest, expected_lock)
    if not problems and version not in card_configs(dataset_dir):
        problems.append(f"{dataset_dir / CARD_FILE} does not list config {version}")
    if problems:
        ways = [f"move {', '.join(unlisted)} out of {version_dir} (a build refuses it too; an audit goes to "
                f"{audit_dir(dataset_dir, version)})"] if unlisted else []
        if len(problems) > len(unlisted):
            ways.append(f"build release {version} again: the build rebuilds what is missing or damaged")
        raise ReleaseIntegrityError(f"{version} failed verification: {'; '.join(problems)}", ", then ".join(ways))
    return VerifiedRelease(version, version_dir, manifest.spec_hash, len(records), sum(r.rows for r in records))

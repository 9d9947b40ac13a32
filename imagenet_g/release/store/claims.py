"""The claims that keep two builds off one shard (``imagenet_g.claims``: the one lock of every writer), and the
clearing of what killed builds left in a version folder."""

from __future__ import annotations

from pathlib import Path

from imagenet_g.claims import CLAIM_TEMP_SUFFIX, acquire, claim_path, holds, release, temp_abandoned
from imagenet_g.errors import OutputError
from imagenet_g.files import TEMP_GLOB, temp_target_name
from imagenet_g.layout import MANIFEST_FILE


def shard_claim_path(version_dir: Path, filename: str) -> Path:
    """The claim file of one shard, beside it (hidden, so ``datasets`` and the Hub upload ignore it)."""
    return claim_path(Path(version_dir) / filename)


def remove_stale_temps(version_dir: Path) -> None:
    """Delete what killed jobs left (claims, claims never linked, half-written shards), nothing of a running job."""
    for claim in version_dir.glob(".*.lock"):
        if holds(claim):
            continue
        try:
            acquire(claim, "an abandoned claim")  # takes over only a claim nobody holds any more
        except OutputError:
            continue
        release(claim)
    for temp in version_dir.glob(f".*{CLAIM_TEMP_SUFFIX}"):
        if temp_abandoned(temp):
            temp.unlink(missing_ok=True)
    for temp in version_dir.glob(TEMP_GLOB):
        if temp_target_name(temp) == MANIFEST_FILE:
            continue  # the manifest's writers take turns and clear these (manifest.manifest_turn), not claims
        claim = shard_claim_path(version_dir, temp_target_name(temp))
        if holds(claim):  # ours, and not being written yet: what a killed job left
            temp.unlink(missing_ok=True)
            continue
        try:
            acquire(claim, "a stale temp file")
        except OutputError:
            continue
        try:
            temp.unlink(missing_ok=True)
        finally:
            release(claim)


def claim_shards(version_dir: Path, filenames: list[str]) -> list[Path]:
    """Claim every one of these shards, or none: raises ``OutputError`` naming the first one another job holds
    (or the ``OSError`` of a folder that cannot be written)."""
    taken: list[Path] = []
    try:
        for filename in filenames:
            path = shard_claim_path(version_dir, filename)
            acquire(path, f"shard {filename}", "built")
            taken.append(path)
    except BaseException:
        for path in taken:
            release(path)
        raise
    return taken

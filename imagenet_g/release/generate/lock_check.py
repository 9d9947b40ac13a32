"""Check a build against its release's lock: load the locked model commit, compare, write or extend the lock.

A committed lock pins the Hub commit a release was built from; a later build loads that commit (not the spec's
branch, which may have moved on), so new commits upstream never change what a locked release loads. For an
image-conditioned release the lock also holds a digest per split and class of the init images' ids and
checksums: a split built for the first time adds its digests to the lock (commit it again).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.errors import SpecError
from imagenet_g.release.generate.conditioning import check_conditioning, pipeline_class
from imagenet_g.release.generate.init_images import open_init_images, split_digests
from imagenet_g.release.generate.weights import ResolvedModel, model_lock, resolve_model
from imagenet_g.release.spec import (
    InitImagesLock,
    Lock,
    ReleaseDefinition,
    lock_differences,
    plan_prompts,
    read_lock,
    write_lock,
)


@dataclass(frozen=True)
class CheckedLock:
    """What a build loads, checked against the release's lock."""

    model: ResolvedModel
    lock: Lock  # what this build uses (init digests of the splits it does not build taken from the lock)
    init_images: str | None  # where the init images are (resolved), for image conditioning
    written: bool  # the lock file was written (first build) or extended (a split's init images added)
    mismatch: tuple[str, ...]  # differences from the lock that the caller allowed


def _pinned_commit(locked: Lock | None, release: ReleaseDefinition) -> str | None:
    gen = release.spec.generator
    if locked is None or gen.source != "hub" or locked.source != "hub" or locked.model != gen.model:
        return None
    return locked.commit


def _current_lock(
    release: ReleaseDefinition, locked: Lock | None, splits: tuple[str, ...] | None, init_images: str | Path | None
) -> tuple[ResolvedModel, Lock, str | None]:
    check_conditioning(pipeline_class(release.spec.generator.pipeline), release.spec.conditioning.kind)
    model = resolve_model(release.spec.generator, release.folder, _pinned_commit(locked, release))
    current = model_lock(model)
    source = open_init_images(release.spec, init_images)
    if source is None:
        return model, current, None
    digests = {split: split_digests(source, release.spec, rows) for split, rows in plan_prompts(release.spec, splits).items()}
    dataset = release.spec.conditioning.init_images.dataset  # set whenever there is a source
    lock = current.model_copy(update={"init_images": InitImagesLock(dataset=dataset, source=source.location, digests=digests)})
    return model, lock, source.location


def check_lock(
    release: ReleaseDefinition,
    splits: tuple[str, ...] | None = None,
    init_images: str | Path | None = None,
    allow_mismatch: bool = False,
) -> CheckedLock:
    """Resolve what a build of ``splits`` loads and check it against the lock (writing it on the first build)."""
    locked = read_lock(release.lock_path)
    model, current, location = _current_lock(release, locked, splits, init_images)
    if locked is None:
        write_lock(release.lock_path, current)
        return CheckedLock(model, current, location, True, ())
    diffs = tuple(lock_differences(locked, current))
    if diffs and not allow_mismatch:
        raise SpecError(
            f"{release.lock_path}: what this build would load differs from the lock ({'; '.join(diffs)})",
            fix="install the locked versions and restore the locked inputs, or set {allow_lock_mismatch} to build "
            "anyway (recorded in the manifest)",
        )
    extended = locked.extended_by(current)
    written = not diffs and extended != locked
    if written:
        write_lock(release.lock_path, extended)
    return CheckedLock(model, current.extended_by(locked), location, written, diffs)

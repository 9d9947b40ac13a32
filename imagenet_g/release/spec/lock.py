"""``releases/<version>/spec.lock``: what a build loaded (model identity, weight checksums, library versions).

The first build of a version writes it; later builds compare what they would load against it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError

from imagenet_g.errors import OutputError, SpecError
from imagenet_g.files import atomic_write_text
from imagenet_g.strict import StrictModel, validation_message

LOCK_FILE = "spec.lock"


class InitImagesLock(StrictModel):
    """The real images an image-conditioned release started from."""

    dataset: str
    source: str = Field(description="where the first build read them (a folder or a dataset id); not compared")
    digests: dict[str, dict[str, str]] = Field(
        description="release split -> wnid -> sha256 over '<id> <sha256>' lines of the class's init images"
    )


class Lock(StrictModel):
    """What a build loaded: model identity, weight checksums, library versions (and init images, if any)."""

    source: str
    model: str
    revision: str | None = None
    commit: str | None = Field(default=None, description="resolved Hub commit; later builds load exactly this")
    files: dict[str, str] = Field(description="weight file (or tiny component) -> sha256")
    libraries: dict[str, str]
    init_images: InitImagesLock | None = None

    def without_init_images(self) -> Lock:
        """The model part alone (what every split of a build shares)."""
        return self.model_copy(update={"init_images": None})

    def extended_by(self, current: Lock) -> Lock:
        """This lock plus the init-image digests of splits it does not lock yet (taken from ``current``)."""
        if current.init_images is None:
            return self
        if self.init_images is None:
            return self.model_copy(update={"init_images": current.init_images})
        digests = {**current.init_images.digests, **self.init_images.digests}
        return self.model_copy(update={"init_images": self.init_images.model_copy(update={"digests": digests})})


def lock_differences(locked: Lock, current: Lock) -> list[str]:
    """Human-readable differences between the committed lock and what would be loaded now."""
    diffs = []
    for key in ("source", "model", "revision", "commit"):
        if getattr(locked, key) != getattr(current, key):
            diffs.append(f"{key} {getattr(locked, key)!r} -> {getattr(current, key)!r}")
    for name in sorted(set(locked.files) | set(current.files)):
        if name not in current.files:
            diffs.append(f"file {name} missing")
        elif name not in locked.files:
            diffs.append(f"file {name} added")
        elif locked.files[name] != current.files[name]:
            diffs.append(f"file {name} sha256 changed")
    for name in sorted(set(locked.libraries) | set(current.libraries)):
        if locked.libraries.get(name) != current.libraries.get(name):
            diffs.append(f"{name} {locked.libraries.get(name)} -> {current.libraries.get(name)}")
    return diffs + _init_differences(locked.init_images, current.init_images)


def _init_differences(locked: InitImagesLock | None, current: InitImagesLock | None) -> list[str]:
    """Changed init images of the splits both lock (a split not locked yet is not a difference)."""
    if locked is None or current is None:
        return [] if locked is current or current is None else ["init images added"]
    diffs = [f"init images dataset {locked.dataset!r} -> {current.dataset!r}"] if locked.dataset != current.dataset else []
    for split in sorted(set(locked.digests) & set(current.digests)):
        old, new = locked.digests[split], current.digests[split]
        changed = sorted(w for w in set(old) | set(new) if old.get(w) != new.get(w))
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more classes" if len(changed) > 3 else "")
            diffs.append(f"init images of {split} changed since the lock (class {shown})")
    return diffs


def read_lock(path: Path) -> Lock | None:
    """Read a lock file; None when there is none yet."""
    if not path.exists():
        return None
    try:
        return Lock.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise SpecError(f"{path}: {validation_message(exc)}; delete it to re-lock from the next build") from None


def write_lock(path: Path, lock: Lock) -> None:
    """Write a lock file (JSON, which is also YAML) atomically."""
    try:
        atomic_write_text(path, lock.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise OutputError(
            f"cannot write the lock {path}: {exc.strerror or exc}",
            "make the specs folder writable (or copy it and set {specs_dir} to the copy) and build again",
        ) from None



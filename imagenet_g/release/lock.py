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


class Lock(StrictModel):
    """What a build loaded: model identity, weight checksums, library versions."""

    source: str
    model: str
    revision: str | None = None
    commit: str | None = Field(default=None, description="resolved Hub commit")
    files: dict[str, str] = Field(description="weight file (or tiny component) -> sha256")
    libraries: dict[str, str]


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
            f"cannot write the lock {path}: {exc.strerror or exc}; make the releases folder writable "
            "(or pass --releases-dir) and build again"
        ) from None



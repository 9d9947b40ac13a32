"""Leaderboard file writes: atomic (`imagenet_g.files`), with a failure turned into a one-line OutputError."""

from __future__ import annotations

from pathlib import Path

from imagenet_g.errors import OutputError
from imagenet_g.files import atomic_write_text


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file and rename; parent folders are created."""
    try:
        atomic_write_text(Path(path), text)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}; check the folder is writable") from exc

"""Leaderboard file writes: atomic (`imagenet_g.files`), with a failure turned into a one-line OutputError."""

from __future__ import annotations

from pathlib import Path

from imagenet_g.errors import OutputError
from imagenet_g.files import atomic_path, atomic_write_text


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write text (UTF-8) or bytes to ``path`` via a temp file and rename; parent folders are created."""
    try:
        if isinstance(content, bytes):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(Path(path)) as tmp:
                tmp.write_bytes(content)
        else:
            atomic_write_text(Path(path), content)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}; check the folder is writable") from exc

"""File helpers: atomic writes (temp file in the same folder, then rename), writers taking turns at a shared file,
and streamed checksums."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


TEMP_GLOB = ".*.tmp-*"  # every temp file that _temp_path names


def _temp_path(path: Path) -> Path:
    """The temp file a write of ``path`` goes through: hidden, beside it, named after this process."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def temp_target_name(temp: Path) -> str:
    """The name of the file that a temp file named by ``_temp_path`` was being written for."""
    return temp.name[1:].rsplit(".tmp-", 1)[0]


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success it is renamed onto ``path``, on failure removed.

    A reader never sees half a file, and a failed write leaves whatever ``path`` held before.
    """
    tmp = _temp_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically; parent folders are created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def mutex_path(path: Path) -> Path:
    """The lock file on which the writers of ``path`` take turns: hidden, beside it."""
    return path.with_name(f".{path.name}.mutex")


@contextmanager
def turn_to_write(path: Path, mutex: Path | None = None) -> Iterator[None]:
    """Wait for this writer's turn at ``path`` (an exclusive lock on ``mutex``, by default ``mutex_path(path)``),
    then delete the temp files that killed writers of ``path`` left: while the turn is held, no live writer has
    one. Read, change and write ``path`` inside the block, so that no writer loses another's change.

    The lock is an advisory ``flock``, which the kernel drops when its holder dies (a killed writer never blocks
    the next; NFS clients map it to a POSIX lock). The lock file stays: removing it would let two writers lock
    two different files.
    """
    import fcntl

    mutex = mutex or mutex_path(path)
    mutex.parent.mkdir(parents=True, exist_ok=True)
    with mutex.open("a") as handle:  # closing it drops the lock
        fcntl.flock(handle, fcntl.LOCK_EX)
        for temp in path.parent.glob(TEMP_GLOB):
            if temp_target_name(temp) == path.name:
                temp.unlink(missing_ok=True)
        yield


def relative_path(path: Path | str, start: Path | str) -> str:
    """``path`` as a /-separated path from the folder ``start`` (both resolved first), as records store a file
    that is found again from the record's own folder."""
    return Path(os.path.relpath(Path(path).resolve(), Path(start).resolve())).as_posix()


def sha256_file(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def state_dict_sha256(module: Any) -> str:
    """sha256 over a torch module's state dict (names, dtypes, shapes and bytes, in key order): the identity of
    weights that have no file (random init, built in code, just trained)."""
    import torch

    digest = hashlib.sha256()
    for key, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().cpu().contiguous().view(-1)
        digest.update(f"{key}|{t.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()

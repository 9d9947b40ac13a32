"""A persistent, opt-in cache of model inputs as uint8 pixels, so a second model pays forward time only; and the
cache folder every job uses (``default_cache_dir``).

An entry is the exact uint8 CHW tensor the eval transform made from one file, keyed by

- the sha256 of the file's bytes (a renamed or copied file still hits; an edited one misses), and
- the pixel key: everything that decides those pixels (input size, crop, interpolation, border) plus the
  Pillow, torchvision and timm versions whose resize code produced them.

Layout: ``<root>/pixels/<key hash>/key.json`` (the key, readable) and ``<root>/pixels/<key hash>/<aa>/<sha256>.npy``.
Entries are written to a per-process temp name and renamed, so concurrent runs sharing a folder never read a
half-written entry (the rename is atomic; two writers of one entry write identical bytes). An entry that
cannot be read is treated as missing and rewritten.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imagenet_g.environment import package_versions
from imagenet_g.errors import OutputError
from imagenet_g.files import atomic_path

_DECODERS = ("pillow", "torchvision", "timm")  # their versions decide the resized pixels too
_log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """The cache folder used when none is given (zero-shot heads, layout decisions; pixels only when asked):
    ``$IMAGENET_G_CACHE``, else ``$XDG_CACHE_HOME/imagenet-g``, else ``~/.cache/imagenet-g``; when that folder
    cannot be written (a read-only home), a temporary folder for this process, with a note."""
    if os.environ.get("IMAGENET_G_CACHE"):
        return _writable_or_temporary(os.environ["IMAGENET_G_CACHE"])
    return _writable_or_temporary(str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "imagenet-g"))


@functools.lru_cache(maxsize=None)
def _writable_or_temporary(folder: str) -> Path:
    problem = _cache_problem(Path(folder))
    if problem is None:
        return Path(folder)
    temporary = Path(tempfile.mkdtemp(prefix="imagenet-g-cache-"))
    atexit.register(shutil.rmtree, temporary, ignore_errors=True)
    _log.warning("cache folder %s %s; caching in %s for this run", folder, problem, temporary)
    return temporary


def _cache_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot hold a cache (a file, cannot be created or written), or None; creates it."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        return "is a file"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        return f"cannot be written ({exc.strerror or type(exc).__name__})"
    return None


def check_cache_dir(folder: Path | None, param: str = "cache_dir") -> None:
    """Refuse (one ``OutputError`` line, before any work) a cache folder a job was given that it cannot use."""
    problem = None if folder is None else _cache_problem(Path(folder))
    if problem is not None:
        raise OutputError(f"cache folder {folder} {problem}", f"set {{{param}}} to a writable folder, or leave it out")


def file_digest(data: bytes) -> str:
    """The sha256 of a file's bytes, the cache's per-image key."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class PixelCache:
    """One pixel key's entries under ``root``; picklable, so decode workers each hold a copy."""

    folder: Path

    @classmethod
    def open(cls, root: Path, pixel_key: tuple) -> PixelCache:
        """The cache of ``pixel_key`` under ``root`` (created, with a readable key.json)."""
        key = {"pixel_key": [list(v) if isinstance(v, tuple) else v for v in pixel_key],
               **package_versions(_DECODERS)}
        text = json.dumps(key, sort_keys=True)
        folder = Path(root) / "pixels" / hashlib.sha256(text.encode()).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "key.json").is_file():
            _write_atomic(folder / "key.json", text.encode())
        return cls(folder)

    def _path(self, digest: str) -> Path:
        return self.folder / digest[:2] / f"{digest}.npy"

    def load(self, digest: str):
        """The cached uint8 tensor for a file digest, or None."""
        import torch

        try:
            return torch.from_numpy(np.load(self._path(digest), allow_pickle=False))
        except (OSError, ValueError, EOFError):
            return None

    def store(self, digest: str, pixels) -> None:
        """Keep ``pixels`` (a uint8 CHW tensor) for a file digest; atomic, safe under concurrent runs."""
        import io

        buffer = io.BytesIO()
        np.save(buffer, pixels.numpy(), allow_pickle=False)
        path = self._path(digest)
        path.parent.mkdir(exist_ok=True)
        _write_atomic(path, buffer.getvalue())


def _write_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


@dataclass(frozen=True)
class CacheSize:
    """How much a pixel cache folder holds."""

    entries: int
    bytes: int


def cache_size(root: Path) -> CacheSize:
    """Entries and bytes of every pixel key under ``root``."""
    entries = size = 0
    for dirpath, _, files in os.walk(Path(root) / "pixels"):
        for name in files:
            if name.endswith(".npy"):
                entries += 1
                size += os.path.getsize(os.path.join(dirpath, name))
    return CacheSize(entries, size)

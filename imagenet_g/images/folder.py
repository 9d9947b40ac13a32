"""Image files in class folders, in each publisher's layout: ``FolderImages`` and the ``LAYOUTS`` that list them.

Layouts (``imagenet_g.benchmarks``' ``layout`` field): ``wnid`` (ImageNet, -R, -A, -Sketch: one folder per wnid),
``index`` (ImageNet-V2: folders named 0..999, read as ``int(folder)``), ``objectnet`` (ObjectNet's class folders,
mapped to ImageNet indices through imagenet-testbed's mapping). Files are listed in timm's order (natural sort of
the path); junk files are skipped and counted, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imagenet_g import labels
from imagenet_g.benchmarks import Benchmark
from imagenet_g.errors import DatasetNotFoundError
from imagenet_g.images.decode import decode_rgb

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".ppm", ".tif", ".tiff")


@dataclass(frozen=True)
class FolderImages:
    """Image files with their ImageNet targets, in timm's order (natural sort of the path)."""

    root: str
    paths: tuple[str, ...]
    targets: np.ndarray
    skipped: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.paths)

    def read(self, i: int) -> bytes:
        """The file bytes of image ``i``."""
        with open(self.paths[i], "rb") as fh:
            return fh.read()

    def open(self, i: int):
        """Image ``i`` as an RGB PIL image (``decode.UnreadableImage`` if it is none)."""
        return decode_rgb(self.read(i))

    def key(self, i: int) -> str:
        return os.path.relpath(self.paths[i], self.root)

    def fingerprint(self) -> str:
        """sha256 of every file's relative path, size and modification time: any changed file changes it."""
        digest = hashlib.sha256(json.dumps(sorted(self.skipped.items())).encode())
        for path in self.paths:
            stat = os.stat(path)
            digest.update(f"{os.path.relpath(path, self.root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    def join_keys(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Columns identifying each of ``rows`` in the dataset: the path relative to its root."""
        return {"path": np.asarray([self.key(int(i)) for i in rows], dtype=object)}

    def subset(self, mask: np.ndarray) -> FolderImages:
        keep = np.flatnonzero(mask)
        return FolderImages(self.root, tuple(self.paths[i] for i in keep), self.targets[keep], dict(self.skipped))


def files_by_name(folder: Path, extensions: tuple[str, ...] = _IMAGE_EXTENSIONS) -> list[Path]:
    """The image files directly in ``folder`` (by extension, in any case), sorted by name (code point order)."""
    return sorted((p for p in folder.glob("*") if p.suffix.lower() in extensions), key=lambda p: p.name)


def _natural_key(text: str):
    # timm's natural_key: digit runs compare as numbers, so '2' < '10' < '100' as ImageNet-V2 needs
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", text)]


def _unreadable(path: str) -> str | None:
    """Why a listed image file can be no image, known from its metadata alone (one stat, no read): empty, or not
    readable by this process; None when it may be one (decoding decides)."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return "unreadable file"
    if size == 0:
        return "empty file (0 bytes)"
    return None if os.access(path, os.R_OK) else "unreadable file"


def _walk_classes(root: Path, target_of: Callable[[str], int | None], layout_hint: str) -> FolderImages:
    """Class folders directly under ``root``; ``target_of(folder)`` -> ImageNet index, None to skip the folder."""
    if not root.is_dir():
        raise DatasetNotFoundError(f"{root} is not a folder; expected {layout_hint}")
    paths: list[str] = []
    targets: list[int] = []
    skipped: Counter = Counter()
    for entry in sorted(os.scandir(root), key=lambda e: _natural_key(e.name)):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            skipped["file outside the class folders"] += 1
            continue
        target = target_of(entry.name)
        for dirpath, _, files in os.walk(entry.path):
            for f in files:
                if f.startswith("."):
                    continue
                path = os.path.join(dirpath, f)
                if target is None:
                    skipped["class outside the dataset's label space"] += 1
                elif not f.lower().endswith(_IMAGE_EXTENSIONS):
                    skipped["not an image file (extension)"] += 1
                elif (problem := _unreadable(path)) is not None:
                    skipped[problem] += 1
                else:
                    paths.append(path)
                    targets.append(target)
    if not paths:
        left_out = f" ({', '.join(f'{n:,} {reason}' for reason, n in skipped.items())})" if skipped else ""
        raise DatasetNotFoundError(f"no images found in {root}{left_out}; expected {layout_hint}")
    order = sorted(range(len(paths)), key=lambda i: _natural_key(paths[i]))
    return FolderImages(
        str(root),
        tuple(paths[i] for i in order),
        np.asarray([targets[i] for i in order], dtype=np.int64),
        dict(skipped),
    )


def _scan_wnid(spec: Benchmark, root: Path) -> FolderImages:
    index = labels.wnid_to_index()
    allowed = set(labels.subset_indices(spec.classes))
    hint = f"one folder per wnid (e.g. n01440764/) holding {spec.name} images"

    def target_of(folder: str) -> int | None:
        if folder not in index:
            raise DatasetNotFoundError(f"folder {folder!r} in {root} is not an ImageNet wnid; expected {hint}")
        return index[folder] if index[folder] in allowed else None

    return _walk_classes(root, target_of, hint)


def _scan_index(spec: Benchmark, root: Path) -> FolderImages:
    hint = "folders named 0..999 (class index) as ImageNet-V2 ships them"

    def target_of(folder: str) -> int:
        # ImageNet-V2 names folders by class index: int(folder), never the string order ('10' < '2')
        if not folder.isdigit() or not 0 <= int(folder) < labels.NUM_CLASSES:
            raise DatasetNotFoundError(f"folder {folder!r} in {root} is not a class index; expected {hint}")
        return int(folder)

    return _walk_classes(root, target_of, hint)


def _scan_objectnet(spec: Benchmark, root: Path) -> FolderImages:
    mapping = labels.objectnet_mapping()
    hint = "ObjectNet's images/<folder>/ layout (e.g. objectnet-1.0/images/air_freshener/)"

    def target_of(folder: str) -> int | None:
        if folder not in mapping.folder_to_class:
            raise DatasetNotFoundError(f"folder {folder!r} in {root} is not an ObjectNet class folder; expected {hint}")
        indices = mapping.class_to_indices.get(mapping.folder_to_class[folder])
        # any ImageNet index of the class stands for it: scoring compares ObjectNet classes (eval's label map)
        return indices[0] if indices else None

    images = _walk_classes(root, target_of, hint)
    skipped = dict(images.skipped)
    if "class outside the dataset's label space" in skipped:
        skipped["outside the 113 ImageNet-overlapping classes"] = skipped.pop("class outside the dataset's label space")
    return FolderImages(images.root, images.paths, images.targets, skipped)


LAYOUTS: dict[str, Callable[[Benchmark, Path], FolderImages]] = {
    "wnid": _scan_wnid,
    "index": _scan_index,
    "objectnet": _scan_objectnet,
}

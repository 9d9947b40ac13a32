"""Training data sources: a real set and ImageNet-G release splits, as tables of (image, ImageNet index).

- Real: a folder in ImageNet's publisher layout (``train/<wnid>/*.JPEG``), listed with timm's own folder reader so
  that the file list equals ``timm.data.create_dataset`` on the same folder; or a Hub dataset id / local dataset
  folder (``ORG/NAME[:split]``) whose ``label`` column holds ImageNet-1k indices.
- Generated: one split of a built release (``<release root>/<version>/<split>-*.parquet`` + ``manifest.json``); the
  manifest names the shards and the spec hash, and only a completely built split is accepted.

Nothing here decodes an image: a source's table is an ``imagenet_g.images.ImageSource`` (``FolderImages``,
``HubImages``: targets, and ``open(i)`` on demand; picklable for loader workers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from imagenet_g import labels
from imagenet_g.errors import DatasetNotFoundError, ReleaseIntegrityError
from imagenet_g.images import (FolderImages, HubImages, ImageSource, is_dataset_folder, is_hub_id, labelled_images,
                               load_rows, undecoded)
from imagenet_g.layout import MANIFEST_FILE
from imagenet_g.release import Manifest, SplitRecord, read_manifest


@dataclass(frozen=True)
class Source:
    """One input of a training mix and where it came from."""

    kind: Literal["real", "generated"]
    location: str
    table: ImageSource
    version: str | None = None
    split: str | None = None
    spec_hash: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.version}:{self.split}" if self.kind == "generated" else self.location

    @property
    def classes(self) -> tuple[int, ...]:
        """The ImageNet indices this source has images of, ascending."""
        return tuple(int(c) for c in np.unique(self.table.targets))


def _wnid_folders(root: Path) -> list[str]:
    hint = "set {real} to a folder in ImageNet's train layout: one folder per wnid (e.g. n01440764/) of images"
    folders = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if not folders:
        raise DatasetNotFoundError(f"real set {root} has no class folders", fix=hint)
    index = labels.wnid_to_index()
    bad = [f for f in folders if f not in index]
    if bad:
        raise DatasetNotFoundError(f"folder {bad[0]!r} in {root} is not an ImageNet wnid", fix=hint)
    return folders


def real_folder(root: Path, classes: tuple[int, ...] | None = None) -> Source:
    """A real set in wnid folders; ``classes`` (ImageNet indices) limits it, and each must have images."""
    from timm.data.readers.reader_image_folder import find_images_and_targets

    root = Path(root)
    if not root.is_dir():
        raise DatasetNotFoundError(f"real set {root} is not a folder",
                                   fix="set {real} to ImageNet's train folder (<wnid>/ images)")
    index = labels.wnid_to_index()
    present = {index[w] for w in _wnid_folders(root)}
    wanted = set(classes) if classes is not None else present
    class_to_idx = {labels.wnids()[c]: c for c in sorted(wanted & present)}
    found, _ = find_images_and_targets(str(root), class_to_idx=class_to_idx)
    targets = np.fromiter((t for _, t in found), dtype=np.int64, count=len(found))
    _check_classes(str(root), wanted, targets)
    skipped = {"class folders outside the label space": len(present - wanted)} if present - wanted else {}
    return Source("real", str(root), FolderImages(str(root), tuple(p for p, _ in found), targets), skipped=skipped)


def _check_classes(where: str, wanted: set[int], targets: np.ndarray) -> None:
    missing = sorted(wanted - set(np.unique(targets).tolist()))
    if missing:
        example = ", ".join(labels.wnids()[c] for c in missing[:3])
        raise DatasetNotFoundError(
            f"real set {where} has no images of {len(missing)} of the {len(wanted)} classes of the label space "
            f"(e.g. {example})",
            fix="add those classes to {real}, or train on a label space it covers (the recipe's classes)",
        )


def real_hub(where: str, classes: tuple[int, ...] | None = None) -> Source:
    """A real set from a Hub id (``ORG/NAME[:split]``, default split train) or a local dataset folder."""
    name, _, split = where.partition(":")
    ds = load_rows(name, split or "train", fix="check {real} (ORG/NAME[:split], a dataset folder) and the network")
    images = labelled_images(ds, where, f"real set {where}",
                             fix="set {real} to a dataset with an image column and ImageNet-1k labels")
    targets = images.targets
    wanted = set(classes) if classes is not None else set(np.unique(targets).tolist())
    keep = np.flatnonzero(np.isin(targets, sorted(wanted)))
    _check_classes(where, wanted, targets[keep])
    outside = len(targets) - len(keep)
    table = HubImages(images.dataset.select(keep) if outside else images.dataset, targets[keep], where)
    return Source("real", where, table, skipped={"rows outside the label space": outside} if outside else {})


def check_real(where: str | Path) -> None:
    """The real set is a Hub id, a dataset folder of parquet, or a folder of wnid folders (checked before an image
    or a table is read: only names in the folder)."""
    path = Path(where)
    if not path.is_dir() and not is_hub_id(str(where)):
        raise DatasetNotFoundError(f"real set {str(where)!r} is neither a folder nor a Hub id",
                                   fix="set {real} to a folder or to ORG/NAME[:split]")
    if path.is_dir() and not is_dataset_folder(path):
        _wnid_folders(path)


def real_source(where: str | Path, classes: tuple[int, ...] | None = None) -> Source:
    """The real set: a wnid-folder tree, a local dataset folder of parquet files, or a Hub id."""
    check_real(where)
    path = Path(where)
    if path.is_dir():
        return real_hub(str(path), classes) if is_dataset_folder(path) else real_folder(path, classes)
    return real_hub(str(where), classes)


def built_split(root: Path, version: str, split: str) -> tuple[Manifest, SplitRecord]:
    """The manifest of a release built in ``root`` and its record of ``split``, which must be completely built
    (only the manifest is read)."""
    version_dir = Path(root) / version
    manifest = read_manifest(version_dir)
    if manifest is None:
        raise ReleaseIntegrityError(
            f"release {version} is not built in {root} (no {version}/{MANIFEST_FILE})",
            fix=f"build its {split} split first, or set {{dataset_dir}} to the folder that holds it",
        )
    record = manifest.splits.get(split)
    if record is None:
        raise ReleaseIntegrityError(
            f"release {version} has no {split!r} split (it has: {', '.join(manifest.splits)})",
            fix="name one of its splits in {generated}, or add the split to its spec and build it",
        )
    if not record.complete:
        raise ReleaseIntegrityError(
            f"release {version} split {split} is not completely built ({len(record.shards)} of {record.num_shards} "
            "shards)", fix="finish its build first",
        )
    return manifest, record


def release_split(root: Path, version: str, split: str) -> Source:
    """One completely built split of a release, read through the shards its manifest lists."""
    manifest, record = built_split(root, version, split)
    version_dir = Path(root) / version
    files = [str(version_dir / s.file) for s in record.shards]
    ds = load_rows(str(version_dir), split, data_files=files, fix=f"rebuild release {version}")
    table = HubImages(undecoded(ds), np.asarray(ds["label"], dtype=np.int64), str(version_dir))
    return Source("generated", str(version_dir), table, version, split, manifest.spec_hash)

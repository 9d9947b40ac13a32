"""Finding and listing the evaluation sets of ``imagenet_g.benchmarks``, each in its publisher's layout.

Expected layouts under ``--data-root`` (first match wins; any dataset can also be set by path or Hub id):

==========================  ==================================================================  =======
dataset                     folder (publisher's layout)                                          images
==========================  ==================================================================  =======
imagenet-g                  imagenet-g/<release>/*.parquet + manifest.json (our release folder)  -
imagenet                    imagenet/val/<wnid>/*.JPEG  (or val/, imagenet-val/)                 50000
imagenet-v2                 imagenetv2-<variant>-format-val/<0..999>/*.jpeg                      10000
                            (or imagenet-v2/imagenetv2-<variant>-format-val)
imagenet-r                  imagenet-r/<wnid>/*.jpg (200 wnids)                                  30000
imagenet-sketch             sketch/<wnid>/*.JPEG (or imagenet-sketch/sketch, imagenet-sketch)    50889
objectnet                   objectnet-1.0/images/<objectnet folder>/*.png (or objectnet/images)  18574
imagenet-a                  imagenet-a/<wnid>/*.jpg (200 wnids)                                  7500
val-on-*-classes            derived from imagenet (val images of those classes)                   -
==========================  ==================================================================  =======

Counts are the published ones (ObjectNet: the images of its 113 ImageNet-overlapping classes).
A Hub dataset id (``ORG/NAME`` or ``ORG/NAME:split``), or a local folder of its parquet shards, needs an
``image`` column and a ``label`` column holding ImageNet-1k indices.
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
from imagenet_g.benchmarks import BENCHMARKS, V2_DEFAULT, Benchmark, check_variant, get_benchmark
from imagenet_g.errors import DatasetNotFoundError, UnknownNameError, unknown
from imagenet_g.evaluate.decode import decode_rgb
from imagenet_g.layout import built_versions, read_spec_hash
from imagenet_g.progress import quiet_datasets

# Release columns kept beside each prediction, so per-class and per-template analyses join without guessing.
RELEASE_JOIN_KEYS = ("image_index", "template_id", "seed", "wnid")
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+(:[\w.-]+)?$")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".ppm", ".tif", ".tiff")


def label_map(spec: Benchmark) -> np.ndarray | None:
    """ImageNet index -> ObjectNet class id (-1 elsewhere) for ObjectNet-scored datasets, else None.

    Class ids are positions in ``labels.objectnet_groups()`` (imagenet-testbed's collapsed-class order).
    """
    if not spec.objectnet_labels:
        return None
    table = np.full(labels.NUM_CLASSES, -1, dtype=np.int64)
    for cls_id, indices in enumerate(labels.objectnet_groups()):
        table[list(indices)] = cls_id
    return table



# ---- image sources (picklable, so DataLoader workers can read them) -------------------------------------


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


@dataclass(frozen=True)
class HubImages:
    """Rows of a ``datasets.Dataset`` (image bytes not decoded until read) with ImageNet targets."""

    dataset: object  # datasets.Dataset with an undecoded ``image`` column
    targets: np.ndarray
    root: str
    skipped: dict[str, int] = field(default_factory=dict)
    columns: dict[str, np.ndarray] = field(default_factory=dict)  # join keys per row (release provenance)

    def __len__(self) -> int:
        return len(self.targets)

    def read(self, i: int) -> bytes:
        """The encoded bytes of row ``i``'s image."""
        image = self.dataset[int(i)]["image"]
        if image.get("bytes"):
            return image["bytes"]
        with open(image["path"], "rb") as fh:
            return fh.read()

    def open(self, i: int):
        """Row ``i``'s image as an RGB PIL image (``decode.UnreadableImage`` if it is none)."""
        return decode_rgb(self.read(i))

    def key(self, i: int) -> str:
        return f"row-{i}"

    def fingerprint(self) -> str:
        """The ``datasets`` fingerprint of the rows (it follows the files and every operation applied)."""
        return str(getattr(self.dataset, "_fingerprint", ""))

    def join_keys(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Columns identifying each of ``rows``: the release's provenance columns where present."""
        return {name: values[rows] for name, values in self.columns.items()}

    def subset(self, mask: np.ndarray) -> HubImages:
        keep = np.flatnonzero(mask)
        return HubImages(self.dataset.select(keep), self.targets[keep], self.root, dict(self.skipped),
                         {name: values[keep] for name, values in self.columns.items()})


@dataclass(frozen=True)
class LoadedDataset:
    """A dataset ready to score: its images, where they came from, and its version/checksum."""

    spec: Benchmark
    images: FolderImages | HubImages
    source: str
    version: str | None = None
    checksum: str | None = None


# ---- publisher layouts ----------------------------------------------------------------------------------


def _natural_key(text: str):
    # timm's natural_key: digit runs compare as numbers, so '2' < '10' < '100' as ImageNet-V2 needs
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", text)]


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
                if target is None:
                    skipped["class outside the dataset's label space"] += 1
                elif f.lower().endswith(IMAGE_EXTENSIONS):
                    paths.append(os.path.join(dirpath, f))
                    targets.append(target)
                else:
                    skipped["not an image file (extension)"] += 1
    if not paths:
        raise DatasetNotFoundError(f"no images found in {root}; expected {layout_hint}")
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
        # any ImageNet index of the class stands for it: scoring compares ObjectNet classes (label_map)
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


# ---- finding and loading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """Where a dataset was found: a local folder or a Hub dataset id."""

    kind: str  # "folder" | "hub"
    where: str


def _is_hf_folder(folder: Path) -> bool:
    """A `datasets` folder (parquet shards at the top or under data/), not image files in class folders."""
    return any(folder.glob("*.parquet")) or any(folder.glob("data/*.parquet"))


def candidate_folders(spec: Benchmark, data_root: Path, variant: str = V2_DEFAULT) -> tuple[Path, ...]:
    """The folders under ``data_root`` where ``spec`` is looked for, in order."""
    return tuple(Path(data_root) / f.format(variant=variant) for f in spec.folders)


def locate(
    spec: Benchmark, data_root: Path, path: str | None = None, variant: str = V2_DEFAULT
) -> Location | None:
    """Find a dataset: an explicit path or Hub id, else the first publisher folder under ``data_root``."""
    if spec.parent is not None:
        return None
    if path:
        if Path(path).is_dir() and spec.layout != "release" and _is_hf_folder(Path(path)):
            return Location("hub", str(Path(path)))  # a local copy of a Hub dataset: load_dataset reads it too
        if Path(path).exists():
            return Location("folder", str(Path(path)))
        if HUB_ID.match(path):
            return Location("hub", path)
        raise DatasetNotFoundError(f"{spec.name} path {path!r} does not exist and is not a Hub id like ORG/NAME")
    for folder in candidate_folders(spec, data_root, variant):
        if folder.is_dir():
            return Location("folder", str(folder))
    return None


def _local_parquet(folder: Path, split: str) -> list[str]:
    """A local dataset folder's parquet shards of ``split`` (``<split>-*.parquet``, at the top or under data/);
    all its shards when none is named by split."""
    for pattern in (f"{split}-*.parquet", f"data/{split}-*.parquet", "*.parquet", "data/*.parquet"):
        files = sorted(str(p) for p in folder.glob(pattern))
        if files:
            return files
    raise DatasetNotFoundError(f"no parquet files of split {split} in {folder}")


def _load_rows(where: str, split: str, config: str | None = None, data_files: list[str] | None = None):
    """``datasets.load_dataset`` of a Hub id, or of local parquet files (``data_files``, else a local folder's).

    Local files go through the parquet builder, whose cache follows the files themselves: a folder loaded by
    name (``load_dataset(folder, config)``) is cached under the folder and config name alone, so a rebuilt or
    replaced dataset would be served stale.
    """
    import datasets

    try:
        if data_files is None and Path(where).is_dir():
            data_files = _local_parquet(Path(where) / config if config else Path(where), split)
        with quiet_datasets():
            if data_files is not None:
                return datasets.load_dataset("parquet", data_files={split: data_files}, split=split)
            return datasets.load_dataset(where, config, split=split)
    except (ValueError, OSError) as exc:  # unknown split, offline Hub, missing repo (FileNotFoundError)
        raise DatasetNotFoundError(f"cannot load {where} (split {split}): {' '.join(str(exc).split())[:200]}") from exc


def _hub_images(where: str, split: str, config: str | None = None, data_files: list[str] | None = None):
    """Load ``where`` (a Hub id or a local dataset folder) with ``datasets``; undecoded images, ImageNet targets."""
    import datasets

    ds = _load_rows(where, split, config, data_files)
    if "image" not in ds.column_names or "label" not in ds.column_names:
        raise DatasetNotFoundError(f"{where} has columns {ds.column_names}; need 'image' and 'label' (ImageNet index)")
    targets = np.asarray(ds["label"], dtype=np.int64)
    if len(targets) == 0:
        raise DatasetNotFoundError(f"{where} (split {split}) has no rows")
    if targets.min() < 0 or targets.max() >= labels.NUM_CLASSES:
        raise DatasetNotFoundError(f"{where}: 'label' must hold ImageNet-1k indices 0..999")
    images = ds.select_columns(["image"]).cast_column("image", datasets.Image(decode=False))
    present = [c for c in RELEASE_JOIN_KEYS if c in ds.column_names]
    columns = {c: np.asarray(ds[c]) for c in present}
    return ds, HubImages(images, targets, where, columns=columns)


def release_versions(location: Location) -> tuple[str, ...]:
    """The releases available at an ImageNet-G location (folders with a manifest, or the Hub configs)."""
    if location.kind == "folder":
        root = Path(location.where)
        return built_versions(root)
    import datasets

    return tuple(datasets.get_dataset_config_names(location.where))


def _release_files(location: Location, release: str) -> list[str] | None:
    """A local release's test shards. Read as plain parquet files: `datasets` caches a folder loaded through its
    card's configs under the folder and config name alone, so a rebuilt release would be served stale."""
    if location.kind != "folder":
        return None
    return sorted(str(p) for p in (Path(location.where) / release).glob("test-*.parquet"))


def release_rows(location: Location, release: str):
    """Every column of a built release's test split (a ``datasets.Dataset``), read as eval reads it."""
    return _load_rows(location.where, "test", release, _release_files(location, release))


def _load_release(spec: Benchmark, location: Location, release: str) -> LoadedDataset:
    versions = release_versions(location)
    if release not in versions:
        raise unknown("release", release, versions, where=f"(not built at {location.where})",
                      otherwise=f"build release {release} first")
    ds, images = _hub_images(location.where, "test", release, _release_files(location, release))
    checksum = None
    if location.kind == "folder":
        checksum = read_spec_hash(Path(location.where), release)
    elif "spec_hash" in ds.column_names:
        checksum = ",".join(ds.unique("spec_hash"))
    return LoadedDataset(spec, images, location.where, version=release, checksum=checksum)


def load(spec: Benchmark, location: Location, release: str = "v1", variant: str = V2_DEFAULT) -> LoadedDataset:
    """Read a dataset's image list (no decoding) from where ``locate`` found it."""
    if spec.layout == "release":
        return _load_release(spec, location, release)
    version = variant if spec.name == "imagenet-v2" else None
    if location.kind == "hub":
        name, _, split = location.where.partition(":")
        _, images = _hub_images(name, split or spec.hub_split)
        return LoadedDataset(spec, images, location.where, version=version)
    return LoadedDataset(spec, LAYOUTS[spec.layout](spec, Path(location.where)), location.where, version=version)


@dataclass(frozen=True)
class DatasetStatus:
    """What `imagenet-g data` reports for one dataset."""

    name: str
    found: bool
    where: str | None
    images: int | None
    expected: int | None
    skipped: int = 0
    note: str = ""


def inventory(
    data_root: Path, paths: dict[str, str] | None = None, release: str = "v1", variant: str = V2_DEFAULT
) -> list[DatasetStatus]:
    """Find every registered dataset and count its images against the published count (no decoding)."""
    paths = dict(paths or {})
    for name in paths:
        get_benchmark(name)
    check_variant(variant)
    scanned: dict[str, LoadedDataset] = {}
    out: list[DatasetStatus] = []
    for spec in BENCHMARKS.values():
        source = get_benchmark(spec.parent) if spec.parent else spec
        location = None
        try:
            location = locate(source, data_root, paths.get(source.name), variant)
            if location is None:
                looked = ", ".join(str(p) for p in candidate_folders(source, data_root, variant))
                note = f"looked in {looked}"
                out.append(DatasetStatus(spec.name, False, None, None, spec.expected_images, note=note))
                continue
            if source.name not in scanned:
                scanned[source.name] = load(source, location, release, variant)
        except (DatasetNotFoundError, UnknownNameError) as exc:
            where = location.where if location else paths.get(source.name)
            out.append(DatasetStatus(spec.name, False, where, None, spec.expected_images, note=str(exc)))
            continue
        data = scanned[source.name]
        targets = data.images.targets
        count = len(targets) if not spec.parent else int(np.isin(targets, labels.subset_indices(spec.classes)).sum())
        skipped = sum(data.images.skipped.values()) if not spec.parent else 0
        note = f"from {spec.parent}" if spec.parent else ", ".join(f"{v} {k}" for k, v in data.images.skipped.items())
        if data.version:
            note = f"version {data.version}" + (f"; {note}" if note else "")
        out.append(DatasetStatus(spec.name, True, data.source, count, spec.expected_images, skipped, note))
    return out

"""Finding the evaluation sets of ``imagenet_g.benchmarks``, each in its publisher's layout, and reading their
image lists (no decoding): ``locate`` then ``load`` -> ``LoadedDataset``.

Expected layouts under a data root (first match wins; any dataset can also be set by path or Hub id):

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

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.benchmarks import V2_DEFAULT, Benchmark
from imagenet_g.errors import DatasetNotFoundError, unknown
from imagenet_g.images.folder import LAYOUTS
from imagenet_g.images.hub import is_dataset_folder, labelled_images, load_rows
from imagenet_g.images.release import release_images, release_versions
from imagenet_g.images.source import ImageSource, Location, is_hub_id
from imagenet_g.layout import DEFAULT_RELEASE, read_spec_hash


@dataclass(frozen=True)
class LoadedDataset:
    """A dataset ready to score: its images, where they came from, and its version/checksum."""

    spec: Benchmark
    images: ImageSource
    source: str
    version: str | None = None
    checksum: str | None = None


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
        if Path(path).is_dir() and spec.layout != "release" and is_dataset_folder(Path(path)):
            return Location("hub", str(Path(path)))  # a local copy of a Hub dataset: load_dataset reads it too
        if Path(path).exists():
            return Location("folder", str(Path(path)))
        if is_hub_id(path):
            return Location("hub", path)
        raise DatasetNotFoundError(f"{spec.name} path {path!r} does not exist and is not a Hub id like ORG/NAME")
    for folder in candidate_folders(spec, data_root, variant):
        if folder.is_dir():
            return Location("folder", str(folder))
    return None


def not_found(spec: Benchmark, data_root: Path, variant: str = V2_DEFAULT) -> str:
    """Why ``locate`` found no ``spec`` under ``data_root``: where it looked, and how to name its folder instead."""
    looked = ", ".join(str(p) for p in candidate_folders(spec, data_root, variant))
    return f"not found (looked in {looked}; set its path with --path {spec.name}=DIR)"


def check_release_built(location: Location, release: str) -> None:
    """``release`` is built at the ImageNet-G ``location`` (for a Hub id this asks the Hub), else an unknown release
    naming the ones that are."""
    versions = release_versions(location)
    if release not in versions:
        raise unknown("release", release, versions, where=f"(not built at {location.where})",
                      otherwise=f"build release {release} first")


def _load_release(spec: Benchmark, location: Location, release: str) -> LoadedDataset:
    check_release_built(location, release)
    rows, images = release_images(location, release)
    checksum = None
    if location.kind == "folder":
        checksum = read_spec_hash(Path(location.where), release)
    elif "spec_hash" in rows.column_names:
        checksum = ",".join(rows.unique("spec_hash"))
    return LoadedDataset(spec, images, location.where, version=release, checksum=checksum)


def load(spec: Benchmark, location: Location, release: str = DEFAULT_RELEASE, variant: str = V2_DEFAULT) -> LoadedDataset:
    """Read a dataset's image list (no decoding) from where ``locate`` found it."""
    if spec.layout == "release":
        return _load_release(spec, location, release)
    version = variant if spec.name == "imagenet-v2" else None
    if location.kind == "hub":
        name, _, split = location.where.partition(":")
        split = split or spec.hub_split
        images = labelled_images(load_rows(name, split), name, f"{name} (split {split})")
        return LoadedDataset(spec, images, location.where, version=version)
    return LoadedDataset(spec, LAYOUTS[spec.layout](spec, Path(location.where)), location.where, version=version)

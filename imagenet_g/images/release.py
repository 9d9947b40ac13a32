"""A built ImageNet-G release read as images: its versions, and a version's test split as ``HubImages``.

A release is a local folder (``imagenet_g.layout``: ``<folder>/<version>/test-*.parquet`` + ``manifest.json``) or
a Hub dataset with one config per version.
"""

from __future__ import annotations

from pathlib import Path

from imagenet_g.images.hub import HubImages, labelled_images, load_rows
from imagenet_g.images.source import Location
from imagenet_g.layout import built_versions

_RELEASE_SPLIT = "test"  # the split a release is evaluated and audited on


def release_versions(location: Location) -> tuple[str, ...]:
    """The releases available at an ImageNet-G location (folders with a manifest, or the Hub configs)."""
    if location.kind == "folder":
        return built_versions(Path(location.where))
    import datasets

    return tuple(datasets.get_dataset_config_names(location.where))


def _release_files(location: Location, release: str) -> list[str] | None:
    """A local release's test shards. Read as plain parquet files: `datasets` caches a folder loaded through its
    card's configs under the folder and config name alone, so a rebuilt release would be served stale."""
    if location.kind != "folder":
        return None
    return sorted(str(p) for p in (Path(location.where) / release).glob(f"{_RELEASE_SPLIT}-*.parquet"))


def release_rows(location: Location, release: str):
    """Every column of a built release's test split (a ``datasets.Dataset``), read as eval reads it."""
    return load_rows(location.where, _RELEASE_SPLIT, release, _release_files(location, release))


def release_images(location: Location, release: str) -> tuple[object, HubImages]:
    """A built release's test split: its rows (every column) and its images with their provenance join keys."""
    rows = release_rows(location, release)
    return rows, labelled_images(rows, location.where, f"{location.where} (split {_RELEASE_SPLIT})")

"""What `imagenet-g data` reports: every registered evaluation set found (``imagenet_g.images.locate``) and its
images counted against the published count, without decoding any."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imagenet_g import labels
from imagenet_g.benchmarks import BENCHMARKS, V2_DEFAULT, check_variant, get_benchmark
from imagenet_g.checks import check_folder
from imagenet_g.errors import ArgumentError, DatasetNotFoundError, UnknownNameError
from imagenet_g.evaluate.request import check_dataset_paths
from imagenet_g.images import LoadedDataset, candidate_folders, check_release_built, load, locate
from imagenet_g.layout import DEFAULT_RELEASE


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
    data_root: Path, paths: dict[str, str] | None = None, release: str = DEFAULT_RELEASE, variant: str = V2_DEFAULT
) -> list[DatasetStatus]:
    """Find every registered dataset and count its images against the published count (no decoding)."""
    check_folder(data_root, "data_root")
    paths = dict(paths or {})
    check_dataset_paths(paths)  # as eval: a path given is a folder here or a Hub id, never only a table note
    check_variant(variant)
    _check_release(release, data_root, paths.get("imagenet-g"), variant)
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


def _check_release(release: str, data_root: Path, path: str | None, variant: str) -> None:
    """The release to count is built where ImageNet-G is found (as eval reads it). Where it is not found there is
    nothing to count, and a release of the user's own specs cannot be told from a misspelt one: only a blank name
    is refused."""
    if not release.strip():
        raise ArgumentError(f"{release!r} names no release", "set {release} to a release's version, e.g. v1 or smoke")
    location = locate(get_benchmark("imagenet-g"), data_root, path, variant)
    if location is not None:
        check_release_built(location, release)

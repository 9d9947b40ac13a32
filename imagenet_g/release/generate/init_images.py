"""The real images an image-conditioned release starts from, and their checksums.

The spec names which images (``conditioning.init_images``: the dataset, and for each release split the
dataset's split); where they are is given at build time, as either

- a local folder in the publisher's layout: ``<folder>/<split>/<wnid>/<file>`` (ImageNet's ``train/`` and, after
  the usual ``valprep.sh``, ``val/``), or
- a Hugging Face dataset id (or a local ``datasets`` folder) with ``image`` and ``label`` columns, labels being
  ImageNet-1k indices (as ``ILSVRC/imagenet-1k``); a split missing there is tried under its long name
  (``val`` -> ``validation``).

Image ``i`` of a class starts from that class's ``i``-th image (files sorted by name, rows in dataset order),
cycling when the class has fewer. Every row records its init image's id and sha256; the lock records, per
release split and class, a digest of those ids and checksums, so an init image changed after the lock is caught.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imagenet_g.errors import DatasetNotFoundError, ImagenetGError, SpecError, one_line
from imagenet_g.images import HubImages, UnreadableImage, decode_rgb, files_by_name, is_hub_id, load_rows, undecoded
from imagenet_g.progress import quiet_datasets
from imagenet_g.release.spec import PromptRow, ReleaseSpec

# The files that count as a class's init images. Fixed: which file is a class's i-th image (and so every lock and
# row of an image-conditioned release) depends on it.
_IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".webp", ".bmp")
_SPLIT_ALIASES = {"val": "validation"}
_LOAD_FIX = "check {init_images}, the network and HF_HUB_OFFLINE, and `hf auth login` for gated datasets"


@dataclass(frozen=True)
class InitImage:
    """One init image: its id in the source, its sha256 and its encoded bytes."""

    id: str
    sha256: str
    data: bytes


def init_digest(images: Iterable[tuple[str, str]]) -> str:
    """The digest of a class's init images: sha256 over ``"<id> <sha256>\\n"`` of each, in release order."""
    digest = hashlib.sha256()
    for image_id, sha in images:
        digest.update(f"{image_id} {sha}\n".encode())
    return digest.hexdigest()


@dataclass
class FolderSource:
    """Init images in a folder laid out ``<split>/<wnid>/<file>``."""

    root: Path
    _listings: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return str(self.root)

    def ids(self, split: str, wnid: str) -> list[str]:
        key = (split, wnid)
        if key not in self._listings:
            folder = self.root / split / wnid
            found = [p.relative_to(self.root).as_posix() for p in files_by_name(folder, _IMAGE_SUFFIXES)]
            if not found:
                raise DatasetNotFoundError(
                    f"no init images for class {wnid} in {folder}",
                    fix=f"put {split}/<wnid>/ image folders in {{init_images}} ({self.root}), as the dataset ships them",
                )
            self._listings[key] = found
        return self._listings[key]

    def read(self, image_id: str) -> bytes:
        return (self.root / image_id).read_bytes()


@dataclass
class DatasetSource:
    """Init images in a ``datasets`` dataset (Hub id or local folder) with ``image`` and ``label`` columns."""

    name: str
    _splits: dict[str, HubImages] = field(default_factory=dict)
    _rows: dict[tuple[str, int], list[int]] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return self.name

    def _split(self, split: str) -> HubImages:
        if split not in self._splits:
            self._splits[split] = loaded = self._load(split)
            for position, label in enumerate(loaded.targets):
                self._rows.setdefault((split, int(label)), []).append(position)
        return self._splits[split]

    def _load(self, split: str) -> HubImages:
        import datasets

        try:
            with quiet_datasets():
                names = datasets.get_dataset_split_names(self.name)
            chosen = split if split in names else _SPLIT_ALIASES.get(split)
            if chosen not in names:
                raise DatasetNotFoundError(
                    f"dataset {self.name} has no split {split} (it has {', '.join(names)})",
                    fix="set {init_images} to a dataset with that split",
                )
            loaded = load_rows(self.name, chosen, fix=_LOAD_FIX)
            if not {"image", "label"} <= set(loaded.column_names):
                raise DatasetNotFoundError(
                    f"dataset {self.name} has no image and label columns (it has {', '.join(loaded.column_names)})",
                    fix="set {init_images} to a dataset with an image column and ImageNet-1k labels",
                )
            return HubImages(undecoded(loaded), np.asarray(loaded["label"], dtype=np.int64), self.name)
        except ImagenetGError:
            raise
        except (OSError, ValueError) as exc:  # datasets' not-found, offline and format errors
            raise DatasetNotFoundError(
                f"cannot load dataset {self.name} ({one_line(exc)})",
                fix=_LOAD_FIX,
            ) from None

    def ids(self, split: str, wnid: str) -> list[str]:
        from imagenet_g.labels import wnid_to_index

        self._split(split)
        rows = self._rows.get((split, wnid_to_index()[wnid]))
        if not rows:
            raise DatasetNotFoundError(
                f"no init images for class {wnid} in split {split} of {self.name}",
                fix="set {init_images} to a dataset holding every class of the release",
            )
        return [f"{split}/{row}" for row in rows]

    def read(self, image_id: str) -> bytes:
        split, row = image_id.rsplit("/", 1)
        return self._split(split).read(int(row))


InitSource = FolderSource | DatasetSource


def open_init_images(spec: ReleaseSpec, location: str | Path | None) -> InitSource | None:
    """The init-image source of a release (None when its conditioning uses no images)."""
    wanted = spec.conditioning.init_images
    if wanted is None:
        return None
    splits = ", ".join(sorted(set(wanted.splits.values())))
    if location is None:
        raise DatasetNotFoundError(
            f"conditioning {spec.conditioning.kind} starts from real images ({wanted.dataset} {splits}), and none "
            "were given",
            fix=f"set {{init_images}} to a folder holding {splits}/<wnid>/ image folders, or to a Hub dataset id",
        )
    path = Path(location)
    if path.is_dir() and any((path / split).is_dir() for split in wanted.splits.values()):
        return FolderSource(path.resolve())
    if path.is_dir():  # a `datasets` folder (parquet shards, a loading script...)
        return DatasetSource(str(path.resolve()))
    if is_hub_id(str(location)) and ":" not in str(location):  # ORG/NAME: the spec names the splits
        return DatasetSource(str(location))
    raise DatasetNotFoundError(
        f"init images {location}: neither a folder holding {splits}/<wnid>/ image folders nor a dataset",
        fix="set {init_images} to such a folder, or to an ORG/NAME Hub dataset id",
    )


def choose(source: InitSource, spec: ReleaseSpec, row: PromptRow) -> str:
    """The id of the init image of one planned image (see the module docstring)."""
    wanted = spec.conditioning.init_images
    if wanted is None:
        raise SpecError(f"conditioning {spec.conditioning.kind} uses no init images")
    ids = source.ids(wanted.splits[row.split], row.wnid)
    return ids[row.image_index % len(ids)]


def read_init_image(source: InitSource, image_id: str) -> InitImage:
    """One init image's bytes and checksum."""
    try:
        data = source.read(image_id)
    except OSError as exc:
        raise DatasetNotFoundError(
            f"cannot read init image {image_id} from {source.location}: {exc.strerror or exc}",
            fix="restore it, or set {init_images} to the complete source",
        ) from None
    return InitImage(image_id, hashlib.sha256(data).hexdigest(), data)


def init_pixels(image: InitImage):
    """An init image decoded to RGB (the one decode path: ``imagenet_g.images.decode_rgb``)."""
    try:
        return decode_rgb(image.data)
    except UnreadableImage as exc:
        raise DatasetNotFoundError(f"init image {image.id} is an {exc.reason}",
                                   fix="restore it, or set {init_images} to the complete source") from None


def split_digests(source: InitSource, spec: ReleaseSpec, rows: Iterable[PromptRow]) -> dict[str, str]:
    """``wnid -> init_digest`` of the init images of ``rows`` (one release split), reading every image once."""
    per_class: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        image = read_init_image(source, choose(source, spec, row))
        per_class.setdefault(row.wnid, []).append((image.id, image.sha256))
    return {wnid: init_digest(images) for wnid, images in per_class.items()}

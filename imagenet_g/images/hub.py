"""Images in ``datasets`` tables: a Hugging Face dataset id, a local dataset folder or parquet shards.

``HubImages`` keeps the table's ``image`` column undecoded (bytes, or a path) and its ``label`` column, ImageNet-1k
indices, as targets; an image is decoded only when read. ``_load_split`` is the one ``datasets.load_dataset`` call;
``load_rows`` adds what eval needs of a local folder (its parquet shards read as files) and one-line errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imagenet_g import labels
from imagenet_g.errors import DatasetNotFoundError, one_line
from imagenet_g.images.decode import decode_rgb
from imagenet_g.progress import quiet_datasets

# Release columns kept beside each prediction, so per-class and per-template analyses join without guessing.
_RELEASE_JOIN_KEYS = ("image_index", "template_id", "seed", "wnid")


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
        return _image_bytes(self.dataset[int(i)]["image"])

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


def _image_bytes(cell: dict) -> bytes:
    """The encoded bytes of an undecoded ``datasets.Image`` cell: its bytes, else the file at its path (the rule
    of ``datasets.Image.decode_example``)."""
    if cell.get("bytes") is not None:
        return cell["bytes"]
    with open(cell["path"], "rb") as fh:
        return fh.read()


def undecoded(ds):
    """The ``image`` column of a ``datasets.Dataset`` alone, left as bytes or paths (decoded when read)."""
    import datasets

    return ds.select_columns(["image"]).cast_column("image", datasets.Image(decode=False))


def _load_split(where: str, split: str, config: str | None = None, data_files: list[str] | None = None):
    """``datasets.load_dataset`` of parquet ``data_files``, else of ``where`` (a Hub id or a dataset folder),
    without ``datasets``' progress bars; its errors pass as they are."""
    import datasets

    with quiet_datasets():
        if data_files is not None:
            return datasets.load_dataset("parquet", data_files={split: data_files}, split=split)
        return datasets.load_dataset(where, config, split=split)


def _local_parquet(folder: Path, split: str) -> list[str]:
    """A local dataset folder's parquet shards of ``split`` (``<split>-*.parquet``, at the top or under data/);
    all its shards when none is named by split."""
    for pattern in (f"{split}-*.parquet", f"data/{split}-*.parquet", "*.parquet", "data/*.parquet"):
        files = sorted(str(p) for p in folder.glob(pattern))
        if files:
            return files
    raise DatasetNotFoundError(f"no parquet files of split {split} in {folder}")


def is_dataset_folder(folder: Path) -> bool:
    """A `datasets` folder (parquet shards at the top or under data/), not image files in class folders."""
    return any(folder.glob("*.parquet")) or any(folder.glob("data/*.parquet"))


def load_rows(where: str, split: str, config: str | None = None, data_files: list[str] | None = None,
              fix: str | None = None):
    """Every column of ``split`` of a Hub id, or of local parquet files (``data_files``, else a local folder's).
    Any failure is one ``DatasetNotFoundError`` (``fix``: the advice when the data cannot be loaded at all).

    Local files go through the parquet builder, whose cache follows the files themselves: a folder loaded by
    name (``load_dataset(folder, config)``) is cached under the folder and config name alone, so a rebuilt or
    replaced dataset would be served stale.
    """
    from datasets.exceptions import DatasetsError

    try:
        if data_files is None and Path(where).is_dir():
            data_files = _local_parquet(Path(where) / config if config else Path(where), split)
        if data_files is not None:
            _check_parquet(data_files)
        return _load_split(where, split, config, data_files)
    except DatasetNotFoundError:
        raise
    except (ValueError, OSError, DatasetsError) as exc:  # unknown split, offline Hub, missing repo, damaged rows
        cause = exc.__cause__ if isinstance(exc, DatasetsError) and exc.__cause__ is not None else exc
        raise DatasetNotFoundError(f"cannot load {where} (split {split}): {one_line(cause)}", fix) from None


def _check_parquet(files: list[str]) -> None:
    """Each local parquet file has a readable footer, so that a truncated or foreign file (a text file named
    .parquet) is named in one line instead of failing deep inside ``datasets``."""
    import pyarrow.parquet as pq

    for file in files:
        try:
            pq.read_metadata(file)
        except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
            raise DatasetNotFoundError(f"{file} is not a readable parquet file ({one_line(exc)})",
                                       "restore or rebuild it (`imagenet-g verify` names every damaged shard of a "
                                       "release)") from None


def labelled_images(ds, where: str, what: str | None = None, fix: str | None = None) -> HubImages:
    """``ds``'s undecoded images with its ``label`` column as targets, which must be ImageNet-1k indices; the
    release's provenance columns are kept as join keys. Errors call the table ``what`` (default: ``where``)."""
    what = what or where
    if "image" not in ds.column_names or "label" not in ds.column_names:
        raise DatasetNotFoundError(f"{what} has columns {ds.column_names}; need 'image' and 'label' (ImageNet index)",
                                   fix=fix)
    targets = np.asarray(ds["label"], dtype=np.int64)
    if len(targets) == 0:
        raise DatasetNotFoundError(f"{what} has no rows", fix=fix)
    if targets.min() < 0 or targets.max() >= labels.NUM_CLASSES:
        raise DatasetNotFoundError(f"{what}: 'label' must hold ImageNet-1k indices 0..999", fix=fix)
    columns = {c: np.asarray(ds[c]) for c in _RELEASE_JOIN_KEYS if c in ds.column_names}
    return HubImages(undecoded(ds), targets, where, columns=columns)

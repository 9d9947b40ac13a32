"""What every image source offers (``ImageSource``): a list of images with ImageNet targets, read on demand.

Sources are picklable values, so decode workers each hold a copy (``batching``). Where the images come from
decides the rest: ``FolderImages`` (files in a publisher's layout), ``HubImages`` (rows of a ``datasets`` table:
a Hub id, local parquet shards, a built release). ``Location`` says where a dataset was found; ``is_hub_id`` is the
one rule for what a Hugging Face dataset id looks like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

# A Hugging Face dataset id, ``ORG/NAME``, optionally ``:split``
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+(:[\w.-]+)?$")


def is_hub_id(text: str) -> bool:
    """Whether ``text`` is a Hub dataset id: ``ORG/NAME`` or ``ORG/NAME:split``."""
    return _HUB_ID.match(text) is not None


@dataclass(frozen=True)
class Location:
    """Where a dataset was found: a local folder or a Hub dataset id."""

    kind: str  # "folder" | "hub"
    where: str


class ImageSource(Protocol):
    """Images ``0..len-1`` with their ImageNet targets; nothing is decoded until ``read``/``open``."""

    @property
    def root(self) -> str:
        """Where the images are (a folder, a Hub id, a release folder)."""

    @property
    def targets(self) -> np.ndarray:
        """(N,) int64 ImageNet index of each image."""

    @property
    def skipped(self) -> dict[str, int]:
        """reason -> count of what listing the source left out (junk files, classes outside the label space)."""

    def __len__(self) -> int: ...

    def read(self, i: int) -> bytes:
        """The encoded bytes of image ``i`` (``OSError`` when they cannot be read)."""

    def open(self, i: int) -> Image.Image:
        """Image ``i`` as an RGB PIL image (``decode.UnreadableImage`` if it is none)."""

    def key(self, i: int) -> str:
        """A stable name of image ``i`` within the source (a relative path, a row)."""

    def fingerprint(self) -> str:
        """A digest that changes whenever the images do."""

    def join_keys(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Columns identifying each of ``rows`` in the source, kept beside per-image results."""

    def subset(self, mask: np.ndarray) -> ImageSource:
        """The images where ``mask`` holds, targets aligned."""

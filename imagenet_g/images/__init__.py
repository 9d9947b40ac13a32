"""Reading images, for every job that does (evaluate, audit, train): the ground floor under them.

- ``source``: the ``ImageSource`` protocol every image list follows, ``Location``, the Hub-id rule;
- ``folder``: ``FolderImages``, image files in a publisher's class folders (``LAYOUTS``: wnid, index, ObjectNet);
- ``hub``: ``HubImages``, rows of a ``datasets`` table (Hub id, dataset folder, parquet shards);
- ``release``: a built ImageNet-G release read as images;
- ``find``: finding the registered evaluation sets (``locate``, ``load`` -> ``LoadedDataset``);
- ``decode``: bytes -> RGB image, every failure a counted reason;
- ``batching``: decoding across worker processes, each batch mapped by the caller (``mapped_batches``);
- ``pixel_cache``: transformed pixels kept on disk, and the cache folder (``default_cache_dir``).

The names below are loaded on first use, so that importing this package does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.images.batching import interruptible, mapped_batches, runs_in_workers, worker_init
    from imagenet_g.images.decode import UnreadableImage, decode_rgb
    from imagenet_g.images.find import LoadedDataset, candidate_folders, check_release_built, load, locate, not_found
    from imagenet_g.images.folder import LAYOUTS, FolderImages, files_by_name
    from imagenet_g.images.hub import HubImages, is_dataset_folder, labelled_images, load_rows, undecoded
    from imagenet_g.images.pixel_cache import CacheSize, PixelCache, cache_size, check_cache_dir, default_cache_dir
    from imagenet_g.images.release import release_rows
    from imagenet_g.images.source import ImageSource, Location, is_hub_id

_HOMES = {
    "interruptible": "batching",
    "mapped_batches": "batching",
    "runs_in_workers": "batching",
    "worker_init": "batching",
    "UnreadableImage": "decode",
    "decode_rgb": "decode",
    "LoadedDataset": "find",
    "candidate_folders": "find",
    "check_release_built": "find",
    "load": "find",
    "locate": "find",
    "not_found": "find",
    "LAYOUTS": "folder",
    "FolderImages": "folder",
    "files_by_name": "folder",
    "HubImages": "hub",
    "is_dataset_folder": "hub",
    "labelled_images": "hub",
    "load_rows": "hub",
    "undecoded": "hub",
    "CacheSize": "pixel_cache",
    "PixelCache": "pixel_cache",
    "cache_size": "pixel_cache",
    "check_cache_dir": "pixel_cache",
    "default_cache_dir": "pixel_cache",
    "release_rows": "release",
    "ImageSource": "source",
    "Location": "source",
    "is_hub_id": "source",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

"""Images from a spec: the diffusers pipeline (``pipeline.py``: load and sample), what each image is generated from
(``conditioning.py``), the real init images of image-conditioned releases (``init_images.py``), which weights are
loaded and the lock they give (``weights.py``, ``lock_check.py``), the GPU fast path (``fastpath.py``), and one whole
shard as an arrow table (``shard.py``; it writes nothing). ``tiny_offline.py`` assembles the tiny random-weight
pipelines of the smoke release and the tests from ``imagenet_g.tiny_models``.

Imports the spec and store stages (spec < store < generate < publish < run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.release.generate.fastpath import apply_fast_path, check_fast_path
    from imagenet_g.release.generate.init_images import init_digest, open_init_images
    from imagenet_g.release.generate.lock_check import CheckedLock, check_lock
    from imagenet_g.release.generate.pipeline import (
        LoadedGenerator,
        check_scheduler,
        effective_dtype,
        generate_batch,
        load_generator,
    )
    from imagenet_g.release.generate.shard import ShardTask, generate_shard
    from imagenet_g.release.generate.weights import WEIGHT_SUFFIXES

_HOMES = {
    "apply_fast_path": "fastpath",
    "check_fast_path": "fastpath",
    "init_digest": "init_images",
    "open_init_images": "init_images",
    "CheckedLock": "lock_check",
    "check_lock": "lock_check",
    "LoadedGenerator": "pipeline",
    "check_scheduler": "pipeline",
    "effective_dtype": "pipeline",
    "generate_batch": "pipeline",
    "load_generator": "pipeline",
    "ShardTask": "shard",
    "generate_shard": "shard",
    "WEIGHT_SUFFIXES": "weights",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

"""Images -> batches decoded in worker processes, each mapped by a caller's function: ``mapped_batches``.

DataLoader worker processes read, decode and transform the images (one tensor per transform, so several models
sharing a pixel config pay one decode). Where the caller's function (a forward pass) runs is decided here: on a
CPU with a worker per core (the default up to 8 cores) each worker also runs it, one thread each, on the batches
it decoded and sends back only the result: every core works on whole batches. A forward pass whose threads share
the cores with decoding processes (timm's validate.py runs that way) stalls at every operator's barrier while one
of its threads waits for a core, and one thread per batch is the cheaper way to run a small model anyway.
Otherwise (a GPU, fewer workers than cores) the main process runs it on the workers' batches under
``torch.inference_mode``. With a pixel cache per transform, cached pixels are read instead of decoding.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from imagenet_g.images import decode
from imagenet_g.images.pixel_cache import PixelCache, file_digest
from imagenet_g.images.source import ImageSource


class _Decoded(torch.utils.data.Dataset):
    """Item j -> (i, one tensor per transform, None) or (i, None, reason) for an unreadable file; i = positions[j].

    With a pixel cache per transform, cached pixels are read instead of decoding, and new ones are stored.
    """

    def __init__(self, images: ImageSource, transforms: Sequence[Callable],
                 positions: Sequence[int] | None = None, caches: Sequence[PixelCache | None] | None = None) -> None:
        self.images = images
        self.transforms = tuple(transforms)
        self.positions = range(len(images)) if positions is None else positions
        self.caches = tuple(caches) if caches is not None else (None,) * len(self.transforms)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, j: int):
        i = int(self.positions[j])
        try:
            data = self.images.read(i)
        except OSError as exc:
            return i, None, f"unreadable file ({type(exc).__name__})"
        digest = file_digest(data) if any(self.caches) else None
        image, out = None, []
        try:
            for transform, cache in zip(self.transforms, self.caches):
                pixels = cache.load(digest) if cache else None
                if pixels is None:
                    image = decode.decode_rgb(data) if image is None else image
                    pixels = transform(image)
                    if cache:
                        cache.store(digest, pixels)
                out.append(pixels)
        except decode.UnreadableImage as exc:
            return i, None, exc.reason
        return i, tuple(out), None


def _collate(batch):
    ok = [b for b in batch if b[1] is not None]
    failed = [(b[0], b[2]) for b in batch if b[1] is None]
    index = torch.tensor([b[0] for b in ok], dtype=torch.long)
    inputs = tuple(torch.stack([b[1][j] for b in ok]) for j in range(len(ok[0][1]))) if ok else ()
    return index, inputs, failed


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_workers() -> int:
    """Worker processes: one per core (up to 8)."""
    return max(1, min(8, _cores()))


def runs_in_workers(dev: torch.device, workers: int) -> bool:
    """Whether each worker runs the caller's function on the batches it decoded (a CPU with a worker per core;
    see the module docstring)."""
    return dev.type == "cpu" and workers >= _cores()


def _unbatched(item):
    return item


class _Mapped(torch.utils.data.Dataset):
    """Item b -> (index, fn(inputs), failed) for batch b, decoded and mapped in this process (one torch thread)."""

    def __init__(self, decoded: _Decoded, batch_size: int, fn: Callable) -> None:
        self.decoded, self.batch_size, self.fn = decoded, batch_size, fn

    def __len__(self) -> int:
        return -(-len(self.decoded) // self.batch_size)

    def __getitem__(self, b: int):
        start = b * self.batch_size
        index, inputs, failed = _collate([self.decoded[j] for j in range(start, min(start + self.batch_size,
                                                                                     len(self.decoded)))])
        with torch.inference_mode():
            return index, self.fn(inputs) if len(index) else None, failed


def mapped_batches(
    images: ImageSource,
    transforms: Sequence[Callable],
    fn: Callable[[tuple[torch.Tensor, ...]], Any],
    batch_size: int = 64,
    workers: int | None = None,
    positions: Sequence[int] | None = None,
    caches: Sequence[PixelCache | None] | None = None,
    device: torch.device = torch.device("cpu"),
) -> Iterator[tuple[torch.Tensor, Any, list[tuple[int, str]]]]:
    """Decode ``images`` (or those at ``positions``) in worker processes, one tensor per transform, and apply
    ``fn`` to each batch's inputs, in order: yields ``(index, fn(inputs), failed)``, the positions decoded, ``fn``'s
    result (``None`` for a batch with no readable image) and ``(position, reason)`` of each image that could not be
    read. Every job that reads images uses this one path. Where ``fn`` runs is decided here: on a CPU with a
    worker per core (``runs_in_workers``) each worker decodes and maps whole batches with one thread (a forked
    worker cannot use more: GNU OpenMP's thread pool does not survive fork), which beats a multi-threaded forward
    pass beside decoding processes; otherwise (a GPU, fewer workers than cores, ``workers=0``) workers decode and
    ``fn`` runs in this process with torch's threads."""
    n_workers = default_workers() if workers is None else workers
    decoded = _Decoded(images, transforms, positions, caches)
    if runs_in_workers(device, n_workers):
        return iter(torch.utils.data.DataLoader(
            _Mapped(decoded, batch_size, fn), batch_size=None, num_workers=n_workers, collate_fn=_unbatched,
            prefetch_factor=2,
        ))
    loader = torch.utils.data.DataLoader(
        decoded, batch_size=batch_size, num_workers=n_workers, collate_fn=_collate, pin_memory=device.type == "cuda",
        prefetch_factor=4 if n_workers else None,
    )
    return _mapped_here(loader, fn)


def _mapped_here(loader: torch.utils.data.DataLoader, fn: Callable) -> Iterator[tuple[torch.Tensor, Any, list]]:
    for index, inputs, failed in loader:
        with torch.inference_mode():
            yield index, fn(inputs) if len(index) else None, failed

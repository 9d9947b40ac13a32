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
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from imagenet_g.checks import usable_cores
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


def default_workers() -> int:
    """Worker processes: one per core (up to 8)."""
    return max(1, min(8, usable_cores()))


def runs_in_workers(dev: torch.device, workers: int) -> bool:
    """Whether each worker runs the caller's function on the batches it decoded (a CPU with a worker per core;
    see the module docstring)."""
    return dev.type == "cpu" and workers >= usable_cores()


def _unbatched(item):
    return item


def _leave_now(signum: int, frame: object) -> None:
    os._exit(0)


def worker_init(worker_id: int) -> None:
    """Every loader worker's start (``worker_init_fn``): a stop signal (SIGTERM, SIGHUP, Ctrl-C's SIGINT) ends the
    worker at once and quietly. Workers inherit the CLI's handler, which turns a signal into KeyboardInterrupt and
    then ignores the next: a worker inside a forward pass stopped only when its batch was done, and ignored the
    terminate() of the main process's exit, which then waited for it, worker after worker. Exit status 0 keeps
    torch's worker watch (SIGCHLD) from raising its own 'worker killed' error beside our one line."""
    for stop in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(stop, _leave_now)


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
        return _batches(torch.utils.data.DataLoader(
            _Mapped(decoded, batch_size, fn), batch_size=None, num_workers=n_workers, collate_fn=_unbatched,
            prefetch_factor=2, worker_init_fn=worker_init,
        ))
    loader = torch.utils.data.DataLoader(
        decoded, batch_size=batch_size, num_workers=n_workers, collate_fn=_collate, pin_memory=device.type == "cuda",
        prefetch_factor=4 if n_workers else None, worker_init_fn=worker_init,
    )
    return _batches(loader, fn)


def _batches(loader: torch.utils.data.DataLoader, fn: Callable | None = None) -> Iterator[tuple[torch.Tensor, Any, list]]:
    """The loader's batches, mapped by ``fn`` here when given (``interruptible``)."""
    for index, inputs, failed in interruptible(loader):
        if fn is None:
            yield index, inputs, failed
            continue
        with torch.inference_mode():
            yield index, fn(inputs) if len(index) else None, failed


def interruptible(loader: torch.utils.data.DataLoader) -> Iterator[Any]:
    """The loader's items; interrupted (Ctrl-C, a stop signal: raised here, where the main process waits for its
    workers) or closed early, its workers are ended at once (its ``worker_init_fn`` must be ``worker_init``)."""
    items = iter(loader)
    try:
        yield from items
    except BaseException:
        _end_workers(items)
        raise


def _end_workers(batches: Any) -> None:
    """End a loader iterator's workers now. torch's own shutdown asks each worker to stop and waits up to 5 s for
    it, one after another, and a worker inside a forward pass answers only once its batch is done: an interrupted
    eval with N busy workers took up to 5N s to stop. A worker ends at once on SIGTERM (``worker_init``)."""
    workers = [w for w in getattr(batches, "_workers", ()) if w.is_alive()]
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join()
    shutdown = getattr(batches, "_shutdown_workers", None)
    if shutdown is not None:
        shutdown()  # queues and threads; the workers are gone, so nothing waits

"""``--batch-size auto``: the largest batch the device holds, found by probing, capped at the shard size.

The executor probes, once, with the pipeline it has loaded to generate anyway. The batch size is part of what
decides the bytes (batched kernels round differently), so a resumed build reuses the batch size its manifest
records instead of probing again.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from imagenet_g.release.generate import LoadedGenerator, generate_batch

AUTO = "auto"
_CPU_BATCH = 4  # CPU throughput is flat beyond a few images; the builder's default
_PROBE_CAP = 64  # beyond this a GPU is saturated at 512 px; larger batches only add memory

BatchSize = int | Literal["auto"]


def _probe_images(generator: LoadedGenerator, size: int) -> list | None:
    """Grey init images for a probe of an image-conditioned pipeline (None for the others)."""
    if generator.conditioning not in ("images", "labels+images"):
        return None
    from PIL import Image

    return [Image.new("RGB", (generator.spec.width, generator.spec.height), (128, 128, 128))] * size


def probe_batch_size(generator: LoadedGenerator, limit: int) -> int:
    """Double the batch from 1 while one full-size denoising step plus the VAE decode fit in device memory.

    One step uses the same activation memory as fifty, so the probe costs a few seconds, not a build.
    """
    import torch

    one_step = dataclasses.replace(generator, spec=generator.spec.model_copy(update={"steps": 1}))
    best, size = 1, 1
    while size <= min(limit, _PROBE_CAP):
        try:
            generate_batch(one_step, ["probe"] * size, list(range(size)), _probe_images(generator, size), [0] * size)
        except torch.OutOfMemoryError:
            break
        finally:
            torch.cuda.empty_cache()
        best, size = size, size * 2
    return best


def resolve_batch_size(requested: BatchSize, device: str, recorded: int | None, limit: int) -> int | None:
    """A number for ``requested`` where no pipeline is needed for it: as given; for auto the recorded one or CPU's
    default; else None (the executor probes the GPU: ``executor.sized``)."""
    if requested != AUTO:
        return int(requested)
    if recorded is not None:
        return recorded
    return min(_CPU_BATCH, limit) if device == "cpu" else None

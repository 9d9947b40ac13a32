"""Generate one whole shard: its images (in batches) and rows, as an arrow table. Writes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imagenet_g.release.generate.init_images import (
    InitImage,
    InitSource,
    choose,
    init_pixels,
    open_init_images,
    read_init_image,
)
from imagenet_g.release.generate.pipeline import LoadedGenerator, generate_batch, safety_flags, torch_threads
from imagenet_g.release.generate.weights import ResolvedModel
from imagenet_g.release.spec import OutputSpec, ReleaseSpec, ShardPlan
from imagenet_g.release.store import shard_schema

if TYPE_CHECKING:
    import pyarrow as pa
    from PIL import Image

_PNG_COMPRESS_LEVEL = 6  # Pillow's default, fixed here so that identical pixels give identical bytes


@dataclass(frozen=True)
class ShardTask:
    """Everything a worker needs to build shards of one release; plain data, picklable."""

    version: str
    spec: ReleaseSpec
    spec_hash: str
    version_dir: Path
    model: ResolvedModel
    device: str
    batch_size: int | None  # None: auto on a GPU, probed by the executor once it has loaded the pipeline
    threads: int = 1
    init_images: str | None = None  # where the init images are (folder or dataset id), for image conditioning
    fast_path: tuple[str, ...] = ()


def encode_image(image: Image.Image, output: OutputSpec) -> tuple[bytes, str]:
    """Encode deterministically (fixed options, no timestamps); returns the bytes and the file suffix."""
    buffer = io.BytesIO()
    if output.image_format == "png":
        image.save(buffer, format="PNG", compress_level=_PNG_COMPRESS_LEVEL, optimize=False)
        return buffer.getvalue(), "png"
    image.save(buffer, format="JPEG", quality=output.jpeg_quality, subsampling=0, optimize=False)
    return buffer.getvalue(), "jpg"


def _encode_images(images: list[Image.Image], output: OutputSpec) -> list[tuple[bytes, str, int, int]]:
    """``encode_image`` of each image, with its width and height."""
    return [(*encode_image(image, output), image.width, image.height) for image in images]


def _init_images(source: InitSource | None, spec: ReleaseSpec, rows: tuple) -> list[InitImage] | None:
    return [read_init_image(source, choose(source, spec, row)) for row in rows] if source is not None else None


def generate_shard(
    task: ShardTask,
    shard: ShardPlan,
    generator: LoadedGenerator,
    advance: Callable[[int], None] = lambda n: None,
) -> pa.Table:
    """Generate every image of ``shard`` in batches of ``task.batch_size`` and return its rows.

    Each image has its own seed and CPU generator, so a given (shard, batch size, threads, device) always
    gives the same pixels. Kernels may round the last bit differently at another batch size or CPU thread
    count, which is why the manifest records both and a resumed build must use the same ones.
    """
    import pyarrow as pa

    gen = task.spec.generator
    columns: dict[str, list] = {name: [] for name in shard_schema(task.spec_hash).names}

    source = open_init_images(task.spec, task.init_images)

    def add_rows(rows: tuple, inits: list[InitImage] | None, flags: list[bool] | None, encoded: Future) -> None:
        for offset, (row, (data, suffix, width, height)) in enumerate(zip(rows, encoded.result())):
            values = {
                "image": {"bytes": data, "path": f"{row.split}/{row.wnid}/{row.image_index:05d}.{suffix}"},
                "label": row.class_index,
                "wnid": row.wnid,
                "class_name": row.class_name,
                "image_index": row.image_index,
                "prompt": row.prompt,
                "template_id": row.template_id,
                "seed": row.seed,
                "steps": gen.steps,
                "guidance": gen.guidance,
                "sampler": gen.scheduler.name,
                "width": width,
                "height": height,
                "strength": gen.strength,
                "init_image": inits[offset].id if inits else None,
                "init_image_sha256": inits[offset].sha256 if inits else None,
                "nsfw": flags[offset] if flags is not None else None,
                "spec_hash": task.spec_hash,
            }
            for name, value in values.items():
                columns[name].append(value)

    # Encoding (Pillow releases the GIL) runs on a second thread while the next batch is denoised;
    # at most two batches of decoded images are held at once.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="imagenet-g-encode") as encoder:
        previous = None
        for start in range(0, len(shard.rows), task.batch_size):
            rows = shard.rows[start : start + task.batch_size]
            inits = _init_images(source, task.spec, rows)
            with torch_threads(task.threads):
                images = generate_batch(
                    generator, [r.prompt for r in rows], [r.seed for r in rows],
                    [init_pixels(i) for i in inits] if inits else None, [r.class_index for r in rows],
                )
                flags = safety_flags(generator, images)
            current = (rows, inits, flags, encoder.submit(_encode_images, images, task.spec.output))
            if previous is not None:
                add_rows(*previous)
            previous = current
            advance(len(rows))
        if previous is not None:
            add_rows(*previous)
    return pa.Table.from_pydict(columns, schema=shard_schema(task.spec_hash))

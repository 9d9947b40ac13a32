"""Tiny data for the audit tests: a release with planted problems, real-data folders, a readable test extractor."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imagenet_g import labels
from imagenet_g.audit.extractors import Extractor, LazyExtractor, TextEncoder
from tiny_release import build_tiny_release

CLASSES = (0, 6, 658)  # tench, stingray (both in ImageNet-R's 200), mitten
PER_CLASS = 4
SIZE = 32  # the tiny release's image size
# planted in the release (positions): 3 is a copy of 1 (same class); 2 is labelled 0 but shows class 6;
# 9 is a copy of the reference's first image of class 658 (possible memorisation)
DUPLICATE = (1, 3)
OFF_CLASS = 2
MEMORISED = 9


def _colour(cls: int) -> np.ndarray:
    return np.array({0: (220, 40, 40), 6: (40, 200, 40), 658: (40, 40, 220)}[cls], dtype=float)


def class_image(cls: int, rng: np.random.Generator) -> np.ndarray:
    """A noisy image in the class's colour (noise makes every image distinct)."""
    noise = rng.normal(scale=60, size=(SIZE, SIZE, 3))
    return np.clip(_colour(cls) + noise, 0, 255).astype(np.uint8)


def write_folder(root: Path, seed: int, classes=CLASSES, per_class: int = PER_CLASS) -> Path:
    rng = np.random.default_rng(seed)
    for cls in classes:
        folder = root / labels.wnids()[cls]
        folder.mkdir(parents=True, exist_ok=True)
        for j in range(per_class):
            Image.fromarray(class_image(cls, rng)).save(folder / f"img{j}.png")
    return root


def write_release(root: Path, version: str, seed: int, reference: Path | None = None, plant: bool = True) -> Path:
    """A real release (the package's builder, tiny generator, ``CLASSES`` x ``PER_CLASS`` test images) whose images
    are then replaced by readable ones with planted problems: each shard is rewritten through the release writer and
    its manifest record updated, so ``imagenet-g verify`` still passes (verify checks rows, not pixels)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from imagenet_g.files import sha256_file
    from imagenet_g.release.store.manifest import read_manifest, write_manifest
    from imagenet_g.release.store.writer import write_parquet

    build_tiny_release(root, version, classes=CLASSES, splits={"test": PER_CLASS})
    version_dir = root / "imagenet-g" / version
    manifest = read_manifest(version_dir)
    split = manifest.splits["test"]
    tables = [pq.read_table(version_dir / record.file) for record in split.shards]
    targets = [label for table in tables for label in table.column("label").to_pylist()]
    assert targets == [cls for cls in CLASSES for _ in range(PER_CLASS)], "planted positions assume class-major rows"
    rng = np.random.default_rng(seed)
    pixels = [class_image(cls, rng) for cls in targets]
    if plant:
        pixels[DUPLICATE[1]] = pixels[DUPLICATE[0]].copy()
        pixels[OFF_CLASS] = class_image(6, rng)
    if reference is not None:
        pixels[MEMORISED] = np.asarray(Image.open(reference / labels.wnids()[658] / "img0.png").convert("RGB"))
    records, start = [], 0
    for record, table in zip(split.shards, tables):
        column = table.schema.get_field_index("image")
        images = pa.array([{"bytes": _png(p), "path": None} for p in pixels[start:start + table.num_rows]],
                          type=table.schema.field("image").type)
        path = version_dir / record.file
        write_parquet(table.set_column(column, table.schema.field("image"), images), path)
        records.append(record.model_copy(update={"sha256": sha256_file(path), "num_bytes": path.stat().st_size}))
        start += table.num_rows
    write_manifest(version_dir, manifest.with_splits({"test": split.model_copy(update={"shards": tuple(records)})}))
    return root / "imagenet-g"


def release_template_ids(root: Path, version: str) -> list[int]:
    """The template ids the release's rows record, ascending (read from its shards)."""
    import pyarrow.parquet as pq

    files = sorted((root / "imagenet-g" / version).glob("*.parquet"))
    return sorted({t for f in files for t in pq.read_table(f, columns=["template_id"]).column(0).to_pylist()})


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


class _Pixels(torch.nn.Module):
    """Embedding = the image's centred pixels (a 'CLIP' whose similarities a test can predict)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.float() - 128.0).flatten(1)


def pixel_extractor(extractor_id: str = "random-clip") -> Extractor:
    """A readable stand-in for CLIP: image embedding = pixels; class c's text embedding = its colour image."""
    from torchvision import transforms as T

    dim = 4 * 4 * 3

    def head(names, templates) -> torch.Tensor:
        w = torch.zeros((dim, len(names)))
        for cls in CLASSES:
            v = torch.tensor(np.tile(_colour(cls) - 128.0, 16))
            w[:, cls] = v / v.norm()
        return w

    def encode(texts) -> np.ndarray:
        out = np.zeros((len(texts), dim))
        for i, text in enumerate(texts):
            cls = next(c for c in CLASSES if labels.class_names()[c] in text)
            out[i] = np.tile(_colour(cls) - 128.0, 16)
        return out

    transform = T.Compose([T.Resize((4, 4), interpolation=T.InterpolationMode.BILINEAR), T.PILToTensor()])
    return Extractor(extractor_id, _Pixels(), transform, {"kind": "pixels", "size": 4}, "0" * 64, dim, True,
                     TextEncoder(encode, head))


def lazy(extractor: Extractor) -> LazyExtractor:
    """A built extractor as ``resolve_extractor`` hands one out (weights identity: its weights sha256)."""
    return LazyExtractor(extractor.id, extractor.weights_sha256, extractor.random_weights, lambda: extractor)


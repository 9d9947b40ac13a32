"""Tiny data for the audit tests: a release with planted problems, real-data folders, a readable test extractor."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imagenet_g import labels
from imagenet_g.audit.extractors import Extractor, LazyExtractor, TextEncoder

CLASSES = (0, 6, 658)  # tench, stingray (both in ImageNet-R's 200), mitten
PER_CLASS = 4
SIZE = 16
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
    """An ImageNet-G release folder as the build writes it (parquet shard, manifest, card), with planted rows."""
    import datasets

    rng = np.random.default_rng(seed)
    pixels, targets = [], []
    for cls in CLASSES:
        for _ in range(PER_CLASS):
            pixels.append(class_image(cls, rng))
            targets.append(cls)
    if plant:
        pixels[DUPLICATE[1]] = pixels[DUPLICATE[0]].copy()
        pixels[OFF_CLASS] = class_image(6, rng)
    if reference is not None:
        pixels[MEMORISED] = np.asarray(Image.open(reference / labels.wnids()[658] / "img0.png").convert("RGB"))
    rows: dict[str, list] = {"image": [], "label": [], "prompt": [], "template_id": []}
    for i, (arr, cls) in enumerate(zip(pixels, targets)):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="PNG")
        rows["image"].append({"bytes": buf.getvalue(), "path": None})
        rows["label"].append(cls)
        rows["prompt"].append(f"a photo of a {labels.class_names()[cls]}.")
        rows["template_id"].append(i % 2)
    features = datasets.Features({"image": datasets.Image(),
                                  "label": datasets.ClassLabel(names=list(labels.unique_class_names())),
                                  "prompt": datasets.Value("string"), "template_id": datasets.Value("int32")})
    folder = root / "imagenet-g"
    (folder / version).mkdir(parents=True, exist_ok=True)
    shard = folder / version / "test-00000-of-00001.parquet"
    datasets.Dataset.from_dict(rows, features=features).to_parquet(shard)
    import hashlib

    manifest = {"spec_hash": f"hash-{version}", "version": version,
                "splits": {"test": {"sha256": hashlib.sha256(shard.read_bytes()).hexdigest()}}}
    (folder / version / "manifest.json").write_text(json.dumps(manifest))
    versions = sorted(d.name for d in folder.iterdir() if (d / "manifest.json").is_file())
    configs = "".join(f"- config_name: {v}\n  data_files:\n  - split: test\n    path: {v}/*.parquet\n" for v in versions)
    (folder / "README.md").write_text(f"---\nconfigs:\n{configs}---\n# ImageNet-G (test fixture)\n")
    return folder


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


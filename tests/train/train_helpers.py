"""Helpers of the training tests: a learnable real folder (coloured squares) and a tiny built release."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from imagenet_g import labels

SHIPPED_SPECS = Path(__file__).resolve().parents[2] / "imagenet_g" / "releases"
CLASSES = (0, 100, 200, 300)  # ImageNet indices: tench, black swan, ..., one of the smoke release's classes each
COLOURS = ((230, 30, 30), (30, 200, 40), (40, 60, 230), (230, 220, 40))


def write_squares(root: Path, per_class: int, classes: tuple[int, ...] = CLASSES, seed: int = 0) -> Path:
    """``root/<wnid>/*.png``: noise with a square of the class's colour at a random place (a learnable task)."""
    rng = np.random.default_rng(seed)
    for k, c in enumerate(classes):
        folder = root / labels.wnids()[c]
        folder.mkdir(parents=True, exist_ok=True)
        for j in range(per_class):
            image = rng.integers(0, 90, (24, 24, 3), dtype=np.uint8)
            x, y = (int(v) for v in rng.integers(0, 10, 2))
            image[y:y + 14, x:x + 14] = COLOURS[k % len(COLOURS)]
            Image.fromarray(image).save(folder / f"{j}.png")
    return root


def write_release_spec(root: Path, version: str, classes: tuple[int, ...], per_class: int) -> Path:
    """A release spec like the committed smoke spec, with a train split of ``classes`` at 32 px."""
    data = copy.deepcopy(yaml.safe_load((SHIPPED_SPECS / "smoke" / "spec.yaml").read_text()))
    data["plan"]["classes"] = list(classes)
    data["plan"]["splits"] = {"train": per_class}
    data["generator"]["width"] = data["generator"]["height"] = 32
    data["output"]["rows_per_shard"] = 4
    folder = root / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root

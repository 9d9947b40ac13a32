"""Helpers of the training tests: a learnable real folder (coloured squares); the release is tests/tiny_release.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from imagenet_g import labels

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

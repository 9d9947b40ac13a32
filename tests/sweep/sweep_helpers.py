"""A data root for sweeps (the tiny smoke release, a small ImageNet val), model files, and models that fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tiny_release import build_tiny_release

from imagenet_g import labels
from imagenet_g.sweep.folder import run_independent_contents

TEST_MODELS = ("test_resnet", "test_efficientnet", "test_vit", "test_convnext")
VAL_CLASSES = (0, 6, 658, 879)


def build_sweep_root(root: Path) -> Path:
    """``root/imagenet-g/smoke`` (3 classes x 2 images) and ``root/imagenet/val`` (4 classes x 2 JPEGs)."""
    rng = np.random.default_rng(0)
    for c in VAL_CLASSES:
        folder = root / "imagenet" / "val" / labels.wnids()[c]
        folder.mkdir(parents=True)
        for j in range(2):
            pixels = (rng.random((48 + 8 * j, 64, 3)) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"ILSVRC2012_val_{c:05d}{j}.JPEG", quality=90)
    build_tiny_release(root)
    return root


def model_file(folder: Path, lines: list[str] | tuple[str, ...], name: str = "models.txt") -> Path:
    path = folder / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def comparable(folder: Path) -> dict[str, object]:
    """A sweep folder as two runs of the same sweep must agree on it (the run's time and environment aside)."""
    return run_independent_contents(folder)


class NaNModel(torch.nn.Module):
    """A classifier whose logits are NaN (as a diverged checkpoint's are)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 1000), float("nan")) * self.scale


def nan_model() -> torch.nn.Module:
    return NaNModel()


def broken_model() -> torch.nn.Module:
    raise RuntimeError("this checkpoint does not exist")

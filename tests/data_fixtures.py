"""Builders of tiny local datasets in each publisher's layout (JPEG/PNG of varied sizes and modes)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from tiny_release import build_tiny_release

from imagenet_g import labels

MODES = ("RGB", "L", "CMYK", "P", "RGBA")


def write_images(folder: Path, n: int, seed: int, ext: str = "jpg", border: bool = False) -> None:
    """``n`` random images of varied size and colour mode (timm's loader converts each to RGB)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for j in range(n):
        w, h = (int(v) for v in rng.integers(24, 160, 2))
        arr = (rng.random((h, w, 3)) * 255).astype(np.uint8)
        arr = np.clip(arr.astype(int) + np.linspace(0, 80, w, dtype=int)[None, :, None], 0, 255).astype(np.uint8)
        if border:  # ObjectNet images carry a thin frame that evaluation trims
            arr[:2], arr[-2:], arr[:, :2], arr[:, -2:] = 255, 255, 255, 255
        image = Image.fromarray(arr)
        mode = MODES[(seed + j) % len(MODES)]
        if ext in ("jpg", "jpeg", "JPEG") and mode in ("P", "RGBA"):
            mode = "RGB"  # JPEG cannot hold these
        if ext == "png" and mode == "CMYK":
            mode = "P"  # nor PNG this one
        image = image.convert(mode)
        options = {"quality": 90} if ext != "png" else {}
        image.save(folder / f"img{seed}_{j}.{ext}", **options)


# ImageNet indices picked so that every subset is exercised: 6 and 658 are in, 658 and 879
# map to ObjectNet classes (winter glove, umbrella), 409 is ObjectNet-only, 0 is in none of them.
VAL_CLASSES = (0, 6, 409, 658, 879)
RA_CLASSES = (6, 658)
V2_FOLDERS = ("2", "10", "100")
OBJECTNET_FOLDERS = ("umbrella", "winter_glove", "squeegee")  # squeegee is outside the 113 classes
PER_CLASS = 2


def build_data_root(root: Path) -> Path:
    """Every dataset of the registry in its publisher's layout, a few images each, plus some junk files."""
    wnids = labels.wnids()
    for k, c in enumerate(VAL_CLASSES):
        write_images(root / "imagenet" / "val" / wnids[c], PER_CLASS, seed=100 + k, ext="JPEG")
    for k, f in enumerate(V2_FOLDERS):
        write_images(root / "imagenetv2-matched-frequency-format-val" / f, PER_CLASS, seed=200 + k, ext="jpeg")
    for k, c in enumerate(RA_CLASSES):
        write_images(root / "imagenet-r" / wnids[c], PER_CLASS, seed=300 + k)
        write_images(root / "imagenet-a" / wnids[c], PER_CLASS, seed=400 + k)
        write_images(root / "sketch" / wnids[c], PER_CLASS, seed=500 + k, ext="JPEG")
    for k, f in enumerate(OBJECTNET_FOLDERS):
        write_images(root / "objectnet-1.0" / "images" / f, PER_CLASS, seed=600 + k, ext="png", border=True)
    # junk a user's folder really holds: a truncated JPEG, a text file posing as an image, a stray note
    r_class = root / "imagenet-r" / wnids[RA_CLASSES[0]]
    (r_class / "broken.jpg").write_bytes((r_class / sorted(p.name for p in r_class.iterdir())[0]).read_bytes()[:200])
    (r_class / "fake.jpg").write_text("not an image")
    (r_class / "notes.txt").write_text("hello")
    (root / "imagenet-r" / "README.txt").write_text("ImageNet-R")
    build_tiny_release(root)
    return root


def one_error_line(stderr: str) -> bool:
    """stderr ends in exactly one error line (progress notes may precede it) and holds no traceback."""
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("imagenet-g: error:")]
    return len(errors) == 1 and lines[-1] == errors[0] and "Traceback" not in stderr


def bomb_png() -> bytes:
    """A 15000 x 15000 PNG (225 M pixels, over PIL's 2 x MAX_IMAGE_PIXELS limit) of 27 kB."""
    buffer = io.BytesIO()
    Image.new("1", (15000, 15000)).save(buffer, "PNG")
    return buffer.getvalue()

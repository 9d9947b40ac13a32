"""Batching across worker processes: every position comes back once, in order, mapped by the caller's function, and
an image that cannot be read is reported with its reason instead of failing the batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms as T

from imagenet_g.images import FolderImages, decode_rgb, mapped_batches

TRANSFORM = T.Compose([T.Resize((4, 4)), T.PILToTensor()])


def _pixel_sums(inputs: tuple[torch.Tensor, ...]) -> np.ndarray:
    return inputs[0].sum(dim=(1, 2, 3)).numpy()


@pytest.fixture
def images(tmp_path) -> FolderImages:
    """Five files: three images, a text file named .jpg (position 1) and a file gone since the scan (position 3)."""
    paths = []
    for i, colour in enumerate(("red", None, "green", None, "blue")):
        path = tmp_path / f"{i}.jpg"
        if colour:
            Image.new("RGB", (8 + i, 8), colour).save(path)
        elif i == 1:
            path.write_text("not an image")
        paths.append(str(path))
    return FolderImages(str(tmp_path), tuple(paths), np.arange(5, dtype=np.int64))


def _collected(batches):
    index, results, failed = [], [], []
    for batch_index, result, batch_failed in batches:
        index += batch_index.tolist()
        results += [] if result is None else list(result)
        failed += batch_failed
    return index, results, failed


def test_batches_keep_order_map_each_batch_and_report_what_cannot_be_read(images):
    index, sums, failed = _collected(mapped_batches(images, [TRANSFORM], _pixel_sums, batch_size=2, workers=0))
    assert index == [0, 2, 4]
    assert sums == [int(TRANSFORM(decode_rgb(images.read(i))).sum()) for i in (0, 2, 4)]
    assert failed == [(1, "unreadable image (UnidentifiedImageError)"), (3, "unreadable file (FileNotFoundError)")]
    # a batch with nothing readable maps to None; only the positions asked for are read
    assert list(mapped_batches(images, [TRANSFORM], _pixel_sums, batch_size=2, workers=0, positions=[3, 1]))[0][1:] \
        == (None, [(3, "unreadable file (FileNotFoundError)"), (1, "unreadable image (UnidentifiedImageError)")])


def test_workers_that_map_their_own_batches_give_what_this_process_gives(images, monkeypatch):
    from imagenet_g.images import batching

    monkeypatch.setattr(batching, "usable_cores", lambda: 2)  # two workers are a worker per core: fn runs in the workers
    assert batching.runs_in_workers(torch.device("cpu"), 2)
    here = _collected(mapped_batches(images, [TRANSFORM], _pixel_sums, batch_size=2, workers=0))
    assert _collected(mapped_batches(images, [TRANSFORM], _pixel_sums, batch_size=2, workers=2)) == here

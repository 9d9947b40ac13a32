"""Fixtures of the training tests: a coloured-squares real folder and a real (tiny-generator) release build."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_release import build_tiny_release
from train_helpers import CLASSES, write_squares


@pytest.fixture(scope="session")
def squares(tmp_path_factory) -> Path:
    """4 classes x 8 images of coloured squares in ImageNet's train layout."""
    return write_squares(tmp_path_factory.mktemp("real") / "train", per_class=8)


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory) -> Path:
    """A built release `mini` (train split: the 4 classes x 2 images, 32 px) by the real builder."""
    return build_tiny_release(tmp_path_factory.mktemp("built"), "mini", CLASSES, {"train": 2}).dataset_dir


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest (and reproducibly) on one CPU thread; the CI box has two shared cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

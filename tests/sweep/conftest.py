"""Fixtures of the sweep tests: one data root (a tiny smoke release and an ImageNet val folder), model files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from sweep_helpers import build_sweep_root

# zero-shot heads and memory-layout decisions made by tests go to a throwaway folder, never the user's ~/.cache
os.environ.setdefault("IMAGENET_G_CACHE", tempfile.mkdtemp(prefix="imagenet-g-test-cache-"))


@pytest.fixture(scope="session")
def sweep_root(tmp_path_factory) -> Path:
    return build_sweep_root(tmp_path_factory.mktemp("sweep-data"))

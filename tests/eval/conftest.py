"""Fixtures of the eval tests: one tiny data root with every dataset in its publisher's layout."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from eval_fixtures import build_data_root

# zero-shot heads built by tests go to a throwaway folder, never the user's ~/.cache
os.environ.setdefault("IMAGENET_G_CACHE", tempfile.mkdtemp(prefix="imagenet-g-test-cache-"))


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    return build_data_root(tmp_path_factory.mktemp("data"))

"""Fixtures of the eval tests: one tiny data root with every dataset in its publisher's layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from eval_fixtures import build_data_root


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    return build_data_root(tmp_path_factory.mktemp("data"))

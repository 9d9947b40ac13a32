"""Fixtures of the leaderboard tests: a release catalog and a small board under a temp root."""

from __future__ import annotations

from pathlib import Path

import pytest
from leaderboard_factories import SPEC_HASH, STANDARD, make_submission, write_submission

from imagenet_g.leaderboard import ReleaseCatalog


@pytest.fixture
def catalog() -> ReleaseCatalog:
    """Releases v1 and smoke exist; v1's spec hashes to SPEC_HASH."""
    return ReleaseCatalog(known=frozenset({"v1", "smoke"}), spec_hashes={"v1": SPEC_HASH})


@pytest.fixture
def board_root(tmp_path) -> Path:
    """A leaderboard root with three standard v1 entries, one generated-data entry and one smoke entry."""
    root = tmp_path / "leaderboard"
    for model_id, (inet, g) in STANDARD.items():
        write_submission(root, make_submission(model_id, {"imagenet": inet, "imagenet-g": g}, is_standard=True))
    top1 = {"imagenet": 70.0, "imagenet-g": 52.0, "imagenet-v2": 62.0, "imagenet-sketch": 30.0}
    write_submission(root, make_submission("gen-model", top1, category="generated", name="Generated model"))
    write_submission(root, make_submission("smoke-model", {"imagenet-g": 1.0}, release="smoke"))
    return root

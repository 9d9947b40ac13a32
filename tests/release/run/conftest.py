"""Fixtures of the run tests: a private smoke release, the local build's checksums (Ray: tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from build_helpers import REPO_RELEASES
from run_helpers import shard_checksums


@pytest.fixture(scope="session")
def releases(tmp_path_factory) -> Path:
    """A releases folder holding the committed smoke spec and lock."""
    root = tmp_path_factory.mktemp("run-releases")
    shutil.copytree(REPO_RELEASES / "smoke", root / "smoke")
    return root


@pytest.fixture(scope="session")
def planned(releases) -> list[str]:
    """The smoke release's shard files, in release order (at least 3, so that two jobs share them unevenly)."""
    from imagenet_g.release.spec.shard_plan import plan_shards
    from imagenet_g.release.spec.spec import load_release

    release = load_release("smoke", releases)
    files = [s.filename for s in plan_shards(release.spec)]
    assert len(files) >= 3
    return files


@pytest.fixture(scope="session")
def reference(smoke_build) -> dict[str, str]:
    """Shard checksums of the local executor's build of smoke (the session's, ``tests/release/conftest.py``)."""
    return shard_checksums(smoke_build.version_dir)

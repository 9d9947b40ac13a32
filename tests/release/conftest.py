"""Fixtures of the build tests: a private releases folder and one smoke build shared by the session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from build_helpers import REPO_RELEASES, add_release, mini_spec_data

from imagenet_g.release import BuildReport, BuildRequest, build_release


@pytest.fixture(scope="session")
def releases_root(tmp_path_factory) -> Path:
    """A releases folder with the committed smoke spec and lock, plus a `mini` release."""
    root = tmp_path_factory.mktemp("releases")
    shutil.copytree(REPO_RELEASES / "smoke", root / "smoke")
    add_release(root, "mini", mini_spec_data())
    return root


@pytest.fixture
def own_releases(tmp_path) -> Path:
    """A releases folder a test may change: the smoke spec (with its lock) and `mini`."""
    root = tmp_path / "releases"
    shutil.copytree(REPO_RELEASES / "smoke", root / "smoke")
    add_release(root, "mini", mini_spec_data())
    return root


@pytest.fixture(scope="session")
def smoke_build(releases_root, tmp_path_factory) -> BuildReport:
    """The smoke release built once (batch size 4, CPU) for the whole session; do not modify it."""
    out = tmp_path_factory.mktemp("built") / "imagenet-g"
    return build_release(BuildRequest("smoke", dataset_dir=out, specs_dir=releases_root, progress=False))


@pytest.fixture
def built_copy(smoke_build, tmp_path) -> Path:
    """A private copy of the session's built release folder (safe to damage)."""
    out = tmp_path / "imagenet-g"
    shutil.copytree(smoke_build.dataset_dir, out)
    return out

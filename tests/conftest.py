"""Shared test setup: offline Hub, quiet progress, a throwaway cache folder, an in-process CLI runner, and one tiny
data root with every dataset in its publisher's layout."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("CI", "1")  # no progress bars in test output
# zero-shot heads built by tests go to a throwaway folder, never the user's ~/.cache
os.environ.setdefault("IMAGENET_G_CACHE", tempfile.mkdtemp(prefix="imagenet-g-test-cache-"))


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """Every dataset of the registry in its publisher's layout, a few images each, plus junk files."""
    from data_fixtures import build_data_root

    return build_data_root(tmp_path_factory.mktemp("data"))


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys):
    """Run `imagenet-g ARGS...` in-process; returns exit code, stdout and stderr."""
    from imagenet_g.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture(scope="session")
def ray_runtime():
    """One local Ray runtime for the whole session (starting one takes seconds); skipped without ray."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield ray
    ray.shutdown()

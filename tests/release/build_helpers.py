"""Helpers shared by the build tests (specs written in code)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from imagenet_g.release import BuildReport
from imagenet_g.release.run.executor import LocalExecutor

REPO_RELEASES = Path(__file__).resolve().parents[2] / "imagenet_g" / "releases"


def smoke_spec_data() -> dict:
    """The committed smoke spec as a plain dict."""
    return yaml.safe_load((REPO_RELEASES / "smoke" / "spec.yaml").read_text())


def mini_spec_data(**generator: object) -> dict:
    """The smoke spec cut down to 2 classes x 1 image, one image per shard (cheap failure-mode builds)."""
    data = copy.deepcopy(smoke_spec_data())
    data["plan"]["classes"] = [0, 1]
    data["plan"]["splits"] = {"test": 1}
    data["output"]["rows_per_shard"] = 1
    data["generator"].update(generator)
    return data


def add_release(root: Path, version: str, data: dict) -> Path:
    """Write ``root/<version>/spec.yaml``; returns the version folder."""
    folder = root / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def checksums(report: BuildReport) -> list[tuple[str, str]]:
    return [(s.file, s.sha256) for s in report.shards]


class KilledAfterFirstShard:
    """The local executor, interrupted (as by Ctrl-C) right after its first shard is written."""

    name = "local"

    def run(self, task, shards, advance):
        for written in LocalExecutor().run(task, shards, advance):
            yield written
            raise KeyboardInterrupt

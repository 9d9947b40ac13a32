"""The Ray executor gives the local executor's bytes, survives a dying worker, and fails clearly."""

from __future__ import annotations

import sys
import time

import pytest
from run_helpers import shard_checksums

from imagenet_g.release import BuildRequest, build_release
from imagenet_g.errors import ClusterError, DependencyError

pytestmark = pytest.mark.ray


def test_ray_build_matches_local_build_even_when_a_worker_dies(ray_runtime, releases, planned, reference, tmp_path):
    from imagenet_g.release.run.ray_executor import RayExecutor, RayOptions

    progress = []

    class Recorded(RayExecutor):
        def run(self, task, shards, advance):
            return super().run(task, shards, progress.append)

    marker = tmp_path / "crashed"
    out = tmp_path / "imagenet-g"
    executor = Recorded(RayOptions(workers=2), crash_once=(planned[1], marker))
    report = build_release(BuildRequest("smoke", dataset_dir=out, specs_dir=releases, progress=False), executor)
    assert marker.exists()  # a worker really died on that shard (os._exit mid-task)
    assert report.complete and report.written == len(planned)
    assert sum(progress) == report.rows and min(progress) >= 0  # the retried shard is not counted twice
    assert shard_checksums(out / "smoke") == reference
    assert not list((out / "smoke").glob(".*"))  # no claim or temp file left behind


def test_more_workers_than_the_cluster_holds_is_refused(ray_runtime, releases, tmp_path, run_cli):
    result = run_cli(
        "build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", tmp_path / "o",
        "--executor", "ray", "--ray-workers", "5",
    )
    assert result.exit_code == 2
    assert "5 Ray workers need" in result.stderr and "fits 2" in result.stderr
    assert not list((tmp_path / "o" / "smoke").glob("*.parquet"))


def test_without_ray_the_error_names_the_extra(monkeypatch, releases, tmp_path, run_cli):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    from imagenet_g.ray_cluster import require_ray

    with pytest.raises(DependencyError, match=r"imagenet-g\[ray\]"):
        require_ray()
    result = run_cli("build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", tmp_path, "--executor", "ray")
    assert result.exit_code == 2
    assert "pip install 'imagenet-g[ray]'" in result.stderr


def test_unreachable_address_fails_fast_with_exit_2(releases, tmp_path, run_cli):
    started = time.monotonic()
    result = run_cli(
        "build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", tmp_path,
        "--executor", "ray", "--address", "127.0.0.1:9",
    )
    assert result.exit_code == 2
    assert "cannot reach a Ray head node at 127.0.0.1:9" in result.stderr
    assert time.monotonic() - started < 30
    assert not list(tmp_path.rglob("*.parquet"))

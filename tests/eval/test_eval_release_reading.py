"""A release is read from its own shards, never from a `datasets` cache entry of another folder or build."""

from __future__ import annotations

from eval_fixtures import build_release

from imagenet_g.benchmarks import get_benchmark
from imagenet_g.evaluate import datasets as ds


def test_two_release_folders_with_the_same_version_name_read_their_own_rows(tmp_path):
    spec = get_benchmark("imagenet-g")
    counts = []
    for name, n in (("a", 6), ("b", 4)):
        folder = build_release(tmp_path / name, "same", n=n)
        loaded = ds.load(spec, ds.Location("folder", str(folder)), "same")
        counts.append(len(loaded.images))
        assert len(ds.release_rows(ds.Location("folder", str(folder)), "same")) == n
    assert counts == [6, 4]

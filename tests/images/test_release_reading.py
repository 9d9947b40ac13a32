"""A release is read from its own shards, never from a `datasets` cache entry of another folder or build; the
release fixture is a real release."""

from __future__ import annotations

from tiny_release import CLASSES, build_tiny_release

from imagenet_g.benchmarks import get_benchmark
from imagenet_g import images as ds


def test_the_release_fixture_verifies_as_a_release(tmp_path, run_cli):
    build_tiny_release(tmp_path)
    res = run_cli("verify", "--release", "smoke", "--dataset-dir", tmp_path / "imagenet-g",
                  "--specs-dir", tmp_path / "specs")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("smoke: OK, 2 shards, 6 rows match the manifest")


def test_two_release_folders_with_the_same_version_name_read_their_own_rows(tmp_path):
    spec = get_benchmark("imagenet-g")
    counts = []
    for name, classes in (("a", CLASSES), ("b", CLASSES[:2])):
        folder = build_tiny_release(tmp_path / name, "same", classes=classes).dataset_dir
        loaded = ds.load(spec, ds.Location("folder", str(folder)), "same")
        counts.append(len(loaded.images))
        assert len(ds.release_rows(ds.Location("folder", str(folder)), "same")) == 2 * len(classes)
    assert counts == [6, 4]

"""A committed lock keeps a release rebuildable after the Hub moves on: the build loads the locked commit."""

from __future__ import annotations

import shutil

import huggingface_hub.constants
from build_helpers import add_release, checksums, mini_spec_data

from imagenet_g.release import BuildRequest, build_release
from imagenet_g.release.spec.lock import read_lock
from imagenet_g.release.generate.tiny_offline import save_tiny_pipeline

OLD, NEW = "1" * 40, "2" * 40


def _hub_cache(root):
    """A Hub-style cache of `org/tiny` (models--org--tiny/refs/main, snapshots/<sha>) with main at OLD."""
    repo = root / "models--org--tiny"
    save_tiny_pipeline(repo / "snapshots" / OLD)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(OLD)
    return repo


def test_a_new_commit_on_main_does_not_change_a_locked_build(own_releases, tmp_path, monkeypatch, run_cli):
    repo = _hub_cache(tmp_path / "hub")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    add_release(own_releases, "hubbed", mini_spec_data(source="hub", model="org/tiny", revision="main", width=32,
                                                       height=32, steps=2))
    first = build_release(BuildRequest("hubbed", dataset_dir=tmp_path / "a", specs_dir=own_releases, progress=False))
    lock = read_lock(own_releases / "hubbed" / "spec.lock")
    assert first.lock_written and (lock.revision, lock.commit) == ("main", OLD)

    # upstream moves on: main now points at a commit with another scheduler config
    shutil.copytree(repo / "snapshots" / OLD, repo / "snapshots" / NEW)
    config = repo / "snapshots" / NEW / "scheduler" / "scheduler_config.json"
    config.write_text(config.read_text().replace('"steps_offset": 1', '"steps_offset": 0'))
    (repo / "refs" / "main").write_text(NEW)

    again = build_release(BuildRequest("hubbed", dataset_dir=tmp_path / "b", specs_dir=own_releases, progress=False))
    assert again.lock_mismatch == () and not again.lock_written
    assert checksums(again) == checksums(first)
    assert read_lock(own_releases / "hubbed" / "spec.lock") == lock

    shutil.rmtree(repo / "snapshots" / OLD)  # the locked commit is gone (and we are offline)
    result = run_cli("build", "--release", "hubbed", "--specs-dir", own_releases, "--dataset-dir", tmp_path / "c")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert f"cannot fetch org/tiny at its locked commit {OLD}" in result.stderr
    assert "delete its spec.lock" in result.stderr and not (tmp_path / "c").exists()

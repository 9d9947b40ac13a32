"""Static partitioning: n jobs then finalize give the local build's bytes; bad job setups fail clearly."""

from __future__ import annotations

import json
import os
import time

from run_helpers import shard_checksums

from imagenet_g.claims import STALE_S, acquire, release
from imagenet_g.release.store.claims import shard_claim_path


def _job(run_cli, releases, out, index, count, *extra):
    return run_cli(
        "build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", out,
        "--job-index", str(index), "--num-jobs", str(count), *extra,
    )


def test_two_jobs_then_finalize_match_the_local_build(releases, planned, reference, tmp_path, run_cli):
    out = tmp_path / "imagenet-g"
    first = _job(run_cli, releases, out, 0, 2)
    assert first.exit_code == 0, first.stderr
    assert sorted(p.name for p in (out / "smoke").glob("*.parquet")) == planned[0::2]
    assert not (out / "smoke" / "manifest.json").exists()  # jobs never write the shared manifest

    early = run_cli("build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", out, "--finalize")
    assert early.exit_code == 2
    for name in planned[1::2]:
        assert f"{name} missing (job 1 of 2)" in early.stderr

    last = _job(run_cli, releases, out, 1, 2)  # the last job to finish finalizes
    assert last.exit_code == 0, last.stderr
    assert shard_checksums(out / "smoke") == reference
    assert not (out / "smoke" / "jobs").exists()
    assert (out / "README.md").is_file()

    again = run_cli("build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", out, "--finalize")
    assert again.exit_code == 0, again.stderr
    assert shard_checksums(out / "smoke") == reference


def test_shard_index_out_of_range(releases, planned, tmp_path, run_cli):
    too_many = len(planned) + 1
    for index, count, message in ((2, 2, "out of range"), (-1, 2, "out of range"), (0, too_many, "at most")):
        result = _job(run_cli, releases, tmp_path / "o", index, count)
        assert result.exit_code == 2, (index, count)
        assert message in result.stderr
    assert not list(tmp_path.rglob("*.parquet"))


def test_shard_index_needs_num_shards(releases, tmp_path, run_cli):
    result = run_cli("build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", tmp_path, "--job-index", "0")
    assert result.exit_code == 2
    assert "--num-jobs" in result.stderr


def test_second_job_on_a_claimed_shard_fails_and_damages_nothing(releases, planned, tmp_path, run_cli):
    out = tmp_path / "imagenet-g"
    version_dir = out / "smoke"
    version_dir.mkdir(parents=True)
    claim = shard_claim_path(version_dir, planned[0])
    claim.write_text(json.dumps({"host": "node-17", "pid": 4242, "since": "now"}))  # a live job elsewhere
    result = _job(run_cli, releases, out, 0, 2)
    assert result.exit_code == 2
    assert f"{planned[0]} is being built by another job (host node-17, pid 4242" in result.stderr
    assert claim.exists() and not list(version_dir.glob("*.parquet"))


def test_finalize_with_nothing_built(releases, tmp_path, run_cli):
    result = run_cli("build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", tmp_path, "--finalize")
    assert result.exit_code == 2
    assert "nothing of smoke is built" in result.stderr
    assert not any(tmp_path.iterdir())  # finalize created nothing


def test_abandoned_claims_are_taken_over(tmp_path):
    foreign = tmp_path / "a.lock"
    foreign.write_text(json.dumps({"host": "node-17", "pid": 1, "since": "then"}))
    old = time.time() - STALE_S - 1
    os.utime(foreign, (old, old))  # no heartbeat for longer than STALE_S
    dead_here = tmp_path / "b.lock"
    dead_here.write_text(json.dumps({"host": os.uname().nodename, "pid": 2**22 + 1, "since": "then"}))
    for path in (foreign, dead_here):
        acquire(path, "x")
        assert json.loads(path.read_text())["pid"] == os.getpid()
        release(path)
        assert not path.exists()

"""Fault injection: kill -9 at every state of a build, SIGTERM/SIGHUP, concurrent starts, each corruption kind.

A faulty build runs in a forked copy of the test process (the libraries are imported already, so it starts in
milliseconds) and is killed from inside at the chosen moment with a real SIGKILL or SIGTERM. Every fault ends
with the same bytes as an uninterrupted build once the same build is rerun, or with a one-line refusal.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib
import shutil
import signal
import time

import pyarrow.parquet as pq
import pytest
import torch
from build_helpers import add_release, mini_spec_data

import imagenet_g.release.builder as builder_module
import imagenet_g.claims as claims_module
import imagenet_g.release.run.executor as executor_module
import imagenet_g.release.generate.shard as shard_module
import imagenet_g.release.store.writer as writer_module
import imagenet_g.files as files_module
from imagenet_g.files import TEMP_GLOB
from imagenet_g.errors import OutputError, ReleaseIntegrityError
from imagenet_g.release import BuildRequest, build_release, verify_release
from imagenet_g.release.store.manifest import read_manifest, write_manifest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

VERSION = "trio"  # 3 classes x 1 image, one image per shard: three shards, a second or two to build


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    root = tmp_path_factory.mktemp("fault-specs")
    data = mini_spec_data()
    data["plan"]["classes"] = [0, 1, 2]
    add_release(root, VERSION, data)
    other = mini_spec_data()
    other["plan"]["classes"] = [0, 1, 2]
    other["plan"]["base_seed"] = 1
    add_release(root, "other", other)
    return root


def _request(specs, out, version=VERSION):
    return BuildRequest(version, dataset_dir=out, specs_dir=specs, progress=False)


@pytest.fixture(scope="module")
def reference(specs, tmp_path_factory):
    """An uninterrupted build: (dataset folder, {file: bytes})."""
    out = tmp_path_factory.mktemp("fault-reference") / "imagenet-g"
    build_release(_request(specs, out))
    return out, _files(out)


def _files(out):
    """Every file of the built version (hidden ones too) plus the card; the manifest as its shard records."""
    version_dir = out / VERSION
    found = {p.name: p.read_bytes() for p in version_dir.iterdir() if p.is_file()}
    manifest = json.loads(found.pop("manifest.json"))
    found["manifest"] = json.dumps([manifest["splits"], manifest["complete"], manifest["spec"]]).encode()
    found["README.md"] = (out / "README.md").read_bytes()
    return found


def _child(body) -> int:
    """Fork a child that runs ``body()`` and exits (0, the SystemExit code, or 3 on any other exception)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            # OpenMP's thread pool does not survive fork: a child that runs torch with more than one thread,
            # after the parent did, hangs. One thread, as every build here uses anyway.
            torch.set_num_threads(1)
            body()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except OutputError:
            code = 2
        except BaseException:  # noqa: BLE001 -- the child reports by exit code only
            code = 3
        finally:
            os._exit(code)
    return pid


def _exit_code(pid: int) -> int:
    """A child's exit code (-N when signal N ended it)."""
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _fork(body) -> int:
    """Run ``body()`` in a forked child; its exit code."""
    return _exit_code(_child(body))


def _die_at(module, name, sig=signal.SIGKILL, call=1, after=False, when=lambda *a, **k: True):
    """Replace ``module.name`` so that its ``call``-th matching call sends ``sig`` to this process (before the
    real call, or right after it)."""
    real = getattr(module, name)
    seen = []

    def wrapper(*args, **kwargs):
        if not when(*args, **kwargs):
            return real(*args, **kwargs)
        seen.append(1)
        if len(seen) == call and not after:
            os.kill(os.getpid(), sig)
            time.sleep(5)  # a signal with a handler is delivered at the next bytecode
        result = real(*args, **kwargs)
        if len(seen) == call and after:
            os.kill(os.getpid(), sig)
            time.sleep(5)
        return result

    setattr(module, name, wrapper)


def _is_manifest(src, dst, *a, **k) -> bool:
    return str(dst).endswith("manifest.json")


def _is_card(src, dst, *a, **k) -> bool:
    return str(dst).endswith("README.md")


# (module, function, options): the build is killed with SIGKILL at that call
KILL_POINTS = {
    "claim being created (owner written, not linked)": (claims_module.os, "link", {}),
    "claim taken, its temp file not yet removed": (claims_module.os, "link", {"after": True}),
    "mid-shard, second batch": (shard_module, "generate_batch", {"call": 2}),
    "shard temp file written, not renamed": (writer_module, "write_parquet", {"after": True, "call": 2}),
    "shard renamed, not recorded": (files_module.os, "replace", {"call": 3, "when": _is_manifest}),
    "manifest temp written, not renamed": (files_module.os, "replace", {"call": 2, "when": _is_manifest}),
    "recorded, claim not released": (builder_module, "release_claim", {"call": 2}),
    "card being written": (files_module.os, "replace", {"when": _is_card}),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_9_at_each_state_then_rerun_gives_identical_bytes(point, specs, reference, tmp_path):
    out = tmp_path / "imagenet-g"
    module, name, options = KILL_POINTS[point]

    def killed_build():
        _die_at(module, name, **options)
        build_release(_request(specs, out))

    assert _fork(killed_build) == -signal.SIGKILL
    assert _fork(lambda: build_release(_request(specs, out))) == 0
    assert _files(out) == reference[1]
    assert not list(out.rglob(TEMP_GLOB))  # the card's temp file too (it lies outside the version folder)
    verify_release(out, VERSION)


def test_temp_files_of_killed_card_and_manifest_writes_go_with_the_next_build(specs, reference, tmp_path):
    out = tmp_path / "imagenet-g"
    shutil.copytree(reference[0], out)
    left = [out / ".README.md.tmp-4194303", out / VERSION / ".manifest.json.tmp-4194303"]  # as kill -9 leaves them
    for path in left:
        path.write_text("half written")
    report = build_release(_request(specs, out))
    assert (report.written, report.skipped) == (0, 3)
    assert not any(path.exists() for path in left)
    assert _files(out) == reference[1]


def test_an_empty_lock_left_by_an_old_build_is_taken_over_at_once(specs, reference, tmp_path):
    out = tmp_path / "imagenet-g"
    shutil.copytree(reference[0], out)
    (out / VERSION / "test-00001-of-00003.parquet").unlink()
    (out / VERSION / ".test-00001-of-00003.parquet.lock").touch()  # what kill -9 left behind before the fix
    report = build_release(_request(specs, out))
    assert (report.written, report.skipped) == (1, 2)
    assert _files(out) == reference[1]


def test_a_claim_always_names_its_owner(tmp_path):
    """A claim appears complete or not at all: the lock file is linked from a fully written temp file."""
    path = tmp_path / ".x.lock"
    linked = []
    real_link = claims_module.os.link

    def watch(src, dst, *args, **kwargs):
        linked.append(json.loads(open(src).read()))
        return real_link(src, dst, *args, **kwargs)

    claims_module.os.link, restore = watch, real_link
    try:
        claims_module.acquire(path, "x")
    finally:
        claims_module.os.link = restore
    assert linked[0]["pid"] == os.getpid() and json.loads(path.read_text()) == linked[0]
    claims_module.release(path)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_mid_shard_stop_like_ctrl_c(sig, specs, reference, tmp_path, capfd):
    from imagenet_g.cli import main

    out = tmp_path / "imagenet-g"

    def terminated_build():
        _die_at(shard_module, "generate_batch", sig=sig, call=2)
        main(["build", "--release", VERSION, "--dataset-dir", str(out), "--specs-dir", str(specs)])

    assert _fork(terminated_build) == 128 + sig
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and signal.Signals(sig).name in err[0] and "rerun" in err[0]
    version_dir = out / VERSION
    assert sorted(p.name for p in version_dir.iterdir()) == ["manifest.json", "test-00000-of-00003.parquet"]
    assert read_manifest(version_dir).shard("test", 0) is not None
    assert _fork(lambda: build_release(_request(specs, out))) == 0
    assert _files(out) == reference[1]


def test_sigterm_in_a_job_array_job_keeps_its_record(specs, tmp_path, capfd):
    from imagenet_g.cli import main

    out = tmp_path / "imagenet-g"

    def terminated_job():
        _die_at(shard_module, "generate_batch", sig=signal.SIGTERM, call=2)
        main(["build", "--release", VERSION, "--dataset-dir", str(out), "--specs-dir", str(specs),
              "--job-index", "0", "--num-jobs", "1"])

    assert _fork(terminated_job) == 143
    version_dir = out / VERSION
    assert not list(version_dir.glob(".*.lock"))
    assert [p.name for p in (version_dir / "jobs").iterdir()] == ["job-00000-of-00001.json"]


@pytest.mark.parametrize("apart", [0.0, 1.0])
def test_two_builds_started_together_generate_each_shard_once(apart, specs, reference, tmp_path):
    out = tmp_path / "imagenet-g"
    log = tmp_path / "generated.log"

    def logged_build():
        real = executor_module.generate_shard

        def generate(task, shard, *args, **kwargs):
            with open(log, "a") as handle:
                handle.write(f"{os.getpid()} {shard.filename}\n")
            return real(task, shard, *args, **kwargs)

        executor_module.generate_shard = generate
        build_release(_request(specs, out))

    first = _child(logged_build)
    time.sleep(apart)  # the trial: the second build one second later, while the first is generating
    second = _child(logged_build)
    codes = sorted(_exit_code(pid) for pid in (first, second))
    generated = [line.split()[1] for line in log.read_text().splitlines()]
    assert sorted(generated) == sorted(set(generated))  # no shard generated twice
    assert codes in ([0, 0], [0, 2])
    build_release(_request(specs, out))
    assert _files(out) == reference[1]


class _SideBySide:
    """The local executor, holding its records back until every build running alongside has generated its shards:
    so every build has read the manifest before any of them records a shard."""

    name = "local"

    def __init__(self, barrier):
        self.barrier = barrier

    def run(self, task, shards, advance):
        records = list(executor_module.LocalExecutor().run(task, shards, advance))
        self.barrier.wait(timeout=120)
        yield from records


def test_two_builds_of_different_splits_at_once_keep_each_others_records(tmp_path):
    data = mini_spec_data()
    data["plan"]["splits"] = {"test": 1, "val": 1}
    add_release(tmp_path / "specs", "duo", data)
    out, together = tmp_path / "imagenet-g", multiprocessing.get_context("fork").Barrier(2)

    def split_build(split):
        request = BuildRequest("duo", dataset_dir=out, specs_dir=tmp_path / "specs", splits=(split,), progress=False)
        return lambda: build_release(request, executor=_SideBySide(together))

    builds = [_child(split_build(split)) for split in ("test", "val")]
    assert [_exit_code(pid) for pid in builds] == [0, 0]
    manifest = read_manifest(out / "duo")
    assert manifest.complete and [len(s.shards) for s in manifest.splits.values()] == [2, 2]
    assert verify_release(out, "duo").rows == 4  # the build that recorded last saw both splits: it wrote the card


# -- corruption, then verify and build -------------------------------------------------------------


@pytest.fixture
def built(reference, tmp_path):
    out = tmp_path / "imagenet-g"
    shutil.copytree(reference[0], out)
    return out


def test_stray_parquet_is_named_by_verify_and_removed_by_build(built, specs, reference):
    stray = built / VERSION / "test-00009-of-00009.parquet"
    shutil.copy(built / VERSION / "test-00001-of-00003.parquet", stray)
    with pytest.raises(ReleaseIntegrityError, match="test-00009-of-00009.parquet is not part of"):
        verify_release(built, VERSION)
    report = build_release(_request(specs, built))
    assert report.removed == ("test-00009-of-00009.parquet",) and not stray.exists()
    verify_release(built, VERSION)
    assert _files(built) == reference[1]


def test_spec_edited_inside_the_manifest_is_repaired_from_the_release_spec(built, specs, reference):
    path = built / VERSION / "manifest.json"
    data = json.loads(path.read_text())
    data["spec"]["generator"]["steps"] = 5
    path.write_text(json.dumps(data))
    with pytest.raises(ReleaseIntegrityError, match="edited"):
        verify_release(built, VERSION)
    build_release(_request(specs, built))
    assert "4 steps" in (built / "README.md").read_text()
    verify_release(built, VERSION)
    assert _files(built) == reference[1]


def test_manifest_of_another_spec_is_refused_in_one_line(built, specs, reference):
    path = built / VERSION / "manifest.json"
    data = json.loads(path.read_text())
    data["spec_hash"] = "0" * 64
    path.write_text(json.dumps(data))
    before = _files(built)
    with pytest.raises(OutputError, match="different spec") as caught:
        build_release(_request(specs, built))
    assert "\n" not in str(caught.value) and _files(built) == before


@pytest.mark.parametrize("source", ["another spec", "another shard of this spec"])
def test_foreign_shard_with_a_matching_record_is_caught_and_rebuilt(source, built, specs, reference, tmp_path):
    if source == "another spec":
        other_out = tmp_path / "other"
        build_release(_request(specs, other_out, "other"))
        foreign = other_out / "other" / "test-00001-of-00003.parquet"
    else:
        foreign = built / VERSION / "test-00002-of-00003.parquet"
    target = built / VERSION / "test-00001-of-00003.parquet"
    shutil.copy(foreign, tmp_path / "foreign.parquet")
    shutil.copy(tmp_path / "foreign.parquet", target)
    from imagenet_g.files import sha256_file

    manifest = read_manifest(built / VERSION)
    record = manifest.shard("test", 1).model_copy(
        update={"sha256": sha256_file(target), "num_bytes": target.stat().st_size}
    )
    write_manifest(built / VERSION, manifest.with_shard(record))
    with pytest.raises(ReleaseIntegrityError, match="test-00001-of-00003.parquet"):
        verify_release(built, VERSION)
    report = build_release(_request(specs, built))
    assert (report.written, report.skipped) == (1, 2)
    verify_release(built, VERSION)
    assert _files(built) == reference[1]
    assert pq.read_table(target).column("spec_hash").unique().to_pylist() == [report.spec_hash]


def test_two_jobs_taking_over_one_dead_claim_never_both_hold_it(tmp_path):
    claim = tmp_path / ".x.lock"
    claim.write_text(json.dumps({"host": os.uname().nodename, "pid": 2**22 + 1, "since": "then"}))  # dead here
    held, lost = tmp_path / "held.log", tmp_path / "lost.log"

    def take():
        try:
            claims_module.acquire(claim, "x")
        except OutputError:
            with open(lost, "a") as handle:
                handle.write(f"{os.getpid()}\n")
            raise
        with open(held, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        # Hold it until the other jobs have tried: a job that comes after the holder exited takes the claim over
        # rightly (its owner is dead), which on a loaded machine happened with a fixed one-second hold.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not lost.exists() or len(lost.read_text().splitlines()) < 3):
            time.sleep(0.05)

    codes = sorted(_exit_code(pid) for pid in [_child(take) for _ in range(4)])
    assert codes.count(0) == 1 and set(codes) <= {0, 2}
    assert len(held.read_text().splitlines()) == 1


def test_without_hard_links_a_claim_is_created_exclusively(tmp_path, monkeypatch):
    import errno

    def no_links(src, dst, *args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(claims_module.os, "link", no_links)
    path = tmp_path / ".x.lock"
    claims_module.acquire(path, "x")
    assert json.loads(path.read_text())["pid"] == os.getpid()
    assert _fork(lambda: claims_module.acquire(path, "x")) == 2  # another process: held by this one
    claims_module.release(path)
    assert not list(tmp_path.iterdir())



def test_kill_9_while_writing_a_claims_owner_leaves_nothing_after_rerun(specs, reference, tmp_path):
    """Killed after the claim's temp file was opened, before the owner was written: an empty temp file, which
    the rerun removes (its name says which process on which host left it)."""
    out = tmp_path / "imagenet-g"

    def killed_while_writing_a_claim():
        real = pathlib.Path.write_text

        def write_text(self, *args, **kwargs):
            if self.name.endswith(claims_module.CLAIM_TEMP_SUFFIX):
                self.touch()  # opened, nothing written yet
                os.kill(os.getpid(), signal.SIGKILL)
            return real(self, *args, **kwargs)

        pathlib.Path.write_text = write_text
        build_release(_request(specs, out))

    assert _fork(killed_while_writing_a_claim) == -signal.SIGKILL
    assert [p.stat().st_size for p in (out / VERSION).glob(".*" + claims_module.CLAIM_TEMP_SUFFIX)] == [0]
    assert _fork(lambda: build_release(_request(specs, out))) == 0
    assert _files(out) == reference[1]

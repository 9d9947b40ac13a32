"""The builder: deterministic bytes, resume after a kill, and every failure keeps what was built."""

from __future__ import annotations

import errno
import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from build_helpers import KilledAfterFirstShard, add_release, checksums, mini_spec_data
from PIL import Image

import imagenet_g.release.run.executor as executor_module
import imagenet_g.release.store.writer as writer_module
from imagenet_g.release import BuildRequest, build_release
from imagenet_g.release.store.manifest import read_manifest
from imagenet_g.release.spec.shard_plan import plan_shards
from imagenet_g.release.generate.shard import ShardTask, generate_shard
from imagenet_g.errors import DatasetNotFoundError, ImagenetGError, OutputError, ReleaseIntegrityError, SpecError
from imagenet_g.files import sha256_file
from imagenet_g.release.generate.pipeline import load_generator
from imagenet_g.release.generate.tiny_offline import save_tiny_pipeline
from imagenet_g.release.generate.weights import resolve_model
from imagenet_g.labels import unique_class_names
from imagenet_g.release import verify_release
from imagenet_g.release.spec.lock import read_lock
from imagenet_g.release.spec.spec import load_release


def _request(version, out, root, **kw):
    return BuildRequest(version, dataset_dir=out, specs_dir=root, progress=False, **kw)


def test_smoke_build_layout_and_manifest(smoke_build, releases_root):
    out, version_dir = smoke_build.dataset_dir, smoke_build.version_dir
    assert smoke_build.complete and smoke_build.written == 5 and smoke_build.rows == 20
    assert not smoke_build.lock_written and smoke_build.lock_mismatch == ()  # the committed smoke lock holds
    names = sorted(p.name for p in version_dir.iterdir())
    assert names == ["manifest.json"] + [f"test-0000{i}-of-00005.parquet" for i in range(5)]
    assert (out / "README.md").is_file()
    manifest = read_manifest(version_dir)
    release = load_release("smoke", releases_root)
    assert manifest.spec_hash == release.spec_hash == smoke_build.spec_hash
    assert manifest.lock == read_lock(release.lock_path)
    assert manifest.build.dtype == "float32" and manifest.build.device_type == "cpu"
    assert {"torch", "diffusers", "transformers", "datasets", "pyarrow", "python"} <= set(manifest.environment)
    assert manifest.splits["test"].num_rows == 20
    for record in manifest.splits["test"].shards:
        assert sha256_file(version_dir / record.file) == record.sha256
    json.loads((version_dir / "manifest.json").read_text())  # plain JSON for other tools


def test_rows_carry_full_provenance(smoke_build):
    table = pq.read_table(smoke_build.version_dir / "test-00000-of-00005.parquet")
    assert table.num_rows == 4
    row = table.slice(0, 1).to_pylist()[0]
    assert (row["label"], row["wnid"], row["class_name"], row["image_index"]) == (0, "n01440764", "tench", 0)
    assert (row["template_id"], row["prompt"]) == (0, "a bad photo of a tench.")
    assert (row["steps"], row["guidance"], row["sampler"], row["width"], row["height"]) == (
        4, 7.5, "PNDMScheduler", 64, 64)
    assert row["seed"] == 7934221330389296570 and row["spec_hash"] == smoke_build.spec_hash
    assert row["init_image"] is None and row["strength"] is None
    assert row["image"]["bytes"][:8] == b"\x89PNG\r\n\x1a\n" and row["image"]["path"] == "test/n01440764/00000.png"
    assert table.schema.field("seed").type == pa.int64()
    hf = json.loads(table.schema.metadata[b"huggingface"])
    assert hf["info"]["features"]["label"]["names"] == list(unique_class_names())


def test_same_spec_twice_gives_identical_shards(smoke_build, releases_root, tmp_path):
    again = build_release(_request("smoke", tmp_path / "imagenet-g", releases_root))
    assert checksums(again) == checksums(smoke_build)
    manifests = [(r.version_dir / "manifest.json").read_bytes() for r in (again, smoke_build)]
    assert manifests[0] == manifests[1]


def test_resume_after_kill_gives_identical_bytes(own_releases, tmp_path):
    add_release(own_releases, "three", {**mini_spec_data(), "plan": {**mini_spec_data()["plan"], "classes": [0, 1, 2]}})
    whole = build_release(_request("three", tmp_path / "whole", own_releases))
    out = tmp_path / "imagenet-g"
    with pytest.raises(KeyboardInterrupt):
        build_release(_request("three", out, own_releases), executor=KilledAfterFirstShard())
    version_dir = out / "three"
    assert sorted(p.name for p in version_dir.glob("*.parquet")) == ["test-00000-of-00003.parquet"]
    assert not read_manifest(version_dir).complete and not (out / "README.md").exists()
    stale = version_dir / ".test-00001-of-00003.parquet.tmp-99999"  # what a SIGKILL mid-write leaves
    stale.write_bytes(b"PAR1 half a shard")
    resumed = build_release(_request("three", out, own_releases))
    assert (resumed.written, resumed.skipped) == (2, 1) and resumed.complete
    assert checksums(resumed) == checksums(whole) and len(checksums(whole)) == 3
    assert not stale.exists()
    assert (out / "README.md").read_bytes() == (tmp_path / "whole" / "README.md").read_bytes()


def test_rerun_rebuilds_a_damaged_shard_only(built_copy, releases_root, smoke_build):
    shard = built_copy / "smoke" / "test-00002-of-00005.parquet"
    shard.write_bytes(shard.read_bytes()[:1000])
    report = build_release(_request("smoke", built_copy, releases_root))
    assert (report.written, report.skipped) == (1, 4)
    assert checksums(report) == checksums(smoke_build)


def test_image_depends_only_on_its_seed_not_on_batch(releases_root, tmp_path):
    release = load_release("smoke", releases_root)
    shard = plan_shards(release.spec)[0]
    model = resolve_model(release.spec.generator, release.folder)
    generator = load_generator(release.spec.generator, model, "cpu")
    tables = {}
    for batch in (1, 4):
        task = ShardTask("smoke", release.spec, release.spec_hash, tmp_path, model, "cpu", batch)
        tables[batch] = generate_shard(task, shard, generator)
    one, four = tables[1], tables[4]
    assert one.drop_columns(["image"]).equals(four.drop_columns(["image"]))
    for a, b in zip(one.column("image").to_pylist(), four.column("image").to_pylist()):
        pa_, pb = (np.asarray(Image.open(io.BytesIO(x["bytes"])), dtype=int) for x in (a, b))
        # Same seed -> same image. Batched CPU kernels may round the last float bit differently, which can move
        # a pixel by one level; another seed would differ everywhere. Hence a resume must keep its batch size.
        assert np.abs(pa_ - pb).max() <= 1 and (pa_ != pb).mean() < 0.01
    distinct = [np.asarray(Image.open(io.BytesIO(x["bytes"])), dtype=int) for x in one.column("image").to_pylist()]
    assert np.abs(distinct[0] - distinct[1]).mean() > 5


def test_resume_refuses_another_batch_size(releases_root, tmp_path):
    out = tmp_path / "imagenet-g"
    with pytest.raises(KeyboardInterrupt):
        build_release(_request("mini", out, releases_root, batch_size=2), executor=KilledAfterFirstShard())
    with pytest.raises(OutputError, match=r"started with batch size 2, 1 thread\(s\) on cpu .* same batch_size"):
        build_release(_request("mini", out, releases_root, batch_size=1))


def test_resume_refuses_a_folder_started_with_other_library_versions(releases_root, tmp_path):
    out = tmp_path / "imagenet-g"
    with pytest.raises(KeyboardInterrupt):
        build_release(_request("mini", out, releases_root), executor=KilledAfterFirstShard())
    manifest = out / "mini" / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["lock"]["libraries"]["diffusers"] = "0.0.1"  # as if started with another diffusers and a lock override
    manifest.write_text(json.dumps(doc))
    before = {p.name: p.read_bytes() for p in (out / "mini").iterdir()}
    with pytest.raises(OutputError, match=r"mini was started with other weights or library versions than this "
                                          r"build would use; choose another dataset_dir or delete"):
        build_release(_request("mini", out, releases_root))
    assert {p.name: p.read_bytes() for p in (out / "mini").iterdir()} == before


def test_different_spec_in_output_is_never_overwritten(own_releases, tmp_path):
    out = tmp_path / "imagenet-g"
    build_release(_request("mini", out, own_releases))
    before = {p.name: p.read_bytes() for p in (out / "mini").iterdir()}
    data = mini_spec_data()
    data["plan"]["base_seed"] = 1
    add_release(own_releases, "mini", data)
    with pytest.raises(OutputError, match=r"different spec .*; choose another dataset_dir or delete .*mini"):
        build_release(_request("mini", out, own_releases))
    assert {p.name: p.read_bytes() for p in (out / "mini").iterdir()} == before


def test_foreign_shards_without_manifest_are_refused(releases_root, tmp_path):
    folder = tmp_path / "imagenet-g" / "mini"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"x": [1]}), folder / "test-00000-of-00002.parquet")
    with pytest.raises(OutputError, match="test-00000-of-00002.parquet, which is not from the mini spec"):
        build_release(_request("mini", tmp_path / "imagenet-g", releases_root))
    assert pq.read_table(folder / "test-00000-of-00002.parquet").column("x").to_pylist() == [1]


def test_full_disk_keeps_completed_shards(releases_root, tmp_path, monkeypatch, run_cli):
    real_write = writer_module.write_parquet
    calls = []

    def write_until_full(table, path):
        calls.append(path)
        if len(calls) == 2:
            path.write_bytes(b"PAR1 partial")  # the disk fills up halfway through the file
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(table, path)

    monkeypatch.setattr(writer_module, "write_parquet", write_until_full)
    out = tmp_path / "imagenet-g"
    result = run_cli("build", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root)
    assert result.exit_code == 2
    assert "no space left on device" in result.stderr and "test-00001-of-00002.parquet" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (out / "mini").iterdir()) == ["manifest.json", "test-00000-of-00002.parquet"]
    assert read_manifest(out / "mini").shard("test", 0) is not None
    monkeypatch.setattr(writer_module, "write_parquet", real_write)
    report = build_release(_request("mini", out, releases_root))
    assert (report.written, report.skipped, report.complete) == (1, 1, True)


def test_ctrl_c_mid_build_exits_130_and_keeps_shards(releases_root, tmp_path, monkeypatch, run_cli):
    real_generate = executor_module.generate_shard
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(executor_module, "generate_shard", interrupted)
    out = tmp_path / "imagenet-g"
    result = run_cli("build", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root)
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert sorted(p.name for p in (out / "mini").iterdir()) == ["manifest.json", "test-00000-of-00002.parquet"]
    manifest = read_manifest(out / "mini")
    assert sha256_file(out / "mini" / "test-00000-of-00002.parquet") == manifest.shard("test", 0).sha256


def test_interrupt_while_writing_leaves_no_half_shard(releases_root, tmp_path, monkeypatch):
    def half_written(table, path):
        path.write_bytes(b"PAR1 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(writer_module, "write_parquet", half_written)
    out = tmp_path / "imagenet-g"
    with pytest.raises(KeyboardInterrupt):
        build_release(_request("mini", out, releases_root))
    assert sorted(p.name for p in (out / "mini").iterdir()) == ["manifest.json"]


def test_lock_written_then_enforced(own_releases, tmp_path, run_cli):
    model = save_tiny_pipeline(own_releases / "local" / "model")
    add_release(own_releases, "local", mini_spec_data(source="local", model="model"))
    first = build_release(_request("local", tmp_path / "a", own_releases))
    lock = read_lock(own_releases / "local" / "spec.lock")
    assert first.lock_written and lock.source == "local"
    assert "unet/diffusion_pytorch_model.safetensors" in lock.files and set(lock.libraries) == {
        "torch", "diffusers", "transformers"}
    # the saved tiny pipeline loads through from_pretrained and gives the tiny generator's exact pixels
    mini = build_release(_request("mini", tmp_path / "b", own_releases))
    images = [pq.read_table(r.version_dir / r.shards[0].file).column("image").to_pylist() for r in (first, mini)]
    assert images[0] == images[1]

    config = model / "scheduler" / "scheduler_config.json"
    config.write_text(config.read_text() + "\n")
    result = run_cli("build", "--release", "local", "--dataset-dir", tmp_path / "c", "--specs-dir", own_releases)
    assert result.exit_code == 2
    assert "file scheduler/scheduler_config.json sha256 changed" in result.stderr
    assert "--allow-lock-mismatch" in result.stderr and not (tmp_path / "c").exists()
    forced = build_release(_request("local", tmp_path / "c", own_releases, allow_lock_mismatch=True))
    assert forced.complete and forced.lock_mismatch == ("file scheduler/scheduler_config.json sha256 changed",)
    assert read_manifest(forced.version_dir).lock_mismatch == forced.lock_mismatch
    assert read_lock(own_releases / "local" / "spec.lock") == lock  # the committed lock is left alone


def test_unwritable_output_is_one_clear_line(releases_root, tmp_path, run_cli):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("build", "--release", "mini", "--dataset-dir", blocker, "--specs-dir", releases_root)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert f"{str(blocker)!r} is a file, not a folder; set --dataset-dir to a folder" in result.stderr
    below = run_cli("build", "--release", "mini", "--dataset-dir", blocker / "sub", "--specs-dir", releases_root)
    assert below.exit_code == 2 and "cannot write to" in below.stderr and "choose another --dataset-dir" in below.stderr
    assert blocker.read_text() == "not a folder"


def test_full_disk_while_recording_a_shard_keeps_the_record_before(releases_root, tmp_path, monkeypatch, run_cli):
    import imagenet_g.release.builder as builder_module

    real_update = builder_module.update_manifest
    calls = []

    def manifest_until_full(version_dir, base, manifest):
        calls.append(1)
        if len(calls) == 3:  # the start record, shard 0's record, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_update(version_dir, base, manifest)

    monkeypatch.setattr(builder_module, "update_manifest", manifest_until_full)
    out = tmp_path / "imagenet-g"
    result = run_cli("build", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root)
    assert result.exit_code == 2 and "No space left on device" in result.stderr and "build again to resume" in result.stderr
    assert read_manifest(out / "mini").shard("test", 0) is not None
    monkeypatch.setattr(builder_module, "update_manifest", real_update)
    report = build_release(_request("mini", out, releases_root))
    assert (report.written, report.skipped, report.complete) == (1, 1, True)


def test_card_and_lock_write_failures_are_one_line(own_releases, tmp_path, monkeypatch, run_cli):
    import imagenet_g.release.publish.card as card_module
    import imagenet_g.release.spec.lock as lock_module

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lock_module, "atomic_write_text", full)
    result = run_cli("build", "--release", "mini", "--dataset-dir", tmp_path / "out", "--specs-dir", own_releases)
    assert result.exit_code == 2 and "cannot write the lock" in result.stderr and "spec.lock" in result.stderr
    monkeypatch.undo()
    monkeypatch.setattr(card_module, "atomic_write_text", full)
    result = run_cli("build", "--release", "mini", "--dataset-dir", tmp_path / "out", "--specs-dir", own_releases)
    assert result.exit_code == 2 and "cannot write the dataset card" in result.stderr
    assert read_manifest(tmp_path / "out" / "mini").complete
    monkeypatch.undo()
    report = build_release(_request("mini", tmp_path / "out", own_releases))
    assert report.written == 0 and (tmp_path / "out" / "README.md").is_file()


def test_damaged_manifest_is_named_and_recoverable(releases_root, tmp_path, run_cli):
    out = tmp_path / "imagenet-g"
    first = build_release(_request("mini", out, releases_root))
    (out / "mini" / "manifest.json").write_text('{"version": "mini", "spec_ha')
    result = run_cli("build", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root)
    assert result.exit_code == 2 and "manifest.json is damaged" in result.stderr and "delete it" in result.stderr
    (out / "mini" / "manifest.json").unlink()
    again = build_release(_request("mini", out, releases_root))
    assert again.written == 2 and checksums(again) == checksums(first)


def test_bad_requests(releases_root, tmp_path):
    with pytest.raises(SpecError, match="unknown split 'train'"):
        build_release(_request("smoke", tmp_path, releases_root, splits=("train",)))
    with pytest.raises(ImagenetGError, match="batch size must be at least 1"):
        build_release(_request("smoke", tmp_path, releases_root, batch_size=0))
    with pytest.raises(ImagenetGError, match="threads 0 is out of range"):
        build_release(_request("smoke", tmp_path, releases_root, threads=0))


def test_splits_build_separately_and_complete_together(own_releases, tmp_path):
    data = mini_spec_data()
    data["plan"]["splits"] = {"test": 1, "val": 1}
    add_release(own_releases, "two", data)
    out = tmp_path / "imagenet-g"
    partial = build_release(_request("two", out, own_releases, splits=("val",)))
    assert not partial.complete and [s.file for s in partial.shards] == [
        "val-00000-of-00002.parquet", "val-00001-of-00002.parquet"]
    assert not (out / "README.md").exists()
    with pytest.raises(ReleaseIntegrityError, match="test shard 0 of 2 never built; test shard 1 of 2 never built"):
        verify_release(out, "two")
    whole = build_release(_request("two", out, own_releases))
    assert whole.complete and (whole.written, whole.skipped) == (2, 2)
    meta = yaml.safe_load((out / "README.md").read_text().split("---\n")[1])
    assert meta["configs"][0]["data_files"] == [
        {"split": "test", "path": "two/test-*.parquet"}, {"split": "val", "path": "two/val-*.parquet"}]
    assert verify_release(out, "two").rows == 4

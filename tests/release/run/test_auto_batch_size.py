"""``--batch-size auto`` on a GPU: the executor probes, once, with the pipeline it loads to generate anyway; the
manifest records the size and a resume reuses it. On CPU, auto is 4 (``test_fast_path``)."""

from __future__ import annotations

import pytest
from build_helpers import KilledAfterFirstShard, add_release, checksums, mini_spec_data

import imagenet_g.release.builder as builder_module
import imagenet_g.release.run.batching as batching_module
import imagenet_g.release.run.executor as executor_module
from imagenet_g.release import BuildRequest, build_release
from imagenet_g.release.generate.shard import ShardTask
from imagenet_g.release.generate.weights import resolve_model
from imagenet_g.release.spec.shard_plan import plan_shards
from imagenet_g.release.spec.spec import load_release
from imagenet_g.release.store.manifest import read_manifest

GPU_HOLDS = 2  # the largest batch the pretended GPU holds


@pytest.fixture
def on_a_gpu(monkeypatch):
    """auto resolves as on a GPU (nothing recorded: the executor probes, and the pretended GPU holds 2 images);
    returns the batch sizes probed and the number of pipelines loaded."""
    import torch

    resolve = builder_module.resolve_batch_size
    monkeypatch.setattr(builder_module, "resolve_batch_size",
                        lambda requested, device, recorded, limit: resolve(requested, "cuda", recorded, limit))
    seen = {"probed": [], "loaded": 0}

    def probe_batch(generator, prompts, seeds, init_images=None, class_indices=None):
        seen["probed"].append(len(prompts))
        if len(prompts) > GPU_HOLDS:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return []

    load = executor_module.load_generator

    def counted_load(*args, **kwargs):
        seen["loaded"] += 1
        return load(*args, **kwargs)

    monkeypatch.setattr(batching_module, "generate_batch", probe_batch)
    monkeypatch.setattr(executor_module, "load_generator", counted_load)
    return seen


@pytest.fixture
def quad(tmp_path):
    """4 classes x 2 images in 2 shards of 4 rows."""
    data = mini_spec_data()
    data["plan"].update(classes=[0, 1, 2, 3], splits={"test": 2})
    data["output"]["rows_per_shard"] = 4
    add_release(tmp_path / "specs", "quad", data)
    return tmp_path / "specs"


def _request(specs, out, **kw):
    return BuildRequest("quad", dataset_dir=out, specs_dir=specs, progress=False, **kw)


def test_the_executor_probes_once_with_the_pipeline_it_generates_with(quad, on_a_gpu, tmp_path):
    report = build_release(_request(quad, tmp_path / "auto", batch_size="auto"))
    assert on_a_gpu["loaded"] == 1  # one pipeline for the probe and the shards (the builder loads none)
    assert on_a_gpu["probed"] == [1, 2, 4]  # doubled until out of memory, once
    assert report.batch_size == GPU_HOLDS and read_manifest(report.version_dir).build.batch_size == GPU_HOLDS
    assert report.complete and report.written == 2
    assert checksums(report) == checksums(build_release(_request(quad, tmp_path / "fixed", batch_size=GPU_HOLDS)))


def test_a_resumed_auto_build_keeps_its_recorded_size_without_probing(quad, on_a_gpu, tmp_path):
    out = tmp_path / "imagenet-g"
    with pytest.raises(KeyboardInterrupt):
        build_release(_request(quad, out, batch_size="auto"), executor=KilledAfterFirstShard())
    assert read_manifest(out / "quad").build.batch_size == GPU_HOLDS  # saved with the first shard
    on_a_gpu["probed"].clear()
    resumed = build_release(_request(quad, out, batch_size="auto"))
    assert on_a_gpu["probed"] == [] and (resumed.written, resumed.skipped) == (1, 1)
    assert resumed.batch_size == GPU_HOLDS and resumed.complete
    assert checksums(resumed) == checksums(build_release(_request(quad, tmp_path / "fixed", batch_size=GPU_HOLDS)))


def test_ray_probes_once_on_a_worker_and_every_worker_uses_that_size(ray_runtime, releases, reference, tmp_path):
    from imagenet_g.release.run.ray_executor import RayExecutor, RayOptions

    release = load_release("smoke", releases)
    model = resolve_model(release.spec.generator, release.folder)
    task = ShardTask("smoke", release.spec, release.spec_hash, tmp_path / "smoke", model, "cpu", None)
    task.version_dir.mkdir()
    shards = plan_shards(release.spec)[:2]
    written = list(RayExecutor(RayOptions(workers=2)).run(task, shards, lambda n: None))
    # the tiny pipeline's CPU holds the whole shard: probed 1, 2, 4 (rows_per_shard), as the local build at 4
    assert [w.batch_size for w in written] == [4, 4]
    assert {w.record.file: w.record.sha256 for w in written} == {s.filename: reference[s.filename] for s in shards}

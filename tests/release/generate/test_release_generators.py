"""Newer generators (SDXL, SD3, Flux) and a class-conditional one (DiT) load and sample through the same build
path as SD1.5, from tiny random pipelines built from each pipeline's own component shapes."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from build_helpers import add_release, mini_spec_data

from imagenet_g.release import BuildRequest, build_release

GENERATORS = {
    "sdxl": ("tiny-random-sdxl", "StableDiffusionXLPipeline", "EulerDiscreteScheduler", "labels"),
    "sd3": ("tiny-random-sd3", "StableDiffusion3Pipeline", "FlowMatchEulerDiscreteScheduler", "labels"),
    "flux": ("tiny-random-flux", "FluxPipeline", "FlowMatchEulerDiscreteScheduler", "labels"),
    "dit": ("tiny-random-dit", "DiTPipeline", "DDIMScheduler", "class"),
}


def _images(report) -> dict[int, bytes]:
    rows = [r for s in report.shards for r in pq.read_table(report.version_dir / s.file).to_pylist()]
    return {r["label"]: r["image"]["bytes"] for r in rows}


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_builds_with_one_noise_generator_per_image(name, own_releases, tmp_path):
    model, pipeline, scheduler, kind = GENERATORS[name]
    images = []
    for classes in ([0, 1], [0, 2]):  # class 0's image must not depend on the other image of its batch
        data = mini_spec_data(model=model, pipeline=pipeline, scheduler={"name": scheduler}, width=32, height=32,
                              steps=2)
        data["plan"]["classes"] = classes
        data["output"]["rows_per_shard"] = 2
        data["conditioning"] = {"kind": kind}
        version = f"{name}-{classes[1]}"
        add_release(own_releases, version, data)
        report = build_release(BuildRequest(version, dataset_dir=tmp_path / version, specs_dir=own_releases,
                                            progress=False, batch_size=2))
        assert report.complete and report.rows == 2
        images.append(_images(report))
    assert images[0][0] == images[1][0]
    assert images[0][1] != images[0][0] and images[1][2] != images[1][0]

"""Publishing: the card names license, size, provenance, citation and safety figures per version, and push
keeps every other version's config in the Hub card (pushing v2 from a folder without v1 keeps v1)."""

from __future__ import annotations

import datasets
import yaml
from build_helpers import add_release, mini_spec_data
from fake_hub import FakeHub

from imagenet_g.release import BuildRequest, PushRequest, build_release, push_release


def _meta(card: str) -> dict:
    return yaml.safe_load(card.split("---\n")[1])


def _build(specs, version, out, **generator):
    data = mini_spec_data(width=32, height=32, steps=2, **generator)
    data["output"]["rows_per_shard"] = 2
    add_release(specs, version, data)
    return build_release(BuildRequest(version, dataset_dir=out, specs_dir=specs, progress=False))


def test_push_v2_into_a_repo_with_v1_keeps_both_configs(own_releases, tmp_path):
    hub = FakeHub(tmp_path)
    v1 = _build(own_releases, "v1", tmp_path / "only-v1")
    push_release(PushRequest("v1", "org/imagenet-g", dataset_dir=v1.dataset_dir), api=hub)
    v2 = _build(own_releases, "v2", tmp_path / "only-v2", safety_checker=True)  # a folder without v1
    report = push_release(PushRequest("v2", "org/imagenet-g", dataset_dir=v2.dataset_dir, resumable=True), api=hub)

    names = [name for name, _ in hub.calls[-4:]]
    assert names == ["hf_hub_download", "upload_large_folder", "upload_file", "create_tag"]
    assert hub.calls[-3][1]["allow_patterns"] == ["v2/*", "audits/v2/*"] and report.resumable
    assert hub.tags["v2"] == report.commit != hub.tags["v1"]
    card = hub.files["README.md"].decode()
    meta = _meta(card)
    assert [c["config_name"] for c in meta["configs"]] == ["v1", "v2"]
    assert [i["config_name"] for i in meta["dataset_info"]] == ["v1", "v2"]
    assert "<!-- version: v1 -->" in card and "<!-- version: v2 -->" in card
    repo = hub.materialize(tmp_path / "clone")  # what the Hub repo now holds loads as both configs
    for version in ("v1", "v2"):
        ds = datasets.load_dataset(str(repo), version, split="test", cache_dir=str(tmp_path / "cache"))
        assert ds.num_rows == 2 and ds.features["label"].int2str(ds[0]["label"]) == "tench"


def test_card_metadata_license_size_provenance_citation_and_safety(own_releases, tmp_path):
    report = _build(own_releases, "safe", tmp_path / "out", safety_checker=True)
    card = (report.dataset_dir / "README.md").read_text()
    meta = _meta(card)
    assert meta["license"] == ["mit"]  # the tiny generator's; SD1.5 releases say creativeml-openrail-m
    assert meta["size_categories"] == ["n<1K"] and meta["annotations_creators"] == ["machine-generated"]
    assert meta["source_datasets"] == ["original"] and "synthetic" in meta["tags"]
    flagged = sum(ds_row for ds_row in datasets.load_dataset(
        str(report.dataset_dir), "safe", split="test", cache_dir=str(tmp_path / "c"))["nsfw"])
    assert f"flagged test {flagged:,} of 2 (`nsfw` column; images kept)" in card
    assert "@article{bansal2023leaving" in card and "arXiv:2302.02503" in card and "@misc{imagenet_g" in card
    assert "via diffusers `StableDiffusionPipeline`, PNDMScheduler, 2 steps, guidance 7.5, 32x32" in card


def test_sd15_releases_name_the_openrail_license():
    from imagenet_g.release.publish.licenses import generator_license
    from imagenet_g.release.spec.spec import load_release

    for version in ("v1", "v1-labels-images", "v1-images"):
        gen = load_release(version).spec.generator
        licence = generator_license(gen.source, gen.model)
        assert (licence.id, licence.name) == ("creativeml-openrail-m", "CreativeML OpenRAIL-M")


def test_card_section_states_the_estimated_gpu_time(smoke_build):
    from imagenet_g.release.publish.card import render_card
    from imagenet_g.release.store.manifest import SplitRecord, read_manifest
    from imagenet_g.release.spec.spec import load_release

    v1 = load_release("v1")
    manifest = read_manifest(smoke_build.version_dir).model_copy(update={
        "version": "v1", "spec": v1.spec, "spec_hash": v1.spec_hash,
        "splits": {"test": SplitRecord(num_rows=50_000, num_shards=100)},
    })
    text = render_card(smoke_build.dataset_dir, [manifest])  # a v1 record without shards: nothing flagged
    assert "test 50,000; about 22 A100-hours to generate (estimated from the settings: images x steps x 32.1 ms" in text
    assert "flagged test 0 of 50,000" in text and "[CreativeML OpenRAIL-M]" in text
    assert _meta(text)["license"] == ["creativeml-openrail-m"] and _meta(text)["size_categories"] == ["10K<n<100K"]

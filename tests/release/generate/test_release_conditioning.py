"""The paper's generation strategies (labels; images; labels+images; class) and the safety flag, each built by the
same builder from tiny random pipelines, byte-identically twice, and loaded with ``datasets.load_dataset``."""

from __future__ import annotations

import copy
import hashlib
import io
import shutil

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest
from build_helpers import add_release, checksums, mini_spec_data
from PIL import Image

from imagenet_g.release import BuildRequest, build_release, verify_release
from imagenet_g.errors import DatasetNotFoundError
from imagenet_g.release.generate.init_images import InitImage, init_digest, init_pixels
from imagenet_g.release.spec.lock import read_lock

WNIDS = ("n01440764", "n01443537")  # classes 0 and 1 of the mini spec


def make_imagenet_folder(root, colours=((200, 30, 30), (30, 30, 200))) -> None:
    """``root/val/<wnid>/`` with two images per class, in the layout ImageNet ships (after valprep)."""
    for wnid, colour in zip(WNIDS, colours):
        folder = root / "val" / wnid
        folder.mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (48 + 8 * i, 40), tuple(c // (i + 1) for c in colour)).save(folder / f"img{i}.JPEG")


def strategy_spec(kind: str) -> dict:
    """The mini spec (2 classes x 2 images at 32 px, 2 steps) generating with conditioning ``kind``."""
    data = mini_spec_data(width=32, height=32, steps=2)
    data["plan"]["splits"] = {"test": 2}
    data["output"]["rows_per_shard"] = 2
    gen = data["generator"]
    if kind in ("images", "labels+images"):
        data["conditioning"] = {"kind": kind, "init_images": {"dataset": "imagenet-1k", "splits": {"test": "val"}}}
    if kind == "images":
        gen.update(pipeline="StableDiffusionImageVariationPipeline", guidance=3.0)
    if kind == "labels+images":
        gen.update(pipeline="StableDiffusionImg2ImgPipeline", strength=1.0)
    if kind == "class":
        data["conditioning"] = {"kind": "class"}
        gen.update(model="tiny-random-dit", pipeline="DiTPipeline", guidance=4.0,
                   scheduler={"name": "DDIMScheduler"})
    if kind == "labels":
        gen["safety_checker"] = True
    return data


def _rows(report):
    return [row for s in report.shards for row in pq.read_table(report.version_dir / s.file).to_pylist()]


@pytest.mark.parametrize("kind", ["labels", "images", "labels+images", "class"])
def test_each_strategy_builds_twice_identically_and_loads(kind, own_releases, tmp_path):
    make_imagenet_folder(tmp_path / "imagenet")
    add_release(own_releases, kind.replace("+", "-"), strategy_spec(kind))
    version = kind.replace("+", "-")
    init_images = tmp_path / "imagenet" if kind in ("images", "labels+images") else None  # others take none
    reports = [
        build_release(BuildRequest(version, dataset_dir=tmp_path / name, specs_dir=own_releases, progress=False,
                                   init_images=init_images))
        for name in ("a", "b")
    ]
    assert checksums(reports[0]) == checksums(reports[1]) and reports[0].rows == 4
    verify_release(reports[0].dataset_dir, version)
    ds = datasets.load_dataset(str(reports[0].dataset_dir), version, split="test", cache_dir=str(tmp_path / "c"))
    assert ds.num_rows == 4 and ds[0]["image"].size == (32, 32) and ds["label"] == [0, 0, 1, 1]
    rows = _rows(reports[0])
    uses_images = kind in ("images", "labels+images")
    assert [r["init_image"] for r in rows] == (
        [f"val/{w}/img{i}.JPEG" for w in WNIDS for i in range(2)] if uses_images else [None] * 4)
    assert (rows[0]["prompt"] is not None) == (kind in ("labels", "labels+images"))
    assert [r["nsfw"] is not None for r in rows] == [kind == "labels"] * 4
    lock = read_lock(own_releases / version / "spec.lock")
    if uses_images:
        files = sorted((tmp_path / "imagenet" / "val" / WNIDS[0]).iterdir())
        expected = init_digest((f"val/{WNIDS[0]}/{p.name}", hashlib.sha256(p.read_bytes()).hexdigest()) for p in files)
        assert lock.init_images.digests["test"][WNIDS[0]] == expected
        assert rows[0]["init_image_sha256"] == hashlib.sha256(files[0].read_bytes()).hexdigest()
        assert lock.init_images.source == str((tmp_path / "imagenet").resolve())
    else:
        assert lock.init_images is None


@pytest.mark.parametrize("kind", ["images", "labels+images"])
def test_the_init_image_conditions_the_output(kind, own_releases, tmp_path):
    make_imagenet_folder(tmp_path / "red-first")
    make_imagenet_folder(tmp_path / "blue-first", colours=((30, 30, 200), (200, 30, 30)))
    add_release(own_releases, "cond", strategy_spec(kind))
    images = []
    for name in ("red-first", "blue-first"):  # same seeds and prompts, other init images
        report = build_release(BuildRequest("cond", dataset_dir=tmp_path / f"out-{name}", specs_dir=own_releases,
                                            progress=False, init_images=tmp_path / name, allow_lock_mismatch=True))
        images.append([r["image"]["bytes"] for r in _rows(report)])
    assert all(a != b for a, b in zip(*images))


def test_init_images_from_a_dataset_with_image_and_label_columns(own_releases, tmp_path):
    """The Hub layout (ILSVRC/imagenet-1k: image + label columns, split `validation`), as a local datasets folder."""
    make_imagenet_folder(tmp_path / "imagenet")
    files = sorted((tmp_path / "imagenet" / "val").glob("*/*.JPEG"))
    records = {"image": [str(p) for p in files], "label": [0, 0, 1, 1]}
    dataset = datasets.Dataset.from_dict(records).cast_column("image", datasets.Image())
    dataset.to_parquet(str(tmp_path / "hub" / "data" / "validation-00000-of-00001.parquet"))
    add_release(own_releases, "images", strategy_spec("images"))
    from_hub, from_folder = (
        build_release(BuildRequest("images", dataset_dir=tmp_path / name, specs_dir=own_releases, progress=False,
                                   init_images=tmp_path / source, allow_lock_mismatch=True))
        for name, source in (("a", "hub"), ("b", "imagenet"))
    )
    hub_rows, folder_rows = _rows(from_hub), _rows(from_folder)
    assert [r["init_image"] for r in hub_rows] == ["val/0", "val/1", "val/2", "val/3"]
    # the same images by content: same checksums, same generated pixels
    assert [r["init_image_sha256"] for r in hub_rows] == [r["init_image_sha256"] for r in folder_rows]
    assert [r["image"]["bytes"] for r in hub_rows] == [r["image"]["bytes"] for r in folder_rows]


def test_missing_or_changed_init_images_are_one_line(own_releases, tmp_path, run_cli):
    add_release(own_releases, "images", strategy_spec("images"))
    args = ("build", "--release", "images", "--specs-dir", own_releases, "--dataset-dir")
    missing = run_cli(*args, tmp_path / "out")
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1
    assert "starts from real images (imagenet-1k val)" in missing.stderr and "--init-images" in missing.stderr
    assert not (tmp_path / "out").exists()

    make_imagenet_folder(tmp_path / "imagenet")
    assert run_cli(*args, tmp_path / "out", "--init-images", tmp_path / "imagenet").exit_code == 0
    Image.new("RGB", (48, 40), (0, 255, 0)).save(tmp_path / "imagenet" / "val" / WNIDS[1] / "img1.JPEG")
    changed = run_cli(*args, tmp_path / "out2", "--init-images", tmp_path / "imagenet")
    assert changed.exit_code == 2 and changed.stderr.count("\n") == 1
    assert f"init images of test changed since the lock (class {WNIDS[1]})" in changed.stderr

    # built anyway from the changed images: the rows match their own manifest, not the committed lock
    forced = run_cli(*args, tmp_path / "out2", "--init-images", tmp_path / "imagenet", "--allow-lock-mismatch")
    assert forced.exit_code == 0
    check = ("verify", "--release", "images", "--specs-dir", own_releases, "--dataset-dir")
    assert run_cli(*check, tmp_path / "out").exit_code == 0
    result = run_cli(*check, tmp_path / "out2")
    assert result.exit_code == 2 and f"test: init images of class {WNIDS[1]} differ from the lock" in result.stderr

    shutil.rmtree(tmp_path / "imagenet" / "val" / WNIDS[0])
    gone = run_cli(*args, tmp_path / "out3", "--init-images", tmp_path / "imagenet")
    assert gone.exit_code == 2 and f"no init images for class {WNIDS[0]}" in gone.stderr


def test_init_images_decode_through_the_image_layer_and_a_broken_one_is_one_line():
    buffer = io.BytesIO()
    Image.new("CMYK", (8, 6)).save(buffer, "JPEG")
    assert init_pixels(InitImage("val/n0/a.JPEG", "0" * 64, buffer.getvalue())).mode == "RGB"
    with pytest.raises(DatasetNotFoundError, match=r"init image val/n0/b.JPEG is an unreadable image "
                                                   r"\(UnidentifiedImageError\); restore it"):
        init_pixels(InitImage("val/n0/b.JPEG", "0" * 64, b"not an image"))


def test_unknown_pipeline_class_and_wrong_conditioning_are_one_line(own_releases, tmp_path, run_cli):
    add_release(own_releases, "typo", mini_spec_data(pipeline="StableDifusionPipeline"))
    result = run_cli("build", "--release", "typo", "--specs-dir", own_releases, "--dataset-dir", tmp_path / "o")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "unknown diffusers pipeline class 'StableDifusionPipeline' (did you mean: StableDiffusionPipeline" in (
        result.stderr)
    data = strategy_spec("images")
    data["generator"]["pipeline"] = "StableDiffusionPipeline"
    add_release(own_releases, "mismatch", data)
    make_imagenet_folder(tmp_path / "imagenet")
    result = run_cli("build", "--release", "mismatch", "--specs-dir", own_releases, "--dataset-dir", tmp_path / "o",
                     "--init-images", tmp_path / "imagenet")
    assert result.exit_code == 2 and "StableDiffusionPipeline takes no image" in result.stderr


def test_safety_flags_match_the_pipelines_own_checker_and_keep_the_image(own_releases, tmp_path):
    """Reference: diffusers' StableDiffusionPipeline with its checker on blackens exactly the images we flag."""
    import diffusers
    import torch

    from imagenet_g.release.generate.tiny_offline import tiny_pipeline

    data = strategy_spec("labels")
    data["plan"]["splits"] = {"test": 4}
    data["output"]["rows_per_shard"] = 8
    add_release(own_releases, "safe", data)
    report = build_release(BuildRequest("safe", dataset_dir=tmp_path / "out", specs_dir=own_releases,
                                        progress=False, batch_size=8))
    rows = _rows(report)
    reference = tiny_pipeline("tiny-random-sd", diffusers.StableDiffusionPipeline, safety_checker=True)
    reference.set_progress_bar_config(disable=True)
    out = reference(prompt=[r["prompt"] for r in rows], num_inference_steps=2, width=32, height=32,
                    generator=[torch.Generator("cpu").manual_seed(r["seed"]) for r in rows], output_type="np")
    assert [r["nsfw"] for r in rows] == out.nsfw_content_detected
    assert 0 < sum(out.nsfw_content_detected) < len(rows)  # both outcomes are exercised
    for row, theirs, flagged in zip(rows, out.images, out.nsfw_content_detected):
        ours = np.asarray(Image.open(io.BytesIO(row["image"]["bytes"])))
        assert ours.any()  # never blackened
        if flagged:
            assert not theirs.any()
        else:
            assert np.abs(ours.astype(int) - np.round(theirs * 255).astype(int)).max() <= 1


def test_strength_and_init_images_only_with_their_conditioning():
    from imagenet_g.errors import SpecError
    from imagenet_g.release.spec.spec import parse_spec

    with pytest.raises(SpecError, match="generator.strength is required by, and applies only to, conditioning"):
        parse_spec(mini_spec_data(strength=0.5))
    data = strategy_spec("labels+images")
    del data["conditioning"]["init_images"]
    with pytest.raises(SpecError, match="kind labels\\+images needs init_images"):
        parse_spec(data)
    data = copy.deepcopy(strategy_spec("images"))
    data["conditioning"]["init_images"]["splits"] = {"train": "train"}
    with pytest.raises(SpecError, match="must name a source split for each plan split"):
        parse_spec(data)

"""Image sources in each publisher's layout on tiny local folders: counts, junk files, wrong layouts, V2's index
folders, explicit paths and Hub ids, a built release, a `datasets` folder."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from imagenet_g import labels
from imagenet_g.errors import DatasetNotFoundError, UnknownNameError
from imagenet_g import benchmarks
from imagenet_g import images as ds

from data_fixtures import PER_CLASS, RA_CLASSES, write_images
from tiny_release import CLASSES as RELEASE_CLASSES, build_tiny_release


def _load(name, root, **kw):
    spec = benchmarks.get_benchmark(name)
    variant = kw.get("variant", benchmarks.V2_DEFAULT)
    return ds.load(spec, ds.locate(spec, root, kw.get("path"), variant), release="smoke", variant=variant)


def test_imagenet_r_counts_junk_files_without_failing(data_root):
    data = _load("imagenet-r", data_root)
    assert data.images.skipped == {"not an image file (extension)": 1, "file outside the class folders": 1}
    # the truncated and the fake JPEG are listed (by extension) and fail later, at decode time
    assert len(data.images) == PER_CLASS * len(RA_CLASSES) + 2
    assert set(data.images.targets) == set(RA_CLASSES)


def test_wrong_layouts_and_empty_folders_raise_clear_errors(tmp_path):
    write_images(tmp_path / "imagenet-r" / "cats", 1, seed=1)
    with pytest.raises(DatasetNotFoundError, match="'cats' .* not an ImageNet wnid"):
        _load("imagenet-r", tmp_path)
    write_images(tmp_path / "imagenetv2-matched-frequency-format-val" / "n01440764", 1, seed=2)
    with pytest.raises(DatasetNotFoundError, match="not a class index"):
        _load("imagenet-v2", tmp_path)
    (tmp_path / "imagenet-a").mkdir()
    with pytest.raises(DatasetNotFoundError, match="no images found"):
        _load("imagenet-a", tmp_path)
    write_images(tmp_path / "objectnet-1.0" / "images" / "n01440764", 1, seed=3, ext="png")
    with pytest.raises(DatasetNotFoundError, match="not an ObjectNet class folder"):
        _load("objectnet", tmp_path)


def test_r_folder_of_a_class_outside_its_200_is_skipped_and_counted(tmp_path):
    outside = next(i for i in range(1000) if i not in labels.imagenet_r_indices())
    write_images(tmp_path / "imagenet-r" / labels.wnids()[outside], 2, seed=4)
    write_images(tmp_path / "imagenet-r" / labels.wnids()[labels.imagenet_r_indices()[0]], 1, seed=5)
    data = _load("imagenet-r", tmp_path)
    assert len(data.images) == 1 and data.images.skipped == {"class outside the dataset's label space": 2}


def test_v2_variants_and_explicit_paths(tmp_path, data_root):
    src = data_root / "imagenetv2-matched-frequency-format-val"
    shutil.copytree(src, tmp_path / "imagenet-v2" / "imagenetv2-threshold0.7-format-val")
    spec = benchmarks.get_benchmark("imagenet-v2")
    assert ds.locate(spec, tmp_path) is None  # matched-frequency is not there
    data = _load("imagenet-v2", tmp_path, variant="threshold0.7")
    assert data.version == "threshold0.7" and sorted(set(data.images.targets)) == [2, 10, 100]
    data = _load("imagenet-v2", tmp_path / "nowhere", path=str(src))
    assert data.source == str(src)
    with pytest.raises(DatasetNotFoundError, match="not a Hub id"):
        ds.locate(spec, tmp_path, path=str(tmp_path / "missing" / "dir" / "x"))
    assert ds.locate(spec, tmp_path, path="someorg/imagenet-v2").kind == "hub"
    with pytest.raises(UnknownNameError, match="threshold0.7"):
        benchmarks.check_variant("threshold-0.7")


def test_release_loads_with_version_and_spec_hash_and_a_wrong_release_lists_the_built_ones(tmp_path):
    built = build_tiny_release(tmp_path, "smoke")
    data = _load("imagenet-g", tmp_path)
    assert (data.version, data.checksum, len(data.images)) == ("smoke", built.spec_hash, 6)
    assert data.images.open(0).size == (32, 32)
    assert data.images.targets.tolist() == [c for c in RELEASE_CLASSES for _ in range(2)]
    with pytest.raises(UnknownNameError, match=r"unknown release 'v1' \(not built at .*\); choose one of: smoke, or build release v1 first"):
        ds.load(benchmarks.get_benchmark("imagenet-g"), ds.locate(benchmarks.get_benchmark("imagenet-g"), tmp_path), release="v1")


def test_subset_keeps_targets_aligned(data_root):
    data = _load("imagenet", data_root)
    sub = data.images.subset(np.isin(data.images.targets, [6]))
    assert len(sub) == PER_CLASS and set(sub.targets) == {6}
    assert all(labels.wnids()[6] in k for k in (sub.key(i) for i in range(len(sub))))


def test_a_datasets_folder_with_image_and_imagenet_label_columns(tmp_path, data_root):
    import datasets

    src = _load("imagenet-a", data_root).images
    rows = {"image": [src.paths[i] for i in range(len(src))], "label": src.targets.tolist()}
    folder = tmp_path / "imagenet-a-hf"
    folder.mkdir()
    table = datasets.Dataset.from_dict(rows).cast_column("image", datasets.Image())
    table.to_parquet(folder / "test-00000.parquet")
    data = _load("imagenet-a", tmp_path / "nowhere", path=str(folder))
    assert isinstance(data.images, ds.HubImages) and data.images.targets.tolist() == src.targets.tolist()
    assert data.images.open(0).size == src.open(0).size
    bad = tmp_path / "bad-hf"
    bad.mkdir()
    datasets.Dataset.from_dict({"image": rows["image"], "label": [1000 + t for t in rows["label"]]}).cast_column(
        "image", datasets.Image()).to_parquet(bad / "test-00000.parquet")
    with pytest.raises(DatasetNotFoundError, match="ImageNet-1k indices"):
        _load("imagenet-a", tmp_path / "nowhere", path=str(bad))


def test_files_by_name_are_in_code_point_order_not_natural_order(tmp_path):
    # init images: a class's i-th image is its i-th file by name, which locks depend on ('img10' before 'img2')
    for name in ("img2.jpg", "img10.JPEG", "Img3.png", "notes.txt", ".hidden.jpg.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in ds.files_by_name(tmp_path, (".jpeg", ".jpg", ".png"))] == ["Img3.png", "img10.JPEG",
                                                                                         "img2.jpg"]


def test_empty_files_are_skipped_and_counted_not_listed_as_images(tmp_path):
    """A folder of 0-byte files is not a dataset of images: each is skipped with its reason, from its metadata."""
    from PIL import Image

    wnid = labels.wnids()[0]
    folder = tmp_path / "val" / wnid
    folder.mkdir(parents=True)
    for i in range(300):
        (folder / f"empty{i}.JPEG").touch()
    with pytest.raises(DatasetNotFoundError, match=r"no images found in .*val \(300 empty file \(0 bytes\)\)"):
        ds.LAYOUTS["wnid"](benchmarks.get_benchmark("imagenet"), tmp_path / "val")
    Image.new("RGB", (8, 8)).save(folder / "real.JPEG")
    images = ds.LAYOUTS["wnid"](benchmarks.get_benchmark("imagenet"), tmp_path / "val")
    assert len(images) == 1 and images.skipped == {"empty file (0 bytes)": 300}

"""Data mixing: each policy's counts, the label space (ImageNet-100), the record, and what the loader yields."""

from __future__ import annotations

import math

import numpy as np
import pytest
from train_helpers import CLASSES

from imagenet_g import labels
from imagenet_g.errors import DatasetNotFoundError, ReleaseIntegrityError, TrainingError
from imagenet_g.train import MixPolicy, load_mix, plan_mix
from imagenet_g.train.loader import MixedDataset, ResumableSampler
from imagenet_g.images import FolderImages
from imagenet_g.train.mix import FRACTION_RULE
from imagenet_g.train.sources import Source, real_folder, release_split


def table(counts: dict[int, int]) -> FolderImages:
    targets = np.concatenate([np.full(n, c, dtype=np.int64) for c, n in counts.items()])
    return FolderImages("/data", tuple(f"img{i}.png" for i in range(len(targets))), targets)


REAL = Source("real", "/data/real", table({0: 30, 100: 50, 200: 40}))
GEN = Source("generated", "/rel/v9", table({0: 20, 100: 21, 200: 60}), "v9", "train", "abc")
SPACE = (0, 100, 200)


def test_concat_uses_both_whole_and_maps_targets():
    mix = plan_mix(REAL, (GEN,), SPACE, MixPolicy())
    real, gen = mix.record.sources
    assert (real.used, gen.used, mix.record.total) == (120, 101, 221)
    assert real.used_per_class == (30, 50, 40) and gen.used_per_class == (20, 21, 60)
    assert gen.spec_hash == "abc" and mix.record.category == "real+generated"
    imagenet_index = np.array([mix.sources[s].table.targets[r] for s, r in zip(mix.source, mix.row)])
    assert np.array_equal(np.asarray(SPACE)[mix.target], imagenet_index)


def test_fraction_takes_that_share_of_each_class_seeded():
    mix = plan_mix(REAL, (GEN,), SPACE, MixPolicy(policy="fraction", generated_fraction=0.25, seed=3))
    real, gen = mix.record.sources
    assert real.used == 120
    assert gen.used_per_class == (5, 5, 15)  # 5, 5.25, 15
    assert mix.record.fraction_rule == FRACTION_RULE
    assert plan_mix(REAL, (GEN,), SPACE, MixPolicy()).record.fraction_rule is None
    again = plan_mix(REAL, (GEN,), SPACE, MixPolicy(policy="fraction", generated_fraction=0.25, seed=3))
    other = plan_mix(REAL, (GEN,), SPACE, MixPolicy(policy="fraction", generated_fraction=0.25, seed=4))
    assert np.array_equal(mix.row, again.row) and not np.array_equal(mix.row, other.row)


@pytest.mark.parametrize(("fraction", "expected"), [
    (0.5, (1, 1, 3)),  # 0.5, 1, 2.5: half up, and 1 image is never rounded to none (banker's rounding gave 0, 1, 2)
    (0.3, (1, 1, 2)),  # 0.3, 0.6, 1.5
    (0.1, (1, 1, 1)),  # 0.1, 0.2, 0.5: a floor of one image per class (round() gave 0, 0, 0)
    (1.0, (1, 2, 5)),
])
def test_fraction_rounds_half_up_with_one_image_per_small_class(fraction, expected):
    small = Source("generated", "/rel/v9", table({0: 1, 100: 2, 200: 5}), "v9", "train", "abc")
    mix = plan_mix(REAL, (small,), SPACE, MixPolicy(policy="fraction", generated_fraction=fraction))
    assert mix.record.sources[1].used_per_class == expected


def test_per_class_caps_and_single_side_policies():
    capped = plan_mix(REAL, (GEN,), SPACE, MixPolicy(real_per_class=35, generated_per_class=10))
    assert [s.used_per_class for s in capped.record.sources] == [(30, 35, 35), (10, 10, 10)]
    real_only = plan_mix(REAL, (GEN,), SPACE, MixPolicy(policy="real-only"))
    gen_only = plan_mix(REAL, (GEN,), SPACE, MixPolicy(policy="generated-only"))
    assert (real_only.record.category, real_only.record.total) == ("real", 120)
    assert (gen_only.record.category, gen_only.record.total) == ("generated", 101)
    with pytest.raises(TrainingError, match="needs a real set"):
        plan_mix(None, (GEN,), SPACE, MixPolicy())
    with pytest.raises(ValueError, match="generated_fraction"):
        MixPolicy(policy="fraction")


def test_imagenet100_label_space_drops_other_generated_classes():
    in100 = labels.subset_indices("imagenet-100")
    outside = next(i for i in range(1000) if i not in in100)
    generated = Source("generated", "/rel/v1", table({**{c: 2 for c in in100}, outside: 7}), "v1", "train", "h")
    real = Source("real", "/data/in100", table({c: 3 for c in in100}))
    mix = plan_mix(real, (generated,), in100, MixPolicy())
    gen = mix.record.sources[1]
    assert (mix.record.label_space, len(mix.record.classes)) == ("imagenet-100", 100)
    assert (gen.rows, gen.dropped_outside_label_space, gen.used) == (207, 7, 200)
    assert mix.target.max() == 99 and outside not in [mix.record.classes[t] for t in mix.target]


def test_generated_split_lacking_classes_does_not_match():
    partial = Source("generated", "/rel/v9", table({0: 5, 100: 5}), "v9", "train", "abc")
    with pytest.raises(TrainingError, match="label spaces do not match: release v9:train has no images of 1 of"):
        plan_mix(REAL, (partial,), SPACE, MixPolicy())


def test_loader_yields_the_recorded_mix_within_sampling_error():
    mix = plan_mix(REAL, (GEN,), SPACE, MixPolicy(policy="fraction", generated_fraction=0.5))
    generated = mix.record.sources[1].used
    dataset = MixedDataset(mix, transform=None, seed=0)
    sampler = ResumableSampler(dataset, num_replicas=1, rank=0, seed=0)
    sampler.set_position(epoch=1, start=0)
    keys = list(sampler)
    positions = np.array([i for _, i in keys])
    assert sorted(positions.tolist()) == list(range(len(mix)))  # a whole epoch is exactly the recorded mix
    n, k = len(mix), 60  # the first 60 samples: a draw without replacement from the mix
    p = generated / n
    drawn = int((mix.source[positions[:k]] == 1).sum())
    sd = math.sqrt(k * p * (1 - p) * (n - k) / (n - 1))
    assert abs(drawn - k * p) <= 4 * sd
    # two processes split the same permutation: together they see each sample once
    shares = []
    for rank in (0, 1):
        s = ResumableSampler(dataset, num_replicas=2, rank=rank, seed=0)
        s.set_position(epoch=1, start=0)
        shares += [i for _, i in s]
    assert sorted(shares) == sorted(positions[: 2 * (n // 2)].tolist())


def test_real_folder_errors(tmp_path, squares):
    with pytest.raises(DatasetNotFoundError, match="has no images of 1 of the 5 classes"):
        real_folder(squares, (*CLASSES, 400))
    (tmp_path / "cats").mkdir()
    with pytest.raises(DatasetNotFoundError, match="'cats' in .* is not an ImageNet wnid"):
        real_folder(tmp_path)
    source = real_folder(squares, CLASSES[:2])
    assert source.classes == CLASSES[:2] and source.skipped == {"class folders outside the label space": 2}


def test_release_split_reads_the_built_release(dataset_dir, tmp_path):
    source = release_split(dataset_dir, "mini", "train")
    manifest = (dataset_dir / "mini" / "manifest.json").read_text()
    assert source.spec_hash in manifest and source.classes == CLASSES and len(source.table.targets) == 8
    assert source.table.open(0).size == (32, 32)
    with pytest.raises(ReleaseIntegrityError, match="release v7 is not built"):
        release_split(dataset_dir, "v7", "train")
    with pytest.raises(ReleaseIntegrityError, match="has no 'test' split"):
        release_split(dataset_dir, "mini", "test")


def test_load_mix_of_a_real_folder_and_a_release(squares, dataset_dir):
    mix = load_mix(str(squares), ("mini:train",), str(dataset_dir), MixPolicy())
    assert [s.used for s in mix.record.sources] == [32, 8]
    assert mix.record.classes == CLASSES and mix.record.category == "real+generated"
    assert mix.record.sources[1].spec_hash == release_split(dataset_dir, "mini", "train").spec_hash


def test_real_set_from_a_dataset_folder_of_parquet(tmp_path):
    import io

    import datasets
    from PIL import Image

    def png(value: int) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (value, value, value)).save(buffer, format="PNG")
        return buffer.getvalue()

    rows = {"image": [{"bytes": png(i), "path": None} for i in range(6)], "label": [0, 100, 0, 100, 200, 0]}
    features = datasets.Features({"image": datasets.Image(), "label": datasets.Value("int64")})
    folder = tmp_path / "hub-copy"
    folder.mkdir()
    datasets.Dataset.from_dict(rows, features=features).to_parquet(folder / "train-00000-of-00001.parquet")
    source = load_mix(str(folder), (), "unused", MixPolicy(policy="real-only"), classes=None).sources[0]
    assert source.classes == (0, 100, 200) and source.table.open(4).getpixel((0, 0)) == (4, 4, 4)
    from imagenet_g.train.sources import real_source

    narrowed = real_source(str(folder), (0, 100))
    assert narrowed.skipped == {"rows outside the label space": 1}
    assert narrowed.table.targets.tolist() == [0, 100, 0, 100, 0]
    assert narrowed.table.open(4).getpixel((0, 0)) == (5, 5, 5)


def test_generated_only_takes_the_label_space_of_a_given_real_set(squares, dataset_dir):
    mix = load_mix(str(squares), ("mini:train",), dataset_dir, MixPolicy(policy="generated-only"))
    assert mix.record.classes == CLASSES and [s.kind for s in mix.record.sources] == ["generated"]
    with pytest.raises(TrainingError, match="the real-only policy uses no generated split"):
        load_mix(str(squares), ("mini:train",), dataset_dir, MixPolicy(policy="real-only"))


def test_each_epoch_is_cropped_at_the_schedules_size(squares):
    from imagenet_g.train.loader import make_loader
    from imagenet_g.train.recipe import DataConfig

    mix = load_mix(str(squares), (), "unused", MixPolicy(policy="real-only"))
    config = DataConfig(batch_size=4, size=16, max_size=64, ramp_epochs=(1, 3), workers=0)
    loader, _ = make_loader(mix, config, 4, num_replicas=1, rank=0, seed=0, pin_memory=False)
    # epochs 0-1: 16 px; epoch 2: 16 + 48 / 2 = 40 -> 32 (nearest multiple of 32); from epoch 3: 64 px
    assert [loader.dataset[(epoch, 0)][0].shape[-1] for epoch in range(5)] == [16, 16, 32, 64, 64]

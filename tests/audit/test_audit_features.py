"""The feature cache: computed once through eval's decode path, keyed by content, resumed after Ctrl-C."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from audit_fixtures import lazy, pixel_extractor, write_folder

from imagenet_g.audit import features as feat
from imagenet_g.benchmarks import get_benchmark
from imagenet_g import images as ds
from imagenet_g import labels


class Counting(torch.nn.Module):
    """Wraps a module; counts batches and can raise KeyboardInterrupt on a given batch (a user's Ctrl-C)."""

    def __init__(self, inner: torch.nn.Module, interrupt_at: int | None = None) -> None:
        super().__init__()
        self.inner, self.calls, self.interrupt_at = inner, 0, interrupt_at

    def forward(self, x):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        return self.inner(x)


@pytest.fixture
def folder(tmp_path):
    root = write_folder(tmp_path / "val", seed=3)
    (root / labels.wnids()[0] / "broken.png").write_bytes(b"\x89PNG not really")
    loaded = ds.load(get_benchmark("imagenet"), ds.Location("folder", str(root)))
    return loaded


def _extractor(module):
    from dataclasses import replace

    return lazy(replace(pixel_extractor("test-pixels"), module=module))


def test_features_are_the_module_on_evals_decoded_images_and_unreadable_files_are_counted(folder, tmp_path):
    images = folder.images
    fs = feat.extract(images, feat.dataset_fingerprint(folder), _extractor(Counting(pixel_extractor().module)),
                      tmp_path / "cache", batch_size=4, workers=0)
    extractor = pixel_extractor()
    good = [i for i in range(len(images)) if not images.paths[i].endswith("broken.png")]
    expected = extractor.module(torch.stack([extractor.transform(images.open(i)) for i in good])).numpy()
    np.testing.assert_allclose(fs.features, expected)
    assert fs.positions.tolist() == good and fs.targets.tolist() == images.targets[good].tolist()
    assert fs.failed == {"unreadable image (UnidentifiedImageError)": 1}


def test_a_second_extraction_reads_the_cache_and_the_key_follows_content(folder, tmp_path):
    fingerprint = feat.dataset_fingerprint(folder)
    first = Counting(pixel_extractor().module)
    a = feat.extract(folder.images, fingerprint, _extractor(first), tmp_path, batch_size=4, workers=0)
    second = Counting(pixel_extractor().module)
    b = feat.extract(folder.images, fingerprint, _extractor(second), tmp_path, batch_size=4, workers=0)
    assert first.calls > 0 and second.calls == 0 and a.key == b.key
    np.testing.assert_array_equal(a.features, b.features)
    from imagenet_g.audit.extractors import LazyExtractor

    other = LazyExtractor("test-pixels", "1" * 64, True, lambda: pixel_extractor())  # other weights, other features
    assert feat.cache_key(fingerprint, other) != a.key and a.extractor["weights_sha256"] == "0" * 64
    path = folder.images.paths[0]
    with open(path, "ab") as fh:  # the file changed: a new fingerprint, so new features
        fh.write(b"\0")
    assert feat.dataset_fingerprint(ds.load(folder.spec, ds.Location("folder", folder.source))) != fingerprint


def test_ctrl_c_keeps_finished_parts_and_a_rerun_computes_only_the_rest(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(feat, "PART_ROWS", 4)
    fingerprint = feat.dataset_fingerprint(folder)
    interrupted = Counting(pixel_extractor().module, interrupt_at=3)
    with pytest.raises(KeyboardInterrupt):
        feat.extract(folder.images, fingerprint, _extractor(interrupted), tmp_path, batch_size=2, workers=0)
    parts = sorted((tmp_path / feat.cache_key(fingerprint, _extractor(interrupted))).glob("part-*.npz"))
    assert len(parts) == 1  # the first 4 images (2 batches) were saved before the third batch was interrupted
    resumed = Counting(pixel_extractor().module)
    got = feat.extract(folder.images, fingerprint, _extractor(resumed), tmp_path, batch_size=2, workers=0)
    n = len(folder.images)
    assert resumed.calls == -(-(n - 4) // 2)  # only the images not in the saved part
    fresh = feat.extract(folder.images, fingerprint, _extractor(pixel_extractor().module), tmp_path / "fresh",
                         batch_size=2, workers=0)
    np.testing.assert_array_equal(got.features, fresh.features)
    np.testing.assert_array_equal(got.positions, fresh.positions)


def test_a_worker_per_core_computes_the_same_features_in_the_workers(folder, tmp_path):
    import os

    from imagenet_g.images import runs_in_workers

    cores = len(os.sched_getaffinity(0))
    assert runs_in_workers(torch.device("cpu"), cores) and not runs_in_workers(torch.device("cpu"), 0)
    fingerprint = feat.dataset_fingerprint(folder)
    here = feat.extract(folder.images, fingerprint, _extractor(pixel_extractor().module), tmp_path / "a",
                        batch_size=3, workers=0)
    there = feat.extract(folder.images, fingerprint, _extractor(pixel_extractor().module), tmp_path / "b",
                         batch_size=3, workers=cores)
    np.testing.assert_array_equal(here.features, there.features)
    np.testing.assert_array_equal(here.positions, there.positions)
    assert here.failed == there.failed == {"unreadable image (UnidentifiedImageError)": 1}

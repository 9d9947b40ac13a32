"""The persistent pixel cache: entries are the transform's exact pixels, keyed by content and pixel config, and
concurrent writers leave only whole entries."""

from __future__ import annotations

import json
import multiprocessing

import torch

from imagenet_g.images import PixelCache


def test_cache_entries_are_the_transforms_pixels_and_keyed_by_content(tmp_path):
    key = ("timm", (3, 8, 8), 1.0, "center", "bilinear", 0)
    cache = PixelCache.open(tmp_path, key)
    pixels = torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8)
    assert cache.load("ab" * 32) is None
    cache.store("ab" * 32, pixels)
    assert torch.equal(cache.load("ab" * 32), pixels)
    assert PixelCache.open(tmp_path, key).folder == cache.folder
    assert PixelCache.open(tmp_path, (*key[:-1], 2)).folder != cache.folder  # another border: another key
    assert json.loads((cache.folder / "key.json").read_text())["pixel_key"][1] == [3, 8, 8]
    # a damaged entry is a miss, not a crash
    (cache.folder / "cd" / ("cd" * 32 + ".npy")).parent.mkdir(exist_ok=True)
    (cache.folder / "cd" / ("cd" * 32 + ".npy")).write_bytes(b"\x93NUMPY garbage")
    assert cache.load("cd" * 32) is None


def _writer(args):
    folder, n = args
    cache = PixelCache(folder)
    for i in range(n):
        cache.store(f"{i:064x}", torch.full((3, 4, 4), i % 256, dtype=torch.uint8))
    return True


def test_concurrent_writers_leave_only_whole_entries(tmp_path):
    cache = PixelCache.open(tmp_path, ("timm", (3, 4, 4), 1.0, "center", "bilinear", 0))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        assert all(pool.map(_writer, [(cache.folder, 40)] * 4))
    for i in range(40):
        assert torch.equal(cache.load(f"{i:064x}"), torch.full((3, 4, 4), i % 256, dtype=torch.uint8))
    assert not [p for p in cache.folder.rglob("*") if "tmp" in p.name]

"""The registry of evaluation sets and `imagenet-g data`'s inventory of a data root in every publisher's layout."""

from __future__ import annotations

import pytest

from imagenet_g.errors import UnknownNameError
from imagenet_g import benchmarks
from imagenet_g.evaluate import datasets as ds

from data_fixtures import PER_CLASS, VAL_CLASSES


def test_registry_names_collections_and_controls():
    # natural-shift names the five shift sets of the literature; their controls come from the registry
    assert benchmarks.expand_names(["natural-shift", "imagenet", "imagenet-r"]) == (
        "imagenet-v2", "imagenet-sketch", "imagenet-r", "imagenet-a", "objectnet", "imagenet")
    assert benchmarks.SHIFT_CONTROLS == {
        "imagenet-g": "imagenet", "imagenet-v2": "imagenet", "imagenet-sketch": "imagenet",
        "imagenet-r": "val-on-imagenet-r-classes", "imagenet-a": "val-on-imagenet-a-classes",
        "objectnet": "val-on-objectnet-classes"}
    for name in ("imagenet-r", "imagenet-a", "objectnet"):
        control = benchmarks.get_benchmark(benchmarks.get_benchmark(name).control)
        assert control.parent == "imagenet" and control.classes == benchmarks.get_benchmark(name).classes
    with pytest.raises(UnknownNameError, match="imagenet-r"):
        benchmarks.expand_names(["imagenet-rr"])


def test_every_publisher_layout_is_found_under_the_data_root(data_root):
    rows = {r.name: r for r in ds.inventory(data_root, release="smoke")}
    assert all(r.found for r in rows.values()), [r for r in rows.values() if not r.found]
    assert rows["imagenet"].images == PER_CLASS * len(VAL_CLASSES) and rows["imagenet"].expected == 50_000
    assert rows["imagenet-sketch"].where.endswith("sketch")
    assert rows["val-on-imagenet-r-classes"].images == PER_CLASS * 2  # classes 6 and 658
    assert rows["val-on-objectnet-classes"].images == PER_CLASS * 3  # 409, 658, 879
    assert rows["objectnet"].images == PER_CLASS * 2 and rows["objectnet"].skipped == PER_CLASS
    assert rows["imagenet-g"].images == 6 and "smoke" in rows["imagenet-g"].note

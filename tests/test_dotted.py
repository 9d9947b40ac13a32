"""Nested data as dotted keys: the one flatten and diff behind ``train`` resume checks and ``release diff``."""

from __future__ import annotations

from imagenet_g.dotted import differences, flatten


def test_flatten_names_every_leaf_by_its_dotted_key():
    data = {"model": {"arch": "resnet18", "kwargs": {}}, "classes": [1, 2], "seed": 0}
    assert flatten(data) == {"model.arch": "resnet18", "classes": [1, 2], "seed": 0}
    assert flatten(data, "mix") == {"mix.model.arch": "resnet18", "mix.classes": [1, 2], "mix.seed": 0}


def test_differences_pair_each_differing_key_in_key_order():
    a, b = {"z": 1, "a.b": 2, "same": 3}, {"z": 2, "same": 3, "new": None, "c": 4}
    assert differences(a, b) == {"a.b": (2, None), "c": (None, 4), "z": (1, 2)}
    assert list(differences(a, b)) == ["a.b", "c", "z"]

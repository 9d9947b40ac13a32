"""Nested data as dotted keys: the one flatten and diff behind ``train`` resume checks and ``release diff``, and the
one walk over every string behind the spec's and the board's hidden-character checks."""

from __future__ import annotations

from imagenet_g.dotted import differences, flatten, strings


def test_flatten_names_every_leaf_by_its_dotted_key():
    data = {"model": {"arch": "resnet18", "kwargs": {}}, "classes": [1, 2], "seed": 0}
    assert flatten(data) == {"model.arch": "resnet18", "classes": [1, 2], "seed": 0}
    assert flatten(data, "mix") == {"mix.model.arch": "resnet18", "mix.classes": [1, 2], "mix.seed": 0}


def test_differences_pair_each_differing_key_in_key_order():
    a, b = {"z": 1, "a.b": 2, "same": 3}, {"z": 2, "same": 3, "new": None, "c": 4}
    assert differences(a, b) == {"a.b": (2, None), "c": (None, 4), "z": (1, 2)}
    assert list(differences(a, b)) == ["a.b", "c", "z"]


def test_strings_yield_keys_before_values_at_their_dotted_location():
    data = {"a": ["x", {"k": "v"}], 1: "one"}
    assert list(strings(data)) == [("a", "a"), ("a.0", "x"), ("a.1.k", "k"), ("a.1.k", "v"), ("1", "one")]
    hidden = list(strings({"b\u202e": "y"}, "result", lambda key: "<key>"))
    assert hidden == [("result.<key>", "b\u202e"), ("result.<key>", "y")]

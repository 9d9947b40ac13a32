"""Top-k on ObjectNet's collapsed label space, checked against imagenet-testbed's own computation.

The reference below follows imagenet-testbed ``src/eval_settings/objectnet.py`` step by step, from the raw
mapping files it ships (not through our label module): subselect the 125 ``class_sublist`` logits, collapse
them to the 113 ObjectNet classes (max over each class's ImageNet indices, classes in sorted folder order),
then ``accuracy_topk`` (``torch.topk`` and a hit within the first k).
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
import torch

from imagenet_g import labels
from imagenet_g.evaluate.metrics import topk_collapsed, topk_hits, topk_indices


def _testbed_tables():
    def load(name):
        return json.loads(resources.files("imagenet_g").joinpath("data", "objectnet", name).read_text())

    folder_map = {v: k for k, v in load("folder_to_objectnet_label.json").items()}
    objectnet_map = load("objectnet_to_imagenet_1k.json")
    imagenet_map = {v: k for k, v in load("imagenet_to_labels.json").items()}
    folder_to_ids, class_sublist = {}, []
    for objectnet_name, imagenet_names in objectnet_map.items():
        ids = [int(imagenet_map[n]) for n in imagenet_names.split("; ")]
        class_sublist.extend(ids)
        folder_to_ids[folder_map[objectnet_name]] = ids
    sublisted = {k: [class_sublist.index(x) for x in v] for k, v in folder_to_ids.items()}
    objectnet_idx_to_sub = {i: sublisted[name] for i, name in enumerate(sorted(sublisted))}
    sub_to_objectnet_idx = {s: o for o, subs in objectnet_idx_to_sub.items() for s in subs}
    return class_sublist, objectnet_idx_to_sub, sub_to_objectnet_idx


def reference_hits(logits_1000: torch.Tensor, targets: np.ndarray) -> dict[int, np.ndarray]:
    """imagenet-testbed's val-on-objectnet-classes metric, per image: {k: hit within the first k}."""
    class_sublist, objectnet_idx_to_sub, sub_to_objectnet_idx = _testbed_tables()
    logits = logits_1000[:, class_sublist]
    collapsed = torch.zeros((logits.size(0), len(objectnet_idx_to_sub)), dtype=logits.dtype)
    for objectnet_idx, subs in objectnet_idx_to_sub.items():
        collapsed[:, objectnet_idx] = logits[:, subs].max(dim=1).values
    target = torch.tensor([sub_to_objectnet_idx[class_sublist.index(int(t))] for t in targets])
    _, pred = collapsed.topk(5, 1, True, True)
    correct = pred.t().eq(target.view(1, -1).expand_as(pred.t()))
    return {k: correct[:k].any(dim=0).numpy() for k in (1, 5)}


def _label_map() -> np.ndarray:
    table = np.full(labels.NUM_CLASSES, -1, dtype=np.int64)
    for cls, indices in enumerate(labels.objectnet_mapping().class_to_indices.values()):
        table[list(indices)] = cls
    return table


def test_collapsed_top5_equals_imagenet_testbed_on_random_logits():
    groups = labels.objectnet_groups()
    torch.manual_seed(0)
    logits = torch.randn(4000, labels.NUM_CLASSES)
    rng = np.random.default_rng(0)
    targets = rng.choice(np.asarray(labels.objectnet_indices()), size=len(logits))
    expected = reference_hits(logits, targets)
    top, scores = topk_collapsed(logits, 5, groups)
    lmap = _label_map()
    for k in (1, 5):
        np.testing.assert_array_equal(topk_hits(top, targets, k, lmap), expected[k])
    # five distinct ObjectNet classes per image, best first, each scored by its best ImageNet logit
    assert all(len(set(lmap[row])) == 5 for row in top)
    assert np.all(np.diff(scores, axis=1) <= 0)
    np.testing.assert_allclose(scores, logits.gather(1, torch.as_tensor(top)).numpy())


def test_top5_counts_classes_not_imagenet_indices():
    """Two indices of one class in the ImageNet top 5 leave room for a sixth index's class: a top-5 hit."""
    groups = labels.objectnet_groups()
    multi = next(g for g in groups if len(g) > 1)
    others = [g[0] for g in groups if g is not multi][:5]
    logits = torch.full((1, labels.NUM_CLASSES), -10.0)
    for rank, index in enumerate([multi[0], multi[1], *others]):
        logits[0, index] = 10.0 - rank
    target = np.array([others[3]])  # 6th ImageNet index, but the 5th distinct class
    old, _ = topk_indices(logits, 5, labels.objectnet_indices())
    new, _ = topk_collapsed(logits, 5, groups)
    lmap = _label_map()
    assert not topk_hits(old, target, 5, lmap)[0]
    assert topk_hits(new, target, 5, lmap)[0] and reference_hits(logits, target)[5][0]


def test_groups_cover_the_125_indices_in_testbed_order():
    groups = labels.objectnet_groups()
    assert len(groups) == 113 and sorted(i for g in groups for i in g) == list(labels.objectnet_indices())
    class_sublist, objectnet_idx_to_sub, _ = _testbed_tables()
    assert groups == tuple(tuple(sorted(class_sublist[s] for s in subs)) for subs in objectnet_idx_to_sub.values())


@pytest.mark.parametrize("k", [1, 3, 5])
def test_fewer_groups_than_k(k):
    groups = ((1, 2), (3,))
    top, _ = topk_collapsed(torch.tensor([[0.0, 1.0, 5.0, 2.0]]), k, groups)
    assert top.tolist() == [[2, 3][: min(k, 2)]]

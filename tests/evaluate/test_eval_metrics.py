"""Pure metrics on hand-made logits with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imagenet_g import benchmarks
from imagenet_g.evaluate.metrics import (accuracy_from_topk, label_map, restrict_logits, topk_accuracy, topk_hits,
                                         topk_indices)


def _logits(rows: list[list[int]], n: int = 10) -> torch.Tensor:
    """Each row lists classes best first; they get scores n, n-1, ... and the rest 0."""
    out = torch.zeros(len(rows), n)
    for r, order in enumerate(rows):
        for rank, c in enumerate(order):
            out[r, c] = n - rank
    return out


def test_topk_accuracy_on_known_rankings():
    logits = _logits([[3, 1, 2, 4, 5, 6], [0, 9, 8, 7, 6, 5], [1, 2, 3, 4, 5, 7]])
    targets = np.array([3, 5, 7])  # top-1 hit; 6th place (miss both); 6th place (miss both)
    assert topk_accuracy(logits, targets) == {1: pytest.approx(100 / 3), 5: pytest.approx(100 / 3)}
    targets = np.array([3, 6, 5])  # top-1; 5th; 5th
    assert topk_accuracy(logits, targets, ks=(1, 5)) == {1: pytest.approx(100 / 3), 5: pytest.approx(100.0)}


def test_restricting_logits_changes_the_argmax_to_the_best_allowed_class():
    logits = _logits([[3, 1, 2]])
    assert restrict_logits(logits, [1, 2]).shape == (1, 2)
    top, scores = topk_indices(logits, 5, indices=[2, 1])
    assert top.tolist() == [[1, 2]]  # ImageNet indices, not positions in the subset
    assert scores.tolist() == [[9.0, 8.0]]
    assert topk_accuracy(logits, np.array([1]), ks=(1,), indices=[1, 2]) == {1: 100.0}
    assert topk_accuracy(logits, np.array([1]), ks=(1,)) == {1: 0.0}


def test_objectnet_label_map_counts_any_index_of_the_class_as_correct():
    spec = benchmarks.get_benchmark("objectnet")
    lmap = label_map(spec)
    # 'bench' style classes map several ImageNet indices to one ObjectNet class
    from imagenet_g import labels

    multi = next(idx for idx in labels.objectnet_mapping().class_to_indices.values() if len(idx) > 1)
    topk = np.array([[multi[1], 0, 0, 0, 0]])
    assert topk_hits(topk, np.array([multi[0]]), 1, lmap).tolist() == [True]
    assert topk_hits(topk, np.array([multi[0]]), 1, None).tolist() == [False]
    assert len(set(lmap[lmap >= 0])) == 113 and (lmap >= 0).sum() == 125


def test_no_rows_scores_zero_not_nan():
    assert accuracy_from_topk(np.zeros((0, 5), dtype=np.int64), np.zeros(0, dtype=np.int64), 1) == 0.0

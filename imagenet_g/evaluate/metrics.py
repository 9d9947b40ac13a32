"""Pure metric functions: arrays in, numbers out (no files, no models)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from imagenet_g import labels
from imagenet_g.benchmarks import Benchmark


def restrict_logits(logits: torch.Tensor, indices: Sequence[int] | None) -> torch.Tensor:
    """Keep only the columns of a class subset (ImageNet-R/A: 200, ObjectNet: 125); None keeps all."""
    if indices is None:
        return logits
    return logits[:, torch.as_tensor(indices, dtype=torch.long, device=logits.device)]


def topk_indices(logits: torch.Tensor, k: int, indices: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k ImageNet class indices and scores per row, the argmax taken over ``indices`` only.

    Ties resolve like ``torch.topk`` (and therefore like timm's validate.py accuracy).
    """
    restricted = restrict_logits(logits, indices)
    scores, positions = restricted.topk(min(k, restricted.shape[1]), dim=1)
    positions = positions.cpu().numpy()
    classes = positions if indices is None else np.asarray(indices, dtype=np.int64)[positions]
    return classes.astype(np.int64), scores.float().cpu().numpy()


def topk_collapsed(
    logits: torch.Tensor, k: int, groups: Sequence[Sequence[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k over collapsed classes: each group of ImageNet indices scores the max of its logits.

    imagenet-testbed's ``val-on-objectnet-classes``: the logits are collapsed to the 113 ObjectNet classes,
    then ``torch.topk`` picks k distinct classes (ties resolve by group order, as there). Each class is
    reported by the ImageNet index that attained its max, with that logit, so stored predictions stay
    ImageNet indices and a label map turns them back into classes.
    """
    width = max(len(g) for g in groups)
    # pad each group with its own first index: repeats never change a max
    table = torch.as_tensor([list(g) + [g[0]] * (width - len(g)) for g in groups], device=logits.device)
    best, where = logits[:, table].max(dim=2)  # (N, groups): each group's score and the position attaining it
    scores, picked = best.topk(min(k, len(groups)), dim=1)
    classes = table[picked, where.gather(1, picked)]
    return classes.cpu().numpy().astype(np.int64), scores.float().cpu().numpy()


@dataclass(frozen=True)
class LabelSpace:
    """The classes a dataset scores a model's logits over: restricted to ``indices`` (None: all 1000), optionally
    collapsed into ``groups`` of indices that count as one class (ObjectNet)."""

    indices: tuple[int, ...] | None = None
    groups: tuple[tuple[int, ...], ...] | None = None

    @property
    def classes(self) -> int:
        """How many ImageNet logits this label space reads."""
        return 1000 if self.indices is None else len(self.indices)

    def topk(self, logits: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k ImageNet indices and scores per row in this label space."""
        if self.groups is not None:
            return topk_collapsed(logits, k, self.groups)
        return topk_indices(logits, k, self.indices)


def label_space_for(spec: Benchmark) -> LabelSpace:
    """The label space of ``spec``: its class subset, collapsed to ObjectNet classes where it scores those."""
    indices = None if spec.classes == "imagenet-1k" else labels.subset_indices(spec.classes)
    return LabelSpace(indices, labels.objectnet_groups() if spec.objectnet_labels else None)


def topk_hits(topk: np.ndarray, targets: np.ndarray, k: int, label_map: np.ndarray | None = None) -> np.ndarray:
    """Per row: is the target among the first k predictions (both mapped through ``label_map`` if given)?

    ``label_map`` maps an ImageNet index to a coarser label (ObjectNet class id), as ObjectNet counts a
    prediction correct when it maps to the image's class; targets are ImageNet indices of that class.
    """
    preds, targets = topk[:, :k], np.asarray(targets)
    if label_map is not None:
        preds, targets = label_map[preds], label_map[targets]
    return (preds == targets[:, None]).any(axis=1)


def topk_accuracy(
    logits: torch.Tensor,
    targets: np.ndarray,
    ks: Sequence[int] = (1, 5),
    indices: Sequence[int] | None = None,
    label_map: np.ndarray | None = None,
) -> dict[int, float]:
    """Top-k accuracy in percent for each k, optionally over a class subset and a label map."""
    topk, _ = topk_indices(logits, max(ks), indices)
    return {k: accuracy_from_topk(topk, targets, k, label_map) for k in ks}


def accuracy_from_topk(topk: np.ndarray, targets: np.ndarray, k: int, label_map: np.ndarray | None = None) -> float:
    """Top-k accuracy in percent from stored top-k predictions; 0 for no rows."""
    if len(topk) == 0:
        return 0.0
    return float(100.0 * topk_hits(topk, targets, k, label_map).mean())


def label_map(spec: Benchmark) -> np.ndarray | None:
    """ImageNet index -> ObjectNet class id (-1 elsewhere) for ObjectNet-scored datasets, else None.

    Class ids are positions in ``labels.objectnet_groups()`` (imagenet-testbed's collapsed-class order).
    """
    if not spec.objectnet_labels:
        return None
    table = np.full(labels.NUM_CLASSES, -1, dtype=np.int64)
    for cls_id, indices in enumerate(labels.objectnet_groups()):
        table[list(indices)] = cls_id
    return table

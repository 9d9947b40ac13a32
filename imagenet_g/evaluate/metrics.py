"""Pure metric functions: arrays in, numbers out (no files, no models)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


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

"""Label consistency with CLIP: zero-shot predictions against the labels, and CLIPScore against the prompts."""

from __future__ import annotations

import numpy as np

from imagenet_g.audit.diversity import unit_rows

_CLIP_SCORE_SCALE = 100.0  # CLIPScore = max(100 * cos(E_I, E_C), 0), as torchmetrics defines it


def zero_shot_predictions(image_embeddings: np.ndarray, class_weights: np.ndarray) -> np.ndarray:
    """Argmax over classes of the cosine similarity; ``class_weights`` is (D, C) with unit columns."""
    return (unit_rows(image_embeddings) @ np.asarray(class_weights, dtype=np.float64)).argmax(1)


def clip_scores(image_embeddings: np.ndarray, text_embeddings: np.ndarray) -> np.ndarray:
    """Per-pair CLIPScore: ``max(100 * cos(image_i, text_i), 0)``.

    torchmetrics' ``CLIPScore`` metric clips the mean of the batch instead of each pair; with real CLIP models
    cosines of an image and a caption are positive, so both agree; we clip each pair, as the formula says.
    """
    cos = (unit_rows(image_embeddings) * unit_rows(text_embeddings)).sum(1)
    return np.maximum(_CLIP_SCORE_SCALE * cos, 0.0)


def accuracy_by_group(correct: np.ndarray, groups: np.ndarray) -> dict[int, tuple[float, int]]:
    """Percentage correct and count per group value (class or template)."""
    out = {}
    for g in np.unique(groups):
        hits = correct[groups == g]
        out[int(g)] = (float(100.0 * hits.mean()), int(len(hits)))
    return out

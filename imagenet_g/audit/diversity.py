"""Diversity and similarity search on image embeddings: Vendi score, mean pairwise distance, near pairs.

All use cosine similarity of L2-normalised embeddings. Search runs in row chunks, so memory is
``chunk x N``, never ``N x N``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imagenet_g.errors import InsufficientDataError

_CHUNK = 2048


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (float64); an all-zero row stays zero."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def vendi_score(x: np.ndarray) -> float:
    """Vendi score (Friedman & Dieng 2023) with the cosine kernel: exp of the Shannon entropy of the
    eigenvalues of K/n, K = X X^T for unit rows. The nonzero eigenvalues of X X^T / n equal those of
    X^T X / n, so the smaller of the two Gram matrices is decomposed. Ranges from 1 (all alike) to n."""
    if len(x) < 1:
        raise InsufficientDataError("the Vendi score needs at least 1 image", "add images")
    u = unit_rows(x)
    gram = u @ u.T if len(u) <= u.shape[1] else u.T @ u
    eig = np.clip(np.linalg.eigvalsh(gram / len(u)), 0.0, None)
    eig = eig[eig > 0]
    return float(np.exp(-(eig * np.log(eig)).sum()))


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean cosine distance 1 - cos over all pairs i != j, in closed form: 1 - (|sum u|^2 - n) / (n (n - 1))."""
    if len(x) < 2:
        raise InsufficientDataError("the mean pairwise distance needs at least 2 images", "add images")
    u = unit_rows(x)
    n = len(u)
    s = u.sum(0)
    return float(1.0 - (s @ s - (u * u).sum()) / (n * (n - 1)))


@dataclass(frozen=True)
class Pair:
    """Two rows and their cosine similarity."""

    i: int
    j: int
    similarity: float


def near_pairs(x: np.ndarray, threshold: float, groups: np.ndarray | None = None, limit: int = 1000) -> list[Pair]:
    """Pairs i < j with cosine similarity >= ``threshold`` (within the same group when ``groups`` is given),
    most similar first, at most ``limit``."""
    u = unit_rows(x)
    found: list[Pair] = []
    for start in range(0, len(u), _CHUNK):
        sims = u[start:start + _CHUNK] @ u.T
        rows, cols = np.nonzero(sims >= threshold)
        rows_abs = rows + start
        keep = cols > rows_abs
        if groups is not None:
            keep &= groups[rows_abs] == groups[cols]
        found += [Pair(int(i), int(j), float(sims[i - start, j])) for i, j in zip(rows_abs[keep], cols[keep])]
    found.sort(key=lambda p: (-p.similarity, p.i, p.j))
    return found[:limit]


def nearest_neighbours(query: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the index of its most cosine-similar reference row and that similarity."""
    if len(reference) < 1:
        raise InsufficientDataError("a nearest-neighbour search needs at least 1 reference image", "add images")
    q, r = unit_rows(query), unit_rows(reference)
    index = np.empty(len(q), dtype=np.int64)
    sims = np.empty(len(q), dtype=np.float64)
    for start in range(0, len(q), _CHUNK):
        block = q[start:start + _CHUNK] @ r.T
        index[start:start + _CHUNK] = block.argmax(1)
        sims[start:start + _CHUNK] = block.max(1)
    return index, sims

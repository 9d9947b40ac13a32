"""Diversity and similarity search on image embeddings: Vendi score, mean pairwise distance, near pairs.

All use cosine similarity of L2-normalised embeddings. Search runs in row chunks, so memory is
``chunk x N``, never ``N x N``; the pair search counts every pair but keeps only the best few.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imagenet_g.errors import InsufficientDataError

_CHUNK = 2048
_BLOCK_VALUES = 1 << 22  # similarities computed at once in the pair search: 32 MiB of float64


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


@dataclass(frozen=True)
class NearPairs:
    """How many pairs are at least as similar as the threshold (``total``, exact) and the ``limit`` most similar
    of them (``pairs``, most similar first)."""

    total: int
    pairs: list[Pair]


def _rows_per_block(n: int) -> int:
    """Rows of a similarity block so that it holds at most ``_BLOCK_VALUES`` values (memory ~ 8 bytes each)."""
    return max(1, min(_CHUNK, _BLOCK_VALUES // max(1, n)))


class _Best:
    """The exact count of the pairs offered and the ``limit`` most similar of them, ties by (i, j): at most
    ``limit`` candidates kept between blocks."""

    def __init__(self, limit: int) -> None:
        self.limit, self.total = limit, 0
        self.best = np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)  # similarity, i, j

    def add(self, values: np.ndarray, i: np.ndarray, j: np.ndarray) -> None:
        self.total += len(values)
        if len(values) > self.limit:  # the block's best ``limit``, before merging (ties settled in the merge)
            cut = np.partition(values, len(values) - self.limit)[len(values) - self.limit]
            chosen = values >= cut
            values, i, j = values[chosen], i[chosen], j[chosen]
        merged = (np.concatenate([self.best[0], values]), np.concatenate([self.best[1], i]),
                  np.concatenate([self.best[2], j]))
        order = np.lexsort((merged[2], merged[1], -merged[0]))[:self.limit]
        self.best = tuple(m[order] for m in merged)

    def result(self) -> NearPairs:
        return NearPairs(self.total, [Pair(int(i), int(j), float(s)) for s, i, j in zip(*self.best)])


def near_pairs_each(x: np.ndarray, threshold: float, groupings: Sequence[np.ndarray | None],
                    limit: int = 1000) -> list[NearPairs]:
    """``near_pairs(x, threshold, groups, limit)`` for each ``groups`` of ``groupings`` (None: all pairs), from one
    pass over the similarities: an audit's within-class pairs are its across-release pairs in the same class."""
    u = unit_rows(x)
    n = len(u)
    kept = [_Best(limit) for _ in groupings]
    step = _rows_per_block(n)
    for start in range(0, n, step):
        sims = u[start:start + step] @ u[start:].T  # rows start.., columns start..: the upper triangle lies here
        rows, cols = np.nonzero(sims >= threshold)
        upper = cols > rows  # column index relative to start: j > i
        rows, cols = rows[upper], cols[upper]
        values, i, j = sims[rows, cols], rows + start, cols + start
        for groups, best in zip(groupings, kept):
            if groups is None:
                best.add(values, i, j)
            else:
                same = groups[i] == groups[j]
                best.add(values[same], i[same], j[same])
    return [best.result() for best in kept]


def near_pairs(x: np.ndarray, threshold: float, groups: np.ndarray | None = None, limit: int = 1000) -> NearPairs:
    """Pairs i < j with cosine similarity >= ``threshold`` (within the same group when ``groups`` is given): their
    exact count, and the ``limit`` most similar, ties by (i, j).

    Memory is bounded whatever the count: one block of rows against the rows after it at a time, and at most
    ``limit`` candidate pairs kept between blocks (a release of near-copies has ~n^2/2 pairs)."""
    return near_pairs_each(x, threshold, [groups], limit)[0]


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

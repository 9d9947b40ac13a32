"""FID and KID between two feature sets, with torchmetrics' own metrics fed our cached features.

torchmetrics' ``FrechetInceptionDistance`` / ``KernelInceptionDistance`` accept any ``nn.Module`` as the
feature extractor; we hand them a pass-through module and feed features we extracted (and cached) once, so
the numbers are torchmetrics' numbers. One exception, for speed: when a set has fewer samples than feature
dimensions (per-class FID: ~50 images, 2048-d), the trace term ``Tr sqrt(S1 S2)`` is computed as the nuclear
norm of ``A1^T A2`` (``S = A A^T``, ``A`` the centred features / sqrt(n-1)), the same quantity as the
eigenvalues torchmetrics takes, from an n1 x n2 matrix instead of a D x D eigenproblem; tests check that both
paths equal torchmetrics. Such a covariance is singular, so per-class FID is noisy: per-class KID is reported
beside it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from imagenet_g.audit.request import KID_SUBSET_SIZE, KID_SUBSETS
from imagenet_g.errors import InsufficientDataError

_CHUNK = 4096  # rows fed to a metric per update: memory stays flat in the number of samples


class _Precomputed(torch.nn.Module):
    """The feature extractor torchmetrics calls on each update: the features are already computed."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.num_features = dim

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def _chunks(features: np.ndarray) -> Iterator[torch.Tensor]:
    for start in range(0, len(features), _CHUNK):
        yield torch.from_numpy(np.asarray(features[start:start + _CHUNK], dtype=np.float64))


def _check(real: np.ndarray, fake: np.ndarray, minimum: int, metric: str) -> None:
    if len(real) < minimum or len(fake) < minimum:
        raise InsufficientDataError(
            f"{metric} needs at least {minimum} images in each set, got {len(real)} and {len(fake)}",
            "add images or leave this metric out")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature widths differ: {real.shape[1]} vs {fake.shape[1]} (different extractors?)")


def is_singular(n: int, dim: int) -> bool:
    """True when a covariance of ``n`` samples in ``dim`` dimensions is singular (rank <= n - 1 < dim)."""
    return n - 1 < dim


def _low_rank_fid(real: np.ndarray, fake: np.ndarray) -> float:
    x, y = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    mu_x, mu_y = x.mean(0), y.mean(0)
    a = (x - mu_x) / np.sqrt(len(x) - 1)  # S_x = a^T a
    b = (y - mu_y) / np.sqrt(len(y) - 1)
    trace_sqrt = np.linalg.svd(a @ b.T, compute_uv=False).sum()  # Tr sqrt(S_x S_y) = ||a b^T||_*
    return float(((mu_x - mu_y) ** 2).sum() + (a * a).sum() + (b * b).sum() - 2 * trace_sqrt)


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between two ``(N, D)`` feature sets (torchmetrics ``FrechetInceptionDistance``, float64)."""
    _check(real, fake, 2, "FID")
    if is_singular(min(len(real), len(fake)), real.shape[1]):
        return _low_rank_fid(real, fake)
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=_Precomputed(real.shape[1]))
    metric.set_dtype(torch.float64)
    for chunk in _chunks(real):
        metric.update(chunk, real=True)
    for chunk in _chunks(fake):
        metric.update(chunk, real=False)
    return float(metric.compute())


def kernel_distance(
    real: np.ndarray, fake: np.ndarray, subsets: int = KID_SUBSETS, subset_size: int = KID_SUBSET_SIZE, seed: int = 0
) -> tuple[float, float, int]:
    """KID mean, std over subsets, and the subset size used (torchmetrics ``KernelInceptionDistance``).

    The subset size is ``min(subset_size, len(real), len(fake))``; subsets are drawn from torch's generator
    seeded with ``seed``, so a rerun gives the same number. When that size is the whole of both sets (a class of
    50 images against 50), every subset holds the same images and the unbiased MMD does not depend on their order:
    one subset is computed instead of ``subsets`` identical ones (std 0, as torchmetrics' std of equal values).
    """
    _check(real, fake, 2, "KID")
    from torchmetrics.image.kid import KernelInceptionDistance

    size = min(subset_size, len(real), len(fake))
    if size == len(real) == len(fake):
        subsets = 1
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        metric = KernelInceptionDistance(feature=_Precomputed(real.shape[1]), subsets=subsets, subset_size=size)
    for chunk in _chunks(real):
        metric.update(chunk, real=True)
    for chunk in _chunks(fake):
        metric.update(chunk, real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), float(std), size


@dataclass(frozen=True)
class Distance:
    """FID and KID between two feature sets, with the sample counts behind them."""

    fid: float
    kid: float
    kid_std: float
    kid_subset_size: int
    n_real: int
    n_fake: int
    singular: bool  # a covariance was singular (fewer samples than dimensions): FID is unreliable, read KID


def distance(real: np.ndarray, fake: np.ndarray, subsets: int = KID_SUBSETS,
             subset_size: int = KID_SUBSET_SIZE, seed: int = 0) -> Distance:
    """FID and KID of ``fake`` against ``real``."""
    fid = frechet_distance(real, fake)
    kid, kid_std, size = kernel_distance(real, fake, subsets, subset_size, seed)
    singular = is_singular(min(len(real), len(fake)), real.shape[1])
    return Distance(fid, kid, kid_std, size, len(real), len(fake), singular)


def per_class_distance(
    real: np.ndarray, real_targets: np.ndarray, fake: np.ndarray, fake_targets: np.ndarray,
    subsets: int = KID_SUBSETS, subset_size: int = KID_SUBSET_SIZE, seed: int = 0,
) -> tuple[dict[int, Distance], dict[int, str]]:
    """FID/KID per class present in both sets; classes with fewer than 2 images on a side are skipped with why."""
    done: dict[int, Distance] = {}
    skipped: dict[int, str] = {}
    for cls in np.intersect1d(np.unique(real_targets), np.unique(fake_targets)):
        r, f = real[real_targets == cls], fake[fake_targets == cls]
        if len(r) < 2 or len(f) < 2:
            skipped[int(cls)] = f"fewer than 2 images ({len(r)} reference, {len(f)} audited)"
            continue
        done[int(cls)] = distance(r, f, subsets, subset_size, seed)
    return done, skipped

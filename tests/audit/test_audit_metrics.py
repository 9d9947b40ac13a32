"""The audit's metrics against independent references: torchmetrics' FID/KID on the same images, the Vendi
score's definition on a fixed kernel, brute-force pair searches."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from imagenet_g.audit import diversity, fidelity
from imagenet_g.audit.consistency import accuracy_by_group, clip_scores, zero_shot_predictions
from imagenet_g.errors import InsufficientDataError


class TinyFeatures(torch.nn.Module):
    """A random conv feature extractor on uint8 images, as a user would hand torchmetrics."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(3, dim, 3, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()
        )
        self.num_features = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.float() / 255.0).double()


def _images(n: int, seed: int, shift: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 200, (n, 3, 16, 16), generator=g) + shift).clamp(0, 255).to(torch.uint8)


@pytest.mark.parametrize("dim,n_real,n_fake", [(8, 40, 30), (32, 12, 9)])  # full rank, and singular covariances
def test_fid_equals_torchmetrics_on_the_same_images(dim, n_real, n_fake):
    from torchmetrics.image.fid import FrechetInceptionDistance

    net = TinyFeatures(dim).eval()
    real, fake = _images(n_real, 1), _images(n_fake, 2, shift=30)
    reference = FrechetInceptionDistance(feature=net)
    reference.update(real, real=True)
    reference.update(fake, real=False)
    with torch.no_grad():
        ours = fidelity.frechet_distance(net(real).numpy(), net(fake).numpy())
    assert ours == pytest.approx(float(reference.compute()), rel=1e-6, abs=1e-9)
    assert fidelity.is_singular(min(n_real, n_fake), dim) == (dim == 32)


def test_kid_equals_torchmetrics_with_the_same_seed():
    from torchmetrics.image.kid import KernelInceptionDistance

    net = TinyFeatures(8).eval()
    real, fake = _images(30, 3), _images(25, 4, shift=20)
    with pytest.warns(UserWarning):
        reference = KernelInceptionDistance(feature=net, subsets=7, subset_size=10)
    reference.update(real, real=True)
    reference.update(fake, real=False)
    torch.manual_seed(5)
    mean, std = reference.compute()
    with torch.no_grad():
        ours = fidelity.kernel_distance(net(real).numpy(), net(fake).numpy(), subsets=7, subset_size=10, seed=5)
    assert ours[0] == pytest.approx(float(mean), rel=1e-9)
    assert ours[1] == pytest.approx(float(std), rel=1e-9)
    assert ours[2] == 10


def test_kid_of_two_whole_sets_is_one_subset_equal_to_torchmetrics_hundred(monkeypatch):
    from torchmetrics.image import kid as tm_kid

    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(50, 64)), rng.normal(size=(50, 64)) + 0.2
    with pytest.warns(UserWarning):  # torchmetrics: 'will save all extracted features'
        reference = tm_kid.KernelInceptionDistance(feature=fidelity._Precomputed(64), subsets=100, subset_size=50)
    reference.update(torch.from_numpy(real), real=True)
    reference.update(torch.from_numpy(fake), real=False)
    torch.manual_seed(0)
    mean, std = reference.compute()  # 100 permutations of the same 50 + 50 features
    calls = []
    original = tm_kid.poly_mmd
    monkeypatch.setattr(tm_kid, "poly_mmd", lambda *a, **k: calls.append(1) or original(*a, **k))
    ours = fidelity.kernel_distance(real, fake)
    assert len(calls) == 1  # one MMD, not 100 identical ones
    assert ours[0] == pytest.approx(float(mean), rel=1e-9) and ours[2] == 50
    assert ours[1] == 0.0 and float(std) == pytest.approx(0.0, abs=1e-12)
    calls.clear()  # one side larger than the subset: its subsets differ, so all of them are drawn
    fidelity.kernel_distance(real, np.concatenate([fake, fake[:5] + 1]), subsets=7)
    assert len(calls) == 7


def test_kid_subset_size_shrinks_to_the_smaller_set_and_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(6, 4))
    y = np.random.default_rng(1).normal(size=(9, 4))
    mean, std, size = fidelity.kernel_distance(x, y, subsets=3)
    assert size == 6 and np.isfinite(mean)
    assert fidelity.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_per_class_distance_skips_thin_classes_and_names_why():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(9, 5)), rng.normal(size=(7, 5)) + 1
    done, skipped = fidelity.per_class_distance(
        real, np.array([0] * 4 + [1] * 4 + [2]), fake, np.array([0] * 3 + [1] * 3 + [2]), subsets=2
    )
    assert sorted(done) == [0, 1] and list(skipped) == [2] and "fewer than 2" in skipped[2]
    assert done[0].singular and done[0].kid_subset_size == 3 and done[0].n_real == 4


def test_too_few_images_is_our_error():
    with pytest.raises(InsufficientDataError, match="FID needs at least 2"):
        fidelity.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(InsufficientDataError, match="pairwise"):
        diversity.mean_pairwise_distance(np.zeros((1, 3)))


def _vendi_from_kernel(kernel: np.ndarray) -> float:
    """The definition: exp(Shannon entropy of the eigenvalues of K/n)."""
    eig = np.linalg.eigvalsh(kernel / len(kernel))
    eig = eig[eig > 1e-12]
    return float(np.exp(-(eig * np.log(eig)).sum()))


def test_vendi_matches_its_definition_on_a_fixed_kernel():
    # four embeddings: two identical, one at 60 degrees, one orthogonal to all
    x = np.array([[1.0, 0, 0], [1.0, 0, 0], [0.5, np.sqrt(3) / 2, 0], [0, 0, 2.0]])
    kernel = np.array([[1, 1, 0.5, 0], [1, 1, 0.5, 0], [0.5, 0.5, 1, 0], [0, 0, 0, 1]])
    assert diversity.vendi_score(x) == pytest.approx(_vendi_from_kernel(kernel), rel=1e-9)
    assert diversity.vendi_score(np.ones((5, 3))) == pytest.approx(1.0)
    assert diversity.vendi_score(np.eye(4)) == pytest.approx(4.0)
    wide = np.random.default_rng(2).normal(size=(7, 3))  # n > d: the d x d Gram path
    u = wide / np.linalg.norm(wide, axis=1, keepdims=True)
    assert diversity.vendi_score(wide) == pytest.approx(_vendi_from_kernel(u @ u.T), rel=1e-9)


def test_mean_pairwise_distance_equals_brute_force():
    x = np.random.default_rng(3).normal(size=(9, 4))
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    brute = np.mean([1 - u[i] @ u[j] for i, j in itertools.permutations(range(9), 2)])
    assert diversity.mean_pairwise_distance(x) == pytest.approx(brute, rel=1e-12)


def test_a_planted_near_duplicate_is_found_within_its_class_and_across():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 16))
    x[37] = x[5] * 3.0 + rng.normal(scale=1e-3, size=16)  # same image, rescaled and jittered
    x[42] = x[12] + rng.normal(scale=1e-3, size=16)
    groups = np.arange(50) % 5  # 5 and 37 share no group; 12 and 42 do (both 2 mod 5)
    across = diversity.near_pairs(x, 0.99)
    assert {(p.i, p.j) for p in across.pairs} == {(5, 37), (12, 42)} and across.total == 2
    assert all(p.similarity > 0.99 for p in across.pairs)
    within = diversity.near_pairs(x, 0.99, groups=groups)
    assert [(p.i, p.j) for p in within.pairs] == [(12, 42)] and within.total == 1


def _brute_pairs(x, threshold, groups=None):
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = u @ u.T
    i, j = np.triu_indices(len(x), k=1)
    keep = sims[i, j] >= threshold
    if groups is not None:
        keep &= groups[i] == groups[j]
    found = sorted(zip(-sims[i, j][keep], i[keep], j[keep]))
    return len(found), [(int(a), int(b)) for _, a, b in found]


@pytest.mark.parametrize("block_values", [1 << 22, 1000])  # one block; many blocks of a few rows
def test_near_pair_totals_past_the_list_limit_equal_a_brute_force_count(monkeypatch, block_values):
    monkeypatch.setattr(diversity, "_BLOCK_VALUES", block_values)
    rng = np.random.default_rng(6)
    centres = rng.normal(size=(3, 8))
    x = np.repeat(centres, 120, axis=0) + rng.normal(scale=0.05, size=(360, 8))  # ~3 x 120^2/2 near pairs
    x[7] = x[3]  # an exact tie at similarity 1
    groups = np.arange(360) % 4
    for g in (None, groups):
        total, order = _brute_pairs(x, 0.98, g)
        found = diversity.near_pairs(x, 0.98, g, limit=200)
        assert total > 2000 and found.total == total
        assert [(p.i, p.j) for p in found.pairs] == order[:200]


@pytest.mark.parametrize("block_values", [1 << 22, 1000])
def test_one_pass_within_and_across_equal_two_brute_force_searches(monkeypatch, block_values):
    monkeypatch.setattr(diversity, "_BLOCK_VALUES", block_values)
    rng = np.random.default_rng(8)
    x = np.repeat(rng.normal(size=(4, 6)), 60, axis=0) + rng.normal(scale=0.05, size=(240, 6))
    x[[11, 50, 130]] = x[2]  # ties at similarity 1, within and across groups
    x[200] = 2.0 * x[201]  # a tie by rescaling
    groups = rng.integers(0, 3, size=240)
    within, across = diversity.near_pairs_each(x, 0.97, [groups, None], limit=150)
    for found, g in ((within, groups), (across, None)):
        total, order = _brute_pairs(x, 0.97, g)
        assert total > 150 and found.total == total
        assert [(p.i, p.j) for p in found.pairs] == order[:150]
        assert found == diversity.near_pairs(x, 0.97, g, limit=150)


def test_the_near_pair_search_keeps_memory_bounded_however_many_pairs(monkeypatch):
    import tracemalloc

    monkeypatch.setattr(diversity, "_BLOCK_VALUES", 1 << 15)
    x = np.ones((2000, 8)) + np.random.default_rng(7).normal(scale=1e-6, size=(2000, 8))  # every pair is near
    tracemalloc.start()
    try:
        found = diversity.near_pairs(x, 0.9, limit=200)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found.total == 2000 * 1999 // 2 and len(found.pairs) == 200
    assert peak < 8 * 2**20, peak  # a list of all 2M pairs would take hundreds of MiB


def test_nearest_neighbours_equal_brute_force():
    rng = np.random.default_rng(5)
    q, r = rng.normal(size=(6, 5)), rng.normal(size=(11, 5))
    index, sims = diversity.nearest_neighbours(q, r)
    cos = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (r / np.linalg.norm(r, axis=1, keepdims=True)).T
    np.testing.assert_array_equal(index, cos.argmax(1))
    np.testing.assert_allclose(sims, cos.max(1))


def test_zero_shot_consistency_finds_a_planted_off_class_image():
    class_weights = np.eye(3)  # class c points along axis c
    images = np.array([[2.0, 0.1, 0], [0.1, 1.0, 0], [0.2, 0, 3.0], [0.1, 0, 1.0]])
    targets = np.array([0, 1, 2, 1])  # the last image is labelled 1 but shows class 2
    correct = zero_shot_predictions(images, class_weights) == targets
    assert correct.tolist() == [True, True, True, False]
    assert accuracy_by_group(correct, targets) == {0: (100.0, 1), 1: (50.0, 2), 2: (100.0, 1)}


def test_clip_score_is_100_cosine_clipped_at_zero():
    img = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    txt = np.array([[2.0, 0.0], [1.0, 1.0], [-1.0, 0.0]])
    np.testing.assert_allclose(clip_scores(img, txt), [100.0, 100 / np.sqrt(2), 0.0])

"""The training loader: a mix as a torch dataset, timm's training transform, a resumable distributed sampler.

Determinism: every sample's augmentation is drawn from its own seed (run seed, epoch, position in the mix), so
what a model sees depends neither on the number of loader workers nor on the number of processes, and a run
resumed mid-epoch sees exactly the batches an uninterrupted run would have. The crop size of an epoch follows
the recipe's resolution schedule (``train_size``); each item carries its epoch, so workers that outlive an epoch
crop the next one at its own size.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, get_worker_info

from imagenet_g.images import UnreadableImage, worker_init
from imagenet_g.train.mix import Mix
from imagenet_g.train.recipe import DataConfig


def train_size(config: DataConfig, epoch: int) -> int:
    """The crop size of epoch ``epoch`` (from 0), as the paper's code's ``get_resolution``: ``size`` up to the first
    ramp epoch, ``max_size`` from the last, in between the linear interpolation rounded to the nearest multiple of
    32 (numpy's rounding, half to even, as that code rounds)."""
    if config.max_size is None or config.ramp_epochs is None:
        return config.size
    first, last = config.ramp_epochs
    if epoch <= first:
        return config.size
    if epoch >= last:
        return config.max_size
    between = float(np.interp(epoch, [first, last], [config.size, config.max_size]))
    return int(np.round(between / 32)) * 32


def _train_transform(config: DataConfig, size: int | None = None):
    """timm's ImageNet training transform (RandomResizedCrop + flip [+ colour jitter]) -> normalised tensor, cropping
    to ``size`` (default: the recipe's ``size``)."""
    from timm.data import create_transform

    return create_transform(
        input_size=size or config.size, is_training=True, scale=config.scale, ratio=config.ratio, hflip=config.hflip,
        color_jitter=config.color_jitter or None, interpolation=config.interpolation, mean=config.mean,
        std=config.std,
    )


_MASK64 = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    # SplitMix64's output function (Steele, Lea & Flood 2014): a stable, well-mixed 64-bit hash of x
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _sample_seed(seed: int, epoch: int, position: int) -> int:
    """The seed of one sample's augmentation: a stable hash of the three numbers, below 2**63."""
    return _splitmix64(_splitmix64(_splitmix64(seed) ^ epoch) ^ position) >> 1


REPLACE_LIMIT = 64  # unreadable images in a row of the mix before training stops


class MixedDataset(Dataset):
    """Item ``(epoch, i)``: image ``i`` of the mix, augmented with its own seed, its label-space target, and whether
    image ``i`` was unreadable and skipped (1, else 0; -1: ``REPLACE_LIMIT`` in a row, nothing readable).

    An image that cannot be read (not an image, truncated: ``imagenet_g.images``' decode rule, as eval skips) is
    skipped: the next readable image of the mix takes its place, with its own label and sample ``i``'s seed, so
    that every batch stays whole (processes of a distributed run step together) and the run stays deterministic.

    ``transform(epoch)`` gives the epoch's augmentation (a function of the epoch: the crop size may follow a
    schedule).
    """

    def __init__(self, mix: Mix, transform: Callable[[int], Callable], seed: int) -> None:
        self.tables = tuple(s.table for s in mix.sources)
        self.source, self.row, self.target = mix.source, mix.row, mix.target
        self.transform = transform
        self.seed = seed

    def __len__(self) -> int:
        return len(self.target)

    def _readable(self, i: int) -> tuple[object, int]:
        """Image ``i``, else the first readable one after it: the image (None when none is) and its index."""
        for step in range(min(REPLACE_LIMIT, len(self.target))):
            j = (i + step) % len(self.target)
            try:
                return self.tables[self.source[j]].open(int(self.row[j])), j
            except (UnreadableImage, OSError):
                continue
        return None, i

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor | None, int, int]:
        epoch, i = key
        image, j = self._readable(i)
        if image is None:
            return None, int(self.target[i]), -1
        seed = _sample_seed(self.seed, epoch, i)
        # timm's transforms draw from python's random and torch's CPU generator; a loader worker owns its state,
        # the main process (no workers) keeps the training's RNG state as it was
        saved = None if get_worker_info() is not None else (torch.default_generator.get_state(), random.getstate())
        torch.default_generator.manual_seed(seed)  # not torch.manual_seed: that also seeds CUDA, 40x slower
        random.seed(seed)
        try:
            tensor = self.transform(epoch)(image)
        finally:
            if saved is not None:
                torch.default_generator.set_state(saved[0])
                random.setstate(saved[1])
        return tensor, int(self.target[j]), int(j != i)


def _collate(batch: list[tuple[torch.Tensor | None, int, int]]) -> tuple[torch.Tensor | None, torch.Tensor, int]:
    """Images, targets and how many of the batch's images were unreadable and replaced (-1: an item found none
    readable)."""
    targets = torch.tensor([b[1] for b in batch], dtype=torch.long)
    if any(b[2] < 0 for b in batch):
        return None, targets, -1
    return torch.stack([b[0] for b in batch]), targets, sum(b[2] for b in batch)


class _EpochTransforms:
    """Epoch -> the training transform at that epoch's crop size, one built per size (picklable for workers)."""

    def __init__(self, config: DataConfig) -> None:
        self.config = config
        self.built: dict[int, Callable] = {}

    def __call__(self, epoch: int) -> Callable:
        size = train_size(self.config, epoch)
        if size not in self.built:
            self.built[size] = _train_transform(self.config, size)
        return self.built[size]


class ResumableSampler(DistributedSampler):
    """``DistributedSampler`` (seed + epoch permutation, rank's share) that yields ``(epoch, index)`` keys and can
    start ``start`` samples into this rank's share (a resumed epoch)."""

    def __init__(self, dataset: Dataset, num_replicas: int, rank: int, seed: int) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed, drop_last=True)
        self.start = 0

    def set_position(self, epoch: int, start: int) -> None:
        """Run epoch ``epoch`` from the ``start``-th sample of this rank's share."""
        self.set_epoch(epoch)
        self.start = start

    def __iter__(self) -> Iterator[tuple[int, int]]:
        indices = list(super().__iter__())[self.start:]
        return iter([(self.epoch, i) for i in indices])

    def __len__(self) -> int:
        return self.num_samples - self.start


def make_loader(
    mix: Mix, config: DataConfig, local_batch: int, num_replicas: int, rank: int, seed: int, pin_memory: bool
) -> tuple[DataLoader, ResumableSampler]:
    """The loader over this rank's share, whole local batches only; position it with ``sampler.set_position``."""
    dataset = MixedDataset(mix, _EpochTransforms(config), seed)
    sampler = ResumableSampler(dataset, num_replicas, rank, seed)
    loader = DataLoader(
        dataset, batch_size=local_batch, sampler=sampler, num_workers=config.workers, pin_memory=pin_memory,
        drop_last=True, persistent_workers=config.workers > 0, collate_fn=_collate, worker_init_fn=worker_init,
    )
    return loader, sampler

"""Models x images -> per-image top-k predictions. Decoding overlaps the forward pass.

DataLoader worker processes open, decode, resize and crop images (PIL releases the GIL, workers use
separate processes anyway) while the main process runs the model under ``torch.inference_mode``.
Several models go through one pass: each batch is decoded once per distinct pixel config (the
decode-once cache: models sharing resize/crop settings share the uint8 batch) and fed to every
model, so K models over one dataset cost one decode. Memory stays flat in dataset size: only the
top-k of each image is kept.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch

from imagenet_g.devices import pick_device
from imagenet_g.evaluate.datasets import FolderImages, HubImages
from imagenet_g.evaluate.metrics import topk_indices
from imagenet_g.evaluate.models import LoadedModel
from imagenet_g.progress import progress_bar

TOP_K = 5
# Errors PIL raises for files it cannot read as images (UnidentifiedImageError and truncation are OSErrors).
_DECODE_ERRORS = (OSError, ValueError, SyntaxError)


@dataclass(frozen=True)
class InputPipeline:
    """How one model's inputs are made: a per-image transform, then (timm configs) batch normalisation."""

    key: tuple  # equal keys -> the same decoded batch is reused
    transform: Callable
    mean255: tuple[float, ...] | None = None  # set: transform yields uint8, normalised on the batch
    std255: tuple[float, ...] | None = None


def input_pipeline(model: LoadedModel, border: int = 0) -> InputPipeline:
    """The model's input pipeline for a dataset that trims ``border`` pixels off each edge."""
    if model.preprocess is not None:
        cfg = model.preprocess.with_border(border)
        return InputPipeline(
            cfg.pixel_key(), cfg.pil_transform(), tuple(m * 255 for m in cfg.mean), tuple(s * 255 for s in cfg.std)
        )
    transform = model.transform
    if border:
        from timm.data.transforms import TrimBorder
        from torchvision.transforms import Compose

        transform = Compose([TrimBorder(border), transform])
    return InputPipeline(("opaque", id(model.transform), border), transform)


@dataclass(frozen=True)
class Predictions:
    """Per-image results of one model: top-k ImageNet indices and scores for each head (class subset)."""

    keys: tuple[str, ...]
    targets: np.ndarray
    topk: dict[str, np.ndarray]  # head name -> (N, k) ImageNet class indices, best first
    scores: dict[str, np.ndarray]  # head name -> (N, k) logits of those classes
    skipped: dict[str, int]  # reason -> count: files the scan rejected and images that failed to decode
    failed: tuple[tuple[int, str], ...] = ()  # (target, reason) of each image that failed to decode

    def for_classes(self, classes: Sequence[int], heads: Sequence[str]) -> Predictions:
        """The images whose target is in ``classes`` (a control's subset of ImageNet val), for ``heads``."""
        wanted = set(classes)
        keep = np.flatnonzero(np.isin(self.targets, list(wanted)))
        failed = tuple(f for f in self.failed if f[0] in wanted)
        return Predictions(
            tuple(self.keys[i] for i in keep), self.targets[keep],
            {h: self.topk[h][keep] for h in heads}, {h: self.scores[h][keep] for h in heads},
            dict(Counter(reason for _, reason in failed)), failed,
        )


class _Decoded(torch.utils.data.Dataset):
    """Item j -> (i, one tensor per transform, None) or (i, None, reason) for an unreadable file; i = positions[j]."""

    def __init__(self, images: FolderImages | HubImages, transforms: Sequence[Callable],
                 positions: Sequence[int] | None = None) -> None:
        self.images = images
        self.transforms = tuple(transforms)
        self.positions = range(len(images)) if positions is None else positions

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, j: int):
        i = int(self.positions[j])
        try:
            image = self.images.open(i)
            return i, tuple(t(image) for t in self.transforms), None
        except _DECODE_ERRORS as exc:
            return i, None, f"unreadable image ({type(exc).__name__})"


def _collate(batch):
    ok = [b for b in batch if b[1] is not None]
    failed = [(b[0], b[2]) for b in batch if b[1] is None]
    index = torch.tensor([b[0] for b in ok], dtype=torch.long)
    inputs = tuple(torch.stack([b[1][j] for b in ok]) for j in range(len(ok[0][1]))) if ok else ()
    return index, inputs, failed


def default_workers() -> int:
    """Decode workers: one per core (up to 8); they fill the gaps the forward pass leaves on every core."""
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def decoded_batches(
    images: FolderImages | HubImages,
    transforms: Sequence[Callable],
    batch_size: int = 64,
    workers: int | None = None,
    positions: Sequence[int] | None = None,
    pin_memory: bool = False,
) -> Iterator[tuple[torch.Tensor, tuple[torch.Tensor, ...], list[tuple[int, str]]]]:
    """Decode ``images`` (or those at ``positions``) in worker processes, in order, one tensor per transform.

    Yields ``(index, inputs, failed)``: the positions decoded, one stacked batch per transform, and
    ``(position, reason)`` of each image that could not be read. Every job that reads images uses this one path.
    """
    n_workers = default_workers() if workers is None else workers
    return iter(torch.utils.data.DataLoader(
        _Decoded(images, transforms, positions), batch_size=batch_size, shuffle=False, num_workers=n_workers,
        collate_fn=_collate, pin_memory=pin_memory, prefetch_factor=4 if n_workers else None,
    ))


class _Runner:
    """One model on the device: picks its decoded input, normalises (timm configs), runs the forward pass."""

    def __init__(self, model: LoadedModel, pipeline: InputPipeline, slot: int, dev: torch.device,
                 channels_last: bool, amp: bool) -> None:
        module = model.module.to(dev).eval()
        self.module = module.to(memory_format=torch.channels_last) if channels_last else module
        self.slot, self.dev, self.channels_last = slot, dev, channels_last
        self.norm = None
        if pipeline.mean255 is not None:
            # timm PrefetchLoader: (x - 255 * mean) / (255 * std) in float32, computed the same way here
            shape = (1, -1, 1, 1)
            self.norm = (torch.tensor(pipeline.mean255, device=dev).view(shape),
                         torch.tensor(pipeline.std255, device=dev).view(shape))
        self.autocast = torch.autocast(dev.type, dtype=torch.float16) if amp else nullcontext()

    def __call__(self, inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x = inputs[self.slot].to(self.dev, non_blocking=True)
        if self.norm is not None:
            x = x.float().sub_(self.norm[0]).div_(self.norm[1])
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with self.autocast:
            return self.module(x).float()


def predict(
    models: Sequence[LoadedModel],
    images: FolderImages | HubImages,
    heads: Mapping[str, Sequence[int] | None],
    border: int = 0,
    batch_size: int = 64,
    workers: int | None = None,
    device: str = "auto",
    channels_last: bool = True,
    amp: bool | None = None,
    progress: bool = False,
    description: str = "predict",
) -> list[Predictions]:
    """Run every model over ``images`` once; for each head keep the top-k over that head's class subset.

    ``heads`` maps a name to ImageNet indices the logits are restricted to (None: all 1000). ``amp``
    defaults to on for CUDA only (float16 autocast, as timm's validate.py --amp).
    """
    dev = torch.device(pick_device(device))
    use_amp = dev.type == "cuda" if amp is None else amp
    pipelines = [input_pipeline(m, border) for m in models]
    keys = list(dict.fromkeys(p.key for p in pipelines))  # one decoded tensor per distinct pixel config
    transforms = [next(p.transform for p in pipelines if p.key == k) for k in keys]
    runners = [_Runner(m, p, keys.index(p.key), dev, channels_last, use_amp) for m, p in zip(models, pipelines)]
    batches = decoded_batches(images, transforms, batch_size, workers, pin_memory=dev.type == "cuda")
    rows: list[np.ndarray] = []
    tops: list[dict[str, list[np.ndarray]]] = [{h: [] for h in heads} for _ in models]
    scores: list[dict[str, list[np.ndarray]]] = [{h: [] for h in heads} for _ in models]
    failures: list[tuple[int, str]] = []
    with progress_bar(description, len(images), progress) as advance, torch.inference_mode():
        for index, inputs, failed in batches:
            failures.extend(failed)
            if len(index):
                rows.append(index.numpy())
                for i, run in enumerate(runners):
                    logits = run(inputs)
                    for head, indices in heads.items():
                        top, score = topk_indices(logits, TOP_K, indices)
                        tops[i][head].append(top)
                        scores[i][head].append(score)
            advance(len(index) + len(failed))
    order = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    skipped = Counter(images.skipped)
    skipped.update(reason for _, reason in failures)
    failed = tuple((int(images.targets[i]), reason) for i, reason in failures)
    out_keys = tuple(images.key(int(i)) for i in order)
    width = {h: min(TOP_K, 1000 if idx is None else len(idx)) for h, idx in heads.items()}
    return [
        Predictions(
            out_keys, images.targets[order],
            {h: np.concatenate(v) if v else np.zeros((0, width[h]), dtype=np.int64) for h, v in tops[i].items()},
            {h: np.concatenate(v) if v else np.zeros((0, width[h]), dtype=np.float32) for h, v in scores[i].items()},
            dict(skipped), failed,
        )
        for i in range(len(models))
    ]

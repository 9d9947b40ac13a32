"""Models x images -> per-image top-k predictions. Decoding overlaps the forward pass.

Images are decoded and batched in worker processes by ``imagenet_g.images.mapped_batches``, which also decides
where the models run (on a CPU with a worker per core, in the workers, one thread each; otherwise here). Several
models go through one pass: each image is decoded once and transformed once per distinct pixel config, and the
uint8 batch is fed to every model sharing that config, so K models over one dataset cost one decode. With a pixel
cache (``cache_dir``) the transformed uint8 pixels are kept on disk, keyed by file content and pixel config, and a
later run (another model, the same preprocessing) reads them instead of decoding. Memory stays flat in dataset
size: only the top-k of each image is kept.

Numerics follow timm's validate.py: float32 by default (``precision="fp32"``; on CUDA TF32 matmuls are
allowed, as validate.py allows them), float16 autocast with ``precision="amp"`` (validate.py ``--amp``).
The memory layout (channels_last or not) is the one measured faster for the model on the device, unless given.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from imagenet_g.devices import pick_device
from imagenet_g.errors import ModelError
from imagenet_g.evaluate.metrics import LabelSpace
from imagenet_g.evaluate.memory_format import choose_channels_last
from imagenet_g.evaluate.models import LoadedModel
from imagenet_g.evaluate.request import check_precision, check_tta
from imagenet_g.images import ImageSource, PixelCache, default_cache_dir, mapped_batches
from imagenet_g.progress import progress_bar
from imagenet_g.results import Precision, Tta

_TOP_K = 5
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputPipeline:
    """How one model's inputs are made: a per-image transform, then (timm configs) batch normalisation."""

    key: tuple  # equal keys -> the same decoded batch is reused
    transform: Callable
    mean255: tuple[float, ...] | None = None  # set: transform yields uint8, normalised on the batch
    std255: tuple[float, ...] | None = None
    cacheable: bool = False  # the key describes the pixels fully (a timm config), so they may be kept on disk
    input_size: tuple[int, ...] | None = None


def _input_pipeline(model: LoadedModel, border: int = 0) -> InputPipeline:
    """The model's input pipeline for a dataset that trims ``border`` pixels off each edge."""
    if model.preprocess is not None:
        cfg = model.preprocess.with_border(border)
        return InputPipeline(
            cfg.pixel_key(), cfg.pil_transform(), tuple(m * 255 for m in cfg.mean), tuple(s * 255 for s in cfg.std),
            cacheable=True, input_size=cfg.input_size,
        )
    transform = model.transform
    if border:
        from timm.data.transforms import TrimBorder
        from torchvision.transforms import Compose

        transform = Compose([TrimBorder(border), transform])
    return InputPipeline(("opaque", id(model.transform), border), transform)


@dataclass(frozen=True)
class Predictions:
    """Per-image results of one model: top-k ImageNet indices and scores in each label space (a
    dataset's classes), keyed by its name."""

    keys: tuple[str, ...]
    targets: np.ndarray
    topk: dict[str, np.ndarray]  # label space name -> (N, k) ImageNet class indices, best first
    scores: dict[str, np.ndarray]  # label space name -> (N, k) logits of those classes
    skipped: dict[str, int]  # reason -> count: files the scan rejected and images that failed to decode
    failed: tuple[tuple[int, str], ...] = ()  # (target, reason) of each image that failed to decode
    columns: dict[str, np.ndarray] = field(default_factory=dict)  # join keys per image (path, template_id, ...)
    channels_last: bool = False  # the memory layout the model ran in

    def for_classes(self, classes: Sequence[int], spaces: Sequence[str]) -> Predictions:
        """The images whose target is in ``classes`` (a control's subset of ImageNet val), in the label spaces ``spaces``."""
        wanted = set(classes)
        keep = np.flatnonzero(np.isin(self.targets, list(wanted)))
        failed = tuple(f for f in self.failed if f[0] in wanted)
        return Predictions(
            tuple(self.keys[i] for i in keep), self.targets[keep],
            {s: self.topk[s][keep] for s in spaces}, {s: self.scores[s][keep] for s in spaces},
            dict(Counter(reason for _, reason in failed)), failed,
            {name: values[keep] for name, values in self.columns.items()}, self.channels_last,
        )


class _Scorer:
    """``_score`` as a picklable callable for the workers; a ``ModelError`` comes back as the result."""

    def __init__(self, runners: Sequence[_Runner], spaces: Mapping[str, LabelSpace]) -> None:
        self.runners, self.spaces = tuple(runners), spaces

    def __call__(self, inputs: tuple[torch.Tensor, ...]):
        try:
            return _score(self.runners, inputs, self.spaces)
        except ModelError as exc:
            return exc


def _score(runners: Sequence[_Runner], inputs: tuple[torch.Tensor, ...],
           spaces: Mapping[str, LabelSpace]) -> list[dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Each model's (top-k indices, scores) in each label space for one decoded batch."""
    out = []
    for run in runners:
        logits = _as_1000(_finite(run(inputs), run), run.id, spaces)
        out.append({name: space.topk(logits, _TOP_K) for name, space in spaces.items()})
    return out


def _finite(logits: torch.Tensor, run: _Runner) -> torch.Tensor:
    """The logits, or an error when some are NaN or infinite: a ranking of such scores means nothing."""
    bad = ~torch.isfinite(logits)
    if bad.any():
        images = int(bad.reshape(len(logits), -1).any(dim=1).sum())
        advice = "score it at {precision=fp32}" if run.precision == "amp" else "check its weights"
        raise ModelError(f"model {run.id!r} gives non-finite logits (NaN or inf) for {images} of {len(logits)} "
                         "images in a batch", advice)
    return logits


class _Runner:
    """One model on the device: picks its decoded input, normalises (timm configs), runs the forward pass (with
    ``tta="flip"`` also on the horizontally flipped batch, the two logits summed)."""

    def __init__(self, model: LoadedModel, pipeline: InputPipeline, slot: int, dev: torch.device,
                 channels_last: bool | None, precision: Precision, cache_dir: Path, tta: Tta = "none") -> None:
        self.id, self.flip = model.id, tta == "flip"
        self.module = model.module.to(dev).eval()
        self.autocast = torch.autocast(dev.type, dtype=torch.float16) if precision == "amp" else nullcontext()
        if channels_last is None:
            channels_last = pipeline.input_size is not None and choose_channels_last(
                self.module, pipeline.input_size, dev, precision, self.autocast, cache_dir)
        self.module.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        self.slot, self.dev, self.channels_last, self.precision = slot, dev, channels_last, precision
        self.norm = None
        if pipeline.mean255 is not None:
            # timm PrefetchLoader: (x - 255 * mean) / (255 * std) in float32, computed the same way here
            shape = (1, -1, 1, 1)
            self.norm = (torch.tensor(pipeline.mean255, device=dev).view(shape),
                         torch.tensor(pipeline.std255, device=dev).view(shape))

    def __call__(self, inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x = inputs[self.slot].to(self.dev, non_blocking=True)
        if self.norm is not None:
            x = x.float().sub_(self.norm[0]).div_(self.norm[1])
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with self.autocast:
            logits = self.module(x).float()
            if self.flip:  # width is the last axis of NCHW (the paper's code: torch.flip(images, dims=[3]))
                logits = logits + self.module(torch.flip(x, dims=[3])).float()
            return logits


def _as_1000(logits: torch.Tensor, model_id: str, spaces: Mapping[str, LabelSpace]) -> torch.Tensor:
    """ImageNet-1k logits; a model that outputs exactly the one class subset of ``spaces`` is spread onto it."""
    width = logits.shape[1] if logits.ndim == 2 else None
    subsets = {s.indices for s in spaces.values()}
    if width == 1000:
        return logits
    if len(subsets) == 1 and None not in subsets and width == len(next(iter(subsets))):
        (indices,) = subsets
        full = logits.new_full((logits.shape[0], 1000), float("-inf"))
        full[:, torch.as_tensor(indices, device=logits.device)] = logits
        return full
    alt = f" or {len(next(iter(subsets)))} (its one class subset here)" if len(subsets) == 1 and None not in subsets else ""
    shape = f"{width} classes" if width is not None else f"a tensor of shape {tuple(logits.shape)}"
    raise ModelError(f"model {model_id!r} outputs {shape}; scoring needs 1000 ImageNet-1k logits{alt} per image")


@contextmanager
def _validate_py_flags(dev: torch.device):
    """CUDA: allow TF32 matmuls while scoring, as timm's validate.py does; restored afterwards."""
    if dev.type != "cuda":
        yield
        return
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


def predict(
    models: Sequence[LoadedModel],
    images: ImageSource,
    spaces: Mapping[str, LabelSpace],
    border: int = 0,
    batch_size: int = 64,
    workers: int | None = None,
    device: str = "auto",
    channels_last: bool | None | Sequence[bool | None] = None,
    precision: Precision = "fp32",
    cache_dir: Path | None = None,
    progress: bool = False,
    description: str = "predict",
    tta: Tta = "none",
) -> list[Predictions]:
    """Run every model over ``images`` once; in each label space of ``spaces`` keep the top-k.

    ``channels_last=None`` uses the layout measured faster for the model on this device (``memory_format``;
    one value, or one per model; ``Predictions.channels_last`` says what ran). ``cache_dir`` keeps the
    uint8 pixels of timm-config pipelines on disk (see ``imagenet_g.images.pixel_cache``). ``tta="flip"`` scores each
    image by the sum of the model's logits on it and on its horizontal flip.
    """
    dev = torch.device(pick_device(device))
    check_precision(precision)
    check_tta(tta)
    pipelines = [_input_pipeline(m, border) for m in models]
    keys = list(dict.fromkeys(p.key for p in pipelines))  # one decoded tensor per distinct pixel config
    firsts = [next(p for p in pipelines if p.key == k) for k in keys]
    caches = [PixelCache.open(cache_dir, p.key) if cache_dir and p.cacheable else None for p in firsts]
    layouts = list(channels_last) if isinstance(channels_last, Sequence) else [channels_last] * len(models)
    decisions = default_cache_dir()  # per machine, wherever the pixels are kept: one layout, identical numbers
    runners = [_Runner(m, p, keys.index(p.key), dev, cl, precision, decisions, tta)
               for m, p, cl in zip(models, pipelines, layouts)]
    rows: list[np.ndarray] = []
    tops: list[dict[str, list[np.ndarray]]] = [{s: [] for s in spaces} for _ in models]
    scores: list[dict[str, list[np.ndarray]]] = [{s: [] for s in spaces} for _ in models]
    failures: list[tuple[int, str]] = []
    start = time.perf_counter()
    with progress_bar(description, len(images), progress) as advance, _validate_py_flags(dev):
        for index, results, failed in mapped_batches(images, [p.transform for p in firsts], _Scorer(runners, spaces),
                                                     batch_size, workers, caches=caches, device=dev):
            if isinstance(results, ModelError):
                raise results
            failures.extend(failed)
            if len(index):
                rows.append(index.numpy())
                for i, per_space in enumerate(results):
                    for name, (top, score) in per_space.items():
                        tops[i][name].append(top)
                        scores[i][name].append(score)
            advance(len(index) + len(failed))
    seconds = time.perf_counter() - start
    scored = sum(len(r) for r in rows)
    _log.info("scored %s: %d images x %d models in %.2f s (%.1f images/s)", description, scored, len(models),
              seconds, scored / seconds if seconds else 0.0)
    order = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    skipped = Counter(images.skipped)
    skipped.update(reason for _, reason in failures)
    failed = tuple((int(images.targets[i]), reason) for i, reason in failures)
    out_keys = tuple(images.key(int(i)) for i in order)
    columns = images.join_keys(order)
    width = {s: min(_TOP_K, len(space.groups) if space.groups else space.classes) for s, space in spaces.items()}
    return [
        Predictions(
            out_keys, images.targets[order],
            {h: np.concatenate(v) if v else np.zeros((0, width[h]), dtype=np.int64) for h, v in tops[i].items()},
            {h: np.concatenate(v) if v else np.zeros((0, width[h]), dtype=np.float32) for h, v in scores[i].items()},
            dict(skipped), failed, columns, runners[i].channels_last,
        )
        for i in range(len(models))
    ]


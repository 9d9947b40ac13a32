"""Features of a dataset under an extractor: computed once, cached on disk, resumed after an interruption.

The cache key is a sha256 of (dataset fingerprint, extractor id, weights identity), all known before any network
is built: features found in the cache cost no model at all (``LazyExtractor``). A release's
fingerprint is the sha256 of its shards (from its manifest): a content hash. A folder's is the list of its files
with their sizes and modification times (as make and rsync decide staleness), so it is cheap to compute; a
dataset loaded with ``datasets`` uses its fingerprint. Images are read through the one decode path
(``imagenet_g.images.mapped_batches``), so the audit sees exactly the pixels eval sees before model-specific
preprocessing.

Layout of one entry: ``<cache>/<key>/part-<first position>.npz`` while computing (each written atomically,
kept on Ctrl-C), then ``features.npy`` + ``positions.npy`` + ``meta.json`` once complete; ``meta.json`` also
records what the built extractor reported (weights sha256, dimension, preprocessing) for the audit JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from imagenet_g.audit.extractors import Extractor, LazyExtractor
from imagenet_g.devices import pick_device
from imagenet_g.files import atomic_path, atomic_write_text
from imagenet_g.images import FolderImages, ImageSource, LoadedDataset, mapped_batches
from imagenet_g.images import default_cache_dir as images_cache_dir
from imagenet_g.progress import progress_bar

_CACHE_VERSION = 2  # 2: keyed on the weights identity (no network needed); the Inception network's BN folded
PART_ROWS = 1024  # images per part file: what an interruption can lose at most
_META_FILE = "meta.json"


def default_cache_dir() -> Path:
    """``features/`` in the cache folder eval uses (``imagenet_g.images.default_cache_dir()``)."""
    return images_cache_dir() / "features"


@dataclass(frozen=True)
class FeatureSet:
    """One feature row per image that decoded, in dataset order."""

    features: np.ndarray  # (N, D) float32 (memory-mapped from the cache)
    positions: np.ndarray  # (N,) position of each row's image in its dataset
    targets: np.ndarray  # (N,) ImageNet index of each row
    failed: dict[str, int]  # reason -> images that could not be read
    key: str
    extractor: dict  # what the built extractor reported: id, weights_sha256, dim, preprocess, random_weights

    def rows(self, mask: np.ndarray) -> FeatureSet:
        """The rows where ``mask`` holds."""
        return FeatureSet(self.features[mask], self.positions[mask], self.targets[mask], self.failed, self.key,
                          self.extractor)


def dataset_fingerprint(data: LoadedDataset) -> str:
    """What the cache key knows of a dataset's content (see the module docstring)."""
    digest = hashlib.sha256()
    images = data.images
    manifest = Path(data.source) / (data.version or "") / "manifest.json"
    if data.spec.layout == "release" and manifest.is_file():
        shards = json.loads(manifest.read_text(encoding="utf-8")).get("splits", {})
        digest.update(json.dumps(shards, sort_keys=True).encode())
    elif isinstance(images, FolderImages):
        for path, target in zip(images.paths, images.targets):
            st = os.stat(path)
            digest.update(f"{os.path.relpath(path, images.root)}\0{st.st_size}\0{st.st_mtime_ns}\0{target}\n".encode())
    else:
        digest.update((images.fingerprint() or data.source).encode())
    digest.update(np.asarray(images.targets, dtype=np.int64).tobytes())
    return f"{data.spec.name}:{data.version or ''}:{digest.hexdigest()}"


def cache_key(fingerprint: str, extractor: LazyExtractor) -> str:
    """sha256 of everything that decides the features (the extractor's id fixes its preprocessing)."""
    what = {"cache": _CACHE_VERSION, "dataset": fingerprint, "extractor": extractor.id,
            "weights": extractor.weights_id}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _record(extractor: Extractor) -> dict:
    return {"id": extractor.id, "weights_sha256": extractor.weights_sha256, "dim": extractor.dim,
            "preprocess": extractor.preprocess, "random_weights": extractor.random_weights}


def _write_part(folder: Path, attempted: list[int], ok: list[int], rows: list[np.ndarray],
                failed: list[tuple[int, str]], dim: int) -> None:
    path = folder / f"part-{attempted[0]:09d}.npz"
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.savez(fh, attempted=np.asarray(attempted, dtype=np.int64), ok=np.asarray(ok, dtype=np.int64),
                 features=np.concatenate(rows) if rows else np.zeros((0, dim), dtype=np.float32),
                 failed_positions=np.asarray([p for p, _ in failed], dtype=np.int64),
                 failed_reasons=np.asarray([r for _, r in failed], dtype=str))


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.npz"))


def _consolidate(folder: Path, total: int, extractor: Extractor) -> None:
    """Parts -> one memory-mappable features.npy (written row block by row block), positions.npy, meta.json."""
    parts = _parts(folder)
    loaded = [np.load(p) for p in parts]
    order = np.argsort([int(part["attempted"][0]) for part in loaded])
    n_ok, dim = sum(len(part["ok"]) for part in loaded), extractor.dim
    failed: Counter = Counter()
    with atomic_path(folder / "features.npy") as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n_ok, dim))
        positions = np.empty(n_ok, dtype=np.int64)
        row = 0
        for i in order:
            part = loaded[i]
            n = len(part["ok"])
            out[row:row + n] = part["features"]
            positions[row:row + n] = part["ok"]
            row += n
            failed.update(str(r) for r in part["failed_reasons"])
        out.flush()
        del out
    sort = np.argsort(positions, kind="stable")
    if not np.array_equal(sort, np.arange(n_ok)):  # parts are in position order; keep rows sorted regardless
        features = np.load(folder / "features.npy")[sort]
        with atomic_path(folder / "features.npy") as tmp, tmp.open("wb") as fh:
            np.save(fh, features)
        positions = positions[sort]
    with atomic_path(folder / "positions.npy") as tmp, tmp.open("wb") as fh:
        np.save(fh, positions)
    atomic_write_text(folder / _META_FILE, json.dumps({"images": total, "rows": n_ok, "dim": dim,
                                                      "failed": dict(failed), "extractor": _record(extractor)},
                                                     indent=1))
    for p in parts:
        p.unlink()


def _load(folder: Path, targets: np.ndarray, key: str) -> FeatureSet:
    meta = json.loads((folder / _META_FILE).read_text(encoding="utf-8"))
    features = np.load(folder / "features.npy", mmap_mode="r")
    positions = np.load(folder / "positions.npy")
    return FeatureSet(features, positions, np.asarray(targets)[positions], dict(meta["failed"]), key,
                      meta["extractor"])


class _Forward:
    """uint8 batch -> features as a float32 array (a picklable callable: it may run in the decode workers)."""

    def __init__(self, module: torch.nn.Module, dev: torch.device) -> None:
        self.module, self.dev = module, dev

    def __call__(self, inputs: tuple[torch.Tensor, ...]) -> np.ndarray:
        x = inputs[0].to(self.dev, non_blocking=True).contiguous(memory_format=torch.channels_last)
        return self.module(x).float().cpu().numpy()


def extract(
    images: ImageSource,
    fingerprint: str,
    lazy: LazyExtractor,
    cache_dir: Path | None = None,
    batch_size: int = 64,
    workers: int | None = None,
    device: str = "auto",
    progress: bool = False,
    description: str = "features",
) -> FeatureSet:
    """The features of every readable image under ``lazy``, from the cache or computed (and cached); its network
    is built only when something is missing.

    Work is saved every ``PART_ROWS`` images; an interrupted run resumes where it stopped.
    """
    key = cache_key(fingerprint, lazy)
    folder = Path(cache_dir or default_cache_dir()) / key
    if (folder / _META_FILE).is_file():
        return _load(folder, images.targets, key)
    extractor = lazy.get()
    folder.mkdir(parents=True, exist_ok=True)
    done: set[int] = set()
    for part in _parts(folder):
        done.update(int(p) for p in np.load(part)["attempted"])
    missing = [i for i in range(len(images)) if i not in done]
    if missing:
        dev = torch.device(pick_device(device))
        # channels_last, as eval runs its models: oneDNN/cuDNN convolutions are faster in it (about 1.1x on CPU)
        forward = _Forward(extractor.module.to(dev, memory_format=torch.channels_last).eval(), dev)
        batches = mapped_batches(images, [extractor.transform], forward, batch_size, workers, missing, device=dev)
        attempted: list[int] = []
        ok: list[int] = []
        rows: list[np.ndarray] = []
        failed: list[tuple[int, str]] = []
        with progress_bar(description, len(images), progress) as advance, torch.inference_mode():
            advance(len(done))
            for index, out, bad in batches:
                if len(index):
                    rows.append(out)
                    ok += index.tolist()
                attempted += sorted(index.tolist() + [p for p, _ in bad])
                failed += bad
                advance(len(index) + len(bad))
                if len(attempted) >= PART_ROWS:
                    _write_part(folder, attempted, ok, rows, failed, extractor.dim)
                    attempted, ok, rows, failed = [], [], [], []
            if attempted:
                _write_part(folder, attempted, ok, rows, failed, extractor.dim)
    _consolidate(folder, len(images), extractor)
    return _load(folder, images.targets, key)


def text_embeddings(texts: list[str], lazy: LazyExtractor, cache_dir: Path | None = None) -> np.ndarray:
    """A CLIP extractor's text embeddings of ``texts`` (a release's prompts), cached on disk like image features."""
    what = {"cache": _CACHE_VERSION, "extractor": lazy.id, "weights": lazy.weights_id,
            "texts": hashlib.sha256("\0".join(texts).encode()).hexdigest()}
    path = Path(cache_dir or default_cache_dir()) / "text" / (
        hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest() + ".npy")
    if path.is_file():
        return np.load(path)
    embeddings = lazy.get().text.encode(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.save(fh, embeddings)
    return embeddings

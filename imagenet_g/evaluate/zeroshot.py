"""open_clip zero-shot heads: built once per (model, weights, class names, templates), kept on disk.

The head is open_clip's ``build_zero_shot_classifier`` (per class: the text embeddings of every template,
L2-normalised, averaged, renormalised), called on chunks of classes of about ``TEXTS_PER_BATCH`` prompts,
the very batches it would form itself with that batch size, so the result is the same tensor while a
progress bar counts classes. 1000 classes
x 80 templates are 80,000 text encodings: minutes on a GPU, much longer on a CPU, so the finished head is
saved under ``<cache>/zeroshot/<key>.pt`` and reused by every later run with the same key. The key hashes
the architecture, the weights' sha256, the class names, each template's text and the open_clip version.
The cache folder is the run's cache folder when one is given, else ``imagenet_g.images.default_cache_dir()``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from imagenet_g.environment import package_versions
from imagenet_g.files import atomic_path
from imagenet_g.progress import progress_bar

TEXTS_PER_BATCH = 1000  # prompts per forward pass building a head (small batches are overhead-bound on CPU)
CLIP_LOGIT_SCALE = 100.0  # open_clip's zero-shot evaluation scales cosine similarities by 100
_log = logging.getLogger(__name__)


def head_key(arch: str, weights_sha256: str, classnames: Sequence[str], templates: Sequence[Callable[[str], str]]) -> str:
    """The cache key of a zero-shot head (hex sha256)."""
    record = {
        "arch": arch, "weights_sha256": weights_sha256, "classnames": list(classnames),
        "templates": [t("{}") for t in templates], **package_versions(["open-clip-torch"]),
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def build_head(model, tokenizer, classnames: Sequence[str], templates: Sequence[Callable[[str], str]],
               device: str = "cpu", progress: bool = False) -> torch.Tensor:
    """(embed_dim, classes) head weights, open_clip's computation, with a progress bar over classes."""
    import open_clip

    model = model.to(device)
    per_batch = max(1, TEXTS_PER_BATCH // len(templates))
    parts = []
    with torch.inference_mode(), progress_bar("zero-shot head (classes)", len(classnames), progress) as advance:
        for start in range(0, len(classnames), per_batch):
            chunk = list(classnames[start:start + per_batch])
            parts.append(open_clip.build_zero_shot_classifier(
                model, tokenizer=tokenizer, classnames=chunk, templates=templates,
                num_classes_per_batch=per_batch, device=device, use_tqdm=False,
            ).cpu())
            advance(len(chunk))
    return torch.cat(parts, dim=1)


def cached_head(key: str, cache_dir: Path, build: Callable[[], torch.Tensor]) -> tuple[torch.Tensor, str]:
    """The head stored under ``key`` in ``cache_dir``, else ``build()`` it and store it; with where it came from."""
    path = Path(cache_dir) / "zeroshot" / f"{key[:32]}.pt"
    if path.is_file():
        try:
            return torch.load(path, map_location="cpu", weights_only=True), f"cached {path}"
        except (OSError, RuntimeError, EOFError, ValueError):
            _log.warning("zero-shot head cache %s is unreadable; rebuilding it", path)
    weights = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(weights, tmp)
    return weights, f"built, saved to {path}"


class ZeroShotClassifier(torch.nn.Module):
    """Logits = 100 x cosine similarity of the normalised image embedding with each class's head column."""

    def __init__(self, model, weights: torch.Tensor) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("classifier", weights.clone())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = torch.nn.functional.normalize(self.model.encode_image(images), dim=-1)
        return CLIP_LOGIT_SCALE * features @ self.classifier.to(features.dtype)

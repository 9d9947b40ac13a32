"""open_clip zero-shot heads: built once per (model, weights, class names, templates), kept on disk.

The head is open_clip's ``build_zero_shot_classifier`` computation (per class: the text embeddings of every
template, L2-normalised, averaged, renormalised), made cheaper without changing it. Prompts are encoded in batches
of about ``TEXTS_PER_BATCH`` of similar token length, and where the text tower's attention is causal, each batch only
up to the position its longest prompt is pooled from: a causal tower's output at a position reads no later token, so
the padding after it cannot change the embedding. ImageNet's prompts are ~10-20 of CLIP's 77 tokens. Towers that pool
elsewhere (the last position, an appended class token), attend both ways or are not open_clip's own transformer (a
Hugging Face encoder) are encoded at full length, as open_clip does.

1000 classes x 80 templates are 80,000 text encodings: minutes on a GPU, much longer on a CPU, so the finished head is
saved under ``<cache>/zeroshot/<key>.pt`` and reused by every later run with the same key. The key hashes the
architecture, the weights' sha256, the class names, each template's text and the open_clip version. The cache folder
is the run's cache folder when one is given, else ``imagenet_g.images.default_cache_dir()``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import torch

from imagenet_g.environment import package_versions
from imagenet_g.files import atomic_path
from imagenet_g.progress import progress_bar

TEXTS_PER_BATCH = 1000  # prompts per forward pass building a head (small batches are overhead-bound on CPU)
_CLIP_LOGIT_SCALE = 100.0  # open_clip's zero-shot evaluation scales cosine similarities by 100
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
    """(embed_dim, classes) head weights: open_clip's ``build_zero_shot_classifier`` result, computed on prompts
    sorted by length and, where the text tower is causal, encoded only up to each batch's longest prompt."""
    model = model.to(device)
    tokens = tokenizer([template(name) for name in classnames for template in templates])
    tower = _causal_tower(model)
    lengths = (_pooled_positions(tokens, tower) + 1 if tower
               else torch.full((len(tokens),), tokens.shape[1], dtype=torch.long))
    order = torch.argsort(lengths, stable=True)
    sums = None
    with torch.inference_mode(), progress_bar("zero-shot head (prompts)", len(order), progress) as advance:
        for batch in order.split(TEXTS_PER_BATCH):
            length = int(lengths[batch].max())
            embeddings = _encode(model, tokens[batch, :length].to(device), tower).float()
            if sums is None:
                sums = embeddings.new_zeros(len(classnames), embeddings.shape[1])
            sums.index_add_(0, (batch // len(templates)).to(sums.device), embeddings)
            advance(len(batch))
    head = sums / len(templates)
    return (head / head.norm(dim=1, keepdim=True)).T.cpu()


class _CausalTower(NamedTuple):
    """An open_clip text tower whose embedding of a prompt reads no token after the one it pools from."""

    module: torch.nn.Module  # the module holding its positional embedding and attention mask
    prefix: str  # their names' prefix in the model
    pool: str  # open_clip's text_global_pool type
    eos: int | None


# Pool types taking the embedding from a token that stays put when the padding is cut; "last" and "none" move.
_POOLED_AT = ("first", "argmax", "eos")


def _causal_tower(model) -> _CausalTower | None:
    """``model``'s text tower when it is open_clip's own transformer with a causal mask, pooling from a fixed
    token; None for any other (both-way attention, an appended class token, a Hugging Face encoder)."""
    from open_clip.transformer import TextTransformer

    if hasattr(model, "text_pool_type"):  # open_clip.CLIP keeps its text tower's parts on itself
        tower = _CausalTower(model, "", model.text_pool_type, model.text_eos_id)
    elif isinstance(getattr(model, "text", None), TextTransformer):  # CustomTextCLIP, CoCa
        text = model.text
        if text.cls_emb is not None or text.use_pad_mask:  # the appended class token reads the padding
            return None
        tower = _CausalTower(text, "text.", text.pool_type, text.eos_id)
    else:
        return None
    mask = tower.module.attn_mask
    causal = mask is not None and torch.equal(torch.isinf(mask), torch.ones_like(mask, dtype=torch.bool).triu(1))
    return tower if causal and tower.pool in _POOLED_AT else None


def _pooled_positions(tokens: torch.Tensor, tower: _CausalTower) -> torch.Tensor:
    """Per prompt, the position open_clip's ``text_global_pool`` takes the embedding from."""
    if tower.pool == "first":
        return torch.zeros(len(tokens), dtype=torch.long)
    if tower.pool == "argmax":  # CLIP's end-of-text token has the highest id
        return tokens.argmax(dim=-1)
    return (tokens == tower.eos).int().argmax(dim=-1)


class _EncodeText(torch.nn.Module):
    """``model.encode_text(text, normalize=True)`` as a forward, for ``torch.func.functional_call``."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        return self.model.encode_text(text, normalize=True)


def _encode(model, tokens: torch.Tensor, tower: _CausalTower | None) -> torch.Tensor:
    """Normalised text embeddings of ``tokens``; on a causal tower, with its positional embedding and mask cut to
    the tokens' length (open_clip's ``encode_text`` adds and applies them at the full context length)."""
    if tower is None:
        return model.encode_text(tokens, normalize=True)
    length = tokens.shape[1]
    cut = {f"model.{tower.prefix}positional_embedding": tower.module.positional_embedding[:length],
           f"model.{tower.prefix}attn_mask": tower.module.attn_mask[:length, :length]}
    return torch.func.functional_call(_EncodeText(model), cut, (tokens,), strict=False)


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
        return _CLIP_LOGIT_SCALE * features @ self.classifier.to(features.dtype)

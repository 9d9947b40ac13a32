"""The audit's feature extractors, as data: an id -> a module on uint8 batches, its preprocessing, its weights hash.

=========================  ====================================================================================
id                         what
=========================  ====================================================================================
inception-v3               the FID standard: torch-fidelity's Inception-v3 (TF-ported weights, 2048-d pool3),
                           as torchmetrics' FID uses it, prepared for inference (``inception``); images
                           resized to 299x299 (PIL bicubic, clean-fid style)
clip:<arch>/<pretrained>   an open_clip image tower (its own resize/crop/normalisation); also encodes texts
sd-safety-checker          the Stable Diffusion safety checker run as a classifier: one 0/1 flag per image
random-cnn                 a tiny random-weight CNN built in code (offline tests and the demo; proves tooling only)
random-clip                a tiny random-weight open_clip model built in code (same caveat)
random-safety-checker      the tiny releases' random-weight safety checker (``release.tiny_parts``; same caveat)
=========================  ====================================================================================

``resolve_extractor`` names an extractor and identifies its weights without building (or importing) its network:
the feature cache is keyed on that identity, so an audit whose features are all cached never builds a network;
``LazyExtractor.get`` builds it on the first cache miss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from imagenet_g.audit import inception
from imagenet_g.audit.request import CLIP_PREFIX, EXTRACTORS
from imagenet_g.environment import package_versions
from imagenet_g.errors import ModelError, unknown
from imagenet_g.evaluate import OPEN_CLIP_PREFIX, ModelId, parse_model_id
from imagenet_g.files import sha256_file, state_dict_sha256
from imagenet_g.progress import quiet_safety_checker

_SAFETY_CHECKER_ID = "CompVis/stable-diffusion-safety-checker"
_OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)  # CLIPImageProcessor's defaults (the checker's input)
_OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
_RANDOM_SEED = 0
_RANDOM_VERSION = 1  # bump when a built-in random extractor changes: it is part of their weights identity
_SAFETY_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")  # what from_pretrained reads, in its order


@dataclass(frozen=True)
class TextEncoder:
    """The text tower of a CLIP extractor: texts -> embeddings, and a zero-shot head over class names."""

    encode: Callable[[Sequence[str]], np.ndarray]
    head: Callable[[Sequence[str], Sequence[Callable[[str], str]]], torch.Tensor]  # -> (D, C) unit columns


@dataclass(frozen=True)
class Extractor:
    """A loaded extractor: ``module`` maps a uint8 (B, 3, H, W) batch made by ``transform`` to (B, dim) floats."""

    id: str
    module: torch.nn.Module
    transform: Callable  # PIL RGB image -> uint8 CHW tensor
    preprocess: dict[str, object]  # recorded in the audit JSON and part of the feature cache key
    weights_sha256: str
    dim: int
    random_weights: bool
    text: TextEncoder | None = field(default=None, compare=False)


class LazyExtractor:
    """An extractor named and identified before its network exists; ``get()`` builds it once, when first needed.

    ``weights_id`` identifies the weights without loading them (a file's sha256; a pretrained tag with its
    library's version; for built-in random extractors their seed, code version and libraries): the feature cache
    key uses it, so cached features are found without building the network.
    """

    def __init__(self, extractor_id: str, weights_id: str, random_weights: bool, build: Callable[[], Extractor]):
        self.id, self.weights_id, self.random_weights = extractor_id, weights_id, random_weights
        self._build, self._built = build, None

    def get(self) -> Extractor:
        """The extractor, built on the first call."""
        if self._built is None:
            self._built = self._build()
        return self._built

    @property
    def built(self) -> bool:
        return self._built is not None


class _Normalised(torch.nn.Module):
    """uint8 batch -> float in [0, 1] -> (x - mean) / std -> ``encode``."""

    def __init__(self, encode: Callable, owner: torch.nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.owner, self.encode = owner, encode
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode((x.float() / 255.0 - self.mean) / self.std).float()


def _uint8_transform(size: int, crop: bool) -> Callable:
    from torchvision import transforms as T

    steps = [T.Resize(size, interpolation=T.InterpolationMode.BICUBIC)] if crop else [
        T.Resize((size, size), interpolation=T.InterpolationMode.BICUBIC)]
    return T.Compose([*steps, *([T.CenterCrop(size)] if crop else []), T.PILToTensor()])


# ---- Inception-v3 ----------------------------------------------------------------------------------------------


def _inception(path: Path, weights_sha256: str) -> Extractor:
    preprocess = {"kind": "resize", "size": [299, 299], "interpolation": "bicubic (PIL)", "dtype": "uint8",
                  "network": "torch-fidelity FeatureExtractorInceptionV3, feature 2048"}
    return Extractor("inception-v3", inception.load_fid_inception(path), _uint8_transform(299, crop=False),
                     preprocess, weights_sha256, 2048, False)


# ---- CLIP (open_clip) ---------------------------------------------------------------------------------------------


def _clip_from_model(extractor_id: str, model, tokenizer, random_weights: bool, weights_sha256: str) -> Extractor:
    import open_clip

    from torchvision import transforms as T

    cfg = open_clip.get_model_preprocess_cfg(model)
    size = cfg["size"][0] if isinstance(cfg["size"], (tuple, list)) else cfg["size"]
    model = model.eval()
    # open_clip's own eval transform, with its float tail (ToTensor, Normalize) moved onto the batch
    from open_clip.transform import PreprocessCfg, image_transform_v2

    pil_steps = image_transform_v2(PreprocessCfg(**cfg), is_train=False).transforms
    transform = T.Compose([s for s in pil_steps if not isinstance(s, (T.ToTensor, T.Normalize))] + [T.PILToTensor()])

    def encode(texts: Sequence[str]) -> np.ndarray:
        with torch.inference_mode():
            return model.encode_text(tokenizer(list(texts))).float().numpy()

    def head(names: Sequence[str], templates: Sequence[Callable[[str], str]]) -> torch.Tensor:
        from imagenet_g.evaluate import build_head

        return build_head(model, tokenizer, names, templates)

    preprocess = {"kind": "open_clip", "size": int(size), "interpolation": cfg.get("interpolation", "bicubic"),
                  "resize_mode": cfg.get("resize_mode", "shortest"), "mean": list(cfg["mean"]),
                  "std": list(cfg["std"])}
    module = _Normalised(model.encode_image, model, cfg["mean"], cfg["std"]).eval()
    dim = int(model.text_projection.shape[1]) if hasattr(model, "text_projection") else int(
        module(torch.zeros(1, 3, int(size), int(size), dtype=torch.uint8)).shape[1])
    return Extractor(extractor_id, module, transform, preprocess, weights_sha256, dim, random_weights,
                     TextEncoder(encode, head))


def _clip_model_id(extractor_id: str) -> ModelId:
    """``clip:<arch>/<pretrained>`` as eval's model id ``open_clip:<arch>/<pretrained>``, parsed."""
    return parse_model_id(OPEN_CLIP_PREFIX + extractor_id.removeprefix(CLIP_PREFIX))


def clip_arch(extractor_id: str) -> str:
    """The architecture a CLIP extractor id names: the name eval's zero-shot heads are keyed on."""
    return _clip_model_id(extractor_id).name if extractor_id.startswith(CLIP_PREFIX) else extractor_id


def _open_clip(extractor_id: str, cache_dir: Path | None) -> Extractor:
    from imagenet_g.evaluate import LoadOptions, load_model

    mid = _clip_model_id(extractor_id)
    import open_clip

    if mid.source != "open_clip" or mid.name not in open_clip.list_models():
        raise unknown("CLIP architecture", mid.name, open_clip.list_models(), "use clip:<arch>/<pretrained>")
    # same loading and errors as `eval --model open_clip:...`; its zero-shot head lands in the same cache
    loaded = load_model(mid.raw, LoadOptions(pretrained=True, cache_dir=cache_dir))
    model = loaded.module.model
    return _clip_from_model(extractor_id, model, open_clip.get_tokenizer(mid.name), False,
                            loaded.weights_sha256 or state_dict_sha256(model))


def _random_clip() -> Extractor:
    import open_clip
    from open_clip.model import CLIPTextCfg, CLIPVisionCfg

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_RANDOM_SEED)
        model = open_clip.CLIP(
            embed_dim=32,
            vision_cfg=CLIPVisionCfg(layers=1, width=32, head_width=16, patch_size=8, image_size=32),
            text_cfg=CLIPTextCfg(context_length=32, vocab_size=49408, width=32, heads=2, layers=1),
        )
    open_clip.set_model_preprocess_cfg(model, {"size": 32, "mode": "RGB", "mean": _OPENAI_CLIP_MEAN,
                                               "std": _OPENAI_CLIP_STD, "interpolation": "bicubic",
                                               "resize_mode": "shortest", "fill_color": 0})
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=32)  # its BPE vocab ships with open_clip
    return _clip_from_model("random-clip", model, tokenizer, True, state_dict_sha256(model))


# ---- tiny random CNN -------------------------------------------------------------------------------------------


def _random_cnn() -> Extractor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_RANDOM_SEED)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(3, 32, 3, stride=2), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 3, stride=2),
            torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
        )
    module = _Normalised(net, net, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)).eval()
    preprocess = {"kind": "resize", "size": [32, 32], "interpolation": "bicubic", "dtype": "uint8"}
    return Extractor("random-cnn", module, _uint8_transform(32, crop=False), preprocess, state_dict_sha256(net), 64,
                     True)


# ---- safety checker --------------------------------------------------------------------------------------------------


class _SafetyFlags(torch.nn.Module):
    """The safety checker as a classifier: uint8 batch -> (B, 1) flags. Images are never passed to it, so
    nothing is blacked out: it receives a placeholder array in their stead."""

    def __init__(self, checker) -> None:
        super().__init__()
        self.checker = checker
        self.register_buffer("mean", torch.tensor(_OPENAI_CLIP_MEAN).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(_OPENAI_CLIP_STD).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        clip_input = (x.float() / 255.0 - self.mean) / self.std
        placeholder = np.zeros((len(x), 1, 1, 3), dtype=np.float32)
        with quiet_safety_checker():
            _, flags = self.checker(clip_input=clip_input.to(self.checker.dtype), images=placeholder)
        return torch.tensor(flags, dtype=torch.float32, device=x.device).view(-1, 1)


def _safety(checker, extractor_id: str, random_weights: bool, weights_sha256: str) -> Extractor:
    size = int(checker.config.vision_config.image_size)
    preprocess = {"kind": "clip", "size": size, "interpolation": "bicubic", "mean": list(_OPENAI_CLIP_MEAN),
                  "std": list(_OPENAI_CLIP_STD)}
    return Extractor(extractor_id, _SafetyFlags(checker.eval()).eval(), _uint8_transform(size, crop=True), preprocess,
                     weights_sha256, 1, random_weights)


def _checker_folder(source: str | None) -> Path:
    """The safety checker's folder: a local one, or its Hub snapshot (fetched when online, else from the cache)."""
    where = source or _SAFETY_CHECKER_ID
    if Path(where).is_dir():
        folder = Path(where)
    else:
        from huggingface_hub import snapshot_download

        try:
            folder = Path(snapshot_download(where, allow_patterns=["*.json", *_SAFETY_WEIGHT_FILES]))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the safety checker from {where} ({type(exc).__name__})",
                             "connect to the Hub once to cache it, or set {safety_weights} to a local folder holding "
                             "its config.json and weights") from None
    if not any((folder / f).is_file() for f in _SAFETY_WEIGHT_FILES) or not (folder / "config.json").is_file():
        raise ModelError(f"{folder} holds no safety checker (config.json and {' or '.join(_SAFETY_WEIGHT_FILES)})",
                         "set {safety_weights} to a folder holding its config.json and weights")
    return folder


def _checker_weights_file(folder: Path) -> Path:
    return next(folder / f for f in _SAFETY_WEIGHT_FILES if (folder / f).is_file())


def _sd_safety_checker(folder: Path, weights_sha256: str) -> Extractor:
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker

    try:
        checker = StableDiffusionSafetyChecker.from_pretrained(folder)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the safety checker from {folder} ({type(exc).__name__})",
                         "set {safety_weights} to a folder holding its config.json and weights") from None
    return _safety(checker, "sd-safety-checker", False, weights_sha256)


def _random_safety_checker() -> Extractor:
    from imagenet_g.tiny_models import safety_checker

    checker = safety_checker()  # the tiny releases' own checker, so a tiny build's nsfw column can be reused
    return _safety(checker, "random-safety-checker", True, state_dict_sha256(checker))


# ---- registry ---------------------------------------------------------------------------------------------------------

def _random_id(extractor_id: str, libraries: tuple[str, ...]) -> str:
    versions = package_versions(("torch", *libraries))
    return f"{extractor_id} seed {_RANDOM_SEED} v{_RANDOM_VERSION}; " + ", ".join(f"{k} {v}" for k, v in versions.items())


def resolve_extractor(extractor_id: str, weights: Path | str | None = None,
                      cache_dir: Path | None = None) -> LazyExtractor:
    """Name an extractor and identify its weights; its network is built on ``get()``. ``weights``: the Inception-v3
    file or the safety checker's folder/Hub id; ``cache_dir``: where a CLIP model's zero-shot head is cached."""
    if extractor_id.startswith(CLIP_PREFIX):
        mid = _clip_model_id(extractor_id)
        version = package_versions(["open-clip-torch"])["open-clip-torch"]
        # open_clip pins each pretrained tag to one published file; its version is part of what decides it
        return LazyExtractor(extractor_id, f"open_clip {mid.name}/{mid.tag}; open-clip-torch {version}", False,
                             lambda: _open_clip(extractor_id, cache_dir))
    if extractor_id == "inception-v3":
        path = inception.weights_path(Path(weights) if weights else None)
        digest = sha256_file(path)
        return LazyExtractor(extractor_id, digest, False, lambda: _inception(path, digest))
    if extractor_id == "sd-safety-checker":
        folder = _checker_folder(str(weights) if weights else None)
        digest = sha256_file(_checker_weights_file(folder))
        return LazyExtractor(extractor_id, digest, False, lambda: _sd_safety_checker(folder, digest))
    random: dict[str, tuple[Callable[[], Extractor], tuple[str, ...]]] = {
        "random-cnn": (_random_cnn, ()),
        "random-clip": (_random_clip, ("open-clip-torch",)),
        "random-safety-checker": (_random_safety_checker, ("transformers", "diffusers")),
    }
    if extractor_id not in random:
        raise unknown("extractor", extractor_id, EXTRACTORS)
    build, libraries = random[extractor_id]
    return LazyExtractor(extractor_id, _random_id(extractor_id, libraries), True, build)


def checker_lock_sha256(checker: LazyExtractor) -> str:
    """The sha256 a release lock records for this safety checker's weights: its weights file's; for one built in
    code (the tiny releases' checker) its state dict's, as the lock of a tiny build records it."""
    return checker.get().weights_sha256 if checker.random_weights else checker.weights_id


def load_extractor(extractor_id: str, weights: Path | str | None = None) -> Extractor:
    """Build an extractor by id now (``resolve_extractor(...).get()``)."""
    return resolve_extractor(extractor_id, weights).get()

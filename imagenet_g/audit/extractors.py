"""The audit's feature extractors, as data: an id -> a module on uint8 batches, its preprocessing, its weights hash.

=========================  ====================================================================================
id                         what
=========================  ====================================================================================
inception-v3               the FID standard: torch-fidelity's Inception-v3 (TF-ported weights, 2048-d pool3),
                           as torchmetrics' FID uses it; images resized to 299x299 (PIL bicubic, clean-fid style)
clip:<arch>/<pretrained>   an open_clip image tower (its own resize/crop/normalisation); also encodes texts
sd-safety-checker          the Stable Diffusion safety checker run as a classifier: one 0/1 flag per image
random-cnn                 a tiny random-weight CNN built in code (offline tests and the demo; proves tooling only)
random-clip                a tiny random-weight open_clip model built in code (same caveat)
random-safety-checker      a tiny random-weight safety checker built in code (same caveat)
=========================  ====================================================================================
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from imagenet_g.errors import ModelError, unknown
from imagenet_g.evaluate.models import parse_model_id, zero_shot_classifier
from imagenet_g.files import state_dict_sha256
from imagenet_g.files import sha256_file

CLIP_PREFIX = "clip:"
# torch-fidelity's Inception-v3 weights (converted from the TF FID graph); the file torchmetrics' FID loads too
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
SAFETY_CHECKER_ID = "CompVis/stable-diffusion-safety-checker"
OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)  # CLIPImageProcessor's defaults (the checker's input)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
RANDOM_SEED = 0


@dataclass(frozen=True)
class TextEncoder:
    """The text tower of a CLIP extractor: texts -> embeddings, and a zero-shot head over class names."""

    encode: Callable[[Sequence[str]], np.ndarray]
    class_weights: Callable[[Sequence[str], Sequence[Callable[[str], str]]], np.ndarray]  # -> (D, C) unit columns


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


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


# ---- Inception-v3 ----------------------------------------------------------------------------------------------


def inception_weights_path(weights: Path | None) -> Path:
    """The Inception-v3 weights file to load: the given one, else torch hub's cache (downloaded when online)."""
    if weights is not None:
        if not Path(weights).is_file():
            raise ModelError(f"Inception-v3 weights file {weights} does not exist",
                             f"set {{inception_weights}} to the path of {INCEPTION_FILE}")
        return Path(weights)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE
    if cached.is_file():
        return cached
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

    if _offline():
        raise ModelError(f"no Inception-v3 FID weights offline (looked for {cached})",
                         f"download {URL_INCEPTION_V3} once and put it there, or set {{inception_weights}} to the file")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(URL_INCEPTION_V3, str(cached), progress=False)
    except OSError as exc:
        raise ModelError(f"cannot download the Inception-v3 FID weights ({exc})",
                         f"fetch {URL_INCEPTION_V3} to {cached}, or set {{inception_weights}} to the file") from None
    return cached


def _inception(weights: Path | None) -> Extractor:
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    path = inception_weights_path(weights)
    try:
        net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(path))
    except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise ModelError(f"{path} is not torch-fidelity's Inception-v3 state dict ({type(exc).__name__})",
                         f"set {{inception_weights}} to {INCEPTION_FILE}") from None

    class Pool3(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)[0]

    preprocess = {"kind": "resize", "size": [299, 299], "interpolation": "bicubic (PIL)", "dtype": "uint8",
                  "network": "torch-fidelity FeatureExtractorInceptionV3, feature 2048"}
    return Extractor("inception-v3", Pool3().eval(), _uint8_transform(299, crop=False), preprocess,
                     sha256_file(path), 2048, False)


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

    def class_weights(names: Sequence[str], templates: Sequence[Callable[[str], str]]) -> np.ndarray:
        return zero_shot_classifier(model, tokenizer, names, templates).classifier.float().numpy()

    preprocess = {"kind": "open_clip", "size": int(size), "interpolation": cfg.get("interpolation", "bicubic"),
                  "resize_mode": cfg.get("resize_mode", "shortest"), "mean": list(cfg["mean"]),
                  "std": list(cfg["std"])}
    module = _Normalised(model.encode_image, model, cfg["mean"], cfg["std"]).eval()
    dim = int(model.text_projection.shape[1]) if hasattr(model, "text_projection") else int(
        module(torch.zeros(1, 3, int(size), int(size), dtype=torch.uint8)).shape[1])
    return Extractor(extractor_id, module, transform, preprocess, weights_sha256, dim, random_weights,
                     TextEncoder(encode, class_weights))


def _open_clip(extractor_id: str) -> Extractor:
    from imagenet_g.evaluate.models import load_model

    mid = parse_model_id("open_clip:" + extractor_id.removeprefix(CLIP_PREFIX))
    import open_clip

    if mid.source != "open_clip" or mid.name not in open_clip.list_models():
        raise unknown("CLIP architecture", mid.name, open_clip.list_models(), "use clip:<arch>/<pretrained>")
    loaded = load_model(mid.raw, pretrained=True)  # same loading and errors as `eval --model open_clip:...`
    model = loaded.module.model
    return _clip_from_model(extractor_id, model, open_clip.get_tokenizer(mid.name), False,
                            loaded.weights_sha256 or state_dict_sha256(model))


def _random_clip() -> Extractor:
    import open_clip
    from open_clip.model import CLIPTextCfg, CLIPVisionCfg

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        model = open_clip.CLIP(
            embed_dim=32,
            vision_cfg=CLIPVisionCfg(layers=1, width=32, head_width=16, patch_size=8, image_size=32),
            text_cfg=CLIPTextCfg(context_length=32, vocab_size=49408, width=32, heads=2, layers=1),
        )
    open_clip.set_model_preprocess_cfg(model, {"size": 32, "mode": "RGB", "mean": OPENAI_CLIP_MEAN,
                                               "std": OPENAI_CLIP_STD, "interpolation": "bicubic",
                                               "resize_mode": "shortest", "fill_color": 0})
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=32)  # its BPE vocab ships with open_clip
    return _clip_from_model("random-clip", model, tokenizer, True, state_dict_sha256(model))


# ---- tiny random CNN -------------------------------------------------------------------------------------------


def _random_cnn() -> Extractor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
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
        self.register_buffer("mean", torch.tensor(OPENAI_CLIP_MEAN).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(OPENAI_CLIP_STD).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        clip_input = (x.float() / 255.0 - self.mean) / self.std
        placeholder = np.zeros((len(x), 1, 1, 3), dtype=np.float32)
        _, flags = self.checker(clip_input=clip_input.to(self.checker.dtype), images=placeholder)
        return torch.tensor(flags, dtype=torch.float32, device=x.device).view(-1, 1)


def _safety(checker, extractor_id: str, random_weights: bool) -> Extractor:
    size = int(checker.config.vision_config.image_size)
    preprocess = {"kind": "clip", "size": size, "interpolation": "bicubic", "mean": list(OPENAI_CLIP_MEAN),
                  "std": list(OPENAI_CLIP_STD)}
    return Extractor(extractor_id, _SafetyFlags(checker.eval()).eval(), _uint8_transform(size, crop=True), preprocess,
                     state_dict_sha256(checker), 1, random_weights)


def _sd_safety_checker(source: str | None) -> Extractor:
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker

    where = source or SAFETY_CHECKER_ID
    try:
        checker = StableDiffusionSafetyChecker.from_pretrained(where)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the safety checker from {where} ({type(exc).__name__})",
                         "connect to the Hub once to cache it, or set {safety_weights} to a local folder holding "
                         "its config.json and weights") from None
    return _safety(checker, "sd-safety-checker", False)


def _random_safety_checker() -> Extractor:
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig

    config = CLIPConfig(
        text_config={"hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1,
                       "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        checker = StableDiffusionSafetyChecker(config)
    return _safety(checker, "random-safety-checker", True)


# ---- registry ---------------------------------------------------------------------------------------------------------

EXTRACTORS: dict[str, str] = {
    "inception-v3": "Inception-v3 pool3 (2048-d), the FID standard (torch-fidelity weights)",
    "clip:<arch>/<pretrained>": "an open_clip image tower, e.g. clip:ViT-B-32/openai",
    "sd-safety-checker": "the Stable Diffusion safety checker, run as a classifier",
    "random-cnn": "tiny random-weight CNN (offline tests/demo: proves the tooling only)",
    "random-clip": "tiny random-weight open_clip model (offline tests/demo: proves the tooling only)",
    "random-safety-checker": "tiny random-weight safety checker (offline tests/demo: proves the tooling only)",
}


def load_extractor(extractor_id: str, weights: Path | str | None = None) -> Extractor:
    """Load an extractor by id; ``weights``: the Inception-v3 file or the safety checker's folder/Hub id."""
    if extractor_id.startswith(CLIP_PREFIX):
        return _open_clip(extractor_id)
    builders: dict[str, Callable[[], Extractor]] = {
        "inception-v3": lambda: _inception(Path(weights) if weights else None),
        "sd-safety-checker": lambda: _sd_safety_checker(str(weights) if weights else None),
        "random-cnn": _random_cnn,
        "random-clip": _random_clip,
        "random-safety-checker": _random_safety_checker,
    }
    if extractor_id not in builders:
        raise unknown("extractor", extractor_id, EXTRACTORS)
    return builders[extractor_id]()

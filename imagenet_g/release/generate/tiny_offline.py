"""The tiny offline generators: real diffusers pipelines with small random weights, built in code.

Nothing is downloaded and the weights are the same on every run (fixed-seed init; the smoke lock checks
their hashes), so the ``smoke`` release and the tests run the same pipeline code as the real models, offline.
Each tiny model is a set of component builders; the spec's pipeline class takes the components it needs,
so one tiny Stable Diffusion serves text-to-image, image-to-image and image variations alike.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imagenet_g import tiny_models as parts
from imagenet_g.errors import SpecError, unknown
from imagenet_g.files import state_dict_sha256
from imagenet_g.release.generate.conditioning import pipeline_class

_SD = {
    "unet": parts.sd_unet,
    "vae": parts.sd_vae,
    "text_encoder": parts.clip_text_encoder,
    "tokenizer": parts.clip_tokenizer,
    "scheduler": parts.pndm_scheduler,
    "safety_checker": parts.safety_checker,
    "feature_extractor": parts.clip_feature_extractor,
    "image_encoder": parts.clip_image_encoder,
}
_TINY_MODELS: dict[str, dict[str, Callable[[], Any]]] = {
    "tiny-random-sd": _SD,
    "tiny-random-sdxl": {
        "unet": parts.sdxl_unet,
        "vae": parts.sd_vae,
        "text_encoder": parts.clip_text_encoder,
        "tokenizer": parts.clip_tokenizer,
        "text_encoder_2": parts.clip_text_encoder_with_projection,
        "tokenizer_2": parts.clip_tokenizer,
        "scheduler": parts.euler_scheduler,
    },
    "tiny-random-sd3": {
        "transformer": parts.sd3_transformer,
        "vae": parts.flow_vae,
        "text_encoder": parts.clip_text_encoder_with_projection,
        "tokenizer": parts.clip_tokenizer,
        "text_encoder_2": parts.clip_text_encoder_with_projection,
        "tokenizer_2": parts.clip_tokenizer,
        "text_encoder_3": parts.t5_encoder,
        "tokenizer_3": parts.t5_tokenizer,
        "scheduler": parts.flow_match_scheduler,
    },
    "tiny-random-flux": {
        "transformer": parts.flux_transformer,
        "vae": parts.flow_vae,
        "text_encoder": parts.clip_text_encoder,
        "tokenizer": parts.clip_tokenizer,
        "text_encoder_2": parts.t5_encoder,
        "tokenizer_2": parts.t5_tokenizer,
        "scheduler": parts.flow_match_scheduler,
    },
    "tiny-random-dit": {"transformer": parts.dit_transformer, "vae": parts.sd_vae, "scheduler": parts.ddim_scheduler},
}
SAFETY_COMPONENTS = ("safety_checker", "feature_extractor")  # what running the safety checker adds
_OPTIONAL_EXTRAS = (*SAFETY_COMPONENTS, "image_encoder")


def check_tiny_model(name: str) -> None:
    """Raise when ``name`` is not a tiny model."""
    if name not in _TINY_MODELS:
        raise unknown("tiny model", name, _TINY_MODELS)


def _pipeline_components(name: str, pipeline_class: type, safety_checker: bool) -> tuple[str, ...]:
    """The components of tiny model ``name`` that ``pipeline_class`` loads: those it expects, except the optional
    extras (safety checker, its feature extractor, an IP-adapter image encoder) unless it requires them or the
    safety checker runs."""
    check_tiny_model(name)
    expected, _ = pipeline_class._get_signature_keys(pipeline_class)
    optional = set(getattr(pipeline_class, "_optional_components", ()))
    lacking = sorted(c for c in expected if c not in optional and c not in _TINY_MODELS[name])
    if lacking:
        raise SpecError(
            f"generator.model: tiny model {name} has no {', '.join(lacking)}, which {pipeline_class.__name__} needs",
            fix=f"choose a tiny model made for it: {', '.join(_TINY_MODELS)}",
        )
    extras = optional & set(_OPTIONAL_EXTRAS) - (set(SAFETY_COMPONENTS) if safety_checker else set())
    return tuple(c for c in sorted(expected) if c in _TINY_MODELS[name] and c not in extras)


def _tiny_components(name: str, components: tuple[str, ...]) -> dict[str, Any]:
    """The named components of tiny model ``name``, built in code."""
    return {component: _TINY_MODELS[name][component]() for component in components}


def tiny_pipeline(name: str, pipeline_class: type, safety_checker: bool = False) -> Any:
    """Tiny model ``name`` as an instance of ``pipeline_class`` (optional components it does not use are None)."""
    expected, _ = pipeline_class._get_signature_keys(pipeline_class)
    built = _tiny_components(name, _pipeline_components(name, pipeline_class, safety_checker))
    kwargs: dict[str, Any] = {c: built.get(c) for c in expected}
    if "requires_safety_checker" in inspect.signature(pipeline_class.__init__).parameters:
        kwargs["requires_safety_checker"] = False  # no warning: the checker runs as a classifier, or not at all
    return pipeline_class(**kwargs)


def save_tiny_pipeline(path: Path, name: str = "tiny-random-sd", pipeline: str = "StableDiffusionPipeline") -> Path:
    """Save a tiny pipeline as a diffusers folder (usable as ``source: local``, or as a Hub cache snapshot)."""
    tiny_pipeline(name, pipeline_class(pipeline)).save_pretrained(path, safe_serialization=True)
    return path


def _component_hash(component: Any) -> str:
    if hasattr(component, "state_dict"):
        return state_dict_sha256(component)
    digest = hashlib.sha256()
    if hasattr(component, "get_vocab"):
        digest.update(repr(sorted(component.get_vocab().items())).encode())
    else:  # an image processor: its configuration is all it is
        digest.update(component.to_json_string().encode())
    return digest.hexdigest()


def tiny_hashes(name: str, pipeline_class: type, safety_checker: bool = False) -> dict[str, str]:
    """The lock's file hashes of a tiny model as ``pipeline_class`` loads it: one per component but the scheduler
    (whose config the spec's scheduler replaces)."""
    wanted = tuple(c for c in _pipeline_components(name, pipeline_class, safety_checker) if c != "scheduler")
    return {c: _component_hash(v) for c, v in _tiny_components(name, wanted).items()}

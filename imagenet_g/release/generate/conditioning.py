"""What each image is generated from, as the arguments of one diffusers pipeline call.

The spec names a diffusers pipeline class and a conditioning kind (the paper's generation strategies):

- ``labels``: the class prompt (any text-to-image pipeline: SD1.5, SDXL, SD3, Flux, ...);
- ``images``: a real image only (``StableDiffusionImageVariationPipeline``);
- ``labels+images``: a real image and the class prompt (an image-to-image pipeline, with ``strength``);
- ``class``: the ImageNet class index (a class-conditional pipeline such as ``DiTPipeline``).

Whatever the class, every image gets its own seeded CPU ``torch.Generator``, so an image never depends on
the batch it was generated in.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from imagenet_g.errors import SpecError, unknown
from imagenet_g.release.spec import GeneratorSpec

if TYPE_CHECKING:
    from PIL import Image

# The call arguments a conditioning kind needs from the pipeline class.
_NEEDS: dict[str, tuple[str, ...]] = {
    "labels": ("prompt",),
    "images": ("image",),
    "labels+images": ("prompt", "image", "strength"),
    "class": ("class_labels",),
}
_EXAMPLES = {
    "labels": "StableDiffusionPipeline, StableDiffusionXLPipeline, StableDiffusion3Pipeline, FluxPipeline",
    "images": "StableDiffusionImageVariationPipeline",
    "labels+images": "StableDiffusionImg2ImgPipeline, StableDiffusionXLImg2ImgPipeline",
    "class": "DiTPipeline",
}


def pipeline_class(name: str) -> type:
    """The diffusers pipeline class called ``name``; unknown names raise with close matches."""
    import diffusers

    found = getattr(diffusers, name, None)
    if isinstance(found, type) and issubclass(found, diffusers.DiffusionPipeline):
        return found
    known = [n for n in dir(diffusers) if n.endswith("Pipeline") and not n.startswith("_")]
    raise unknown("diffusers pipeline class", name, known, fix="name a diffusers pipeline class",
                  key="generator.pipeline", error=SpecError)


def _call_parameters(cls: type) -> frozenset[str]:
    """The argument names of ``cls.__call__``."""
    return frozenset(inspect.signature(cls.__call__).parameters)


def check_conditioning(cls: type, kind: str) -> None:
    """Raise unless ``cls`` takes the inputs conditioning ``kind`` gives it."""
    missing = [name for name in _NEEDS[kind] if name not in _call_parameters(cls)]
    if missing:
        raise SpecError(
            f"generator.pipeline: {cls.__name__} takes no {', '.join(missing)}, which conditioning {kind} needs",
            fix=f"use a pipeline class such as {_EXAMPLES[kind]}",
        )


def _clip_tensor(images: Sequence[Image.Image], size: int, mean: Sequence[float], std: Sequence[float]) -> Any:
    """Images as the CLIP image encoder's input, the way the image-variations model card prescribes: to a tensor,
    bicubic resize to ``size`` without antialiasing (as in its training), CLIP normalisation."""
    import torch
    from torchvision.transforms import v2

    transform = v2.Compose([
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Resize((size, size), interpolation=v2.InterpolationMode.BICUBIC, antialias=False),
        v2.Normalize(list(mean), list(std)),
    ])
    return torch.stack([transform(image.convert("RGB")) for image in images])


def pipeline_inputs(
    pipeline: Any,
    spec: GeneratorSpec,
    kind: str,
    seeds: Sequence[int],
    prompts: Sequence[str | None],
    class_indices: Sequence[int],
    init_images: Sequence[Image.Image] | None,
) -> dict[str, Any]:
    """The keyword arguments of one pipeline call generating ``len(seeds)`` images."""
    import torch

    accepted = _call_parameters(type(pipeline))
    kwargs: dict[str, Any] = {
        "num_inference_steps": spec.steps,
        "guidance_scale": spec.guidance,
        "generator": [torch.Generator("cpu").manual_seed(seed) for seed in seeds],
        "output_type": "pil",
    }
    if kind in ("labels", "labels+images"):
        kwargs["prompt"] = list(prompts)
        if spec.negative_prompt:
            kwargs["negative_prompt"] = [spec.negative_prompt] * len(seeds)
    if kind == "class":
        kwargs["class_labels"] = list(class_indices)
    if kind == "labels+images":  # the output takes the init image's size: resize it to the spec's
        kwargs["image"] = [image.convert("RGB").resize((spec.width, spec.height), _bicubic()) for image in init_images]
        kwargs["strength"] = spec.strength
    elif kind == "images":
        processor = pipeline.feature_extractor
        size = pipeline.image_encoder.config.image_size
        kwargs["image"] = _clip_tensor(init_images, size, processor.image_mean, processor.image_std)
    if "width" in accepted and kind != "labels+images":
        kwargs["width"], kwargs["height"] = spec.width, spec.height
    return kwargs


def _bicubic() -> Any:
    from PIL import Image

    return Image.Resampling.BICUBIC

"""Load the diffusers pipeline a spec describes and sample one batch of images from it.

The real model and the tiny one go through the same code: a diffusers ``AutoPipelineFor*`` pipeline,
the spec's scheduler swapped in with ``from_config``, and one CPU ``torch.Generator`` per image.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagenet_g.errors import SpecError, close_matches
from imagenet_g.release.spec import GeneratorSpec
from imagenet_g.release.tiny import tiny_pipeline
from imagenet_g.release.weights import ResolvedModel

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class LoadedGenerator:
    """A ready pipeline plus what it was loaded with."""

    pipeline: Any
    spec: GeneratorSpec
    device: str
    dtype: str


def effective_dtype(spec: GeneratorSpec, device: str) -> str:
    """The spec's dtype applies on GPU; CPU runs float32 (half precision on CPU is slow and inexact)."""
    return "float32" if device == "cpu" else spec.dtype


def _pipeline_classes() -> dict[str, Any]:
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image

    return {"text-to-image": AutoPipelineForText2Image, "image-to-image": AutoPipelineForImage2Image}


def _swap_scheduler(pipeline: Any, spec: GeneratorSpec) -> None:
    import diffusers

    scheduler_class = getattr(diffusers, spec.scheduler.name, None)
    if not (isinstance(scheduler_class, type) and issubclass(scheduler_class, diffusers.SchedulerMixin)):
        known = [n for n in dir(diffusers) if n.endswith("Scheduler")]
        raise SpecError(
            f"generator.scheduler.name: unknown scheduler {spec.scheduler.name!r}"
            f"{close_matches(spec.scheduler.name, known)}; use a diffusers scheduler class name"
        )
    try:
        pipeline.scheduler = scheduler_class.from_config(pipeline.scheduler.config, **spec.scheduler.config)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"generator.scheduler.config: {exc}") from None


def load_generator(spec: GeneratorSpec, model: ResolvedModel, device: str) -> LoadedGenerator:
    """Load the pipeline the spec describes onto ``device`` (safety checker off unless the spec turns it on)."""
    import torch

    dtype = effective_dtype(spec, device)
    pipeline_class = _pipeline_classes()[spec.pipeline]
    if model.path is None:
        pipeline = pipeline_class.from_pipe(tiny_pipeline())
        if dtype != "float32":  # built in float32; cast only for half precision on GPU
            pipeline = pipeline.to(dtype=getattr(torch, dtype))
    else:
        extra: dict[str, Any] = dict.fromkeys(model.skipped)
        if model.skipped:
            extra["requires_safety_checker"] = False
        if model.variant:
            extra["variant"] = model.variant
        pipeline = pipeline_class.from_pretrained(model.path, dtype=getattr(torch, dtype), **extra)
    _swap_scheduler(pipeline, spec)
    pipeline = pipeline.to(device)
    pipeline.set_progress_bar_config(disable=True)
    return LoadedGenerator(pipeline=pipeline, spec=spec, device=device, dtype=dtype)


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run with ``count`` CPU threads, then restore. CPU kernels split their sums by thread, so the thread
    count is part of what decides the exact bytes of a CPU build (it is recorded in the manifest)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_init_image(path: Path, width: int, height: int) -> Image.Image:
    """An image-to-image input: RGB, resized to the output size with bicubic resampling."""
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB").resize((width, height), Image.Resampling.BICUBIC)


def generate_batch(
    generator: LoadedGenerator, prompts: list[str], seeds: list[int], init_images: list[Path] | None = None
) -> list[Image.Image]:
    """Generate one image per prompt, each from its own seeded CPU ``torch.Generator``."""
    import torch

    spec = generator.spec
    kwargs: dict[str, Any] = {
        "prompt": prompts,
        "num_inference_steps": spec.steps,
        "guidance_scale": spec.guidance,
        "generator": [torch.Generator("cpu").manual_seed(seed) for seed in seeds],
        "output_type": "pil",
    }
    if spec.negative_prompt:
        kwargs["negative_prompt"] = [spec.negative_prompt] * len(prompts)
    if spec.pipeline == "image-to-image":
        if init_images is None or len(init_images) != len(prompts):
            raise ValueError("image-to-image needs one init image per prompt")
        kwargs["image"] = [load_init_image(p, spec.width, spec.height) for p in init_images]
        kwargs["strength"] = spec.strength
    else:
        kwargs["width"], kwargs["height"] = spec.width, spec.height
    return list(generator.pipeline(**kwargs).images)

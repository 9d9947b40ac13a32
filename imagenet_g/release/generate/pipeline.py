"""Load the diffusers pipeline a spec describes and sample one batch of images from it.

The real model and the tiny one go through the same code: the spec's diffusers pipeline class, the spec's
scheduler swapped in with ``from_config``, and one CPU ``torch.Generator`` per image. When the spec turns the
safety checker on, it is taken out of the pipeline and run beside it as a classifier: each image is kept and
its flag recorded (the pipeline itself would blacken flagged images).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imagenet_g.errors import SpecError, one_line, unknown
from imagenet_g.progress import quiet_safety_checker
from imagenet_g.release.generate.conditioning import check_conditioning, pipeline_class, pipeline_inputs
from imagenet_g.release.generate.tiny_offline import tiny_pipeline
from imagenet_g.release.generate.weights import ResolvedModel
from imagenet_g.release.spec import GeneratorSpec

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class LoadedGenerator:
    """A ready pipeline plus what it was loaded with."""

    pipeline: Any
    spec: GeneratorSpec
    device: str
    dtype: str
    conditioning: str = "labels"
    safety: SafetyClassifier | None = None


@dataclass(frozen=True)
class SafetyClassifier:
    """The model's own safety checker, run as a classifier beside the pipeline (the image is never replaced)."""

    checker: Any
    feature_extractor: Any

    def flags(self, images: list[Image.Image]) -> list[bool]:
        """True for each image the checker flags (any NSFW concept above its threshold)."""
        import numpy as np

        checker = self.checker
        pixels = self.feature_extractor(images, return_tensors="pt").pixel_values
        pixels = pixels.to(device=checker.device, dtype=checker.dtype)
        # The checker zeroes flagged entries of `images` in place: hand it a throwaway array, keep the flags.
        with quiet_safety_checker():
            _, flagged = checker(images=np.zeros((len(images), 1, 1, 3)), clip_input=pixels)
        return [bool(flag) for flag in flagged]


def effective_dtype(spec: GeneratorSpec, device: str) -> str:
    """The spec's dtype applies on GPU; CPU runs float32 (half precision on CPU is slow and inexact)."""
    return "float32" if device == "cpu" else spec.dtype


def _scheduler_class(spec: GeneratorSpec) -> type:
    """The diffusers scheduler class the spec names."""
    import diffusers

    found = getattr(diffusers, spec.scheduler.name, None)
    if not (isinstance(found, type) and issubclass(found, diffusers.SchedulerMixin)):
        known = [n for n in dir(diffusers) if n.endswith("Scheduler")]
        raise unknown("scheduler", spec.scheduler.name, known, fix="use a diffusers scheduler class name",
                      key="generator.scheduler.name", error=SpecError)
    return found


def _kind_matches(value: object, default: object) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def check_scheduler(spec: GeneratorSpec) -> None:
    """Refuse scheduler settings the scheduler class would not take, before anything is loaded or written.

    Each key of ``generator.scheduler.config`` must be a parameter of the class's constructor, of the type of
    its default; then the class is built with them (over its own defaults; the model's scheduler config is not
    loaded yet), so that values it rejects (a negative ``num_train_timesteps``) are reported in one line, not as
    a traceback from inside diffusers.
    """
    import inspect

    cls = _scheduler_class(spec)
    parameters = {
        name: p for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    where = "generator.scheduler.config"
    for key, value in spec.scheduler.config.items():
        if key not in parameters:
            raise unknown(f"{cls.__name__} setting", key, parameters, key=f"{where}.{key}", error=SpecError)
        default = parameters[key].default
        if default is not inspect.Parameter.empty and default is not None and not _kind_matches(value, default):
            raise SpecError(
                f"{where}.{key}: {cls.__name__} takes a {type(default).__name__} here (default {default!r}), "
                f"got {value!r}"
            )
    try:
        cls(**spec.scheduler.config)
    except Exception as exc:  # noqa: BLE001 -- schedulers fail with whatever their arithmetic raises
        raise SpecError(f"{where}: {cls.__name__} rejects {dict(spec.scheduler.config)} ({one_line(exc)})") from None


def _swap_scheduler(pipeline: Any, spec: GeneratorSpec) -> None:
    cls = _scheduler_class(spec)
    try:
        pipeline.scheduler = cls.from_config(pipeline.scheduler.config, **spec.scheduler.config)
    except Exception as exc:  # noqa: BLE001 -- as in check_scheduler: one line, whatever the scheduler raised
        raise SpecError(f"generator.scheduler.config: {one_line(exc)}") from None


def _take_safety_checker(pipeline: Any, spec: GeneratorSpec) -> SafetyClassifier | None:
    checker = getattr(pipeline, "safety_checker", None)
    features = getattr(pipeline, "feature_extractor", None)
    if not spec.safety_checker:
        return None
    if checker is None or features is None:
        raise SpecError(
            f"generator.safety_checker: {spec.model} ({spec.pipeline}) ships no safety checker",
            fix="set safety_checker to false",
        )
    pipeline.safety_checker = None  # the pipeline would blacken flagged images; we record the flag instead
    return SafetyClassifier(checker, features)


def load_generator(spec: GeneratorSpec, model: ResolvedModel, device: str, conditioning: str = "labels") -> LoadedGenerator:
    """Load the pipeline the spec describes onto ``device`` (safety checker off unless the spec turns it on)."""
    import torch

    dtype = effective_dtype(spec, device)
    cls = pipeline_class(spec.pipeline)
    check_conditioning(cls, conditioning)
    if model.path is None:
        pipeline = tiny_pipeline(model.model, cls, spec.safety_checker)
        if dtype != "float32":  # built in float32; cast only for half precision on GPU
            pipeline = pipeline.to(dtype=getattr(torch, dtype))
    else:
        extra: dict[str, Any] = dict.fromkeys(model.skipped)
        if model.skipped:
            extra["requires_safety_checker"] = False
        if model.variant:
            extra["variant"] = model.variant
        pipeline = cls.from_pretrained(model.path, dtype=getattr(torch, dtype), **extra)
    _swap_scheduler(pipeline, spec)
    safety = _take_safety_checker(pipeline, spec)
    pipeline = pipeline.to(device)
    pipeline.set_progress_bar_config(disable=True)
    return LoadedGenerator(pipeline, spec, device, dtype, conditioning, safety)


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


def generate_batch(
    generator: LoadedGenerator,
    prompts: list[str | None],
    seeds: list[int],
    init_images: list[Image.Image] | None = None,
    class_indices: list[int] | None = None,
) -> list[Image.Image]:
    """Generate one image per seed, each from its own seeded CPU ``torch.Generator``.

    ``prompts`` (labels), ``init_images`` (images) and ``class_indices`` (class) give each image's conditioning,
    as the generator's conditioning kind uses them.
    """
    spec = generator.spec
    if generator.conditioning in ("images", "labels+images") and (init_images is None or len(init_images) != len(seeds)):
        raise ValueError(f"conditioning {generator.conditioning} needs one init image per seed")
    kwargs = pipeline_inputs(
        generator.pipeline, spec, generator.conditioning, seeds, prompts, class_indices or [], init_images
    )
    images = list(generator.pipeline(**kwargs).images)
    sizes = {image.size for image in images}
    if sizes != {(spec.width, spec.height)}:
        raise SpecError(
            f"generator.width/height: {spec.pipeline} made {' and '.join(f'{w}x{h}' for w, h in sorted(sizes))} images, "
            f"not {spec.width}x{spec.height}",
            fix="set width and height to the size the model generates",
        )
    return images


def safety_flags(generator: LoadedGenerator, images: list[Image.Image]) -> list[bool] | None:
    """The safety checker's flag for each image, or None when the spec does not run it."""
    return generator.safety.flags(images) if generator.safety is not None else None

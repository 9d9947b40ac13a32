"""Diffusers pipeline loading as the spec says, the tiny offline generator, and one batch of images.

The real model and the tiny one go through the same code: a diffusers ``AutoPipelineFor*`` pipeline,
the spec's scheduler swapped in with ``from_config``, and one CPU ``torch.Generator`` per image.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagenet_g.environment import package_versions
from imagenet_g.errors import ImagenetGError, SpecError, close_matches
from imagenet_g.files import sha256_file
from imagenet_g.spec import GeneratorSpec, Lock

if TYPE_CHECKING:
    from PIL import Image

TINY_MODEL = "tiny-random-sd"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".msgpack", ".onnx")
SAFETY_COMPONENTS = ("safety_checker",)  # not loaded when the spec turns the safety checker off
_TINY_SEED = 0  # fixed init: the tiny generator's weights are the same on every run (the smoke lock checks it)
LOCKED_LIBRARIES = ("torch", "diffusers", "transformers")


@dataclass(frozen=True)
class ResolvedModel:
    """Where a generator's weights come from: a local folder (hub snapshot or saved pipeline) or code."""

    source: str
    model: str
    revision: str | None
    commit: str | None
    path: Path | None
    variant: str | None = None
    skipped: tuple[str, ...] = ()  # components not loaded (the safety checker when it is off)


@dataclass(frozen=True)
class LoadedGenerator:
    """A ready pipeline plus what it was loaded with."""

    pipeline: Any
    spec: GeneratorSpec
    device: str
    dtype: str


def _tiny_tokenizer() -> Any:
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    # Byte-level vocab with no merges: every character is a token, with and without CLIP's '</w>' suffix.
    chars = sorted(ByteLevel.alphabet())
    tokens = chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(vocab={t: i for i, t in enumerate(tokens)}, merges=[], model_max_length=77)


def tiny_components() -> dict[str, Any]:
    """Components of a tiny random-weight Stable Diffusion pipeline (fixed-seed init, nothing downloaded).

    Shapes follow diffusers' own pipeline tests (two-block UNet and VAE, 32-wide CLIP text encoder).
    """
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = _tiny_tokenizer()
    torch.manual_seed(_TINY_SEED)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=4,
        attention_head_dim=4,
    )
    torch.manual_seed(_TINY_SEED)
    vae = AutoencoderKL(
        block_out_channels=(8, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=64,
    )
    torch.manual_seed(_TINY_SEED)
    eos = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=tokenizer.convert_tokens_to_ids("<|startoftext|>"),
            eos_token_id=eos,
            pad_token_id=eos,
            hidden_size=32,
            intermediate_size=64,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer),
            max_position_embeddings=77,
            projection_dim=32,
        )
    )
    # Stable Diffusion v1.5's own scheduler config (scheduler/scheduler_config.json on the Hub).
    scheduler = PNDMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        set_alpha_to_one=False,
        skip_prk_steps=True,
        steps_offset=1,
    )
    return {
        "unet": unet.eval(),
        "vae": vae.eval(),
        "text_encoder": text_encoder.eval(),
        "tokenizer": tokenizer,
        "scheduler": scheduler,
        "safety_checker": None,
        "feature_extractor": None,
        "image_encoder": None,
    }


def tiny_pipeline() -> Any:
    """The tiny text-to-image pipeline: a real ``StableDiffusionPipeline`` with random weights."""
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(**tiny_components(), requires_safety_checker=False)


def save_tiny_pipeline(path: Path) -> Path:
    """Save the tiny pipeline as a diffusers folder (usable as ``source: local``)."""
    tiny_pipeline().save_pretrained(path, safe_serialization=True)
    return path


def _weight_variant(name: str) -> str | None:
    """'diffusion_pytorch_model.fp16.safetensors' -> 'fp16'; 'model.safetensors' -> None."""
    parts = name.split(".")
    return parts[-2] if len(parts) >= 3 else None


def loaded_files(folder: Path, variant: str | None, skipped: tuple[str, ...] = ()) -> list[Path]:
    """The files ``from_pretrained`` reads from a pipeline folder, so that the lock does not depend on what
    else a cache holds: model_index.json, and in each loaded component's folder its configs plus the weights
    of the requested variant (non-variant weights where a component has none), safetensors when present."""
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    components = sorted(
        name for name, value in index.items()
        if not name.startswith("_") and isinstance(value, list) and value[0] is not None and name not in skipped
    )
    files = [folder / "model_index.json"]
    for component in components:
        entries = sorted(p for p in (folder / component).rglob("*") if p.is_file())
        weights = [p for p in entries if p.suffix in WEIGHT_SUFFIXES]
        chosen = [p for p in weights if _weight_variant(p.name) == variant] or [
            p for p in weights if _weight_variant(p.name) is None
        ]
        if any(p.suffix == ".safetensors" for p in chosen):
            chosen = [p for p in chosen if p.suffix == ".safetensors"]
        files += [p for p in entries if p.suffix not in WEIGHT_SUFFIXES] + chosen
    return files


def _tiny_hashes() -> dict[str, str]:
    components = tiny_components()
    hashes = {}
    for name in ("unet", "vae", "text_encoder"):
        digest = hashlib.sha256()
        for key, tensor in sorted(components[name].state_dict().items()):
            digest.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        hashes[name] = digest.hexdigest()
    vocab = components["tokenizer"].get_vocab()
    hashes["tokenizer"] = hashlib.sha256(repr(sorted(vocab.items())).encode()).hexdigest()
    return hashes


def resolve_model(spec: GeneratorSpec, spec_dir: Path) -> ResolvedModel:
    """Find the weights the spec names: download (or find in the cache) a Hub snapshot, or a local folder."""
    if spec.source == "tiny":
        if spec.model != TINY_MODEL:
            raise SpecError(f"generator.model: source tiny provides only {TINY_MODEL!r} (got {spec.model!r})")
        return ResolvedModel(spec.source, spec.model, None, None, None)
    skipped = () if spec.safety_checker else SAFETY_COMPONENTS
    if spec.source == "local":
        path = (spec_dir / spec.model).resolve()
        if not (path / "model_index.json").is_file():
            raise SpecError(f"generator.model: no diffusers pipeline folder at {path} (model_index.json missing)")
        return ResolvedModel(spec.source, spec.model, None, None, path, skipped=skipped)
    from diffusers import DiffusionPipeline

    try:
        path = Path(
            DiffusionPipeline.download(
                spec.model, revision=spec.revision, variant=spec.variant, **dict.fromkeys(skipped)
            )
        )
    except (OSError, ValueError) as exc:
        raise ImagenetGError(
            f"cannot fetch {spec.model}@{spec.revision or 'main'} from the Hub ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); check the id and revision, the network, "
            "HF_HUB_OFFLINE and `hf auth login`"
        ) from None
    # Hub cache layout: .../snapshots/<commit>/ -- the folder name is the resolved commit.
    commit = path.name if path.parent.name == "snapshots" else None
    return ResolvedModel(spec.source, spec.model, spec.revision, commit, path, spec.variant, skipped)


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose numerics the lock pins."""
    return package_versions(LOCKED_LIBRARIES)


def model_lock(model: ResolvedModel) -> Lock:
    """The lock describing what loading ``model`` uses now."""
    if model.path is None:
        files = _tiny_hashes()
    else:
        files = {
            p.relative_to(model.path).as_posix(): sha256_file(p)
            for p in loaded_files(model.path, model.variant, model.skipped)
        }
    return Lock(
        source=model.source,
        model=model.model,
        revision=model.revision,
        commit=model.commit,
        files=files,
        libraries=library_versions(),
    )


def pick_device(requested: str | None = None) -> str:
    """``requested`` if usable, else cuda when available, else cpu."""
    import torch

    if requested in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise ImagenetGError(f"unknown device {requested!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ImagenetGError(f"device {requested!r} is not available here (no CUDA); use --device cpu")
    return str(device)


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

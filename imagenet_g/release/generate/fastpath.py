"""Optional speed settings for a loaded generator: recorded in the manifest, never touching the spec's sampling.

None of them changes what is sampled (scheduler, steps, guidance, size, prompts, seeds). Some change how the
arithmetic is carried out, and with it the last bits of the pixels; ``Option.bit_identical`` says which.
What was measured (tiny generator, CPU, torch 2.14.1, diffusers 0.42.1; images compared as float arrays):

- ``sdpa``: diffusers already picks ``AttnProcessor2_0`` (torch's scaled_dot_product_attention) on torch >= 2,
  so setting it explicitly gave identical images; against the classic ``AttnProcessor`` they differ by <= 1e-6.
- ``vae_slicing``: decoding one image at a time differed by <= 5e-7 from decoding the batch at once.
- ``channels_last``: other convolution kernels; differed by <= 1e-6.
- ``fp16``: half precision instead of the spec's float32/bfloat16 on GPU (no-op when the spec pins float16, as v1
  does); changes pixels visibly more than the rest. CUDA only: CPU half precision is slow and inexact.
- ``compile_unet``: ``torch.compile`` fuses kernels (inductor); expect pixels to differ slightly.

Float differences that small can still flip a rounded 8-bit pixel, so a release built with any setting marked
not bit-identical is reproducible only with the same settings, which is why the manifest records them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from imagenet_g.errors import ImagenetGError, unknown
from imagenet_g.release.generate.pipeline import LoadedGenerator


def _fp16(generator: LoadedGenerator) -> LoadedGenerator:
    import torch

    check_fast_path(["fp16"], generator.device)
    return dataclasses.replace(generator, pipeline=generator.pipeline.to(dtype=torch.float16), dtype="float16")


def _sdpa(generator: LoadedGenerator) -> LoadedGenerator:
    from diffusers.models.attention_processor import AttnProcessor2_0

    generator.pipeline.unet.set_attn_processor(AttnProcessor2_0())
    generator.pipeline.vae.set_attn_processor(AttnProcessor2_0())
    return generator


def _channels_last(generator: LoadedGenerator) -> LoadedGenerator:
    import torch

    generator.pipeline.unet.to(memory_format=torch.channels_last)
    generator.pipeline.vae.to(memory_format=torch.channels_last)
    return generator


def _compile_unet(generator: LoadedGenerator) -> LoadedGenerator:
    import torch

    # fullgraph as in diffusers' "Accelerate inference" guide: a graph break would silently fall back to eager.
    # Default mode, not "reduce-overhead": CUDA graphs would be re-recorded for each shard's shorter last batch.
    generator.pipeline.unet = torch.compile(generator.pipeline.unet, fullgraph=True)
    return generator


def _vae_slicing(generator: LoadedGenerator) -> LoadedGenerator:
    # The pipeline-level enable_vae_slicing() is gone from diffusers 0.42; the VAE's own switch remains.
    generator.pipeline.vae.enable_slicing()
    return generator


@dataclass(frozen=True)
class Option:
    """One fast-path setting: what it does, whether images stay bit-identical, how it is applied."""

    name: str
    summary: str
    bit_identical: bool
    apply: Callable[[LoadedGenerator], LoadedGenerator]


OPTIONS: dict[str, Option] = {
    option.name: option
    for option in (
        Option("fp16", "half precision on CUDA (no-op when the spec pins float16)", False, _fp16),
        Option("sdpa", "torch scaled_dot_product_attention (diffusers' default on torch >= 2)", True, _sdpa),
        Option("channels_last", "channels_last memory format for UNet and VAE", False, _channels_last),
        Option("compile_unet", "torch.compile the UNet (inductor, fullgraph)", False, _compile_unet),
        Option("vae_slicing", "decode latents one image at a time (less memory)", False, _vae_slicing),
    )
}


def parse_fast_path(names: Iterable[str]) -> tuple[str, ...]:
    """Validate fast-path names (comma lists allowed); returned deduplicated in ``OPTIONS`` order."""
    requested = {part.strip() for name in names for part in name.split(",") if part.strip()}
    for name in sorted(requested):
        if name not in OPTIONS:
            raise unknown("fast-path setting", name, OPTIONS)
    return tuple(name for name in OPTIONS if name in requested)


def check_fast_path(names: Iterable[str], device: str | None) -> tuple[str, ...]:
    """Validate the settings for ``device`` before anything is loaded or written (fp16 needs CUDA; ``None`` or
    ``auto``: not yet known)."""
    chosen = parse_fast_path(names)
    if "fp16" in chosen and device not in (None, "auto") and not device.startswith("cuda"):
        raise ImagenetGError(f"fast path fp16 needs a CUDA device (building on {device}); drop fp16")
    return chosen


def apply_fast_path(generator: LoadedGenerator, names: Iterable[str]) -> LoadedGenerator:
    """Apply the named settings to a loaded generator, in ``OPTIONS`` order."""
    for name in parse_fast_path(names):
        generator = OPTIONS[name].apply(generator)
    return generator


"""The tiny offline generator: a real diffusers Stable Diffusion pipeline with small random weights.

Built in code with a fixed seed (nothing downloaded), so the ``smoke`` release and the tests run the same
pipeline code path as the real model, offline, and its weights are the same on every run (the smoke lock
checks their hashes).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

TINY_MODEL = "tiny-random-sd"
_TINY_SEED = 0  # fixed init: the tiny generator's weights are the same on every run (the smoke lock checks it)


def tiny_tokenizer() -> Any:
    """A CLIP tokenizer over a byte-level vocabulary with no merges (built in code, nothing downloaded)."""
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

    tokenizer = tiny_tokenizer()
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


def tiny_hashes() -> dict[str, str]:
    """The lock's file hashes of the tiny generator: one per component."""
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

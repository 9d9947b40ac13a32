"""Builders of tiny random-weight diffusers components (nothing downloaded), one per component kind.

Shapes follow diffusers' own fast pipeline tests (``tests/pipelines/*/test_*.py``, ``get_dummy_components``),
shrunk to a few thousand parameters so that a 32-64 px image takes milliseconds on a CPU. Every builder that
draws random weights seeds torch first, so each component is the same on every run and in every process.
"""

from __future__ import annotations

from typing import Any

SEED = 0  # fixed init: the tiny models' weights are the same on every run (the smoke lock checks them)
_HIDDEN = 32  # width of every tiny text/image encoder (and the UNets' cross-attention)


def _seeded() -> None:
    import torch

    torch.manual_seed(SEED)


def clip_tokenizer() -> Any:
    """A CLIP tokenizer over a byte-level vocabulary with no merges: every character is a token."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    chars = sorted(ByteLevel.alphabet())
    tokens = chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(vocab={t: i for i, t in enumerate(tokens)}, merges=[], model_max_length=77)


def t5_tokenizer() -> Any:
    """A T5 tokenizer (unigram, one piece per character) built in code, for the SD3/Flux T5 slot."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import T5TokenizerFast

    characters = [*sorted(ByteLevel.alphabet()), "\u2581"]  # sorted: the alphabet comes in no fixed order
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(c, -1.0) for c in characters]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=2))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return T5TokenizerFast(
        tokenizer_object=tokenizer, eos_token="</s>", pad_token="<pad>", unk_token="<unk>", extra_ids=0
    )


def _clip_text_config(intermediate: int = 64) -> Any:
    from transformers import CLIPTextConfig

    tokenizer = clip_tokenizer()
    eos = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    return CLIPTextConfig(
        bos_token_id=tokenizer.convert_tokens_to_ids("<|startoftext|>"),
        eos_token_id=eos,
        pad_token_id=eos,
        hidden_size=_HIDDEN,
        intermediate_size=intermediate,
        num_attention_heads=4,
        num_hidden_layers=2,
        vocab_size=len(tokenizer),
        max_position_embeddings=77,
        projection_dim=_HIDDEN,
    )


def clip_text_encoder() -> Any:
    """A 2-layer CLIP text encoder (the SD1.5 ``text_encoder`` slot)."""
    from transformers import CLIPTextModel

    config = _clip_text_config()
    _seeded()
    return CLIPTextModel(config).eval()


def clip_text_encoder_with_projection() -> Any:
    """A 2-layer CLIP text encoder with projection (SDXL's second, SD3's first two encoders)."""
    from transformers import CLIPTextModelWithProjection

    config = _clip_text_config()
    _seeded()
    return CLIPTextModelWithProjection(config).eval()


def t5_encoder() -> Any:
    """A 2-layer T5 encoder over ``t5_tokenizer``'s vocabulary (SD3's and Flux's T5 slot)."""
    from transformers import T5Config, T5EncoderModel

    config = T5Config(
        vocab_size=len(t5_tokenizer()), d_model=_HIDDEN, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, decoder_start_token_id=0,
    )
    _seeded()
    return T5EncoderModel(config).eval()


def _vision_config() -> Any:
    from transformers import CLIPVisionConfig

    return CLIPVisionConfig(
        hidden_size=_HIDDEN, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, image_size=32,
        patch_size=4, projection_dim=_HIDDEN,
    )


def clip_image_encoder() -> Any:
    """A CLIP vision encoder with projection (the image-variations ``image_encoder`` slot)."""
    from transformers import CLIPVisionModelWithProjection

    config = _vision_config()
    _seeded()
    return CLIPVisionModelWithProjection(config).eval()


def clip_feature_extractor() -> Any:
    """CLIP's image preprocessing at the tiny encoders' 32 px input."""
    from transformers import CLIPImageProcessor

    return CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})


def safety_checker() -> Any:
    """A ``StableDiffusionSafetyChecker`` over a tiny CLIP vision tower.

    Its concept embeddings keep their initial value (all ones) and its thresholds are set so that about half of
    the tiny pipelines' noise images are flagged (their cosine similarity to it spreads over about 0 to 0.06), so
    tests see both outcomes; the real checker's embeddings and thresholds come with its weights.
    """
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig

    config = CLIPConfig(
        text_config={"hidden_size": _HIDDEN, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 2},
        vision_config=_vision_config().to_dict(),
        projection_dim=_HIDDEN,
    )
    _seeded()
    checker = StableDiffusionSafetyChecker(config).eval()
    with torch.no_grad():
        checker.concept_embeds_weights.fill_(0.03)
        checker.special_care_embeds_weights.fill_(1.0)  # never: cosine similarity is at most 1
    return checker


# The two-block UNet shape every tiny UNet shares (diffusers' SD tests, narrowed to 8/16 channels).
_UNET = {
    "block_out_channels": (8, 16),
    "layers_per_block": 1,
    "sample_size": 32,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
    "norm_num_groups": 4,
}


def sd_unet() -> Any:
    """A two-block SD1.5-shaped UNet (also the image-variations UNet: CLIP image embeddings are 32 wide too)."""
    from diffusers import UNet2DConditionModel

    _seeded()
    return UNet2DConditionModel(**_UNET, cross_attention_dim=_HIDDEN, attention_head_dim=4).eval()


def sdxl_unet() -> Any:
    """A two-block SDXL-shaped UNet (text_time added conditioning over two text encoders)."""
    from diffusers import UNet2DConditionModel

    _seeded()
    return UNet2DConditionModel(
        **_UNET,
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=6 * 8 + _HIDDEN,  # 6 time ids x 8 + the pooled text embedding
        cross_attention_dim=2 * _HIDDEN,  # both text encoders' hidden states, concatenated
    ).eval()


def sd_vae(shift_factor: float | None = None) -> Any:
    """A two-block KL autoencoder with 4 latent channels (downsamples by 2)."""
    from diffusers import AutoencoderKL

    flow = shift_factor is not None  # SD3/Flux VAEs: no quant convs, a shift factor
    _seeded()
    return AutoencoderKL(
        block_out_channels=(8, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=64,
        use_quant_conv=not flow,
        use_post_quant_conv=not flow,
        **({"shift_factor": shift_factor, "scaling_factor": 1.5035} if flow else {}),
    ).eval()


def flow_vae() -> Any:
    """The SD3/Flux-style VAE (values from diffusers' Flux test)."""
    return sd_vae(shift_factor=0.0609)


def sd3_transformer() -> Any:
    """A one-layer MMDiT (SD3)."""
    from diffusers import SD3Transformer2DModel

    _seeded()
    return SD3Transformer2DModel(
        sample_size=32, patch_size=1, in_channels=4, num_layers=1, attention_head_dim=8, num_attention_heads=4,
        caption_projection_dim=_HIDDEN, joint_attention_dim=_HIDDEN, pooled_projection_dim=2 * _HIDDEN, out_channels=4,
    ).eval()


def flux_transformer() -> Any:
    """A one-double-block, one-single-block Flux transformer (latents packed 2x2: 16 channels in)."""
    from diffusers import FluxTransformer2DModel

    _seeded()
    return FluxTransformer2DModel(
        patch_size=1, in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=_HIDDEN, pooled_projection_dim=_HIDDEN, axes_dims_rope=[4, 4, 8],
    ).eval()


def dit_transformer() -> Any:
    """A two-layer class-conditional DiT over the 1000 ImageNet classes (16x16 latents: 32 px images)."""
    from diffusers import DiTTransformer2DModel

    _seeded()
    return DiTTransformer2DModel(
        sample_size=16, num_layers=2, patch_size=4, attention_head_dim=8, num_attention_heads=2, in_channels=4,
        out_channels=8, activation_fn="gelu-approximate", num_embeds_ada_norm=1000, norm_type="ada_norm_zero",
        norm_elementwise_affine=False,
    ).eval()


def pndm_scheduler() -> Any:
    """Stable Diffusion v1.5's own scheduler config (scheduler/scheduler_config.json on the Hub)."""
    from diffusers import PNDMScheduler

    return PNDMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
        set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1,
    )


def euler_scheduler() -> Any:
    """SDXL base's scheduler config (EulerDiscreteScheduler, leading spacing)."""
    from diffusers import EulerDiscreteScheduler

    return EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1, timestep_spacing="leading"
    )


def flow_match_scheduler() -> Any:
    """SD3's and Flux's flow-matching Euler scheduler (diffusers defaults)."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler()


def ddim_scheduler() -> Any:
    """DiT's DDIM scheduler over the linear beta schedule DiT was trained with (diffusers defaults)."""
    from diffusers import DDIMScheduler

    return DDIMScheduler()

"""Fast-path settings: validated names, recorded in the manifest, resumes refuse a different set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imagenet_g.errors import ImagenetGError, UnknownNameError
from imagenet_g.release.generate.fastpath import OPTIONS, apply_fast_path, parse_fast_path


def test_names_are_validated_and_ordered():
    assert parse_fast_path(["vae_slicing,sdpa", "sdpa"]) == ("sdpa", "vae_slicing")
    with pytest.raises(UnknownNameError, match="did you mean: channels_last"):
        parse_fast_path(["channel_last"])


def _images(generator):
    from imagenet_g.release.generate.pipeline import generate_batch

    return np.stack([np.asarray(i) for i in generate_batch(generator, ["a photo of a tench"] * 2, [1, 2])])


def test_sdpa_is_bit_identical_and_others_stay_close(releases):
    from imagenet_g.release.generate.pipeline import load_generator
    from imagenet_g.release.generate.weights import resolve_model
    from imagenet_g.release.spec.spec import load_release

    spec = load_release("smoke", releases).spec.generator
    generator = load_generator(spec, resolve_model(spec, releases / "smoke"), "cpu")
    base = _images(generator)
    with pytest.raises(ImagenetGError, match="fp16 needs a CUDA device"):
        apply_fast_path(generator, ["fp16"])
    import torch
    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0

    generator.pipeline.unet.set_attn_processor(AttnProcessor())  # so that sdpa has something to change
    took_effect = {
        "sdpa": lambda p: all(isinstance(a, AttnProcessor2_0) for a in p.unet.attn_processors.values()),
        "vae_slicing": lambda p: p.vae.use_slicing,
        "channels_last": lambda p: p.unet.conv_in.weight.is_contiguous(memory_format=torch.channels_last),
    }
    for name in ("sdpa", "vae_slicing", "channels_last"):  # cumulative, on one pipeline
        assert not took_effect[name](generator.pipeline), name
        generator = apply_fast_path(generator, [name])
        assert took_effect[name](generator.pipeline), name
        images = _images(generator)
        if OPTIONS[name].bit_identical:
            assert np.array_equal(images, base), name
        assert np.abs(images.astype(int) - base.astype(int)).max() <= 2, name  # 8-bit pixels: rounding at most


def test_fast_path_is_recorded_and_a_resume_must_match(releases, planned, tmp_path, run_cli):
    out = tmp_path / "imagenet-g"
    args = ("build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", out, "--split", "test")
    first = run_cli(*args, "--fast-path", "sdpa,vae_slicing", "--batch-size", "auto")
    assert first.exit_code == 0, first.stderr
    manifest = json.loads((out / "smoke" / "manifest.json").read_text())
    assert manifest["build"]["fast_path"] == ["sdpa", "vae_slicing"]
    assert manifest["build"]["batch_size"] == 4  # auto on CPU
    (out / "smoke" / planned[-1]).unlink()
    other = run_cli(*args, "--fast-path", "channels_last")
    assert other.exit_code == 2
    assert "fast path" in other.stderr


def test_fp16_on_cpu_is_refused_before_anything_is_written(releases, tmp_path, run_cli):
    result = run_cli(
        "build", "--release", "smoke", "--specs-dir", releases, "--dataset-dir", tmp_path, "--fast-path", "fp16",
        "--executor", "ray", "--device", "cpu",
    )
    assert result.exit_code == 2
    assert "fast path fp16 needs a CUDA device" in result.stderr
    assert not any(tmp_path.iterdir())


def test_batch_size_probe_doubles_until_out_of_memory(releases, monkeypatch):
    import torch

    from imagenet_g.release.run import batching
    from imagenet_g.release.generate.pipeline import load_generator
    from imagenet_g.release.generate.weights import resolve_model
    from imagenet_g.release.spec.spec import load_release

    sizes = []

    def fake_batch(generator, prompts, seeds, init_images=None, class_indices=None):
        sizes.append((len(prompts), generator.spec.steps))
        if len(prompts) > 8:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return []

    monkeypatch.setattr(batching, "generate_batch", fake_batch)
    spec = load_release("smoke", releases).spec.generator
    generator = load_generator(spec, resolve_model(spec, releases / "smoke"), "cpu")
    assert batching.probe_batch_size(generator, limit=100) == 8
    assert sizes == [(1, 1), (2, 1), (4, 1), (8, 1), (16, 1)]  # one denoising step per probe
    assert batching.probe_batch_size(generator, limit=3) == 2  # never beyond the shard size

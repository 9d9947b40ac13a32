"""The diffusers loader: scheduler swap via from_config, one generator per image, device and dtype rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from build_helpers import REPO_RELEASES, mini_spec_data

from imagenet_g.errors import ImagenetGError, SpecError
from imagenet_g.devices import pick_device
from imagenet_g.release.generate.pipeline import effective_dtype, generate_batch, load_generator, torch_threads
from imagenet_g.release.generate.weights import model_lock, resolve_model
from imagenet_g.release.spec.lock import read_lock
from imagenet_g.release.spec.spec import load_spec, parse_spec


def _generator_spec(**changes):
    return parse_spec(mini_spec_data(**changes)).generator


def test_tiny_generator_weights_match_the_committed_smoke_lock():
    spec = load_spec(REPO_RELEASES / "smoke" / "spec.yaml").generator
    lock = model_lock(resolve_model(spec, REPO_RELEASES / "smoke"))
    assert lock.files == read_lock(REPO_RELEASES / "smoke" / "spec.lock").files


def test_scheduler_swap_and_per_image_generators(tmp_path):
    spec = _generator_spec(scheduler={"name": "EulerAncestralDiscreteScheduler",
                                      "config": {"timestep_spacing": "trailing"}})
    generator = load_generator(spec, resolve_model(spec, tmp_path), "cpu")
    scheduler = generator.pipeline.scheduler
    assert type(scheduler).__name__ == "EulerAncestralDiscreteScheduler"
    assert scheduler.config.timestep_spacing == "trailing" and scheduler.config.beta_end == 0.012
    with torch_threads(1):
        first = [np.asarray(i) for i in generate_batch(generator, ["a tench", "a goldfish"], [1, 2])]
        again = [np.asarray(i) for i in generate_batch(generator, ["a tench", "a goldfish"], [1, 2])]
        swapped = [np.asarray(i) for i in generate_batch(generator, ["a tench", "a goldfish"], [2, 1])]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))  # the ancestral noise comes from each seed
    assert not np.array_equal(first[0], swapped[0])


def test_unknown_scheduler_names_the_key(tmp_path):
    spec = _generator_spec(scheduler={"name": "DDIMSchedular"})
    with pytest.raises(SpecError, match=r"generator.scheduler.name: unknown scheduler 'DDIMSchedular' \(did you mean"):
        load_generator(spec, resolve_model(spec, tmp_path), "cpu")


def test_model_sources_fail_clearly(tmp_path):
    with pytest.raises(SpecError, match="generator.model: unknown tiny model 'tiny'; choose one of: tiny-random-sd,"):
        resolve_model(_generator_spec(model="tiny"), tmp_path)
    with pytest.raises(SpecError, match="generator.model: no diffusers pipeline folder .*model_index.json missing"):
        resolve_model(_generator_spec(source="local", model="nowhere"), tmp_path)
    hub = _generator_spec(source="hub", model="stable-diffusion-v1-5/stable-diffusion-v1-5", revision="main")
    with pytest.raises(ImagenetGError, match="cannot fetch stable-diffusion-v1-5/stable-diffusion-v1-5@main") as info:
        resolve_model(hub, tmp_path)  # offline here (HF_HUB_OFFLINE=1) and not cached
    assert "\n" not in str(info.value)


def test_device_and_dtype_rules():
    spec = _generator_spec()
    assert pick_device(None) == pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu") == "cpu"
    with pytest.raises(ImagenetGError, match="unknown device 'gpu0'"):
        pick_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ImagenetGError, match="not available here .*; set device to cpu"):
            pick_device("cuda")
    assert spec.dtype == "float16"
    assert effective_dtype(spec, "cpu") == "float32" and effective_dtype(spec, "cuda:0") == "float16"


def test_lock_hashes_only_what_the_pipeline_loads(tmp_path):
    from imagenet_g.release.generate.tiny_offline import save_tiny_pipeline

    folder = save_tiny_pipeline(tmp_path / "model")
    spec = _generator_spec(source="local", model="model")
    before = model_lock(resolve_model(spec, tmp_path)).files
    assert "model_index.json" in before and "unet/diffusion_pytorch_model.safetensors" in before
    # what else a Hub cache may hold: other variants, other formats, unused components, root checkpoints
    weights = (folder / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()
    (folder / "unet" / "diffusion_pytorch_model.fp16.safetensors").write_bytes(weights[:100])
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"old format")
    (folder / "safety_checker").mkdir()
    (folder / "safety_checker" / "model.safetensors").write_bytes(b"unused")
    (folder / "v1-5-pruned.ckpt").write_bytes(b"single file")
    assert model_lock(resolve_model(spec, tmp_path)).files == before
    (folder / "vae" / "config.json").write_text((folder / "vae" / "config.json").read_text() + " ")
    assert model_lock(resolve_model(spec, tmp_path)).files.keys() == before.keys() != {}
    assert model_lock(resolve_model(spec, tmp_path)).files["vae/config.json"] != before["vae/config.json"]

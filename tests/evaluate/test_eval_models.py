"""Model ids, the three loaders, and the errors a user can cause with them."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from imagenet_g.errors import ModelError, UnknownNameError
from imagenet_g.evaluate import zeroshot
from imagenet_g.evaluate.models import LoadOptions, load_model, parse_model_id


@pytest.mark.parametrize(
    ("model_id", "source", "name", "tag"),
    [
        ("resnet50", "timm", "resnet50", None),
        ("resnet50.a1_in1k", "timm", "resnet50.a1_in1k", "a1_in1k"),
        ("timm/resnet50.a1_in1k", "timm", "resnet50.a1_in1k", "a1_in1k"),
        ("open_clip:ViT-B-32/openai", "open_clip", "ViT-B-32", "openai"),
        ("open_clip:ViT-B-32", "open_clip", "ViT-B-32", None),
        ("my_pkg.models:build", "custom", "my_pkg.models:build", None),
    ],
)
def test_parse_model_id(model_id, source, name, tag):
    mid = parse_model_id(model_id)
    assert (mid.source, mid.name, mid.tag) == (source, name, tag)


def test_unknown_names_get_close_matches():
    with pytest.raises(UnknownNameError, match="resnet50"):
        load_model("resnet5O", pretrained=False)
    with pytest.raises(UnknownNameError, match=r"unknown pretrained tag 'not_a_tag' for timm model resnet50; choose one of: .*a1_in1k"):
        load_model("resnet50.not_a_tag", pretrained=False)
    with pytest.raises(UnknownNameError, match="ViT-B-32"):
        load_model("open_clip:ViT-B-3/openai")
    with pytest.raises(UnknownNameError, match="cannot import"):
        load_model("no_such_pkg.mod:build")
    with pytest.raises(UnknownNameError, match="package.module:callable"):
        load_model("pkg.mod:")


def test_timm_model_records_its_preprocessing_and_weights_hash():
    m = load_model("resnet10t", pretrained=False)
    assert m.source == "timm" and m.pretrained is False
    assert m.preprocess_info == {
        "kind": "timm", "input_size": [3, 224, 224], "crop_pct": 0.95, "crop_mode": "center",
        "interpolation": "bicubic", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
        "crop_border_pixels": 0,
    }
    assert len(m.weights_sha256) == 64
    # random initialisation is seeded: the same weights on every run, other weights for another seed
    assert load_model("resnet10t", pretrained=False).weights_sha256 == m.weights_sha256
    assert load_model("resnet10t", pretrained=False, seed=1).weights_sha256 != m.weights_sha256


def test_load_options_are_one_value_and_keywords_set_single_fields():
    options = LoadOptions(pretrained=False, seed=1, preprocess_overrides={"crop_pct": 0.8})
    loaded = load_model("resnet10t", options)
    assert loaded.weights_sha256 == load_model("resnet10t", pretrained=False, seed=1).weights_sha256
    assert loaded.preprocess.crop_pct == 0.8
    seed0 = load_model("resnet10t", pretrained=False).weights_sha256
    assert load_model("resnet10t", options, seed=0).weights_sha256 == seed0
    with pytest.raises(TypeError, match="pretrianed"):
        load_model("resnet10t", pretrianed=False)


def test_pretrained_weights_offline_give_a_clear_error():
    # the real Hub loading path: with HF_HUB_OFFLINE=1 and nothing cached it must fail with advice
    with pytest.raises(ModelError, match="give a checkpoint file, or use pretrained=False"):
        load_model("resnet10t.c3_in1k", pretrained=True)


def test_checkpoint_loads_and_a_wrong_one_is_a_clear_error(tmp_path):
    source = load_model("resnet10t", pretrained=False, seed=1)
    ckpt = tmp_path / "ok.pth"
    torch.save(source.module.state_dict(), ckpt)
    loaded = load_model("resnet10t", checkpoint=ckpt)  # seed 0 init, then overwritten by the checkpoint
    assert loaded.pretrained is False and loaded.checkpoint == str(ckpt)
    for a, b in zip(source.module.state_dict().values(), loaded.module.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(ModelError, match="does not fit 'resnet18'"):
        load_model("resnet18", checkpoint=ckpt)
    with pytest.raises(ModelError, match="is not a file"):
        load_model("resnet18", checkpoint=tmp_path / "missing.pth")
    not_a_checkpoint = tmp_path / "notes.txt"
    not_a_checkpoint.write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(ModelError, match="cannot be read as a state dict"):
        load_model("resnet18", checkpoint=not_a_checkpoint)
    not_a_checkpoint.write_text("my notes\n")  # torch.load's weights-only refusal: thousands of characters
    with pytest.raises(ModelError, match=r"cannot be read as a state dict \(torch.load: ") as refused:
        load_model("resnet18", checkpoint=not_a_checkpoint)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 400 and "does not fit" not in str(refused.value)
    junk = tmp_path / "model.safetensors"
    junk.write_bytes(b"\x00SAFETENSORS" * 10)
    with pytest.raises(ModelError, match=r"cannot be read as a state dict \(safetensors: "):
        load_model("resnet18", checkpoint=junk)


def test_custom_callable_returning_a_module_or_a_module_and_transform(tmp_path, monkeypatch):
    (tmp_path / "user_models.py").write_text(
        "import torch, torchvision.transforms as T\n"
        "def plain():\n    torch.manual_seed(0)\n"
        "    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 1000))\n"
        "def with_transform():\n    return plain(), T.Compose([T.Resize(8), T.CenterCrop(8), T.ToTensor()])\n"
        "def not_a_module():\n    return 3\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    plain = load_model("user_models:plain")
    assert plain.source == "custom" and plain.preprocess is not None  # timm defaults for a bare module
    assert plain.preprocess.input_size == (3, 224, 224)
    own = load_model("user_models:with_transform")
    assert own.preprocess is None and "Resize" in own.preprocess_info["transform"]
    with pytest.raises(ModelError, match="not a torch.nn.Module"):
        load_model("user_models:not_a_module")
    with pytest.raises(UnknownNameError, match="has no 'nope'"):
        load_model("user_models:nope")
    sys.modules.pop("user_models", None)


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """A random-weight open_clip model config small enough for CPU tests, registered offline."""
    import open_clip

    cfg = {
        "embed_dim": 16,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
        "text_cfg": {"context_length": 12, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    }
    path = tmp_path_factory.mktemp("clip") / "tiny-clip-test.json"
    path.write_text(json.dumps(cfg))
    open_clip.add_model_config(path)
    return "tiny-clip-test"


def test_zero_shot_head_averages_normalised_text_embeddings(tiny_clip):
    import open_clip

    torch.manual_seed(0)
    model = open_clip.create_model(tiny_clip, pretrained=None).eval()
    tokenizer = open_clip.get_tokenizer(tiny_clip)  # SimpleTokenizer: its BPE vocab ships in the package
    names = ["cat", "dog", "car"] * 5  # 15 classes: two chunks of open_clip's 10-class batches
    templates = [lambda c: f"a photo of a {c}.", lambda c: f"a {c}."]
    head = zeroshot.ZeroShotClassifier(model, zeroshot.build_head(model, tokenizer, names, templates))
    with torch.no_grad():
        expected = []
        for name in names:
            emb = torch.nn.functional.normalize(model.encode_text(tokenizer([t(name) for t in templates])), dim=-1)
            expected.append(torch.nn.functional.normalize(emb.mean(0), dim=0))
        expected = torch.stack(expected, dim=1)
        torch.testing.assert_close(head.classifier, expected)
        images = torch.randn(2, 3, 32, 32)
        image_emb = torch.nn.functional.normalize(model.encode_image(images), dim=-1)
        torch.testing.assert_close(head(images), 100 * image_emb @ expected)


def test_open_clip_loader_builds_a_1000_way_head_with_its_own_transform(tiny_clip, monkeypatch, tmp_path):
    from imagenet_g import labels

    # 2 of the 80 templates keep this CPU test short; the head's math is checked above
    monkeypatch.setattr(labels, "templates", lambda: labels.simple_templates()[:2])
    built = []
    real_build = zeroshot.build_head
    monkeypatch.setattr(zeroshot, "build_head", lambda *a, **k: built.append(1) or real_build(*a, **k))
    m = load_model(f"open_clip:{tiny_clip}", pretrained=False, options=LoadOptions(cache_dir=tmp_path))
    again = load_model(f"open_clip:{tiny_clip}", pretrained=False, options=LoadOptions(cache_dir=tmp_path))
    assert built == [1] and torch.equal(again.module.classifier, m.module.classifier)  # built once, then cached
    assert len(list((tmp_path / "zeroshot").glob("*.pt"))) == 1
    monkeypatch.setattr(labels, "templates", lambda: labels.simple_templates()[:3])  # other templates: other key
    load_model(f"open_clip:{tiny_clip}", pretrained=False, options=LoadOptions(cache_dir=tmp_path))
    assert built == [1, 1]
    assert m.source == "open_clip" and m.preprocess is None
    assert m.module.classifier.shape == (16, 1000)
    assert m.preprocess_info["size"] == [32, 32] and m.preprocess_info["interpolation"] == "bicubic"
    from PIL import Image

    x = m.transform(Image.fromarray(np.zeros((40, 50, 3), dtype=np.uint8))).unsqueeze(0)
    assert m.module(x).shape == (1, 1000)
    with pytest.raises(UnknownNameError, match="names no pretrained tag"):
        load_model(f"open_clip:{tiny_clip}", pretrained=True)

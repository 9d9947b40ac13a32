"""Extractors against their libraries: open_clip's own transform and towers, torchmetrics' CLIPScore and FID
Inception loaded from the same local weights file, the safety checker recording without altering."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from imagenet_g.audit import extractors as ex
from imagenet_g.audit import fidelity, inception
from imagenet_g.audit.consistency import clip_scores
from imagenet_g.errors import ModelError, UnknownNameError
from imagenet_g.files import sha256_file


def _pil(seed: int, size=(40, 30)) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def clip():
    return ex.load_extractor("random-clip")


def test_clip_features_equal_open_clip_on_its_own_transform(clip):
    import open_clip
    from open_clip.transform import PreprocessCfg, image_transform_v2

    model = clip.module.owner
    reference_transform = image_transform_v2(PreprocessCfg(**open_clip.get_model_preprocess_cfg(model)), False)
    images = [_pil(i, (37 + i, 45)) for i in range(3)]
    with torch.no_grad():
        expected = model.encode_image(torch.stack([reference_transform(im) for im in images]))
        ours = clip.module(torch.stack([clip.transform(im) for im in images]))
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-5)
    assert clip.random_weights and clip.dim == 32 and len(clip.weights_sha256) == 64
    assert ex.load_extractor("random-clip").weights_sha256 == clip.weights_sha256  # seeded: same weights each time


def test_clip_score_equals_torchmetrics_clip_score(clip):
    from torchmetrics.functional.multimodal import clip_score

    import open_clip

    model = clip.module.owner
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=32)

    class Processor:  # torchmetrics hands CHW tensors and captions to a CLIPProcessor-like callable
        def __call__(self, images=None, text=None, return_tensors="pt", padding=True):
            if images is not None:
                return {"pixel_values": torch.stack([clip.transform(Image.fromarray(i.permute(1, 2, 0).numpy()))
                                                     for i in images])}
            ids = tokenizer(text)
            return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}

    class Model(torch.nn.Module):
        config = SimpleNamespace()

        def get_image_features(self, pixel_values):
            return clip.module(pixel_values)

        def get_text_features(self, input_ids, attention_mask):
            return model.encode_text(input_ids)

    images = [np.asarray(_pil(i)) for i in range(3)]
    captions = ["a photo of a tench.", "a photo of a goldfish.", "a sketch of a cat."]
    with torch.no_grad():
        expected = [float(clip_score(torch.from_numpy(im.copy()).permute(2, 0, 1), cap, model_name_or_path=lambda:
                                     (Model(), Processor()))) for im, cap in zip(images, captions)]
        ours = clip_scores(clip.module(torch.stack([clip.transform(Image.fromarray(i)) for i in images])).numpy(),
                           clip.text.encode(captions))
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    """A random-weight state dict of torch-fidelity's Inception-v3, saved as a local weights file."""
    import torch_fidelity.feature_extractor_inceptionv3 as fe

    path = tmp_path_factory.mktemp("weights") / inception.INCEPTION_FILE
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fe.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state: None)
        mp.setattr(fe, "load_state_dict_from_url", lambda *a, **k: {})
        torch.manual_seed(0)
        net = fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    # torch's default init shrinks activations ~0.4x per layer (features ~1e-7: any atol would pass); He init
    # keeps them O(1), and random batch-norm statistics make folding them into the convolutions visible
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5), m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5), m.bias.uniform_(-0.2, 0.2)
    torch.save(net.state_dict(), path)
    return path


def test_inception_features_equal_torchmetrics_fid_extractor_from_the_same_local_weights(inception_file):
    """torchmetrics' FID runs this module on uint8 images; its FID math on features is checked in test_audit_metrics."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    extractor = ex.load_extractor("inception-v3", inception_file)
    assert extractor.dim == 2048 and extractor.weights_sha256 == sha256_file(inception_file)
    batch = extractor.transform(_pil(0, (50, 70))).unsqueeze(0)
    assert batch.shape[1:] == (3, 299, 299) and batch.dtype == torch.uint8
    reference = FrechetInceptionDistance(feature=2048, feature_extractor_weights_path=str(inception_file))
    with torch.no_grad():
        torch.testing.assert_close(extractor.module(batch), reference.inception(batch), rtol=1e-4, atol=1e-5)
        fast = extractor.module.to(memory_format=torch.channels_last)  # as features.extract runs it
        torch.testing.assert_close(fast(batch.contiguous(memory_format=torch.channels_last)),
                                   reference.inception(batch), rtol=1e-4, atol=1e-5)


def test_the_fast_inception_is_torch_fidelitys_network_and_skips_only_an_identity_resize(inception_file):
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    original = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"],
                                           feature_extractor_weights_path=str(inception_file))
    fast = inception.load_fid_inception(inception_file)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())  # folded into the convolutions
    square = torch.randint(0, 256, (2, 3, 299, 299), dtype=torch.uint8)
    other = torch.randint(0, 256, (2, 3, 120, 90), dtype=torch.uint8)  # resized inside the network, as before
    as_float = square.float()
    assert torch.equal(interpolate_bilinear_2d_like_tensorflow1x(as_float, size=(299, 299), align_corners=False),
                       as_float)
    with torch.no_grad():
        for x in (square, other):
            expected = original(x)[0]
            assert expected.abs().mean() > 1e-2  # features of a size a wrong network could not match by accident
            torch.testing.assert_close(fast(x), expected, rtol=1e-4, atol=1e-5)


def test_missing_inception_weights_offline_name_the_file_and_where_it_goes(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match=f"no Inception-v3 FID weights offline .*{inception.INCEPTION_FILE}.*set "
                                         "inception_weights to the file"):
        ex.load_extractor("inception-v3")
    with pytest.raises(ModelError, match="does not exist"):
        ex.load_extractor("inception-v3", tmp_path / "nope.pth")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a state dict")
    with pytest.raises(ModelError, match="is not torch-fidelity's Inception-v3 state dict"):
        ex.load_extractor("inception-v3", bad)


def test_unknown_extractors_get_close_matches():
    with pytest.raises(UnknownNameError, match="did you mean: random-cnn"):
        ex.load_extractor("random-cn")
    with pytest.raises(UnknownNameError, match="unknown CLIP architecture 'ViT-B-3' .*did you mean: ViT-B-32"):
        ex.load_extractor("clip:ViT-B-3/openai")


def test_the_safety_checker_records_a_flag_and_never_touches_the_images():
    checker = ex.load_extractor("random-safety-checker")
    batch = torch.stack([checker.transform(_pil(i)) for i in range(4)])
    before = batch.clone()
    flags = checker.module(batch)
    assert flags.shape == (4, 1) and set(flags.flatten().tolist()) <= {0.0, 1.0}
    with torch.no_grad():  # thresholds below any cosine: every image is flagged, and still nothing is altered
        checker.module.checker.concept_embeds_weights.fill_(-2.0)
    assert checker.module(batch).flatten().tolist() == [1.0] * 4
    assert torch.equal(batch, before)


def test_resolving_extractors_builds_and_imports_no_network(inception_file):
    """What a warm-cache audit does with its extractors: name them and identify their weights, nothing more."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from imagenet_g.audit.extractors import resolve_extractor\n"
        "refs = [resolve_extractor(n) for n in ('random-clip', 'random-cnn', 'random-safety-checker')]\n"
        "refs.append(resolve_extractor('inception-v3', sys.argv[1]))\n"
        "print(all(not r.built for r in refs), refs[-1].weights_id,\n"
        "      sorted(m for m in ('torch_fidelity', 'open_clip', 'diffusers', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(inception_file)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", sha256_file(inception_file), "[]"]

"""Our predictions equal timm validate.py's: same random-weight model, same images, same per-image argmax.

The reference below is validate.py's model creation (create_model(**resolve_model_input_args(...))), data path
(create_dataset -> create_loader with the prefetcher, resolve_input_data_config(use_test_size=True)) and forward
pass, written with timm's own functions (timm 1.0.31's validate.py composes them so).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from imagenet_g import labels
from imagenet_g import benchmarks
from imagenet_g import images as ds
from imagenet_g.evaluate.predictions import predict
from imagenet_g.evaluate.metrics import label_space_for
from imagenet_g.evaluate.models import load_model

from data_fixtures import V2_FOLDERS, write_images

MODELS = ("resnet10t", "test_vit", "test_efficientnet")  # bicubic 0.95 / bicubic 0.875 224 / 0.875 at 160


def reference(module, folder: Path, border: int = 0, args: dict | None = None, flip: bool = False):
    """timm validate.py on an image folder: (relative paths, folder name per image, logits); ``args`` are its
    preprocessing arguments (``input_size``, ...). ``flip``: the logits of each input plus those of its horizontal
    flip, as the paper's code scores (``output += model(ch.flip(images, dims=[3]))``)."""
    from timm.data import create_dataset, create_loader, resolve_input_data_config

    cfg = resolve_input_data_config(module, args or {}, use_test_size=True)
    dataset = create_dataset(name="", root=str(folder), split="validation")
    loader = create_loader(
        dataset, input_size=cfg["input_size"], batch_size=3, use_prefetcher=True, interpolation=cfg["interpolation"],
        mean=cfg["mean"], std=cfg["std"], num_workers=0, crop_pct=cfg["crop_pct"], crop_mode=cfg["crop_mode"],
        crop_border_pixels=border or None, device=torch.device("cpu"),
    )
    module.eval()
    with torch.no_grad():
        logits = torch.cat([module(x) + module(torch.flip(x, dims=[3])) if flip else module(x) for x, _ in loader])
    idx_to_class = {v: k for k, v in dataset.reader.class_to_idx.items()}
    paths = [os.path.relpath(f, folder) for f, _ in dataset.reader.samples]
    return paths, [idx_to_class[t] for _, t in dataset.reader.samples], logits


@pytest.fixture(scope="module", params=MODELS)
def model(request):
    return load_model(request.param, pretrained=False)  # seeded random weights


def _ours(model, spec_name: str, folder: Path, batch_size: int = 4, workers: int = 2):
    spec = benchmarks.get_benchmark(spec_name)
    images = ds.LAYOUTS[spec.layout](spec, folder)
    spaces = {"s": label_space_for(spec)}
    (preds,) = predict([model], images, spaces, border=spec.border, batch_size=batch_size, workers=workers, device="cpu")
    return preds


def test_imagenet_val_wnid_folders_match_validate_py(model, data_root):
    folder = data_root / "imagenet" / "val"
    paths, classes, logits = reference(model.module, folder)
    ours = _ours(model, "imagenet", folder)
    assert list(ours.keys) == paths  # same images, same order
    assert ours.targets.tolist() == [labels.wnid_to_index()[c] for c in classes]
    np.testing.assert_array_equal(ours.topk["s"][:, 0], logits.argmax(1).numpy())
    np.testing.assert_array_equal(ours.topk["s"], logits.topk(5).indices.numpy())
    np.testing.assert_allclose(ours.scores["s"], logits.topk(5).values.numpy(), rtol=0, atol=1e-4)


def test_class_subset_restricts_logits_like_the_reference(model, tmp_path):
    # ImageNet-R layout: wnid folders of R-200 classes; both sides argmax over the 200 R logits only
    r = labels.imagenet_r_indices()
    for k, c in enumerate((r[0], r[57], r[199])):
        write_images(tmp_path / labels.wnids()[c], 3, seed=900 + k)
    paths, classes, logits = reference(model.module, tmp_path)
    ref_pred = np.asarray(r)[logits[:, list(r)].argmax(1).numpy()]
    ours = _ours(model, "imagenet-r", tmp_path)
    assert list(ours.keys) == paths
    np.testing.assert_array_equal(ours.topk["s"][:, 0], ref_pred)
    assert set(ours.topk["s"].ravel()) <= set(r)
    ref_correct = ref_pred == np.asarray([labels.wnid_to_index()[c] for c in classes])
    np.testing.assert_array_equal(ours.topk["s"][:, 0] == ours.targets, ref_correct)


def test_imagenet_v2_folders_map_by_int_never_string_order(model, data_root):
    folder = data_root / "imagenetv2-matched-frequency-format-val"
    assert sorted(V2_FOLDERS) == ["10", "100", "2"]  # string order would put class 10 first
    paths, classes, logits = reference(model.module, folder)
    ours = _ours(model, "imagenet-v2", folder)
    assert list(ours.keys) == paths
    assert ours.targets.tolist() == [int(c) for c in classes]
    assert [int(Path(k).parts[0]) for k in ours.keys] == ours.targets.tolist()
    np.testing.assert_array_equal(ours.topk["s"][:, 0], logits.argmax(1).numpy())
    # torchvision's ImageFolder numbers classes in string order: '10' -> 0, '2' -> 2; we must not
    from torchvision.datasets import ImageFolder

    assert ImageFolder(str(folder)).class_to_idx == {"10": 0, "100": 1, "2": 2}


def test_objectnet_trims_a_two_pixel_border_and_maps_predictions(model, data_root):
    folder = data_root / "objectnet-1.0" / "images"
    ours = _ours(model, "objectnet", folder)
    mapping = labels.objectnet_mapping()
    paths, classes, logits = reference(model.module, folder, border=2)
    keep = [i for i, c in enumerate(classes) if mapping.folder_to_class[c] in mapping.class_to_indices]
    assert list(ours.keys) == [paths[i] for i in keep]  # squeegee images skipped ...
    assert ours.skipped == {"outside the 113 ImageNet-overlapping classes": 2}  # ... and counted
    idx = list(mapping.indices)
    ref_pred = np.asarray(idx)[logits[keep][:, idx].argmax(1).numpy()]
    np.testing.assert_array_equal(ours.topk["s"][:, 0], ref_pred)
    # without the border trim the inputs differ: the parameter is really applied
    _, _, untrimmed = reference(model.module, folder)
    assert not torch.equal(untrimmed, logits)


def test_same_rows_at_batch_one_and_four_with_and_without_workers(model, data_root):
    folder = data_root / "imagenet" / "val"
    a = _ours(model, "imagenet", folder, batch_size=1, workers=0)
    b = _ours(model, "imagenet", folder, batch_size=4, workers=2)
    assert a.keys == b.keys
    np.testing.assert_array_equal(a.topk["s"], b.topk["s"])


def validate_py_model(name: str, args: dict, seed: int = 0):
    """validate.py's ``create_model(**resolve_model_input_args(name, vars(args), pretrained=...))``, random weights
    drawn from ``seed`` as ``load_model`` draws them."""
    import timm
    from timm.models import resolve_model_input_args

    torch.manual_seed(seed)
    return timm.create_model(**resolve_model_input_args(name, args, pretrained=False)).eval()


def test_a_fixed_size_vit_at_another_input_size_is_built_and_scored_as_validate_py_does(data_root):
    # test_vit3: timm's fixed-size ViT (patch embedding checks the size), made for 160 px; asked for 192
    args = {"input_size": (3, 192, 192)}
    with pytest.raises(AssertionError, match="doesn't match model"):  # the model as made for 160 refuses 192
        load_model("test_vit3", pretrained=False).module(torch.zeros(1, 3, 192, 192))
    ours = load_model("test_vit3", pretrained=False, preprocess_overrides=args)
    ref = validate_py_model("test_vit3", args)
    assert ours.module.patch_embed.img_size == ref.patch_embed.img_size == (192, 192)
    for (name, a), b in zip(ours.module.state_dict().items(), ref.state_dict().values()):
        assert torch.equal(a, b), name  # same weights: the position embedding has the 12x12 grid of 192 px
    assert ours.preprocess_info["input_size"] == [3, 192, 192]
    folder = data_root / "imagenet" / "val"
    paths, _, logits = reference(ref, folder, args=args)
    preds = _ours(ours, "imagenet", folder, workers=0)
    assert list(preds.keys) == paths
    np.testing.assert_array_equal(preds.topk["s"], logits.topk(5).indices.numpy())
    np.testing.assert_allclose(preds.scores["s"], logits.topk(5).values.numpy(), rtol=0, atol=1e-4)


def test_vit_tiny_is_built_for_256_px():
    loaded = load_model("vit_tiny_patch16_224", pretrained=False, preprocess_overrides={"input_size": (3, 256, 256)})
    assert loaded.module.patch_embed.img_size == (256, 256) and loaded.module.pos_embed.shape[1] == 1 + 16 * 16
    assert loaded.preprocess.input_size == (3, 256, 256)

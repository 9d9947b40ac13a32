"""The model names read from the installed timm and open_clip files equal the libraries' own lists, so that the
check made without importing them (``check_model_id``) refuses exactly what the loaders would."""

from __future__ import annotations

import pytest

from imagenet_g.errors import UnknownNameError
from imagenet_g.evaluate import check_model_id
from imagenet_g.evaluate.model_names import open_clip_archs, timm_names


def test_timm_names_are_timm_list_models():
    import timm

    assert timm_names() == frozenset(timm.list_models())


def test_open_clip_archs_are_open_clip_list_models():
    import open_clip

    assert open_clip_archs() == frozenset(open_clip.list_models())


@pytest.mark.parametrize("model_id", ["resnet50", "resnet50.a1_in1k", "timm/convnext_tiny.fb_in1k",
                                      "open_clip:ViT-B-32/openai", "hf-hub:timm/resnet18.a1_in1k",
                                      "imagenet_g.tiny_models:safety_checker"])
def test_known_ids_pass(model_id):
    assert check_model_id(model_id).raw == model_id


@pytest.mark.parametrize(("model_id", "says"), [
    ("resnt50", "unknown timm model 'resnt50' (did you mean: resnet50"),
    ("timm/resnt50.a1_in1k", "unknown timm model 'resnt50'"),
    ("open_clip:ViT-B-3/openai", "unknown open_clip model 'ViT-B-3' (did you mean: ViT-B-32"),
    ("nosuch.module:build", "cannot import 'nosuch.module' for model 'nosuch.module:build': No module named 'nosuch'"),
    ("nosuchsource:x", "unknown model source 'nosuchsource'"),
])
def test_unknown_ids_are_refused_with_close_matches(model_id, says):
    with pytest.raises(UnknownNameError) as caught:
        check_model_id(model_id)
    assert says in str(caught.value)

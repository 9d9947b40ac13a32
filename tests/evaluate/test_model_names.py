"""The model names read from the installed timm and open_clip files equal the libraries' own lists, so that the
check made without importing them (``check_model_id``) refuses exactly what the loaders would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from imagenet_g.errors import UnknownNameError
from imagenet_g.evaluate import check_model_id

# in a fresh interpreter: other tests register models of their own in this one
SAME_AS_LIBRARIES = """
import sys
from imagenet_g.evaluate.model_names import installed_open_clip_archs, installed_timm_names
timm_files, clip_files = installed_timm_names(), installed_open_clip_archs()
assert "timm" not in sys.modules and "open_clip" not in sys.modules
import open_clip, timm
assert timm_files == frozenset(timm.list_models()), sorted(timm_files ^ frozenset(timm.list_models()))[:20]
assert clip_files == frozenset(open_clip.list_models()), sorted(clip_files ^ frozenset(open_clip.list_models()))[:20]
print(len(timm_files), len(clip_files))
"""


def test_installed_lists_are_the_libraries_own():
    done = subprocess.run([sys.executable, "-c", SAME_AS_LIBRARIES], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    timm_count, clip_count = map(int, done.stdout.split())
    assert timm_count > 1000 and clip_count > 50


def test_models_registered_at_run_time_are_known(tmp_path):
    import open_clip

    config = {"embed_dim": 16, "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16},
              "text_cfg": {"context_length": 12, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
    path = tmp_path / "my-own-clip.json"
    path.write_text(json.dumps(config))
    open_clip.add_model_config(path)
    assert check_model_id("open_clip:my-own-clip").name == "my-own-clip"


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

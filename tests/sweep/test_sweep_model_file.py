"""The user's model file: one model id a line, comments, per-line overrides; bad files are one error naming lines."""

from __future__ import annotations

import pytest

from imagenet_g.errors import ModelSetError, UnknownNameError
from imagenet_g.sweep import ModelEntry, read_model_file, resolve_models


def _file(tmp_path, text: str):
    path = tmp_path / "models.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_lists_ids_with_overrides_comments_and_standard(tmp_path):
    path = _file(tmp_path, "# baselines\n\nresnet50.tv_in1k --standard  # torchvision's\n"
                           "vit_tiny_patch16_224 --input-size 288 --crop-pct=1.0 --interpolation bilinear\n"
                           "open_clip:ViT-B-32/openai --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5\n")
    entries = read_model_file(path)
    assert [e.id for e in entries] == ["resnet50.tv_in1k", "vit_tiny_patch16_224", "open_clip:ViT-B-32/openai"]
    assert entries[0] == ModelEntry("resnet50.tv_in1k", {}, True, source=f"{path}:3")
    assert dict(entries[1].overrides) == {"input_size": (3, 288, 288), "crop_pct": 1.0, "interpolation": "bilinear"}
    assert not entries[1].standard and entries[1].available
    assert dict(entries[2].overrides) == {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)}
    with pytest.raises(TypeError):
        entries[1].overrides["crop_pct"] = 0.5  # entries are values


@pytest.mark.parametrize("text, message", [
    ("# nothing but comments\n\n", "lists no model"),
    ("resnet18\nresnet50\nresnet18\n", "'resnet18' is listed twice (lines 1, 3)"),
    ("resnet18\nresnet18 --input-size 288\n", "'resnet18' is listed twice with different overrides (lines 1, 2)"),
    ("resnet18 --imput-size 288\n", ":1: unknown model file option '--imput-size' (did you mean: --input-size?)"),
    ("resnet18\nresnet18 --input-size\n", ":2: --input-size needs a value"),
    ("resnet18 --input-size big\n", ":1: --input-size 'big' is not a valid value"),
    ("resnet18 --crop-pct 1.5\n", ":1: crop_pct 1.5 must lie in (0, 1]"),
    ("resnet18 --interpolation cubic\n", ":1: unknown interpolation 'cubic'"),
    ("resnet18 --crop-pct 1 --crop-pct 0.9\n", ":1: --crop-pct is given twice"),
    ("resnet18 'open\n", ":1: No closing quotation"),
    ("open_clip:/openai\n", ":1: model id 'open_clip:/openai' names no open_clip architecture"),
])
def test_a_bad_model_file_is_one_error_naming_the_line(tmp_path, text, message):
    with pytest.raises(ModelSetError, match=None) as caught:
        read_model_file(_file(tmp_path, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unreadable_model_file_is_an_error(tmp_path):
    with pytest.raises(ModelSetError, match="cannot read model file"):
        read_model_file(tmp_path / "missing.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ModelSetError, match="cannot read model file"):
        read_model_file(tmp_path / "binary.txt")


def test_resolve_models_reads_files_and_refuses_unknown_set_names(tmp_path):
    path = _file(tmp_path, "resnet18\n")
    assert [e.id for e in resolve_models(path)] == ["resnet18"]
    assert [e.id for e in resolve_models(str(path))] == ["resnet18"]
    with pytest.raises(UnknownNameError, match="unknown model set 'no-such-set'"):
        resolve_models("no-such-set")
    with pytest.raises(ModelSetError, match="cannot read model file"):
        resolve_models(tmp_path / "nope.txt")

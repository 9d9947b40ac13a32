"""Model sources other packages declare as entry points (``imagenet_g.model_sources``): found from installed
metadata, loaded with the user's overrides on top of the source's preprocessing, and one-line errors for unknown
prefixes and for sources that break. The fake package here is a real distribution folder on ``sys.path``."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from imagenet_g.errors import ModelError, UnknownNameError
from imagenet_g.evaluate.models import load_model, parse_model_id
from imagenet_g.evaluate.sources import ENTRY_POINT_GROUP, installed_sources
from imagenet_g.files import state_dict_sha256

REPO = Path(__file__).resolve().parents[2]

TOY_MODULE = '''
import timm
from imagenet_g.evaluate.sources import SourcedModel

SEEN = []

def load(request):
    SEEN.append(request)
    module = timm.create_model("test_resnet", pretrained=False)
    return SourcedModel(module=module, preprocess={"crop_pct": 0.5, "input_size": (3, 96, 96)}, pretrained="toy1")

def wrong(request):
    return "not a model"

def broken(request):
    raise ValueError("the toy zoo is closed")
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """An installed distribution 'toy-sources' declaring the sources toy, wrong, broken and gone (and one that
    would shadow the built-in open_clip)."""
    (tmp_path / "toy_sources.py").write_text(TOY_MODULE)
    info = tmp_path / "toy_sources-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-sources\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ntoy = toy_sources:load\nwrong = toy_sources:wrong\nbroken = toy_sources:broken\n"
        "gone = toy_sources_removed:load\nopen_clip = toy_sources:load\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("toy_sources", None)


def test_an_installed_source_loads_its_ids_under_the_users_overrides(toy, tmp_path):
    assert (parse_model_id("toy:zoo/a").source, parse_model_id("toy:zoo/a").name) == ("toy", "zoo/a")
    loaded = load_model("toy:zoo/a", pretrained=False, checkpoint=tmp_path / "not-here.pt",
                        preprocess_overrides={"crop_pct": 0.75})
    (request,) = sys.modules["toy_sources"].SEEN
    # the source gets the id, its spec and the checkpoint as given (it says itself when that is missing)
    assert (request.id, request.spec, request.pretrained, request.checkpoint) == (
        "toy:zoo/a", "zoo/a", False, tmp_path / "not-here.pt")
    assert (loaded.id, loaded.source, loaded.pretrained, loaded.checkpoint) == ("toy:zoo/a", "toy", "toy1", None)
    assert loaded.preprocess_info["input_size"] == [3, 96, 96] and loaded.preprocess_info["crop_pct"] == 0.75
    assert loaded.weights_sha256 == state_dict_sha256(loaded.module)


def test_an_unknown_prefix_is_one_line_naming_the_sources(toy):
    with pytest.raises(UnknownNameError) as caught:
        load_model("tyo:zoo/a")
    assert str(caught.value) == ("unknown model source 'tyo' (did you mean: toy?); choose one of: open_clip, hf-hub, "
                                 "broken, gone, toy, train, wrong, or give package.module:callable")
    assert parse_model_id("open_clip:ViT-B-32/openai").source == "open_clip"  # built-ins are not shadowed


@pytest.mark.parametrize(("model_id", "message"), [
    ("wrong:x", r"^model 'wrong:x': source 'wrong' \(toy_sources:wrong, from toy-sources 1.0\) returned str, not an "
                r"imagenet_g.evaluate.sources.SourcedModel$"),
    ("broken:x", r"^model 'broken:x': source 'broken' \(toy_sources:broken, from toy-sources 1.0\) raised "
                 r"ValueError: the toy zoo is closed$"),
    ("gone:x", r"^model source 'gone' \(toy_sources_removed:load, from toy-sources 1.0\) cannot be imported: "
               r"ModuleNotFoundError: .*; reinstall the package that provides it$"),
])
def test_a_broken_source_is_one_line_naming_it(toy, model_id, message):
    with pytest.raises(ModelError, match=message):
        load_model(model_id)


def test_this_install_declares_the_sources_pyproject_declares():
    """Entry points come from the install's metadata: a stale install (pyproject changed since) fails here."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"][ENTRY_POINT_GROUP]
    installed = {name: point.value for name, point in installed_sources().items() if name in declared}
    assert installed == declared, "reinstall the package (make install, or pip install -e .)"
    from imagenet_g.train import trained

    assert installed_sources()[trained.SOURCE].load() is trained.load_source

"""The release spec schema: every bad key gives one line naming it; the hash is canonical; the lock."""

from __future__ import annotations

import copy
import shutil

import pytest
import yaml
from build_helpers import REPO_RELEASES, smoke_spec_data

from imagenet_g.errors import SpecError, UnknownNameError
from imagenet_g.release.spec.lock import Lock, lock_differences, read_lock, write_lock
from imagenet_g.release.spec.spec import list_versions, load_release, load_spec, parse_spec, specs_dir


def test_committed_specs_validate():
    assert set(list_versions(REPO_RELEASES)) >= {"v1", "smoke"}
    v1 = load_spec(REPO_RELEASES / "v1" / "spec.yaml")
    gen = v1.generator
    assert (gen.model, gen.steps, gen.guidance, gen.width, gen.height, gen.dtype) == (
        "stable-diffusion-v1-5/stable-diffusion-v1-5", 50, 7.5, 512, 512, "float16")
    assert gen.safety_checker is True and gen.pipeline == "StableDiffusionPipeline" and gen.revision
    assert v1.conditioning.kind == "labels"
    # the paper's size: 50 per class to test on (ImageNet val's size), 1,300 per class to train on (ImageNet train's)
    assert len(v1.plan.class_indices()) == 1000 and v1.plan.splits == {"test": 50, "train": 1300}
    assert v1.plan.templates == "openai_imagenet_80"
    smoke = load_spec(REPO_RELEASES / "smoke" / "spec.yaml")
    assert smoke.generator.source == "tiny" and smoke.generator.width == 64
    assert len(smoke.plan.class_indices()) * smoke.plan.splits["test"] == 20


def _with(path: str, value, data=None) -> dict:
    data = copy.deepcopy(data or smoke_spec_data())
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("generator.stepz", 4, "generator.stepz: unknown key"),
        ("generator.steps", 0, "generator.steps"),
        ("generator.steps", "many", "generator.steps"),
        ("generator.width", 100, "generator.width: must be a multiple of 8"),
        ("generator.guidance", -1, "generator.guidance"),
        ("generator.dtype", "float8", "generator.dtype"),
        ("generator.pipeline", "inpaint", "generator.pipeline: String should match pattern"),
        ("conditioning.kind", "text", "conditioning.kind"),
        ("plan.templates", "openai_imagenet_8", "plan.templates: unknown template set 'openai_imagenet_8'"),
        ("plan.classes", ["n01440764", "n99999999"], "plan.classes: unknown class 'n99999999'"),
        ("plan.classes", [1000], "plan.classes: class index 1000"),
        ("plan.classes", "imagenet-2k", "plan.classes"),
        ("plan.splits", {"test": 0}, "plan.splits"),
        ("plan.splits", {"Test set": 2}, "plan.splits"),
        ("plan.base_seed", 2**63, "plan.base_seed"),
        ("output.rows_per_shard", 0, "output.rows_per_shard"),
        ("output.image_format", "gif", "output.image_format"),
    ],
)
def test_bad_values_name_the_key(path, value, named):
    with pytest.raises(SpecError) as info:
        parse_spec(_with(path, value), origin="spec.yaml")
    message = str(info.value)
    assert named in message and "\n" not in message and message.startswith("spec.yaml: ")


def test_unknown_top_level_key_and_non_mapping():
    with pytest.raises(SpecError, match="extras: unknown key"):
        parse_spec({**smoke_spec_data(), "extras": 1})
    with pytest.raises(SpecError, match="expected a mapping"):
        parse_spec(["generator"])


def test_revision_and_variant_only_for_hub_models():
    with pytest.raises(SpecError, match="revision and variant apply only to source hub"):
        parse_spec(_with("generator.revision", "main"))


def test_bad_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("generator:\n  steps: [4\n")
    with pytest.raises(SpecError, match=r"spec.yaml: line \d+ is not valid YAML"):
        load_spec(path)


def test_content_hash_is_canonical():
    spec = parse_spec(smoke_spec_data())
    reordered = dict(reversed(list(smoke_spec_data().items())))
    assert parse_spec(reordered).content_hash() == spec.content_hash()
    # an explicit default is the same spec; a changed value is not
    assert parse_spec(_with("output.jpeg_quality", 95)).content_hash() == spec.content_hash()
    assert parse_spec(_with("plan.base_seed", 1)).content_hash() != spec.content_hash()
    assert len(spec.content_hash()) == 64


def test_unknown_version_suggests_close_match():
    expected = r"unknown release 'smok' in .* \(did you mean: smoke\?\); choose one of: dit-256, smoke, v1,"
    with pytest.raises(UnknownNameError, match=expected):
        load_release("smok", REPO_RELEASES)


def test_specs_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("IMAGENET_G_SPECS", raising=False)
    assert specs_dir() == REPO_RELEASES  # the specs shipped in the package
    monkeypatch.setenv("IMAGENET_G_SPECS", str(tmp_path))
    with pytest.raises(SpecError, match="IMAGENET_G_SPECS .* holds no release spec; set specs_dir to a folder"):
        specs_dir()  # an empty folder is a mistake, never an empty catalog
    shutil.copytree(REPO_RELEASES / "smoke", tmp_path / "smoke")
    assert specs_dir() == tmp_path
    with pytest.raises(SpecError, match="is not a folder; set specs_dir to a folder"):
        specs_dir(tmp_path / "nope")


def test_lock_roundtrip_and_differences(tmp_path):
    lock = Lock(source="hub", model="m", revision="main", commit="abc", files={"unet/w.safetensors": "1" * 64},
                libraries={"torch": "2.14.1"})
    write_lock(tmp_path / "spec.lock", lock)
    assert read_lock(tmp_path / "spec.lock") == lock
    assert read_lock(tmp_path / "missing.lock") is None
    other = lock.model_copy(update={"commit": "def", "files": {"unet/w.safetensors": "2" * 64, "vae/w": "3"},
                                    "libraries": {"torch": "2.15.0"}})
    assert lock_differences(lock, other) == [
        "commit 'abc' -> 'def'", "file unet/w.safetensors sha256 changed", "file vae/w added", "torch 2.14.1 -> 2.15.0"]
    (tmp_path / "bad.lock").write_text(yaml.safe_dump({"source": "hub"}))
    with pytest.raises(SpecError, match="bad.lock"):
        read_lock(tmp_path / "bad.lock")

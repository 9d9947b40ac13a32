"""The release folder: datasets reads it as written, verify names every bad shard, push is exact."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
import yaml
from fake_hub import FakeHub

from imagenet_g.errors import ImagenetGError, ReleaseIntegrityError
from imagenet_g.labels import unique_class_names
from imagenet_g.release import PushRequest, push_release, verify_release


def test_load_dataset_by_folder_name_and_by_path(built_copy, smoke_build, monkeypatch, tmp_path):
    monkeypatch.chdir(built_copy.parent)  # the folder holding ./imagenet-g
    by_name = datasets.load_dataset("imagenet-g", "smoke", split="test", cache_dir=str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    by_path = datasets.load_dataset(str(built_copy), "smoke", split="test", cache_dir=str(tmp_path / "cache2"))
    for ds in (by_name, by_path):
        assert ds.num_rows == 20
        assert ds.features["label"].names == list(unique_class_names())
        assert isinstance(ds.features["image"], datasets.Image)
        first = ds[0]
        assert first["image"].size == (64, 64) and first["image"].mode == "RGB"
        assert ds.features["label"].int2str(first["label"]) == "tench"
    assert by_name["seed"] == by_path["seed"]
    assert sorted(set(by_name["label"])) == [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]


def test_card_lists_every_built_version(smoke_build):
    text = (smoke_build.dataset_dir / "README.md").read_text()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["configs"] == [
        {"config_name": "smoke", "data_files": [{"split": "test", "path": "smoke/test-*.parquet"}]}]
    info = meta["dataset_info"]
    features = {f["name"]: f["dtype"] for f in info["features"]}
    assert features["image"] == "image" and features["seed"] == "int64"
    assert len(features["label"]["class_label"]["names"]) == 1000
    assert info["splits"] == [{"name": "test", "num_bytes": sum(s.num_bytes for s in smoke_build.shards),
                               "num_examples": 20}]


def test_verify_passes_on_a_good_release(smoke_build):
    report = verify_release(smoke_build.dataset_dir, "smoke", expected_spec_hash=smoke_build.spec_hash)
    assert (report.shards, report.rows) == (5, 20)


def test_verify_names_truncated_corrupted_missing_and_stray_shards(built_copy):
    folder = built_copy / "smoke"
    truncated, corrupted, missing = (folder / f"test-0000{i}-of-00005.parquet" for i in (1, 2, 3))
    truncated.write_bytes(truncated.read_bytes()[:-100])
    data = bytearray(corrupted.read_bytes())
    data[5000] ^= 0xFF
    corrupted.write_bytes(bytes(data))
    missing.unlink()
    (folder / "test-00009-of-00010.parquet").write_bytes(b"stray")
    with pytest.raises(ReleaseIntegrityError) as info:
        verify_release(built_copy, "smoke")
    message = str(info.value)
    assert "test-00001-of-00005.parquet has" in message and "(truncated or altered)" in message
    assert "test-00002-of-00005.parquet corrupted (sha256 differs)" in message
    assert "test-00003-of-00005.parquet missing" in message
    assert "test-00009-of-00010.parquet is not part of the release" in message
    assert "test-00000" not in message and "\n" not in message


def test_verify_catches_other_spec_edited_manifest_and_no_build(built_copy, tmp_path):
    with pytest.raises(ReleaseIntegrityError, match="built from another spec"):
        verify_release(built_copy, "smoke", expected_spec_hash="0" * 64)
    with pytest.raises(ReleaseIntegrityError, match="no manifest.json in .*v1; build release v1 first"):
        verify_release(built_copy, "v1")
    path = built_copy / "smoke" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["spec"]["generator"]["steps"] = 50
    path.write_text(json.dumps(manifest))
    with pytest.raises(ReleaseIntegrityError, match="was edited"):
        verify_release(built_copy, "smoke")


def test_push_makes_exactly_these_calls(smoke_build, tmp_path):
    hub = FakeHub(tmp_path)
    report = push_release(PushRequest("smoke", "org/imagenet-g", dataset_dir=smoke_build.dataset_dir), api=hub)
    assert [name for name, _ in hub.calls] == ["create_repo", "list_repo_files", "create_commit", "create_tag"]
    assert hub.calls[0][1] == {"repo_id": "org/imagenet-g", "repo_type": "dataset", "private": False, "exist_ok": True}
    commit = hub.calls[2][1]
    assert commit["commit_message"] == f"Release smoke (spec {smoke_build.spec_hash[:12]})"
    local = sorted(p.name for p in (smoke_build.dataset_dir / "smoke").iterdir())
    assert sorted(hub.files) == ["README.md", *(f"smoke/{name}" for name in local)]
    assert hub.tags == {"smoke": report.commit} and not report.resumable
    assert report.url == "https://huggingface.co/datasets/org/imagenet-g/tree/smoke"


@pytest.mark.parametrize("resumable", [False, True])
def test_push_leaves_out_claims_and_temp_files(built_copy, tmp_path, resumable):
    for name in (".test-00000-of-00005.parquet.lock", ".manifest.json.tmp-4194303"):  # as killed builds leave them
        (built_copy / "smoke" / name).write_text("not part of the release")
    hub = FakeHub(tmp_path)
    push_release(PushRequest("smoke", "org/imagenet-g", dataset_dir=built_copy, resumable=resumable), api=hub)
    release = sorted(p.name for p in (built_copy / "smoke").iterdir() if not p.name.startswith("."))
    assert sorted(hub.files) == ["README.md", *(f"smoke/{name}" for name in release)]


def test_push_refuses_a_release_that_fails_verify(built_copy):
    (built_copy / "smoke" / "test-00004-of-00005.parquet").unlink()
    hub = FakeHub(built_copy)
    with pytest.raises(ReleaseIntegrityError, match="refusing to push: smoke failed verification: .*00004.* missing"):
        push_release(PushRequest("smoke", "org/imagenet-g", dataset_dir=built_copy), api=hub)
    assert hub.calls == []


def test_push_hub_error_is_one_clear_line(smoke_build, tmp_path):
    api = FakeHub(tmp_path, fail_on="create_tag")
    with pytest.raises(ImagenetGError, match="push of smoke to org/imagenet-g failed: OSError: 409 .* does not exist"):
        push_release(PushRequest("smoke", "org/imagenet-g", dataset_dir=Path(smoke_build.dataset_dir)), api=api)
    offline = FakeHub(tmp_path, fail_on="create_repo")
    with pytest.raises(ImagenetGError, match="failed: ConnectError: .Errno -2. Name or service not known; check"):
        push_release(PushRequest("smoke", "org/imagenet-g", dataset_dir=Path(smoke_build.dataset_dir)), api=offline)


def test_push_with_the_real_client_refuses_offline(smoke_build, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ImagenetGError, match="cannot push while HF_HUB_OFFLINE is set"):
        push_release(PushRequest("smoke", "org/imagenet-g", dataset_dir=smoke_build.dataset_dir))

"""`imagenet-g releases`: every release with strategy, classes, splits, image counts, estimated GPU time; and
`releases diff`: spec differences, and once both are built, image counts and shard checksums."""

from __future__ import annotations

import hashlib
import json

from build_helpers import add_release, mini_spec_data

from imagenet_g.release import BuildRequest, build_release


def test_releases_lists_every_shipped_release(run_cli):
    result = run_cli("releases", "--json")
    assert result.exit_code == 0
    rows = {r["version"]: r for r in json.loads(result.stdout)}
    assert set(rows) >= {"smoke", "v1", "v1-images", "v1-labels-images", "v1-100", "v1-100-single", "dit-256", "v2"}
    v1 = rows["v1"]
    assert (v1["strategy"], v1["classes"], v1["images"]) == ("labels", 1000, {"test": 50_000, "train": 1_300_000})
    # 1.35M images x 50 steps x (1.604 s / 50 steps) on an A100 (fal-ai benchmark), in hours
    assert abs(v1["a100_hours"] - 1_350_000 * 1.604 / 3600) < 1e-6
    assert rows["v1-100"]["images"] == {"test": 5_000, "train": 130_000} and rows["v1-100"]["classes"] == 100
    assert rows["v1-100-single"]["templates"] == "single_photo"
    assert (rows["v1-images"]["strategy"], rows["v1-images"]["templates"]) == ("images", None)
    assert rows["v1-labels-images"]["strategy"] == "labels+images"
    assert (rows["dit-256"]["strategy"], rows["dit-256"]["a100_hours"]) == ("class", None)
    assert rows["v2"]["pipeline"] == "FluxPipeline" and rows["v2"]["locked"] is False
    table = run_cli("releases")
    assert table.exit_code == 0 and "v1-labels-images" in table.stdout


def test_diff_of_specs_then_of_builds(run_cli, own_releases, tmp_path):
    result = run_cli("releases", "diff", "v1-100", "v1-100-single", "--json")
    diff = json.loads(result.stdout)
    assert set(diff["spec"]) == {"description", "plan.templates"}
    assert diff["spec"]["plan.templates"] == ["openai_imagenet_80", "single_photo"] and diff["built"] is None

    for version, seed in (("a", 0), ("b", 1)):
        data = mini_spec_data(width=32, height=32, steps=2)
        data["plan"]["base_seed"] = seed
        add_release(own_releases, version, data)
        build_release(BuildRequest(version, dataset_dir=tmp_path / "out", specs_dir=own_releases, progress=False))
    args = ("releases", "diff", "a", "b", "--specs-dir", own_releases, "--dataset-dir", tmp_path / "out")
    diff = json.loads(run_cli(*args, "--json").stdout)
    assert diff["spec"] == {"plan.base_seed": [0, 1]}
    manifest = json.loads((tmp_path / "out" / "a" / "manifest.json").read_text())
    shards = "".join(s["sha256"] for s in manifest["splits"]["test"]["shards"])
    left, right = diff["built"]["test"]
    assert left == {"rows": 2, "shards": 2, "digest": hashlib.sha256(shards.encode()).hexdigest()}
    assert right["rows"] == 2 and right["digest"] != left["digest"]
    text = run_cli(*args).stdout
    assert "plan.base_seed" in text and "test: 2 images" in text and "(different)" in text

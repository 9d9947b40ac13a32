"""The build commands: thin, one-line errors with exit 2, JSON where asked."""

from __future__ import annotations

import json

from build_helpers import add_release, mini_spec_data


def test_releases_lists_versions(run_cli, releases_root):
    result = run_cli("releases", "--specs-dir", releases_root, "--json")
    assert result.exit_code == 0
    rows = {r["version"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"mini", "smoke"}
    assert rows["smoke"]["images"] == {"test": 20} and rows["smoke"]["locked"] is True
    table = run_cli("releases", "--specs-dir", releases_root)
    assert table.exit_code == 0 and "smoke" in table.stdout


def test_prompts_preview(run_cli, releases_root):
    result = run_cli("prompts", "--release", "smoke", "--specs-dir", releases_root, "--json")
    rows = json.loads(result.stdout)
    assert result.exit_code == 0 and len(rows) == 20
    assert rows[0] == {"split": "test", "class_index": 0, "wnid": "n01440764", "class_name": "tench",
                       "image_index": 0, "template_id": 0, "prompt": "a bad photo of a tench.",
                       "seed": 7934221330389296570}
    limited = run_cli("prompts", "--release", "smoke", "--specs-dir", releases_root, "--json", "--limit", "3")
    assert len(json.loads(limited.stdout)) == 3
    table = run_cli("prompts", "--release", "smoke", "--specs-dir", releases_root, "--limit", "2")
    assert table.exit_code == 0 and "showing 2 of 20 images" in table.stdout


def test_build_then_verify(run_cli, releases_root, tmp_path):
    out = tmp_path / "imagenet-g"
    built = run_cli("build", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root, "--batch-size", "2")
    assert built.exit_code == 0, built.stderr
    assert "mini: 2 images in 2 shards" in built.stdout and 'load_dataset("' in built.stdout
    verified = run_cli("verify", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root)
    assert verified.exit_code == 0 and "mini: OK, 2 shards, 2 rows" in verified.stdout
    again = run_cli("build", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root, "--batch-size", "2",
                    "--json")
    report = json.loads(again.stdout)
    assert (report["written"], report["skipped"], report["rows"]) == (0, 2, 2)
    assert [s["file"] for s in report["shards"]] == ["test-00000-of-00002.parquet", "test-00001-of-00002.parquet"]
    assert all(len(s["sha256"]) == 64 for s in report["shards"])
    (out / "mini" / "test-00001-of-00002.parquet").write_bytes(b"PAR1")
    broken = run_cli("verify", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root)
    assert broken.exit_code == 2 and "test-00001-of-00002.parquet has 4 bytes" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1


def test_user_errors_exit_2_with_one_line(run_cli, own_releases, tmp_path):
    data = mini_spec_data()
    data["generator"]["steps"] = 0
    data["generator"]["width"] = 60
    add_release(own_releases, "broken", data)
    cases = {
        ("build", "--release", "broken"): "generator.steps: Input should be greater than or equal to 1; "
                                          "generator.width: must be a multiple of 8",
        ("build", "--release", "smok"): "(did you mean: smoke?)",
        ("verify", "--release", "mini", "--dataset-dir", tmp_path / "none"): "no manifest.json",
        ("push", "--release", "mini", "--repo-id", "org/imagenet-g", "--dataset-dir", tmp_path / "none"): "refusing to push",
        ("build", "--release", "mini", "--split", "train"): "unknown split 'train'",
    }
    for args, expected in cases.items():
        result = run_cli(*args, "--specs-dir", own_releases)
        assert result.exit_code == 2, args
        assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "none").exists()

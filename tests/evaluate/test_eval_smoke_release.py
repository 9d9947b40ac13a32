"""Integration: the build job's real smoke release (tiny offline diffusion pipeline) scored by `imagenet-g eval`."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from imagenet_g.results import EvalResult


def test_eval_on_the_built_smoke_release(run_cli, tmp_path):
    built = run_cli("build", "--release", "smoke", "--dataset-dir", tmp_path / "imagenet-g", "--json")
    assert built.exit_code == 0, built.stderr
    manifest = json.loads((tmp_path / "imagenet-g" / "smoke" / "manifest.json").read_text())
    out = tmp_path / "results" / "smoke-resnet18.json"
    res = run_cli("eval", "--model", "resnet18", "--no-pretrained", "--release", "smoke", "--data-root", tmp_path,
                  "--out", out, "--batch-size", "8")
    assert res.exit_code == 0, res.stderr
    result = EvalResult.read(out)
    g = result.datasets["imagenet-g"]
    assert result.complete and g.version == "smoke" and g.checksum == manifest["spec_hash"]
    rows = pq.read_table(out.parent / g.predictions_file)
    assert g.images == rows.num_rows > 0 and g.skipped == 0
    assert "not found" in result.datasets_skipped["imagenet"]
    # a release that was not built: exit 2 naming the built one
    res = run_cli("eval", "--model", "resnet18", "--no-pretrained", "--release", "v1", "--data-root", tmp_path,
                  "--out", tmp_path / "v1.json")
    assert res.exit_code == 2 and "choose one of: smoke, or build release v1 first" in res.stderr

"""eval writes only its own files (imagenet_g.outputs) and refuses a results file another live run writes."""

from __future__ import annotations

import json

import pytest
from output_helpers import assert_refused, held_elsewhere

from imagenet_g.results import EvalResult

MODEL = "resnet10t"


def _eval(run_cli, data_root, out, model=MODEL):
    return run_cli("eval", "--model", model, "--no-pretrained", "--data-root", data_root, "--release", "smoke",
                   "--datasets", "imagenet-g", "--workers", "0", "--bootstrap", "0", "--out", out)


@pytest.fixture(scope="module")
def scored(data_root, tmp_path_factory):
    """A results file of MODEL on the smoke release, with its predictions and per-class files."""
    from imagenet_g.evaluate import EvalRequest, run_eval

    out = tmp_path_factory.mktemp("scored") / "res.json"
    run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=data_root, release="smoke", out=out,
                         datasets=("imagenet-g",), workers=0, bootstrap=0))
    return out


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_json_that_is_not_a_results_file_is_not_replaced(run_cli, data_root, tmp_path):
    package = tmp_path / "package.json"
    package.write_text(json.dumps({"name": "my-project", "version": "1.0.0"}))
    before = _snapshot(tmp_path)
    assert_refused(_eval(run_cli, data_root, package), f"{package} is not an imagenet-g results file", "--out")
    assert _snapshot(tmp_path) == before


def test_another_models_results_are_not_replaced(run_cli, data_root, scored, tmp_path):
    other = tmp_path / "other_model.json"
    other.write_bytes(scored.read_bytes())
    before = _snapshot(tmp_path)
    assert_refused(_eval(run_cli, data_root, other, model="resnet18"),
             f"{other} holds the results of another model ({MODEL})")
    assert _snapshot(tmp_path) == before


def test_the_same_models_results_are_resumed(run_cli, data_root, scored, tmp_path):
    for path in scored.parent.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    result = _eval(run_cli, data_root, tmp_path / scored.name)
    assert result.exit_code == 0, result.stderr
    assert EvalResult.read(tmp_path / scored.name).datasets["imagenet-g"] == EvalResult.read(scored).datasets[
        "imagenet-g"]


@pytest.mark.parametrize("name", ["res.imagenet-g.parquet", "res.per-class.csv"])
def test_a_user_file_where_a_predictions_or_per_class_file_goes_is_not_replaced(run_cli, data_root, tmp_path, name):
    (tmp_path / name).write_text("my notes\n")
    before = _snapshot(tmp_path)
    assert_refused(_eval(run_cli, data_root, tmp_path / "res.json"), f"{tmp_path / name} is not an imagenet-g")
    assert _snapshot(tmp_path) == before


def test_a_results_file_another_live_eval_writes_isassert_refused(run_cli, data_root, tmp_path):
    out = tmp_path / "res.json"
    with held_elsewhere(out, "results file") as holder:
        assert_refused(_eval(run_cli, data_root, out), f"results file {out} is being written by another job",
                       f"pid {holder.pid}")
        assert not out.exists()
    result = _eval(run_cli, data_root, out)  # its owner died: the claim is taken over
    assert result.exit_code == 0, result.stderr
    assert EvalResult.read(out).complete

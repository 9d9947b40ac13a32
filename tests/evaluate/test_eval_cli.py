"""`imagenet-g eval` and `imagenet-g data` end to end on the tiny data root, and the bad inputs."""

from __future__ import annotations

import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from imagenet_g.benchmarks import BENCHMARKS
from imagenet_g.errors import DatasetNotFoundError, OutputError
from imagenet_g.evaluate import EvalRequest, run_eval
from imagenet_g.release import read_manifest
from imagenet_g.results import EvalResult
from imagenet_g.robustness import BaselinePoints

MODEL = "resnet10t"


@pytest.fixture(scope="module")
def full_run(data_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "res.json"
    request = EvalRequest(model=MODEL, pretrained=False, data_root=data_root, release="smoke", out=out,
                          batch_size=4, workers=1, bootstrap=50)
    return run_eval(request), out


def test_run_writes_a_complete_result_with_every_dataset_and_er(full_run, data_root):
    result, out = full_run
    assert EvalResult.read(out) == result and result.complete
    assert list(result.datasets) == [
        "imagenet-g", "imagenet", "imagenet-v2", "imagenet-sketch", "imagenet-r", "imagenet-a", "objectnet",
        "val-on-imagenet-r-classes", "val-on-imagenet-a-classes", "val-on-objectnet-classes",
    ]
    g = result.datasets["imagenet-g"]
    built = read_manifest(data_root / "imagenet-g" / "smoke")
    assert (g.version, g.checksum, g.images) == ("smoke", built.spec_hash, 6)
    r = result.datasets["imagenet-r"]
    assert r.classes == "imagenet-r-200" and r.images == 4
    assert r.skipped_reasons == {
        "not an image file (extension)": 1, "file outside the class folders": 1,
        "unreadable image (OSError)": 1, "unreadable image (UnidentifiedImageError)": 1,  # truncated; text as .jpg
    }
    assert result.datasets["objectnet"].skipped_reasons == {"outside the 113 ImageNet-overlapping classes": 2}
    shifts = {"imagenet-v2", "imagenet-r", "imagenet-sketch", "objectnet", "imagenet-a"}
    assert set(result.effective_robustness) == shifts
    er = result.effective_robustness["imagenet-r"]
    assert er.control == "val-on-imagenet-r-classes" and er.n_baselines > 40
    assert er.control_top1 == result.datasets["val-on-imagenet-r-classes"].top1
    assert [f.axis for f in er.fits] == ["linear", "logit"]
    assert "leaderboard" in result.effective_robustness_skipped["imagenet-g"]
    assert result.model.preprocess["crop_pct"] == 0.95 and result.environment["timm"]


def test_predictions_parquet_agrees_with_the_summary(full_run):
    result, out = full_run
    for name, d in result.datasets.items():
        table = pq.read_table(out.parent / d.predictions_file).to_pandas()
        assert len(table) == d.images
        assert 100 * table["correct_top1"].mean() == pytest.approx(d.top1)
        assert 100 * table["correct_top5"].mean() == pytest.approx(d.top5)
    r = pq.read_table(out.parent / result.datasets["imagenet-r"].predictions_file).to_pandas()
    from imagenet_g import labels

    assert set(np.concatenate(r["topk"].to_list())) <= set(labels.imagenet_r_indices())


def test_imagenet_g_er_with_given_baselines(data_root, tmp_path):
    base = BaselinePoints(names=("a", "b", "c"), x=(60.0, 70.0, 80.0), y=(30.0, 40.0, 50.0), source="leaderboard")
    request = EvalRequest(model=MODEL, pretrained=False, data_root=data_root, release="smoke", out=tmp_path / "g.json",
                          datasets=("imagenet-g", "imagenet"), bootstrap=0, workers=0, imagenet_g_baselines=base)
    result = run_eval(request)
    er = result.effective_robustness["imagenet-g"]
    g, val = result.datasets["imagenet-g"].top1, result.datasets["imagenet"].top1
    assert er.fits[0].er == pytest.approx(g - (val - 30.0))  # line y = x - 30
    assert er.baseline == "leaderboard" and er.n_baselines == 3


def test_cli_eval_json_and_table(run_cli, data_root, tmp_path):
    res = run_cli("eval", "--model", MODEL, "--no-pretrained", "--datasets", "imagenet-a", "--data-root", data_root,
                  "--out", tmp_path / "a.json", "--json", "--bootstrap", "10", "--workers", "0")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    # the control was added for ER, the other datasets were not asked for
    assert set(doc["datasets"]) == {"imagenet-a", "val-on-imagenet-a-classes"} and doc["complete"]
    (tmp_path / "empty").mkdir()  # a data root holding none of the datasets: only the --path one is found
    res = run_cli("eval", "--model", MODEL, "--no-pretrained", "--datasets", "imagenet-sketch",
                  "--path", f"imagenet-sketch={data_root / 'sketch'}", "--data-root", tmp_path / "empty",
                  "--out", tmp_path / "s.json", "--workers", "0")
    assert res.exit_code == 0, res.stderr
    assert "imagenet-sketch" in res.stdout and "control imagenet was not evaluated" in " ".join(res.stdout.split())


def test_cli_data_lists_found_and_missing(run_cli, data_root, tmp_path):
    res = run_cli("data", "--data-root", data_root, "--release", "smoke", "--json")
    assert res.exit_code == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert rows["imagenet-sketch"]["images"] == 4 and rows["imagenet-sketch"]["expected"] == 50889
    empty = run_cli("data", "--data-root", tmp_path, "--json")
    assert empty.exit_code == 0, empty.stderr
    rows = json.loads(empty.stdout)
    assert [r["name"] for r in rows] == list(BENCHMARKS) and not any(r["found"] for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "resnet5O"], "did you mean"),
        (["--datasets", "imagenet-rr"], "unknown dataset 'imagenet-rr'"),
        (["--release", "v9"], "unknown release 'v9' (not built at"),
        (["--datasets", "objectnet", "--data-root", "{tmp}"], "objectnet: objectnet not found"),
        (["--out", "{tmp}"], "is a folder"),
        (["--path", "imagenet-r"], "NAME=PATH"),
        (["--v2-variant", "threshold-0.7"], "unknown ImageNet-V2 variant"),
        (["--checkpoint", "{tmp}/none.pth"], "does not exist"),
        (["--device", "cuda:3"], "sees no CUDA); set --device to cpu"),
        (["--datasets", "imagenet-a", "--path", "someorg/imagenet-a"], "NAME=PATH"),
        (["--datasets", "imagenet-a", "--path", "imagenet-a=someorg/imagenet-a"], "cannot load someorg/imagenet-a"),
        (["--device", "gpu"], "unknown device 'gpu'"),
        (["--path", "val-on-imagenet-r-classes=/x"], "set --path imagenet=DIR"),
    ],
)
def test_bad_input_exits_2_with_one_line(run_cli, data_root, tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    base = ["eval", "--no-pretrained", "--data-root", str(data_root), "--out", str(tmp_path / "x.json")]
    if "--model" not in args:
        base += ["--model", MODEL]
    res = run_cli(*base, *args)
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert message in res.stderr and res.stderr.count("\n") == 1
    assert not (tmp_path / "x.json").exists()


def test_output_under_a_file_is_a_clear_error(run_cli, data_root, tmp_path):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "r.json"
    res = run_cli("eval", "--model", MODEL, "--no-pretrained", "--data-root", data_root, "--out", out)
    assert res.exit_code == 2 and "cannot write results" in res.stderr


def test_unwritable_output_fails_before_any_work_and_keeps_old_results(data_root, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    old = locked / "r.json"
    old.write_text("previous")
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user that ignores permissions")
        with pytest.raises(OutputError, match="cannot write results"):
            run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=data_root, out=old))
        assert old.read_text() == "previous"
    finally:
        os.chmod(locked, 0o700)


def test_output_under_a_file_fails_before_any_work(data_root, tmp_path, monkeypatch):
    # works as root too, unlike permission bits: a regular file where the results folder should be
    from imagenet_g.evaluate import run as run_module

    blocker = tmp_path / "results"
    blocker.write_text("a file, not a folder")
    monkeypatch.setattr(run_module, "predict", lambda *a, **k: pytest.fail("work started before the output check"))
    with pytest.raises(OutputError, match="cannot write results"):
        run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=data_root, out=blocker / "r.json"))
    assert blocker.read_text() == "a file, not a folder"


def test_a_run_that_fails_midway_leaves_an_incomplete_file(data_root, tmp_path, monkeypatch):
    from imagenet_g.evaluate import run as run_module

    calls = {"n": 0}
    real = run_module.predict

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "predict", flaky)
    out = tmp_path / "r.json"
    with pytest.raises(KeyboardInterrupt):
        run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=data_root, release="smoke", out=out,
                             datasets=("imagenet-g", "imagenet-a"), workers=0))
    partial = EvalResult.read(out)
    assert not partial.complete and list(partial.datasets) == ["imagenet-g"]


def test_missing_datasets_are_skipped_with_a_reason_when_not_asked_for(data_root, tmp_path):
    with pytest.raises(DatasetNotFoundError, match="no dataset found"):
        run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=tmp_path, out=tmp_path / "r.json"))
    only_a = tmp_path / "root"
    only_a.mkdir()
    (only_a / "imagenet-a").symlink_to(data_root / "imagenet-a")
    result = run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=only_a, out=tmp_path / "r.json", workers=0))
    assert list(result.datasets) == ["imagenet-a"]
    assert "not found" in result.datasets_skipped["imagenet-r"]
    assert "needs imagenet" in result.datasets_skipped["val-on-imagenet-a-classes"]
    assert "control val-on-imagenet-a-classes" in result.effective_robustness_skipped["imagenet-a"]

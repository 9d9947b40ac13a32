"""`imagenet-g sweep`: one results file per model (eval's own), a summary, resume, failures recorded, its folder
(the output rule and its claim). Bad command lines: tests/cli/test_inputs_sweep.py."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from output_helpers import assert_refused, held_elsewhere
from sweep_helpers import TEST_MODELS, comparable, model_file

from imagenet_g.errors import OutputError
from imagenet_g.results import EvalResult
from imagenet_g.sweep import ModelEntry, SweepRequest, run_sweep
from imagenet_g.sweep.folder import claim_target


def _sweep(run_cli, root, models, out, *extra):
    return run_cli("sweep", "--models", models, "--no-pretrained", "--release", "smoke", "--datasets", "imagenet-g",
                   "--data-root", root, "--out-dir", out, "--workers", "0", "--no-channels-last", *extra)


def test_a_sweep_writes_evals_results_and_a_summary_and_a_rerun_scores_nothing(run_cli, sweep_root, tmp_path):
    models = model_file(tmp_path, [f"{m} --standard" for m in TEST_MODELS])
    out = tmp_path / "sweep"
    done = _sweep(run_cli, sweep_root, models, out)
    assert done.exit_code == 0, done.stderr
    assert "4 scored, 0 kept" in done.stdout
    # eval's results files, as `imagenet-g eval -m ... -m ...` writes them
    evald = run_cli("eval", *(a for m in TEST_MODELS for a in ("-m", m)), "--no-pretrained", "--release", "smoke",
                    "--datasets", "imagenet-g", "--data-root", sweep_root, "--out-dir", tmp_path / "eval",
                    "--workers", "0", "--no-channels-last", "--json")
    assert evald.exit_code == 0, evald.stderr
    for model in TEST_MODELS:
        ours, theirs = EvalResult.read(out / f"{model}.json"), EvalResult.read(tmp_path / "eval" / f"{model}.json")
        assert ours.complete and ours.datasets["imagenet-g"].version == "smoke"
        volatile = {"created", "environment"}
        assert ours.model_dump(exclude=volatile) == theirs.model_dump(exclude=volatile)
        assert (out / f"{model}.imagenet-g.parquet").read_bytes() == (
            tmp_path / "eval" / f"{model}.imagenet-g.parquet").read_bytes()
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["model"] for r in rows] == list(TEST_MODELS)
    resnet = rows[0]
    result = EvalResult.read(out / "test_resnet.json")
    assert resnet["status"] == "scored" and resnet["standard"] == "True"
    assert float(resnet["imagenet-g_top1"]) == round(result.datasets["imagenet-g"].top1, 3)
    assert resnet["img_size"] == "160" and resnet["interpolation"] == "bilinear" and resnet["crop_pct"] == "0.95"
    import timm

    params = sum(p.numel() for p in timm.create_model("test_resnet").parameters())
    assert float(resnet["param_count"]) == round(params / 1e6, 2)
    table = pq.read_table(out / "summary.parquet").to_pylist()
    assert table[0]["param_count"] == params and table[0]["imagenet-g_top1"] == result.datasets["imagenet-g"].top1
    assert "| test_resnet (standard) | scored |" in (out / "summary.md").read_text()

    before = comparable(out)
    again = _sweep(run_cli, sweep_root, models, out)
    assert again.exit_code == 0 and "0 scored, 4 kept from before" in again.stdout
    assert comparable(out) == before
    assert "0 groups to score" in again.stderr
    forced = _sweep(run_cli, sweep_root, models, out, "--force")
    assert forced.exit_code == 0 and "4 scored, 0 kept from before" in forced.stdout
    assert comparable(out) == before  # rescored: the same numbers


def test_failed_models_are_recorded_and_the_sweep_goes_on(run_cli, sweep_root, tmp_path, monkeypatch):
    models = model_file(tmp_path, ["test_resnet", "sweep_helpers:nan_model", "sweep_helpers:broken_model", "test_vit"])
    out = tmp_path / "sweep"
    done = _sweep(run_cli, sweep_root, models, out)
    assert done.exit_code == 1
    assert "2 scored, 0 kept from before, 2 failed" in done.stdout
    records = {p.stem: json.loads(p.read_text()) for p in (out / "models").glob("*.json")}
    failed = {r["id"]: r for r in records.values() if r["status"] == "failed"}
    assert set(failed) == {"sweep_helpers:nan_model", "sweep_helpers:broken_model"}
    assert "non-finite logits (NaN or inf)" in failed["sweep_helpers:nan_model"]["reason"]
    assert failed["sweep_helpers:nan_model"]["stage"] == "score"
    assert "this checkpoint does not exist" in failed["sweep_helpers:broken_model"]["reason"]
    assert failed["sweep_helpers:broken_model"]["stage"] == "load"
    rows = {r["model"]: r for r in csv.DictReader((out / "summary.csv").open())}
    assert rows["sweep_helpers:nan_model"]["status"] == "failed" and rows["test_vit"]["status"] == "scored"
    assert "non-finite" in rows["sweep_helpers:nan_model"]["reason"]

    # a rerun keeps the failures; --retry-failed tries them again (and only them)
    again = _sweep(run_cli, sweep_root, models, out)
    assert again.exit_code == 1 and "0 scored, 2 kept from before, 2 failed" in again.stdout
    import sweep_helpers

    monkeypatch.setattr(sweep_helpers, "broken_model", _fixed_model)  # its checkpoint has turned up
    retried = _sweep(run_cli, sweep_root, models, out, "--retry-failed")
    assert retried.exit_code == 1
    assert "1 scored, 2 kept from before, 1 failed" in retried.stdout
    assert "failed: sweep_helpers:nan_model" in retried.stdout


def _fixed_model():
    import timm

    return timm.create_model("test_resnet")


def test_models_sharing_pixels_share_groups_of_bounded_size():
    from imagenet_g.sweep.plan import plan_groups

    entries = [ModelEntry(m, {}, False) for m in ("test_resnet", "test_vit", "test_mambaout", "test_convnext",
                                                  "sweep_helpers:nan_model", "test_efficientnet")]
    groups = plan_groups(entries, 2)
    assert [len(g.entries) for g in groups] == [2, 2, 2]
    ids = [[e.id for e in g.entries] for g in groups]
    # 160 px / 0.95 / bicubic models first, together; mambaout (192 px test size, crop 1.0) and resnet (bilinear)
    # after; a custom model (its transform is known once loaded) last
    assert ids[0] == ["test_vit", "test_convnext"]
    assert set(ids[1]) | set(ids[2]) == {"test_efficientnet", "test_resnet", "test_mambaout", "sweep_helpers:nan_model"}
    assert ids[2][-1] == "sweep_helpers:nan_model"


def test_a_folder_of_another_release_or_of_the_user_is_refused(run_cli, sweep_root, tmp_path):
    models = model_file(tmp_path, ["test_vit"])
    out = tmp_path / "sweep"
    assert _sweep(run_cli, sweep_root, models, out).exit_code == 0
    before = comparable(out)
    other = run_cli("sweep", "--models", models, "--release", "v1", "--out-dir", out)
    assert other.exit_code == 2 and "holds the sweep of release smoke, not v1" in other.stderr
    assert comparable(out) == before
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    refused = _sweep(run_cli, sweep_root, models, mine)
    assert_refused(refused, "holds notes.txt and is not a sweep folder")
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("job", [None, (1, 2)], ids=["whole sweep", "job 1 of 2"])
def test_a_sweep_another_live_run_holds_is_refused_and_a_dead_ones_taken_over(sweep_root, tmp_path, job):
    request = SweepRequest(models=[ModelEntry("test_vit"), ModelEntry("test_resnet")], out_dir=tmp_path / "s",
                           release="smoke", datasets=("imagenet-g",), data_root=sweep_root, pretrained=False, workers=0,
                           channels_last=False, group_size=1, job_index=job and job[0], num_jobs=job and job[1])
    target = claim_target(request.out_dir, request.share)
    with held_elsewhere(target, f"sweep folder {request.out_dir}"):
        with pytest.raises(OutputError, match="is being written by another job"):
            run_sweep(request)
        assert not (tmp_path / "s" / "summary.csv").exists()
    report = run_sweep(request)  # the holder was killed: its claim is taken over
    assert len(report.scored) == (2 if job is None else 1) and not any(tmp_path.glob("**/.*.lock"))


def test_the_library_takes_entries_and_reports_what_it_did(sweep_root, tmp_path):
    request = SweepRequest(models=[ModelEntry("test_vit", {"input_size": (3, 128, 128)}, True),
                                   ModelEntry("resnet50.tv_in1k", {}, True, available=False,
                                              reason="no weights offline"),
                                   ModelEntry("test_resnet")],
                           exclude=("test_res*",), out_dir=tmp_path / "s", release="smoke", datasets=("imagenet-g",),
                           data_root=sweep_root, pretrained=False, workers=0, channels_last=False)
    report = run_sweep(request)
    assert report.scored == ("test_vit",) and report.succeeded
    assert [e.id for e in report.entries] == ["test_vit", "resnet50.tv_in1k"]  # test_resnet: excluded
    assert report.unavailable == {"resnet50.tv_in1k": "no weights offline"}
    result = EvalResult.read(tmp_path / "s" / "test_vit.json")
    assert result.model.preprocess["input_size"] == [3, 128, 128]
    rows = {r["model"]: r for r in csv.DictReader((tmp_path / "s" / "summary.csv").open())}
    assert rows["resnet50.tv_in1k"]["status"] == "unavailable" and rows["test_vit"]["img_size"] == "128"

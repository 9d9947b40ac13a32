"""A model trained with `imagenet-g train` goes to the leaderboard and `leaderboard verify` re-runs it from its id
``train:<run>/<arch>``: the run's weights are found from the recorded checkpoint (a path from the results file, which
the submission locates), from any working folder, or from the run folder. One id, however the run is evaluated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imagenet_g.errors import ModelError
from imagenet_g.evaluate import load_model
from imagenet_g.leaderboard import SubmissionInfo
from imagenet_g.leaderboard.submit import make_submission, submission_json
from imagenet_g.results import EvalResult


@pytest.fixture
def trained(tmp_path, squares, run_cli, monkeypatch):
    """A run trained and evaluated by the CLI, submitted to a leaderboard under ``tmp_path`` (the working folder)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "imagenet").mkdir(parents=True)
    (tmp_path / "data" / "imagenet" / "val").symlink_to(squares)
    done = run_cli("train", "--recipe", "smoke", "--set", "data.batch_size=8", "--real", squares, "--policy",
                   "real-only", "--out", "runs/mine", "--device", "cpu", "--eval-datasets", "imagenet",
                   "--data-root", "data")
    assert done.exit_code == 0, done.stderr
    # the entry `leaderboard add` writes (add also wants ImageNet-G scores, which this 4-class model has none of)
    sub = make_submission(Path("runs/mine/results.json"), SubmissionInfo("Mine", None, release="smoke"), Path("board"))
    (tmp_path / "board" / "submissions" / "smoke").mkdir(parents=True)
    (tmp_path / "board" / "submissions" / "smoke" / f"{sub.slug}.json").write_text(submission_json(sub))
    return sub.result


def _verify(run_cli, *extra: str, root: Path | str = "board"):
    return run_cli("leaderboard", "verify", "train:mine/resnet18", "--root", root, "--device", "cpu",
                   "--workers", "0", "--json", *extra)


def test_verify_reloads_a_trained_model_by_its_id(trained, run_cli):
    assert (trained.model.id, trained.model.source, trained.tta) == ("train:mine/resnet18", "train", "flip")
    assert trained.model.checkpoint == "model.safetensors"  # beside runs/mine/results.json
    res = _verify(run_cli)
    assert res.exit_code == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["ok"] and {c["metric"] for c in report["checks"]} >= {"weights_sha256", "preprocess", "tta", "top1"}
    # the id alone, from the folder that holds the run: the same weights and preprocessing
    again = load_model("train:runs/mine/resnet18")
    assert (again.weights_sha256, again.preprocess_info) == (trained.model.weights_sha256, trained.model.preprocess)


def test_a_run_that_is_not_here_is_one_line_naming_the_id_and_the_fix(trained, run_cli, tmp_path):
    shutil.move(tmp_path / "runs" / "mine", tmp_path / "moved")
    res = _verify(run_cli)
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        "imagenet-g: error: model 'train:mine/resnet18' is an `imagenet-g train` run, but no training run "
        "(training-record.json) is beside the weights 'runs/mine/model.safetensors'; give the run's weights file "
        "(<run folder>/model.safetensors) as --checkpoint, or work from the run folder's parent"]
    moved = _verify(run_cli, "--checkpoint", "moved/model.safetensors")  # the fix, as the line says
    assert moved.exit_code == 0, moved.stderr
    with pytest.raises(ModelError, match=r"'train:mine/resnet18'.*no training run .* in a folder 'mine' here"):
        load_model("train:mine/resnet18")
    with pytest.raises(ModelError, match="trained 'resnet18', not 'resnet50'; use train:moved/resnet18"):
        load_model("train:moved/resnet50")


def test_one_id_however_the_run_is_evaluated_and_verify_from_another_folder(trained, run_cli, tmp_path, monkeypatch):
    args = ("--datasets", "imagenet", "--device", "cpu", "--workers", "0", "--bootstrap", "0", "--tta", "flip")
    by_hand = run_cli("eval", "--model", "train:runs/mine/resnet18", "--data-root", "data", "--out", "by-hand.json",
                      *args)
    assert by_hand.exit_code == 0, by_hand.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    absolute = run_cli("eval", "--model", f"train:{tmp_path}/runs/mine/resnet18", "--data-root", tmp_path / "data",
                       "--out", "r.json", *args)
    assert absolute.exit_code == 0, absolute.stderr
    hand, other = EvalResult.read(tmp_path / "by-hand.json"), EvalResult.read(elsewhere / "r.json")
    assert hand.model.id == other.model.id == trained.model.id == "train:mine/resnet18"  # one id, so one slug
    assert hand.model.weights_sha256 == other.model.weights_sha256 == trained.model.weights_sha256
    assert (hand.model.checkpoint, other.model.checkpoint) == ("runs/mine/model.safetensors",
                                                               "../runs/mine/model.safetensors")
    assert hand.datasets["imagenet"].top1 == trained.datasets["imagenet"].top1
    # verify from this other folder finds the weights through the submission's results file, no --checkpoint
    res = _verify(run_cli, "--data-root", tmp_path / "data", root=tmp_path / "board")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["ok"]

"""`leaderboard verify`: re-run the eval of a submission and flag every metric beyond the tolerance."""

from __future__ import annotations

from pathlib import Path

import pytest
from leaderboard_factories import edit_json, make_result, make_submission, write_submission

from imagenet_g.errors import ArgumentError, UnknownNameError
from imagenet_g.leaderboard.verify import verify_submission
from imagenet_g.results import EvalResult

TOP1 = {"imagenet": 76.0, "imagenet-g": 50.0}


class FakeEval:
    """Stands in for run_eval: records the request and returns the result it was given."""

    def __init__(self, result):
        self.result, self.requests = result, []

    def __call__(self, request, progress=False):
        self.requests.append(request)
        return self.result


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "leaderboard"
    write_submission(root, make_submission("resnet50", TOP1))
    return root


def test_agreeing_rerun_passes_and_the_request_repeats_the_eval(root, tmp_path):
    fake = FakeEval(make_result("resnet50", {"imagenet": 76.05, "imagenet-g": 49.95}))
    val = tmp_path / "val"
    val.mkdir()
    report = verify_submission("resnet50", root, data_root=tmp_path, paths={"imagenet": str(val)}, out=tmp_path / "r.json",
                               run=fake)
    assert report.mismatches == ()
    assert [(c.dataset, c.metric) for c in report.checks] == [
        ("model", "preprocess"), ("model", "tta"), ("imagenet", "top1"), ("imagenet", "top5"), ("imagenet", "images"),
        ("imagenet-g", "top1"), ("imagenet-g", "top5"), ("imagenet-g", "images"), ("imagenet-g", "checksum")]
    [request] = fake.requests
    assert (request.model, request.pretrained, request.release) == ("resnet50", True, "v1")
    assert request.datasets == ("imagenet", "imagenet-g") and request.paths == {"imagenet": str(val)}
    assert request.out == tmp_path / "r.json" and request.bootstrap == 0
    assert request.force and request.precision == "fp32" and request.preprocess == {} and request.tta == "none"


def test_the_rerun_has_the_submissions_precision_preprocessing_and_weights(root, tmp_path):
    path = next(root.glob("submissions/v1/*.json"))
    timm_config = {"kind": "timm", "input_size": [3, 192, 192], "crop_pct": 1.0, "crop_mode": "center",
                   "interpolation": "bilinear", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "crop_border_pixels": 0}
    edit_json(path, lambda d: (d["result"].update(precision="amp", tta="flip"),
                               d["result"]["model"].update(preprocess=timm_config, checkpoint="/gone/w.pt")))
    fake = FakeEval(make_result("resnet50", TOP1))
    with pytest.raises(ArgumentError, match="checkpoint '/gone/w.pt' does not exist; set checkpoint"):
        verify_submission("resnet50", root, run=fake)  # the recorded weights are not on this machine: say so first
    (tmp_path / "w.pt").write_bytes(b"weights")
    verify_submission("resnet50", root, run=fake, checkpoint=tmp_path / "w.pt")
    [request] = fake.requests
    assert request.precision == "amp" and request.force and request.tta == "flip"
    assert request.preprocess == {"input_size": (3, 192, 192), "crop_pct": 1.0, "crop_mode": "center",
                                  "interpolation": "bilinear", "mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)}
    assert request.checkpoint == tmp_path / "w.pt"


@pytest.mark.parametrize(("model_id", "pretrained", "rerun"), [
    ("resnet50", "a1_in1k", "resnet50.a1_in1k"),  # the tag timm loaded then, whatever its default is now
    ("timm/resnet50.tv_in1k", "tv_in1k", "timm/resnet50.tv_in1k"),
    ("resnet50", False, "resnet50"),
    ("resnet50", True, "resnet50"),
    ("open_clip:ViT-B-32/openai", "openai", "open_clip:ViT-B-32/openai"),
    ("hf-hub:org/net", "x", "hf-hub:org/net"),
])
def test_the_rerun_loads_the_pretrained_tag_the_submission_loaded(model_id, pretrained, rerun):
    from imagenet_g.leaderboard.verify import rerun_model_id

    assert rerun_model_id(model_id, pretrained) == rerun


def test_every_difference_beyond_the_tolerance_is_reported(root):
    measured = make_result("resnet50", {"imagenet": 75.5, "imagenet-g": 50.0}, checksum="b" * 64)
    report = verify_submission("resnet50", root, run=FakeEval(measured))
    assert [(c.dataset, c.metric) for c in report.mismatches] == [("imagenet", "top1"), ("imagenet", "top5"),
                                                                  ("imagenet-g", "checksum")]
    assert verify_submission("resnet50", root, tolerance=0.6, run=FakeEval(measured)).mismatches[0].metric == "checksum"


def test_other_weights_or_preprocessing_are_mismatches(root):
    claimed = make_result("resnet50", TOP1).model_copy(deep=True)
    path = next(root.glob("submissions/v1/*.json"))
    edit_json(path, lambda d: d["result"]["model"].update(weights_sha256="0" * 64))
    measured = claimed.model_copy(update={"model": claimed.model.model_copy(
        update={"weights_sha256": "1" * 64, "preprocess": {"crop_pct": 0.95}})})
    report = verify_submission("resnet50", root, run=FakeEval(measured))
    assert [(c.dataset, c.metric) for c in report.mismatches] == [("model", "preprocess"), ("model", "weights_sha256")]
    assert report.summary().startswith("resnet50: 2 of 10 checks failed")
    assert "random weights" not in report.summary()  # pretrained weights: a real difference, no excuse
    edit_json(path, lambda d: d["result"]["model"].update(pretrained=False))
    random_init = verify_submission("resnet50", root, run=FakeEval(measured)).summary()
    assert random_init.endswith("(the model has random weights and no checkpoint, so no re-run can reproduce it)")


def test_a_rerun_with_other_test_time_augmentation_is_a_mismatch(root):
    measured = make_result("resnet50", TOP1).model_copy(update={"tta": "flip"})
    report = verify_submission("resnet50", root, run=FakeEval(measured))
    assert [(c.dataset, c.metric, c.submitted, c.measured) for c in report.mismatches] == [
        ("model", "tta", "none", "flip")]


def test_a_dataset_not_scored_again_is_a_mismatch(root):
    report = verify_submission("resnet50", root, run=FakeEval(make_result("resnet50", {"imagenet-g": 50.0})))
    assert {(c.dataset, c.measured) for c in report.mismatches} == {("imagenet", None)}


def test_unknown_or_ambiguous_slug(root):
    with pytest.raises(UnknownNameError, match=r"unknown submission 'resnet5' in any release .*did you mean: resnet50"):
        verify_submission("resnet5", root, run=FakeEval(None))
    write_submission(root, make_submission("resnet50", TOP1, release="smoke"))
    with pytest.raises(UnknownNameError, match=r"'resnet50' matches several submissions \(smoke/resnet50, v1/resnet50\); "
                                                r"give the release or the slug"):
        verify_submission("resnet50", root, run=FakeEval(None))


def test_a_submission_is_found_by_slug_model_id_or_display_name(root):
    from imagenet_g.leaderboard.verify import find_submission

    path = write_submission(root, make_submission("open_clip:ViT-B-32/openai", TOP1, name="CLIP ViT-B/32"))
    assert path.stem.startswith("open_clip-vit-b-32-openai-")
    for key in (path.stem, "open_clip:ViT-B-32/openai", "CLIP ViT-B/32", "clip vit-b/32"):
        assert find_submission(key, root).path == path


def test_cli_exits_2_with_one_line_naming_the_differences(run_cli, root, monkeypatch, tmp_path):
    import imagenet_g.evaluate.run as run_module

    monkeypatch.setattr(run_module, "run_eval", FakeEval(make_result("resnet50", {"imagenet": 70.0, "imagenet-g": 50.0})))
    result = run_cli("leaderboard", "verify", "resnet50", "--root", root, "--path", f"imagenet={tmp_path}")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "imagenet-g: error: resnet50: 2 of 9 checks failed (top-1/top-5 tolerance 0.1 pp): imagenet top1: "
        "76.00 submitted, 70.00 measured; imagenet top5: 86.00 submitted, 80.00 measured"]
    bad_path = run_cli("leaderboard", "verify", "resnet50", "--root", root, "--path", "imagenet")
    assert bad_path.exit_code == 2 and "'imagenet' is not NAME=PATH" in bad_path.stderr


def test_real_rerun_of_a_tiny_model_on_a_tiny_release(tmp_path, monkeypatch, run_cli):
    """The real run_eval: once to make the submission (in float16 autocast), then from `leaderboard verify`, which
    re-runs in the submission's precision and scores again over a stale results file of an earlier verify."""
    import timm
    import torch

    from data_fixtures import write_images
    from tiny_release import CLASSES, build_tiny_release

    from imagenet_g import labels
    from imagenet_g.evaluate import EvalRequest, run_eval

    monkeypatch.chdir(tmp_path)
    build_tiny_release(Path("data"), version="smoke")
    for k, c in enumerate(CLASSES[:2]):
        write_images(Path("data/imagenet/val") / labels.wnids()[c], 2, seed=100 + k, ext="JPEG")
    torch.manual_seed(0)  # timm's tiny test_resnet (0.5 M parameters, 160 px): real code path, little CPU time
    torch.save(timm.create_model("test_resnet", pretrained=False).state_dict(), "test_resnet-random.pt")
    request = EvalRequest(model="test_resnet", pretrained=False, checkpoint=Path("test_resnet-random.pt"), release="smoke",
                          datasets=("imagenet-g", "imagenet"), data_root=Path("data"), out=Path("results/r.json"),
                          bootstrap=0, workers=0, precision="amp")
    result = run_eval(request)
    root = Path("leaderboard")
    assert result.model.checkpoint == "../test_resnet-random.pt"  # from the results file's folder
    entry = make_submission("test_resnet", {}, release="smoke").model_copy(  # as `leaderboard add` writes it
        update={"result": result, "results_file": "../../../results/r.json"})
    write_submission(root, entry)

    agreed = run_cli("leaderboard", "verify", "test_resnet", "--workers", "0", "--device", "cpu")
    assert agreed.exit_code == 0, agreed.stderr
    assert "test_resnet: all 10 checks agree (top-1/top-5 within 0.1 pp)" in agreed.stdout
    rerun = Path("results/verify/smoke/test_resnet.json")
    assert EvalResult.read(rerun).precision == "amp"

    # an earlier verify's results file whose numbers no longer hold (fingerprints intact): scored again, not reused
    edit_json(rerun, lambda d: d["datasets"]["imagenet"].update(top1=3.0, top5=3.0))
    again = run_cli("leaderboard", "verify", "test_resnet", "--workers", "0", "--device", "cpu")
    assert again.exit_code == 0, again.stderr
    assert EvalResult.read(rerun).datasets["imagenet"].top1 == result.datasets["imagenet"].top1 != 3.0

    edit_json(root / "submissions" / "smoke" / "test_resnet.json",
              lambda d: d["result"]["datasets"]["imagenet-g"].update(top1=result.datasets["imagenet-g"].top1 + 0.5,
                                                                     top5=100.0))
    differs = run_cli("leaderboard", "verify", "test_resnet", "--workers", "0", "--device", "cpu")
    assert differs.exit_code == 2
    assert "test_resnet: 2 of 10 checks failed (top-1/top-5 tolerance 0.1 pp): imagenet-g top1:" in differs.stderr


"""A sweep on the board: `leaderboard add --from-sweep` enters every scored model in one pass, its standard models
fit the release's ImageNet-G baseline (n, range, ranking), and a baseline of models at chance says so in one line."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sweep_helpers import TEST_MODELS, model_file

from imagenet_g import robustness
from imagenet_g.leaderboard import ReleaseCatalog, load_leaderboard
from imagenet_g.results import DatasetResult, EvalResult, ModelInfo
from imagenet_g.sweep.folder import ModelRecord, open_folder, write_record
from imagenet_g.sweep.submit import submit_sweep

SMOKE_HASH = "b" * 64


def _board_args(root, board):
    return ("--root", board, "--specs-dir", root / "specs", "--dataset-dir", root / "imagenet-g")


def test_a_random_weight_sweep_gives_the_smoke_board_one_no_range_line(run_cli, sweep_root, tmp_path):
    models = model_file(tmp_path, [f"{m} --standard" for m in TEST_MODELS])
    out, board = tmp_path / "sweep", tmp_path / "board"
    done = run_cli("sweep", "--models", models, "--no-pretrained", "--release", "smoke", "--datasets", "imagenet-g",
                   "--data-root", sweep_root, "--out-dir", out, "--workers", "0", "--no-channels-last")
    assert done.exit_code == 0, done.stderr
    added = run_cli("leaderboard", "add", "--from-sweep", out, *_board_args(sweep_root, board))
    assert added.exit_code == 0, added.stderr
    assert "wrote 4 entries of release smoke (4 standard)" in added.stdout
    again = run_cli("leaderboard", "add", "--from-sweep", out, *_board_args(sweep_root, board))
    assert again.exit_code == 2 and "already entered" in again.stderr  # nothing replaced without --force
    assert run_cli("leaderboard", "add", "--from-sweep", out, "--force", *_board_args(sweep_root, board)).exit_code == 0
    built = run_cli("leaderboard", "build", "--no-plots", "--bootstrap", "20", *_board_args(sweep_root, board))
    assert built.exit_code == 0, built.stderr
    fit = json.loads((board / "leaderboard.json").read_text())["releases"]["smoke"]["fits"]["imagenet-g"]
    assert fit["n_baselines"] == 4 and fit["lines"] == {}
    # random weights: every model at (or near) chance on the control, so the fit has no range to stand on
    assert fit["status"].startswith("no fit: ")
    readme = (board / "README.md").read_text()
    lines = [line for line in readme.splitlines() if line.startswith("ImageNet-G baseline fit on 4 standard entries")]
    assert len(lines) == 1 and fit["status"] in lines[0]
    for page in (readme, (board / "leaderboard.json").read_text(), (board / "site" / "index.html").read_text()):
        assert "NaN" not in page and "nan" not in page.replace("nano", "")


def _result(model_id: str, imagenet: float, g: float) -> EvalResult:
    datasets = {name: DatasetResult(name=name, version="smoke" if name == "imagenet-g" else None,
                                    source=f"/data/{name}", checksum=SMOKE_HASH if name == "imagenet-g" else None,
                                    classes="imagenet-1k", top1=acc, top5=min(100.0, acc + 10), images=1000)
                for name, acc in (("imagenet", imagenet), ("imagenet-g", g))}
    return EvalResult(model=ModelInfo(id=model_id, source="timm", pretrained=True, preprocess={}), datasets=datasets,
                      environment={}, precision="fp32", created=datetime(2026, 1, 1, tzinfo=timezone.utc),
                      complete=True)


def _sweep_folder(folder, points: dict[str, tuple[float, float, bool]], failed: tuple[str, ...] = ()):
    """A sweep folder as a sweep writes it, with chosen accuracies: (imagenet, imagenet-g, standard) per model."""
    open_folder(folder, "smoke")
    for model_id, (imagenet, g, standard) in points.items():
        _result(model_id, imagenet, g).write(folder / f"{model_id}.json")
        write_record(folder, ModelRecord(id=model_id, status="scored", standard=standard, asked={}))
    for model_id in failed:
        write_record(folder, ModelRecord(id=model_id, status="failed", reason="out of memory", stage="score",
                                         asked={}))


def test_standard_models_of_a_sweep_fit_the_imagenet_g_baseline_and_rank_by_its_er(tmp_path):
    catalog = ReleaseCatalog(known=frozenset({"smoke"}), spec_hashes={"smoke": SMOKE_HASH})
    folder, board = tmp_path / "sweep", tmp_path / "board"
    _sweep_folder(folder, {"std-a": (60.0, 40.0, True), "std-b": (70.0, 50.0, True), "std-c": (80.0, 60.0, True),
                           "std-d": (75.0, 56.0, True), "clip": (70.0, 65.0, False)}, failed=("huge",))
    done = submit_sweep(folder, board, catalog)
    assert done.standard == 4 and len(done.written) == 5 and done.left_out == {"huge": "failed: out of memory"}
    entries = {json.loads(p.read_text())["result"]["model"]["id"]: json.loads(p.read_text()) for p in done.written}
    assert entries["clip"]["category"] == "other" and not entries["clip"]["is_standard"]
    assert entries["std-a"]["category"] == "real" and entries["std-a"]["is_standard"]
    release = load_leaderboard(board, catalog, bootstrap=0).releases["smoke"]
    fit = release.fits["imagenet-g"]
    assert fit.status == "ok" and fit.n_baselines == 4 and fit.x_range == (60.0, 80.0)
    line = robustness.fit_linear([60.0, 70.0, 80.0, 75.0], [40.0, 50.0, 60.0, 56.0])
    clip = next(e for e in release.entries if e.model_id == "clip")
    assert clip.er["imagenet-g"].linear.er == pytest.approx(65.0 - (line.slope * 70.0 + line.intercept), abs=1e-3)
    from imagenet_g.leaderboard.aggregate import declared_ranks
    from imagenet_g.leaderboard.rank import order

    by_g = next(r for r in declared_ranks() if r.key == "er-imagenet-g")
    ranked, _ = order(release.entries, by_g)
    assert ranked[0].model_id == "clip"  # 13.x pp above the line


def test_a_narrow_baseline_is_one_line_and_a_bad_sweep_submits_nothing(tmp_path):
    catalog = ReleaseCatalog(known=frozenset({"smoke"}), spec_hashes={"smoke": SMOKE_HASH})
    folder, board = tmp_path / "sweep", tmp_path / "board"
    _sweep_folder(folder, {"a": (0.08, 0.1, True), "b": (0.1, 0.0, True), "c": (0.14, 0.2, True)})
    submit_sweep(folder, board, catalog)
    fit = load_leaderboard(board, catalog, bootstrap=0).releases["smoke"].fits["imagenet-g"]
    assert fit.lines == {} and fit.status == (
        "no fit: the 3 baselines span only 0.06 pp of imagenet top-1 (0.08-0.14; a line needs 1 pp: models near "
        "chance, such as random weights, span none)")
    # one bad results file: nothing of the sweep is written
    other, board2 = tmp_path / "other", tmp_path / "board2"
    _sweep_folder(other, {"a": (60.0, 40.0, True), "b": (70.0, 50.0, True)})
    (other / "b.json").write_text("{}")
    from imagenet_g.leaderboard import SubmissionProblems

    with pytest.raises(SubmissionProblems, match="b.json"):
        submit_sweep(other, board2, catalog)
    assert not list(board2.rglob("*.json"))

"""Aggregation: ER recomputed from accuracies, stable sorted output, releases kept apart."""

from __future__ import annotations

import pytest

from imagenet_g import robustness
from imagenet_g.leaderboard import SubmissionProblems, build_leaderboard, load_leaderboard
from leaderboard_factories import edit_json, make_submission, write_submission


def test_er_is_recomputed_and_a_tampered_er_is_ignored(board_root, catalog):
    path = board_root / "submissions" / "v1" / "gen-model.json"
    forged = {"shift": "imagenet-g", "control": "imagenet", "control_top1": 70.0, "shift_top1": 52.0,
              "baseline": "trust me", "n_baselines": 3, "fits": [{"axis": "linear", "slope": 0.0, "intercept": 0.0, "er": 99.0}]}
    edit_json(path, lambda d: d["result"]["effective_robustness"].update({"imagenet-g": forged}))
    board = load_leaderboard(board_root, catalog, bootstrap=50)
    gen = next(e for e in board.releases["v1"].entries if e.slug == "gen-model")
    # the standard entries lie exactly on imagenet-g = 0.5 * imagenet + 10, so at 70 % the fit predicts 45 %
    assert gen.er["imagenet-g"].linear.er == pytest.approx(7.0)
    assert gen.er["imagenet-g"].linear.ci_low == pytest.approx(7.0) == gen.er["imagenet-g"].linear.ci_high
    assert board.releases["v1"].fits["imagenet-g"].lines["linear"].slope == pytest.approx(0.5)
    assert board.releases["v1"].fits["imagenet-g"].status == "ok"


def test_natural_shift_er_uses_the_shipped_testbed_baselines(board_root, catalog):
    board = load_leaderboard(board_root, catalog, bootstrap=0)
    gen = next(e for e in board.releases["v1"].entries if e.slug == "gen-model")
    for shift, acc in (("imagenet-v2", 62.0), ("imagenet-sketch", 30.0)):
        points = robustness.load_baselines(shift, "imagenet")
        for axis in ("linear", "logit"):
            expected = robustness.effective_robustness(70.0, acc, points, axis=axis, bootstrap=0).er
            assert getattr(gen.er[shift], axis).er == pytest.approx(expected, abs=1e-3)
    assert gen.scores == {}  # no R or A results: not ranked under the default (V2, Sketch, R, A)
    assert set(gen.er) == {"imagenet-g", "imagenet-v2", "imagenet-sketch"}  # no R/A/ObjectNet results, no ER
    ref = board.reference["imagenet-r"]
    assert ref.control == "val-on-imagenet-r-classes" and len(ref.points) == len(robustness.load_baselines("imagenet-r", ref.control))


def test_too_few_standard_entries_give_a_clear_state(board_root, catalog):
    (board_root / "submissions" / "v1" / "std-a.json").unlink()
    board = load_leaderboard(board_root, catalog, bootstrap=0)
    fit = board.releases["v1"].fits["imagenet-g"]
    assert fit.status == f"not enough baselines (2 of {robustness.MIN_BASELINES} needed)" and fit.lines == {}
    assert all("imagenet-g" not in e.er for e in board.releases["v1"].entries)


def test_standard_entries_with_one_imagenet_accuracy_cannot_be_fitted(tmp_path, catalog):
    root = tmp_path / "lb"
    for name in ("a", "b", "c"):
        write_submission(root, make_submission(name, {"imagenet": 0.1, "imagenet-g": 0.1}, release="smoke", is_standard=True))
    fit = load_leaderboard(root, catalog, bootstrap=0).releases["smoke"].fits["imagenet-g"]
    assert fit.status == "no fit: all 3 baselines share one imagenet accuracy" and fit.lines == {}


def test_entries_sorted_and_releases_kept_apart(board_root, catalog):
    (board_root / "submissions" / "v2").mkdir()
    board = load_leaderboard(board_root, catalog, bootstrap=0)
    assert list(board.releases) == ["v1", "v2", "smoke"]
    # none has ER on all four default-rank sets: all unranked, listed by name
    assert [e.slug for e in board.releases["v1"].entries] == ["gen-model", "std-a", "std-b", "std-c"]
    assert [e.slug for e in board.releases["smoke"].entries] == ["smoke-model"]
    assert board.releases["v2"].entries == [] and board.releases["v1"].spec_hash == "a" * 64
    assert board.releases["v1"].entries[0].file == "submissions/v1/gen-model.json"


def test_build_is_byte_for_byte_deterministic(board_root, catalog):
    first = build_leaderboard(board_root, catalog, bootstrap=100)
    paths = (first.json_path, first.markdown_path, first.html_path, *first.plot_paths)
    assert [p.name for p in first.plot_paths] == ["v1.png", "smoke.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in first.plot_paths)
    before = [p.read_bytes() for p in paths]
    build_leaderboard(board_root, catalog, bootstrap=100)
    assert [p.read_bytes() for p in paths] == before
    assert first.html_path == board_root / "site" / "index.html"


def test_invalid_submission_leaves_the_built_board_intact(board_root, catalog):
    out = build_leaderboard(board_root, catalog, bootstrap=0, plots=False)
    before = out.json_path.read_bytes()
    edit_json(board_root / "submissions" / "v1" / "std-a.json", lambda d: d.update(category="nope"))
    with pytest.raises(SubmissionProblems, match=r"std-a\.json: category"):
        build_leaderboard(board_root, catalog, bootstrap=0, plots=False)
    assert out.json_path.read_bytes() == before
    assert not list(board_root.rglob(".*.tmp*"))


def test_committed_board_is_up_to_date(tmp_path):
    """leaderboard/ in the repo is what `imagenet-g leaderboard build` makes of its submissions today."""
    import shutil
    from pathlib import Path

    from imagenet_g.leaderboard import ReleaseCatalog

    committed = Path(__file__).resolve().parents[2] / "leaderboard"
    root = tmp_path / "leaderboard"
    shutil.copytree(committed / "submissions", root / "submissions")
    (tmp_path / "no-builds").mkdir()  # a dataset_dir given must exist
    out = build_leaderboard(root, ReleaseCatalog.discover(dataset_dir=tmp_path / "no-builds"))
    for built in (out.json_path, out.markdown_path, out.html_path, *out.plot_paths):
        stale = built.read_bytes() != (committed / built.relative_to(root)).read_bytes()
        assert not stale, f"leaderboard/{built.relative_to(root)} is stale: run `imagenet-g leaderboard build`"

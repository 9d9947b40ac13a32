"""`imagenet-g leaderboard ...`: exit 2 with one line per problem, add refuses to overwrite, build writes 3 files."""

from __future__ import annotations

import json

import pytest

from leaderboard_factories import edit_json, make_result, make_submission, write_submission

from imagenet_g.release.spec.spec import load_release

V1_HASH, SMOKE_HASH = load_release("v1").spec_hash, load_release("smoke").spec_hash


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with the repo's v1 and smoke specs, v1 built locally; commands run inside it."""
    from imagenet_g.release import spec

    for version in ("v1", "smoke"):
        (tmp_path / "releases" / version).mkdir(parents=True)
        (tmp_path / "releases" / version / "spec.yaml").write_text((spec.specs_dir() / version / "spec.yaml").read_text())
    (tmp_path / "imagenet-g" / "v1").mkdir(parents=True)
    (tmp_path / "imagenet-g" / "v1" / "manifest.json").write_text(json.dumps({"spec_hash": V1_HASH}))
    monkeypatch.setenv("IMAGENET_G_RELEASES", str(tmp_path / "releases"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def results(project):
    path = project / "results" / "resnet50.json"
    path.parent.mkdir()
    make_result("resnet50", {"imagenet": 76.1, "imagenet-g": 50.0}, checksum=V1_HASH).write(path)
    return path


def _submission(model_id, release="v1", **meta):
    checksum = {"v1": V1_HASH, "smoke": SMOKE_HASH}[release]
    return make_submission(model_id, {"imagenet": 70.0, "imagenet-g": 40.0}, release=release, checksum=checksum, **meta)


def test_validate_prints_one_line_per_problem_and_exits_2(run_cli, project):
    good = write_submission(project / "leaderboard", _submission("a"))
    bad = write_submission(project / "leaderboard", _submission("b"))
    edit_json(bad, lambda d: d.update(category="synthetic", is_standard="maybe"))
    result = run_cli("leaderboard", "validate", good, bad)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"imagenet-g: error: {bad}: ") for line in lines)
    assert "category: Input should be" in lines[0] and "is_standard: Input should be a valid boolean" in lines[1]
    ok = run_cli("leaderboard", "validate", good)
    assert ok.exit_code == 0 and "1 submission(s) valid" in ok.stdout


@pytest.mark.parametrize("edit,field", [
    (lambda d: d.update(is_standard="yes"), "is_standard: Input should be a valid boolean"),
    (lambda d: d.update(is_standard=1), "is_standard: Input should be a valid boolean"),
    (lambda d: d["result"]["datasets"]["imagenet"].update(top1="70.0"), "top1: Input should be a valid number"),
    (lambda d: d["result"].update(complete="true"), "complete: Input should be a valid boolean"),
])
def test_validate_takes_types_strictly(run_cli, project, edit, field):
    path = write_submission(project / "leaderboard", _submission("a"))
    edit_json(path, edit)
    result = run_cli("leaderboard", "validate", path)
    assert result.exit_code == 2 and field in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_validate_reads_the_release_specs(run_cli, project):
    path = write_submission(project / "leaderboard", _submission("a", release="smoke"))
    assert run_cli("leaderboard", "validate", path).exit_code == 0
    missing = run_cli("leaderboard", "validate", path, "--specs-dir", project / "nowhere")
    assert missing.exit_code == 2
    assert missing.stderr.splitlines()[0].startswith("imagenet-g: error: the given specs folder ")
    assert "is not a folder; set --specs-dir to a folder" in missing.stderr


def test_validate_checks_the_checksum_of_the_built_release(run_cli, project):
    path = write_submission(project / "leaderboard", _submission("a"))
    edit_json(path, lambda d: d["result"]["datasets"]["imagenet-g"].update(checksum="c" * 64))
    result = run_cli("leaderboard", "validate", path)
    assert result.exit_code == 2 and f"is not the spec hash of release 'v1' ('{V1_HASH}')" in result.stderr


def test_add_writes_a_submission_and_refuses_to_overwrite(run_cli, project, results):
    args = ("leaderboard", "add", results, "--name", "ResNet-50", "--category", "real", "--standard",
            "--paper", "https://arxiv.org/abs/1512.03385", "--submitted-by", "me")
    first = run_cli(*args)
    assert first.exit_code == 0, first.stderr
    path = project / "leaderboard" / "submissions" / "v1" / "resnet50.json"
    data = json.loads(path.read_text())
    assert data["name"] == "ResNet-50" and data["is_standard"] is True and data["release"] == "v1"
    assert data["result"]["datasets"]["imagenet"]["top1"] == 76.1
    again = run_cli(*args[:4], "Renamed", *args[5:])
    assert again.exit_code == 2
    assert again.stderr.strip() == (f"imagenet-g: error: {results}: model 'resnet50' is already entered as "
                                    f"{path.relative_to(project)}; pass --force to replace it")
    assert json.loads(path.read_text())["name"] == "ResNet-50"
    forced = run_cli(*args[:4], "Renamed", *args[5:], "--force")
    assert forced.exit_code == 0 and json.loads(path.read_text())["name"] == "Renamed"


def test_add_rejects_bad_input_without_writing(run_cli, project, results):
    bad_category = run_cli("leaderboard", "add", results, "--name", "x", "--category", "synthetic")
    assert bad_category.exit_code == 2
    assert bad_category.stderr.startswith("imagenet-g: error: category: Input should be 'real', 'generated'")
    bad_url = run_cli("leaderboard", "add", results, "--name", "x", "--category", "real", "--paper", "javascript:alert(1)")
    assert bad_url.exit_code == 2 and bad_url.stderr.startswith("imagenet-g: error: paper: String should match pattern")
    missing = run_cli("leaderboard", "add", project / "nope.json", "--name", "x", "--category", "real")
    assert missing.exit_code == 2 and "no such results file" in missing.stderr
    assert not (project / "leaderboard").exists()


def test_add_refuses_the_same_model_under_another_file_name(run_cli, project, results):
    other = write_submission(project / "leaderboard", _submission("resnet50"), slug="rn50")
    result = run_cli("leaderboard", "add", results, "--name", "x", "--category", "real")
    assert result.exit_code == 2 and f"is already entered in {other.relative_to(project)}" in result.stderr


def test_build_and_show(run_cli, project, results):
    assert run_cli("leaderboard", "add", results, "--name", "ResNet-50", "--category", "real").exit_code == 0
    smoke = project / "results" / "smoke.json"
    make_result("resnet18", {"imagenet-g": 0.2}, release="smoke", checksum=SMOKE_HASH).write(smoke)
    assert run_cli("leaderboard", "add", smoke, "--name", "ResNet-18 (smoke)", "--category", "real").exit_code == 0
    built = run_cli("leaderboard", "build", "--bootstrap", "20")
    assert built.exit_code == 0, built.stderr
    assert "release smoke: 1 entries; ImageNet-G fit: not enough baselines (0 of 3 needed)" in built.stdout
    for name in ("leaderboard.json", "README.md", "site/index.html"):
        assert (project / "leaderboard" / name).is_file()
    shown = run_cli("leaderboard", "show", "--release", "smoke")
    assert shown.exit_code == 0 and "ResNet-18" in shown.stdout and "ResNet-50" not in shown.stdout
    unknown = run_cli("leaderboard", "show", "--release", "smoek")
    assert unknown.exit_code == 2 and "did you mean: smoke?" in unknown.stderr



def test_build_never_replaces_a_file_it_did_not_write(run_cli, project, results):
    assert run_cli("leaderboard", "add", results, "--name", "ResNet-50", "--category", "real").exit_code == 0
    assert run_cli("leaderboard", "build", "--bootstrap", "0", "--no-plots").exit_code == 0
    board = project / "leaderboard"
    (board / "README.md").write_text("# Our lab's leaderboard notes\n")
    before = {p: p.read_bytes() for p in board.rglob("*") if p.is_file()}
    result = run_cli("leaderboard", "build", "--bootstrap", "0", "--no-plots")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "leaderboard/README.md was not written by `imagenet-g leaderboard build`" in result.stderr
    assert "--root" in result.stderr
    assert {p: p.read_bytes() for p in board.rglob("*") if p.is_file()} == before


def test_unwritable_root_is_one_line(run_cli, project, results):
    (project / "leaderboard").write_text("a file where the folder should be")
    result = run_cli("leaderboard", "add", results, "--name", "x", "--category", "real")
    assert result.exit_code == 2
    assert result.stderr.startswith("imagenet-g: error: cannot write leaderboard/submissions/v1/resnet50.json: ")
    assert (project / "leaderboard").read_text() == "a file where the folder should be"


def test_build_without_a_leaderboard_folder(run_cli, project):
    result = run_cli("leaderboard", "build", "--root", "elsewhere")
    assert result.exit_code == 2
    assert result.stderr == ("imagenet-g: error: no leaderboard at elsewhere: elsewhere/submissions is not a folder; "
                             "point the board root at a folder holding submissions/<release>/, or add a first entry "
                             "with `imagenet-g leaderboard add`\n")
    assert not (project / "elsewhere").exists()


def test_mixing_up_results_and_submission_files(run_cli, project, results):
    rel = results.relative_to(project)
    wrong_way = run_cli("leaderboard", "validate", rel)
    assert wrong_way.exit_code == 2
    assert wrong_way.stderr.splitlines() == [
        f"imagenet-g: error: {rel}: this is an eval results file, not a submission; turn it into one with "
        f"`imagenet-g leaderboard add {rel} --name ... --category ...`"]
    assert run_cli("leaderboard", "add", rel, "--name", "x", "--category", "real").exit_code == 0
    submission = project / "leaderboard" / "submissions" / "v1" / "resnet50.json"
    again = run_cli("leaderboard", "add", submission, "--name", "x", "--category", "real", "--force")
    assert again.exit_code == 2 and "is already a submission; give the results JSON of an evaluation" in again.stderr
    results.write_text("{not json")
    broken = run_cli("leaderboard", "add", rel, "--name", "x", "--category", "real")
    assert broken.exit_code == 2 and broken.stderr.startswith(f"imagenet-g: error: {rel}: not valid JSON")
    results.write_text("[1, 2]")
    listed = run_cli("leaderboard", "validate", rel)
    assert listed.stderr == f"imagenet-g: error: {rel}: Input should be an object\n"


def test_add_refuses_the_same_weights_under_another_id_unless_forced(run_cli, project, results):
    edit_json(results, lambda d: d["model"].update(weights_sha256="d" * 64))
    assert run_cli("leaderboard", "add", results, "--name", "ResNet-50", "--category", "real").exit_code == 0
    first = project / "leaderboard" / "submissions" / "v1" / "resnet50.json"
    assert json.loads(first.read_text())["results_file"] == "../../../results/resnet50.json"
    twin = project / "results" / "mine.json"
    make_result("mine.models:resnet50", {"imagenet": 76.0, "imagenet-g": 50.0}, checksum=V1_HASH).write(twin)
    edit_json(twin, lambda d: d["model"].update(weights_sha256="d" * 64))
    refused = run_cli("leaderboard", "add", twin, "--name", "Mine", "--category", "real")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"imagenet-g: error: {twin}: the weights of model 'mine.models:resnet50' (sha256 dddddddddddd) are already "
        f"entered in release 'v1': {first.relative_to(project)} ('resnet50'); pass --force to replace that entry")
    replaced = run_cli("leaderboard", "add", twin, "--name", "Mine", "--category", "real", "--force")
    assert replaced.exit_code == 0, replaced.stderr
    assert not first.exists() and len(list(first.parent.glob("*.json"))) == 1  # replaced, not kept beside it
    # the board refuses a hand-made second entry of the same weights too
    other = _submission("other")
    model = other.result.model.model_copy(update={"weights_sha256": "d" * 64})
    write_submission(project / "leaderboard", other.model_copy(update={
        "result": other.result.model_copy(update={"model": model})}))
    built = run_cli("leaderboard", "build", "--no-plots")
    assert built.exit_code == 2
    assert "the weights of model 'other' (sha256 dddddddddddd) in release 'v1' are already entered in" in built.stderr

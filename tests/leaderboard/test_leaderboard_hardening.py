"""Hostile or broken input: one line naming the input file and exit 2, nothing written; ids never share a file."""

from __future__ import annotations

import json

import pytest
from leaderboard_factories import edit_json, make_result, make_submission, write_submission

from imagenet_g.slugs import MAX_LENGTH, slug
from imagenet_g.release.spec.spec import load_release

V1_HASH = load_release("v1").spec_hash
BIDI = "\u202e"  # RIGHT-TO-LEFT OVERRIDE


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "imagenet-g" / "v1").mkdir(parents=True)
    (tmp_path / "imagenet-g" / "v1" / "manifest.json").write_text(json.dumps({"spec_hash": V1_HASH}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _results(project, model_id: str, name: str = "r.json"):
    path = project / "results" / name
    path.parent.mkdir(exist_ok=True)
    make_result(model_id, {"imagenet": 76.1, "imagenet-g": 50.0}, checksum=V1_HASH).write(path)
    return path


def _add(run_cli, results, *extra):
    return run_cli("leaderboard", "add", results, "--name", "M", "--category", "real", *extra)


def _one_error(result, startswith: str):
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"imagenet-g: error: {startswith}"), lines
    return lines[0]


def test_slugs_keep_ids_apart_and_stay_short():
    assert slug("resnet50") == "resnet50" and slug("timm/convnext_tiny.fb_in1k").startswith("timm-convnext_tiny.fb_in1k-")
    ids = ["mypkg.models:build", "mypkg.models:Build", "mypkg.models_build", "mypkg.models/build", "a" * 5000,
           "a" * 5001, "Resnet50", "resnet50", "résnet50", "con", ".hidden", ""]
    slugs = [slug(i) for i in ids]
    assert len({s.casefold() for s in slugs}) == len(ids)  # distinct even on a case-insensitive file system
    assert all(len(s) <= MAX_LENGTH and s == s.lower() and s[0] not in ".-" for s in slugs)


def test_ids_differing_only_by_case_get_different_files(run_cli, project):
    first = _add(run_cli, _results(project, "mypkg.models:build", "a.json"))
    second = _add(run_cli, _results(project, "mypkg.models:Build", "b.json"))
    assert first.exit_code == 0 and second.exit_code == 0, (first.stderr, second.stderr)
    files = sorted((project / "leaderboard" / "submissions" / "v1").glob("*.json"))
    assert len(files) == 2
    assert {json.loads(f.read_text())["result"]["model"]["id"] for f in files} == {"mypkg.models:build",
                                                                                  "mypkg.models:Build"}


def test_force_never_replaces_another_models_entry(run_cli, project):
    results = _results(project, "m1")
    assert _add(run_cli, results).exit_code == 0
    target = project / "leaderboard" / "submissions" / "v1" / "m1.json"
    edit_json(target, lambda d: d["result"]["model"].update(id="someone-else"))  # a file whose model differs
    line = _one_error(_add(run_cli, results, "--force"), f"{results}: model 'm1' would replace ")
    assert "the entry of another model ('someone-else')" in line


def test_a_5000_character_model_id_is_one_line(run_cli, project):
    results = _results(project, "x" * 5000)
    line = _one_error(_add(run_cli, results), f"{results}: result.model.id: 5000 characters, at most 256")
    assert len(line) < 300
    assert not (project / "leaderboard").exists()


def test_an_unknown_results_schema_version_is_refused(run_cli, project):
    results = _results(project, "m1")
    edit_json(results, lambda d: d.update(schema_version=99))
    _one_error(_add(run_cli, results), f"{results}: result.schema_version: 99 is not a results schema")
    assert not (project / "leaderboard").exists()


@pytest.mark.parametrize("where", ["model.id", "model.preprocess.interpolation", "datasets.imagenet.source",
                                   "environment.python"])
def test_bidi_and_control_characters_are_refused_in_every_results_field(run_cli, project, where):
    results = _results(project, "m1")

    def poison(data):
        *parents, last = where.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = f"evil{BIDI}txt.exe"

    edit_json(results, poison)
    _one_error(_add(run_cli, results), f"{results}: result.{where}: contains U+202E, a control or text-direction")


@pytest.mark.parametrize("flag", ["--name", "--submitted-by", "--paper"])
def test_bidi_and_control_characters_are_refused_in_every_submission_field(run_cli, project, flag):
    results = _results(project, "m1")
    value = f"https://example.org/{BIDI}fdp.exe" if flag == "--paper" else f"a{BIDI}b"
    args = ["leaderboard", "add", results, "--category", "real", flag, value]
    if flag != "--name":
        args += ["--name", "M"]
    line = _one_error(run_cli(*args), f"{flag.strip('-').replace('-', '_')}: ")
    assert "visible text" in line


def test_a_hostile_submission_file_is_refused_by_validate(run_cli, project):
    path = write_submission(project / "leaderboard", make_submission("m1", {"imagenet-g": 50.0}, checksum=V1_HASH))
    edit_json(path, lambda d: d["result"]["model"].update(id=f"m1{BIDI}"))
    result = run_cli("leaderboard", "validate", path)
    assert result.exit_code == 2
    assert f"{path}: result.model.id: contains U+202E" in result.stderr


def test_validate_takes_folders_and_patterns_and_says_when_there_is_nothing(run_cli, project):
    empty = project / "leaderboard" / "submissions" / "v1"
    empty.mkdir(parents=True)
    _one_error(run_cli("leaderboard", "validate", empty), f"nothing to validate: {empty} holds no submission files")
    pattern = f"{empty}/*.json"  # what the shell passes on when nothing matches
    _one_error(run_cli("leaderboard", "validate", pattern), f"nothing to validate: {pattern} holds no")
    write_submission(project / "leaderboard", make_submission("m1", {"imagenet-g": 50.0}, checksum=V1_HASH))
    for arg in (empty, pattern, project / "leaderboard" / "submissions"):
        ok = run_cli("leaderboard", "validate", arg, "--json")
        assert ok.exit_code == 0, ok.stderr
        assert json.loads(ok.stdout) == {"ok": True, "valid": [{"path": str(empty / "m1.json"), "slug": "m1",
                                                                 "release": "v1", "model_id": "m1"}]}


def test_every_leaderboard_command_speaks_json(run_cli, project):
    results = _results(project, "open_clip:ViT-B-32/openai")
    added = run_cli("leaderboard", "add", results, "--name", "CLIP", "--category", "more data", "--json")
    assert added.exit_code == 0, added.stderr
    entry = json.loads(added.stdout)
    assert entry["slug"] == slug("open_clip:ViT-B-32/openai") and entry["release"] == "v1"
    built = json.loads(run_cli("leaderboard", "build", "--bootstrap", "0", "--no-plots", "--json").stdout)
    assert built["releases"]["v1"]["submissions"] == 1 and built["published_rows"] > 1000
    shown = json.loads(run_cli("leaderboard", "show", "--release", "v1", "--limit", "3", "--json").stdout)
    rows = shown["releases"]["v1"]
    assert [r["place"] for r in rows[:3]] == [1, 2, 3] and rows[-1]["slug"] == entry["slug"]
    assert rows[-1]["unranked"] == "no ER on ImageNet-V2, ImageNet-Sketch, ImageNet-R, ImageNet-A"
    bad = run_cli("leaderboard", "validate", project / "nope.json", "--json")
    assert bad.exit_code == 2 and json.loads(bad.stdout) == {"ok": False, "problems": [f"{project / 'nope.json'}: no such file"]}
    # show prints the slug that verify takes
    text = run_cli("leaderboard", "show", "--release", "v1", "--limit", "1")
    assert f"({entry['slug'][:10]}" in text.stdout.replace("\n", "")

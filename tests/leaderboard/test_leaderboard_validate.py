"""Every way a submission can be wrong is reported as one line naming the file, the field and the fix."""

from __future__ import annotations

import re

import pytest

from imagenet_g.leaderboard import ReleaseCatalog, SubmissionProblems, validate_files
from leaderboard_factories import edit_json, make_submission, write_submission

TOP1 = {"imagenet": 76.0, "imagenet-g": 50.0}


@pytest.fixture
def good(tmp_path):
    return write_submission(tmp_path / "leaderboard", make_submission("resnet50", TOP1, paper="https://arxiv.org/abs/1512.03385"))


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def edit(data):
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value

    return edit


def _delete(*keys):
    def edit(data):
        for key in keys[:-1]:
            data = data[key]
        del data[keys[-1]]

    return edit


def _add_v2(variant):
    def edit(data):
        v2 = dict(data["result"]["datasets"]["imagenet"], name="imagenet-v2", version=variant)
        data["result"]["datasets"]["imagenet-v2"] = v2

    return edit


def _standard_generated(data):
    data.update(is_standard=True, category="generated")


BAD = {
    "missing field": (_delete("name"), r"name: required field is missing"),
    "missing nested field": (_delete("result", "datasets", "imagenet", "top1"),
                             r"result\.datasets\.imagenet\.top1: required field is missing"),
    "wrong type": (_set("is_standard", "maybe"), r"is_standard: Input should be a valid boolean"),
    "accuracy above 100": (_set("result", "datasets", "imagenet", "top1", 120.5),
                           r"result\.datasets\.imagenet\.top1: Input should be less than or equal to 100 \(got 120\.5\)"),
    "negative accuracy": (_set("result", "datasets", "imagenet-g", "top5", -1),
                          r"result\.datasets\.imagenet-g\.top5: Input should be greater than or equal to 0"),
    "accuracy as string": (_set("result", "datasets", "imagenet", "top1", "76.1%"),
                           r"result\.datasets\.imagenet\.top1: Input should be a valid number"),
    "unknown category": (_set("category", "synthetic"), r"category: Input should be 'real', 'generated'"),
    "unknown field": (_set("extra_field", 1), r"extra_field: unknown field; remove it"),
    "script url": (_set("paper", "javascript:alert(1)"), r"paper: String should match pattern"),
    "multi-line name": (_set("name", "two\nlines"), r"name: must be one line of visible text \(no control characters, line breaks"),
    "empty name": (_set("name", ""), r"name: String should have at least 1 character"),
    "direction override in name": (_set("name", "resnet\u202e05"), r"name: must be one line of visible text"),
    "standard but not real data": (_standard_generated,
                                   r"json: is_standard: a standard model is trained on real data only, "
                                   r"but category is 'generated'; mark it as not standard or give category real"),
    "incomplete run": (_set("result", "complete", False), r"result\.complete: the eval run is incomplete"),
    "top5 below top1": (_set("result", "datasets", "imagenet", "top5", 50.0),
                        r"result\.datasets\.imagenet\.top5: 50\.0 is below top1 76\.0"),
    "no images": (_set("result", "datasets", "imagenet", "images", 0), r"result\.datasets\.imagenet\.images: 0 images"),
    "key differs from name": (_set("result", "datasets", "imagenet", "name", "imagenet-v2"),
                              r"result\.datasets\.imagenet\.name: 'imagenet-v2' does not match its key 'imagenet'"),
    "other imagenet-v2 variant": (_add_v2("threshold0.7"),
                                  r"result\.datasets\.imagenet-v2\.version: variant 'threshold0\.7', but the board's "
                                  r"ImageNet-V2 column and its baselines are 'matched-frequency'"),
    "no imagenet-g result": (_delete("result", "datasets", "imagenet-g"),
                             r"result\.datasets\.imagenet-g: missing; run `imagenet-g eval --release v1"),
    "other release evaluated": (_set("result", "datasets", "imagenet-g", "version", "smoke"),
                                r"imagenet-g\.version: evaluated on release 'smoke' but submitted for 'v1'"),
    "checksum mismatch": (_set("result", "datasets", "imagenet-g", "checksum", "b" * 64),
                          r"imagenet-g\.checksum: 'b{64}' is not the spec hash of release 'v1' \('a{64}'\); "
                          r"evaluate on a build of the release's committed spec"),
}


@pytest.mark.parametrize("edit,message", BAD.values(), ids=BAD.keys())
def test_each_problem_is_one_line(good, catalog, edit, message):
    edit_json(good, edit)
    with pytest.raises(SubmissionProblems, match=message) as info:
        validate_files([good], catalog)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(f"{good}: ")
    assert "\n" not in info.value.problems[0]


def test_valid_file_passes(good, catalog):
    [loaded] = validate_files([good], catalog)
    assert loaded.submission.model_id == "resnet50" and loaded.submission.slug == "resnet50"


def test_without_a_spec_the_local_build_gives_the_checksum(good):
    edit_json(good, _set("result", "datasets", "imagenet-g", "checksum", "b" * 64))
    built = ReleaseCatalog(known=frozenset({"v1"}), built_hashes={"v1": "c" * 64})
    with pytest.raises(SubmissionProblems, match=r"'b{64}' is not the spec hash of the built release 'v1' \('c{64}'\)"):
        validate_files([good], built)
    stale_build = ReleaseCatalog(known=frozenset({"v1"}), spec_hashes={"v1": "b" * 64}, built_hashes={"v1": "c" * 64})
    assert validate_files([good], stale_build)  # the committed spec decides
    assert validate_files([good], ReleaseCatalog(known=frozenset({"v1"})))  # nothing to compare with


def test_unknown_release(tmp_path, catalog):
    path = tmp_path / "entry.json"
    write_submission(tmp_path, make_submission("resnet50", TOP1, release="smoek")).rename(path)
    with pytest.raises(SubmissionProblems, match=r"entry\.json: release: unknown release 'smoek' \(did you mean: smoke\?\); "
                                                  r"choose one of: smoke, v1$"):
        validate_files([path], catalog)


def test_not_json(tmp_path, catalog):
    bad = tmp_path / "bad.json"
    bad.write_text("{'name': 1,}", encoding="utf-8")
    with pytest.raises(SubmissionProblems, match=r"bad\.json: not valid JSON: Expecting property name"):
        validate_files([bad], catalog)


def test_missing_file(tmp_path, catalog):
    with pytest.raises(SubmissionProblems, match=r"nope\.json: no such file"):
        validate_files([tmp_path / "nope.json"], catalog)


def test_duplicate_model_in_one_release(good, catalog):
    copy = write_submission(good.parents[2], make_submission("resnet50", TOP1, name="ResNet-50 again"), slug="zz-copy")
    with pytest.raises(SubmissionProblems, match=r"zz-copy\.json: duplicate entry: model 'resnet50' in release 'v1' "
                                                  r"is already entered in .*resnet50\.json") as info:
        validate_files([good, copy], catalog)
    assert len(info.value.problems) == 2
    assert info.value.problems[0] == (f"{copy}: file name: the submission of model 'resnet50' is stored as "
                                      f"resnet50.json; rename the file")


def test_same_model_in_two_releases_is_fine(good, catalog):
    other = write_submission(good.parents[2], make_submission("resnet50", {**TOP1}, release="smoke"))
    assert len(validate_files([good, other], catalog)) == 2


def test_file_in_the_wrong_release_folder(good, catalog):
    moved = good.parents[1] / "smoke" / good.name
    moved.parent.mkdir()
    good.rename(moved)
    with pytest.raises(SubmissionProblems, match=r"release: 'v1' but the file is under submissions/smoke/; move it"):
        validate_files([moved], catalog)


def test_every_problem_of_every_file_is_listed(good, catalog):
    edit_json(good, _set("category", "nope"))
    edit_json(good, _set("result", "datasets", "imagenet", "top1", 101))
    other = write_submission(good.parents[2], make_submission("vit", TOP1, release="v9"))
    with pytest.raises(SubmissionProblems) as info:
        validate_files([good, other], catalog)
    problems = info.value.problems
    assert len(problems) == 3
    assert [bool(re.search(p, "\n".join(problems))) for p in (r"category", r"imagenet\.top1", r"unknown release 'v9'")] == [True] * 3


def test_catalog_discovers_specs_and_built_manifests(tmp_path):
    from imagenet_g.release import spec

    repo_specs = spec.specs_dir()
    (tmp_path / "releases" / "v1").mkdir(parents=True)
    (tmp_path / "releases" / "v1" / "spec.yaml").write_text((repo_specs / "v1" / "spec.yaml").read_text())
    (tmp_path / "releases" / "v9").mkdir()
    (tmp_path / "releases" / "v9" / "spec.yaml").write_text("generator: {unknown: 1}\n")
    (tmp_path / "imagenet-g" / "smoke").mkdir(parents=True)
    (tmp_path / "imagenet-g" / "smoke" / "manifest.json").write_text('{"spec_hash": "abc"}')
    (tmp_path / "imagenet-g" / "broken").mkdir()
    (tmp_path / "imagenet-g" / "broken" / "manifest.json").write_text("{")
    catalog = ReleaseCatalog.discover(tmp_path / "releases", tmp_path / "imagenet-g")
    assert catalog.known == {"v1", "smoke"}
    assert dict(catalog.spec_hashes) == {"v1": spec.load_release("v1", repo_specs).spec_hash}
    assert dict(catalog.built_hashes) == {"smoke": "abc"}
    assert [p.split(":")[0] for p in catalog.problems] == ["release spec v9", f"{tmp_path}/imagenet-g/broken/manifest.json"]

"""build -> audit -> verify -> build -> push: the audit sits beside the release (audits/<version>), so the audited
release still verifies, a rebuild resumes it, and push publishes it with its audit; a user's README.md is never
replaced by the card."""

from __future__ import annotations

import shutil

import pytest
from fake_hub import FakeHub
from output_helpers import assert_refused

from imagenet_g.layout import CARD_FILE, audit_block
from imagenet_g.release import PushRequest, push_release

AUDIT = ("--clip-model", "random-clip", "--fid-extractor", "random-cnn", "--safety-checker", "random-safety-checker",
         "--templates", "openai_imagenet_simple", "--reference", "none", "--workers", "0")


def _audit(run_cli, built_copy, tmp_path, *extra):
    return run_cli("audit", "--release", "smoke", "--data-root", built_copy.parent, "--cache-dir", tmp_path / "cache",
                   *AUDIT, *extra)


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_audit_verify_build_push(built_copy, releases_root, tmp_path, run_cli):
    audited = _audit(run_cli, built_copy, tmp_path)
    assert audited.exit_code == 0, audited.stderr
    audit = built_copy / "audits" / "smoke"
    assert (audit / "audit.json").is_file() and (audit / "report.md").is_file()
    assert audit_block((built_copy / CARD_FILE).read_text(), "smoke") is not None

    verified = run_cli("verify", "--release", "smoke", "--dataset-dir", built_copy, "--specs-dir", releases_root)
    assert verified.exit_code == 0, verified.stderr
    before = _files(built_copy)
    rebuilt = run_cli("build", "--release", "smoke", "--dataset-dir", built_copy, "--specs-dir", releases_root)
    assert rebuilt.exit_code == 0, rebuilt.stderr
    after = _files(built_copy)
    assert {k: v for k, v in after.items() if k != CARD_FILE} == {k: v for k, v in before.items() if k != CARD_FILE}
    assert audit_block(after[CARD_FILE].decode(), "smoke") == audit_block(before[CARD_FILE].decode(), "smoke")

    hub = FakeHub(tmp_path / "hub")
    push_release(PushRequest("smoke", "org/imagenet-g", dataset_dir=built_copy), api=hub)
    assert {name for name in hub.files if name.startswith("audits/")} == {
        f"audits/smoke/{name}" for name in _files(audit)}
    card = hub.files[CARD_FILE].decode()
    assert "Full report: [audits/smoke/report.md]" in audit_block(card, "smoke")


def test_an_audit_is_refused_inside_the_release_folder(built_copy, tmp_path, run_cli):
    inside = built_copy / "smoke" / "audit"
    assert_refused(_audit(run_cli, built_copy, tmp_path, "--out", inside),
                   f"{inside} is inside the release folder {built_copy / 'smoke'}", "--out")
    assert not inside.exists()


def test_an_audit_left_in_the_release_folder_is_named_with_where_it_goes(built_copy, releases_root, run_cli):
    legacy = built_copy / "smoke" / "audit"  # where audits went before
    legacy.mkdir()
    (legacy / "audit.json").write_text("{}")
    verified = run_cli("verify", "--release", "smoke", "--dataset-dir", built_copy, "--specs-dir", releases_root)
    assert_refused(verified, "audit is not part of the release",
                   f"move audit out of {built_copy / 'smoke'}", f"an audit goes to {built_copy / 'audits' / 'smoke'}")
    assert "build release smoke again" not in verified.stderr  # the build would refuse it: not the advice
    rebuilt = run_cli("build", "--release", "smoke", "--dataset-dir", built_copy, "--specs-dir", releases_root)
    assert_refused(rebuilt, "audit, which is not part of the release", "move it out")


def test_the_audit_never_touches_a_readme_that_is_not_its_card(built_copy, tmp_path, run_cli):
    card = built_copy / CARD_FILE
    card.write_text("# My notes\n")
    assert_refused(_audit(run_cli, built_copy, tmp_path), f"{card} is not a dataset card imagenet-g wrote",
                   "--no-card")
    assert card.read_text() == "# My notes\n" and not (built_copy / "audits").exists()
    assert _audit(run_cli, built_copy, tmp_path, "--no-card").exit_code == 0
    assert card.read_text() == "# My notes\n"


@pytest.mark.parametrize("dataset_dir", [".", ""])
def test_a_build_never_replaces_the_users_readme(releases_root, tmp_path, run_cli, monkeypatch, dataset_dir):
    (tmp_path / "README.md").write_text("# My project\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("build", "--release", "smoke", "--dataset-dir", dataset_dir, "--specs-dir", releases_root)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
    assert (tmp_path / "README.md").read_text() == "# My project\n"


def test_a_build_writes_only_into_a_release_folder(built_copy, releases_root, tmp_path, run_cli):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    assert_refused(run_cli("build", "--release", "smoke", "--dataset-dir", project, "--specs-dir", releases_root),
                   f"{project} holds src and is not a release folder", "--dataset-dir")
    assert [p.name for p in project.iterdir()] == ["src"]
    shutil.rmtree(built_copy / "smoke")  # a release folder with its card only: another version may be built there
    (built_copy / "audits").mkdir()
    assert run_cli("build", "--release", "smoke", "--dataset-dir", built_copy, "--specs-dir",
                   releases_root).exit_code == 0

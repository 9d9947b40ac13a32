"""The audit end to end on a tiny release with planted problems: every section, the files, the card, compare."""

from __future__ import annotations

import json

import numpy as np
import torch
import pytest
import yaml
from audit_fixtures import (CLASSES, DUPLICATE, MEMORISED, OFF_CLASS, PER_CLASS, lazy, pixel_extractor,
                            release_template_ids)

from imagenet_g.audit import AuditRequest, compare_audits, read_audit, run_audit
from imagenet_g.audit import run as audit_run
from imagenet_g.audit.extractors import LazyExtractor
from imagenet_g.audit.report import RANDOM_NOTE, SINGULAR_NOTE


def _pixel_clip(real):
    """``resolve_extractor`` with 'random-clip' as the readable pixel extractor (predictable embeddings)."""
    return lambda name, weights=None, cache_dir=None: (lazy(pixel_extractor()) if name == "random-clip"
                                                       else real(name, weights, cache_dir))


@pytest.fixture
def pixel_clip(monkeypatch):
    monkeypatch.setattr(audit_run, "resolve_extractor", _pixel_clip(audit_run.resolve_extractor))


def _request(root, tmp_path, **kw) -> AuditRequest:
    base = dict(release="t1", data_root=root, clip_model="random-clip", fid_extractor="random-cnn",
                safety_checker="random-safety-checker", templates="openai_imagenet_simple", workers=0,
                cache_dir=tmp_path / "cache", out=tmp_path / "out", kid_subsets=5, duplicate_threshold=0.999,
                memorisation_threshold=0.999)
    return AuditRequest(**{**base, **kw})


@pytest.fixture(scope="module")
def audited(audit_root, tmp_path_factory):
    """One audit of release t1 (module-scoped: the sections below read the same result)."""
    tmp = tmp_path_factory.mktemp("audit")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(audit_run, "resolve_extractor", _pixel_clip(audit_run.resolve_extractor))
        result, written = run_audit(_request(audit_root, tmp, out=None))
    return result, written, tmp


def test_the_planted_release_is_a_real_release_that_verifies(audit_root, run_cli):
    res = run_cli("verify", "--release", "t1", "--dataset-dir", audit_root / "imagenet-g",
                  "--specs-dir", audit_root / "specs")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith(f"t1: OK, 3 shards, {len(CLASSES) * PER_CLASS} rows match the manifest")


def test_the_planted_off_class_image_is_found(audited, audit_root):
    c = audited[0].consistency
    assert c.off_class_total == 1 and c.off_class[0].image.position == OFF_CLASS
    assert (c.off_class[0].image.label, c.off_class[0].predicted) == (0, 6)
    per_class = {p.label: p for p in c.per_class}
    assert per_class[0].zero_shot_top1 == pytest.approx(100 * (PER_CLASS - 1) / PER_CLASS)
    assert per_class[6].zero_shot_top1 == 100.0 and c.classes_below_threshold == []
    assert c.zero_shot_top1 == pytest.approx(100 * (len(CLASSES) * PER_CLASS - 1) / (len(CLASSES) * PER_CLASS))
    assert c.clip_score is not None and 0 <= c.clip_score <= 100
    assert sorted(c.per_template) == release_template_ids(audit_root, "t1")


def test_the_planted_near_duplicate_is_found_within_its_class_and_across(audited, audit_root):
    d = audited[0].diversity
    assert [(p.a.position, p.b.position) for p in d.duplicates_within_class] == [DUPLICATE]
    assert [(p.a.position, p.b.position) for p in d.duplicates_across_release] == [DUPLICATE]
    assert d.duplicates_within_class_total == d.duplicates_across_release_total == 1
    assert d.duplicates_within_class[0].similarity == pytest.approx(1.0)
    assert [g.group for g in d.per_class] == list(CLASSES)
    assert [g.group for g in d.per_template] == release_template_ids(audit_root, "t1")
    assert all(1.0 <= g.vendi <= g.images for g in d.per_class)


def test_a_reference_image_copied_into_the_release_is_listed_as_possible_memorisation(audited):
    m = audited[0].memorisation
    assert [x.image.position for x in m.matches] == [MEMORISED] and m.matches_total == 1
    assert m.matches[0].reference_key.endswith("img0.png") and m.max_similarity == pytest.approx(1.0)


def test_fidelity_per_class_and_the_shift_table(audited):
    result = audited[0]
    f = result.fidelity
    assert f.reference == "imagenet" and f.extractor == "random-cnn"
    assert f.overall.n_reference == len(CLASSES) * PER_CLASS and f.overall.n_audited == len(CLASSES) * PER_CLASS
    assert [c.label for c in f.per_class] == list(CLASSES)
    assert all(c.singular_covariance and c.kid_subset_size == c.n_reference for c in f.per_class)
    assert f.mean_class_fid == pytest.approx(np.mean([c.fid for c in f.per_class]))
    cells = {(c.row, c.column): c for c in result.shift_table}
    assert set(cells) == {("imagenet", "imagenet-r"), ("imagenet-g t1", "imagenet-r")}
    assert all(c.classes == 2 for c in cells.values())
    assert "imagenet-sketch" in result.skipped and "objectnet" in result.skipped


def test_safety_is_recorded_and_the_json_names_every_extractor(audited):
    result = audited[0]
    assert result.safety.checker == "random-safety-checker" and result.safety.images == len(CLASSES) * PER_CLASS
    roles = {e.role: e for e in result.extractors}
    assert set(roles) == {"clip", "fidelity", "safety"} and result.random_weights
    assert len(roles["fidelity"].weights_sha256) == 64 and roles["fidelity"].preprocess["size"] == [32, 32]
    assert result.environment["torchmetrics"] and result.release.fingerprint.startswith("imagenet-g:t1:")


def test_outputs_report_figures_and_card_section(audited, audit_root):
    result, written, _ = audited
    assert written["json"] == audit_root / "imagenet-g" / "audits" / "t1" / "audit.json"
    assert read_audit(written["json"]) == result
    report = written["report"].read_text()
    for heading in ("## Consistency", "## Fidelity", "## Distance to the natural-shift sets", "## Diversity",
                    "## Safety", "## Possible memorisation"):
        assert heading in report
    assert RANDOM_NOTE in report and SINGULAR_NOTE in report
    for name in ("fidelity", "consistency", "diversity", "shift_table"):
        assert written[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({written[name].relative_to(written['report'].parent).as_posix()})" in report
    card = written["card"].read_text()
    front_matter = yaml.safe_load(card.split("---\n")[1])  # the section leaves the Hub's YAML header intact
    assert {c["config_name"] for c in front_matter["configs"]} >= {"t1", "t2"}
    assert card.count("<!-- imagenet-g audit t1: start -->") == 1
    assert "Full report: [audits/t1/report.md]" in card


def test_a_warm_cache_audit_builds_no_network_and_gives_identical_numbers(audited, audit_root, monkeypatch,
                                                                           pixel_clip):
    _, written, tmp = audited
    before = read_audit(written["json"])

    def unbuildable(self):
        raise AssertionError(f"{self.id} was built although its features, prompts and head are cached")

    monkeypatch.setattr(LazyExtractor, "get", unbuildable)
    result, again = run_audit(_request(audit_root, tmp, out=None))  # same cache: no network is built
    assert result.model_copy(update={"created": before.created}) == before
    assert again["card"].read_text().count("<!-- imagenet-g audit t1: start -->") == 1


def test_the_zero_shot_head_is_evals_cached_head_built_once(audit_root, tmp_path, monkeypatch):
    from imagenet_g import labels
    from imagenet_g.audit.extractors import load_extractor
    from imagenet_g.evaluate import zeroshot

    built = []
    real = zeroshot.build_head
    monkeypatch.setattr(zeroshot, "build_head", lambda *a, **k: built.append(1) or real(*a, **k))
    quick = dict(release="t2", reference=None, shift_sets=(), safety_checker=None, card=False)
    first, _ = run_audit(_request(audit_root, tmp_path, **quick, out=tmp_path / "a"))
    second, _ = run_audit(_request(audit_root, tmp_path, **quick, out=tmp_path / "b"))
    assert len(built) == 1 and first.consistency == second.consistency
    key = zeroshot.head_key("random-clip", load_extractor("random-clip").weights_sha256, labels.class_names(),
                            labels.template_set("openai_imagenet_simple"))
    assert (tmp_path / "cache" / "zeroshot" / f"{key[:32]}.pt").is_file()  # eval's file, under eval's key


def test_compare_gives_per_metric_and_per_class_deltas(audited, audit_root, tmp_path, pixel_clip):
    a = audited[0]
    b, _ = run_audit(_request(audit_root, tmp_path, release="t2"))
    cmp = compare_audits(a, b)
    metrics = {m.metric: m for m in cmp.metrics}
    top1 = metrics["zero-shot top-1 (%)"]
    assert top1.delta == pytest.approx(b.consistency.zero_shot_top1 - a.consistency.zero_shot_top1)
    assert top1.better == "b"  # t2 has no off-class image
    assert metrics["near-duplicates across release"].better == "b"
    rows = {(d.metric, d.label): d for d in cmp.per_class}
    assert rows[("zero-shot top-1", 0)].delta == pytest.approx(100 / PER_CLASS)
    assert ("FID", 658) in rows and any("random-weight" in n for n in cmp.notes)


def test_cli_audit_and_compare(audit_root, tmp_path, run_cli, pixel_clip):
    args = ("audit", "--release", "t2", "--data-root", audit_root, "--clip-model", "random-clip", "--fid-extractor",
            "random-cnn", "--safety-checker", "none", "--templates", "openai_imagenet_simple", "--workers", "0",
            "--cache-dir", tmp_path / "cache", "--kid-subsets", "3")
    res = run_cli(*args, "--out", tmp_path / "a")
    assert res.exit_code == 0, res.stderr
    assert "report: " in res.stdout and "only prove the tooling" in res.stdout and "safety" in res.stdout
    as_json = run_cli(*args, "--out", tmp_path / "b", "--json")
    assert json.loads(as_json.stdout)["safety"] is None
    cmp = run_cli("audit", "compare", tmp_path / "a", tmp_path / "b" / "audit.json", "--json")
    assert cmp.exit_code == 0 and all(m["delta"] in (0, None) for m in json.loads(cmp.stdout)["metrics"])
    shown = run_cli("audit", "compare", tmp_path / "a", tmp_path / "b")
    assert shown.exit_code == 0 and "zero-shot top-1" in shown.stdout
    older = json.loads((tmp_path / "a" / "audit.json").read_text())
    damaged = {"v2.json": json.dumps({**older, "schema_version": 2}), "v99.json": json.dumps({**older, "schema_version": 99}),
               "cut.json": (tmp_path / "a" / "audit.json").read_text()[:500], "bool.json": json.dumps(
                   {**older, "random_weights": "yes"})}
    for name, text in damaged.items():
        (tmp_path / name).write_text(text)
        bad = run_cli("audit", "compare", tmp_path / "a", tmp_path / name)
        assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr, bad.stderr
        assert str(tmp_path / name) in bad.stderr and "audit the release again" in bad.stderr
    assert "schema_version 2; this imagenet-g reads 3" in run_cli("audit", "compare", tmp_path / "a",
                                                                  tmp_path / "v2.json").stderr


@pytest.mark.parametrize("args,message", [
    (("--release", "t9"), "unknown release 't9' (not built at"),
    (("--path", "imagenet=/no/such/folder"), "does not exist"),
    (("--fid-extractor", "incepton-v3"), "did you mean: inception-v3"),
    (("--reference", "imagenet", "--shift-sets", "imagenet-a"), "imagenet-a not found"),
])
def test_user_errors_are_one_line_and_exit_2(audit_root, tmp_path, run_cli, args, message):
    res = run_cli("audit", "--data-root", audit_root, "--release", "t1", "--clip-model", "random-clip",
                  "--fid-extractor", "random-cnn", "--cache-dir", tmp_path, "--out", tmp_path / "o", *args)
    assert res.exit_code == 2 and message in res.stderr and res.stderr.count("\n") == 1, res.stderr
    assert not (tmp_path / "o").exists()


def test_no_inception_weights_offline_is_one_line(audit_root, tmp_path, run_cli, monkeypatch, pixel_clip):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    res = run_cli("audit", "--data-root", audit_root, "--release", "t1", "--clip-model", "random-clip",
                  "--templates", "openai_imagenet_simple", "--workers", "0", "--cache-dir", tmp_path / "c",
                  "--out", tmp_path / "o")
    assert res.exit_code == 2 and "no Inception-v3 FID weights offline" in res.stderr
    assert "set --inception-weights to the file" in res.stderr and res.stderr.count("\n") == 1


@pytest.fixture(scope="module")
def built_root(tmp_path_factory):
    """Real tiny builds (2 classes x 2 images): one ran the build's safety checker, one did not."""
    from tiny_release import build_tiny_release

    root = tmp_path_factory.mktemp("built")
    build_tiny_release(root, "checked", classes=(0, 1), safety_checker=True)
    build_tiny_release(root, "unchecked", classes=(0, 1))
    return root


def _safety_audit(root, tmp_path, release, **kw):
    quick = dict(release=release, data_root=root, reference=None, shift_sets=(), card=False, out=tmp_path / "o")
    return run_audit(_request(root, tmp_path, **{**quick, **kw}))[0]


def test_safety_reuses_the_builds_nsfw_column_when_the_build_ran_the_same_checker(built_root, tmp_path,
                                                                                  monkeypatch):
    import datasets

    from imagenet_g.audit.extractors import _SafetyFlags

    def never(self, x):
        raise AssertionError("the checker ran although the release records its flags")

    monkeypatch.setattr(_SafetyFlags, "forward", never)
    result = _safety_audit(built_root, tmp_path, "checked")
    nsfw = datasets.Dataset.from_parquet(
        [str(p) for p in sorted((built_root / "imagenet-g" / "checked").glob("*.parquet"))])["nsfw"]
    assert result.safety.source == "release nsfw column" and "the build ran random-safety-checker" in \
        result.safety.source_reason
    assert [i.position for i in result.safety.flagged_images] == [i for i, f in enumerate(nsfw) if f]
    assert result.safety.images == len(nsfw) == 4 and "safety" not in {e.role for e in result.extractors}


def test_safety_runs_the_checker_when_the_build_did_not_or_ran_another(built_root, tmp_path):
    from imagenet_g.files import sha256_file
    from imagenet_g.tiny_models import safety_checker

    plain = _safety_audit(built_root, tmp_path, "unchecked")
    assert plain.safety.source == "checker run by the audit" and "did not run a safety checker" in \
        plain.safety.source_reason and "safety" in {e.role for e in plain.extractors}
    other = safety_checker()  # the same architecture with other weights, saved as a checker folder
    with torch.no_grad():
        other.concept_embeds_weights.fill_(0.5)
    other.save_pretrained(tmp_path / "checker")
    result = _safety_audit(built_root, tmp_path, "checked", safety_checker="sd-safety-checker",
                           safety_weights=str(tmp_path / "checker"))
    assert result.safety.source == "checker run by the audit" and "is not sd-safety-checker" in \
        result.safety.source_reason
    ran = {e.role: e for e in result.extractors}["safety"]
    assert ran.id == "sd-safety-checker" and ran.weights_sha256 == sha256_file(tmp_path / "checker" / "model.safetensors")
    assert result.safety.images == 4

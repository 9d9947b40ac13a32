"""Named model sets: imagenet-testbed's standard models mapped to timm (checked against both sources' published
ImageNet accuracies), timm's ImageNet-1k-only and all pretrained weights, open_clip's; filters and parameter
counts; `imagenet-g models`."""

from __future__ import annotations

import csv
import json
from importlib import resources

import pytest

from imagenet_g.errors import ArgumentError, ModelSetError, UnknownNameError
from imagenet_g.sweep.model_sets import BASELINE_SET, MODEL_SETS, TESTBED_PREFIX, imagenet_testbed_standard
from imagenet_g.sweep.params import BUILT, PUBLISHED, count_params
from imagenet_g.sweep.selection import filter_models, list_models, sweep_models

TOLERANCE_PP = 0.1


def _published(*path: str) -> list[dict[str, str]]:
    """A published table as shipped (imagenet-testbed's, or one of timm's results CSVs), read here directly."""
    text = resources.files("imagenet_g").joinpath("data", "baselines", *path).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_testbed_standard_lists_each_standard_model_of_the_testbed_once():
    standard = [r["model"] for r in _published("imagenet_testbed_top1.csv") if r["model_type"] == "STANDARD"]
    entries = imagenet_testbed_standard()
    assert [e.source.removeprefix(TESTBED_PREFIX) for e in entries] == standard and len(standard) == 87
    assert len({e.id for e in entries}) == len(entries)
    assert all(e.standard for e in entries) and BASELINE_SET == "testbed-standard"
    assert all(e.reason for e in entries if not e.available) and not any(e.reason for e in entries if e.available)


def test_every_mapped_pair_agrees_with_both_published_tables_within_a_tenth_of_a_point():
    """Available exactly when the testbed's ImageNet val top-1 and timm's (results-imagenet.csv, at the model's
    own test size) are within 0.1 pp: a mapping to other weights fails, and so does a verified pair left out."""
    from timm.models import get_pretrained_cfg

    testbed = {r["model"]: float(r["val"]) for r in _published("imagenet_testbed_top1.csv") if r["val"]}
    timm_top1 = {(r["model"], int(r["img_size"])): float(r["top1"]) for r in _published("timm", "results-imagenet.csv")}
    gaps = {}
    for entry in imagenet_testbed_standard():
        if entry.id.startswith(TESTBED_PREFIX):
            assert not entry.available and entry.reason.startswith("no timm equivalent"), entry
            continue
        size = get_pretrained_cfg(entry.id).input_size[-1]
        gap = abs(timm_top1[entry.id, size] - testbed[entry.source.removeprefix(TESTBED_PREFIX)])
        assert entry.available == (gap <= TOLERANCE_PP), (entry.id, round(gap, 3), entry.reason)
        gaps[entry.id] = gap
    available = [i for i, g in gaps.items() if g <= TOLERANCE_PP]
    assert len(available) == 31 and max(gaps[i] for i in available) <= 0.09
    assert "resnet50.tv_in1k" in available  # torchvision's resnet50: 76.130 (testbed) vs 76.156 (timm)


def test_timm_in1k_keeps_1000_class_heads_whose_tag_names_no_other_data():
    import timm

    in1k = {e.id for e in MODEL_SETS["timm-in1k"]()}
    everything = {e.id for e in MODEL_SETS["timm"]()}
    assert everything == set(timm.list_models(pretrained=True)) and in1k < everything
    for kept in ("resnet50.tv_in1k", "resnet50.a1_in1k", "deit_small_patch16_224.fb_in1k",
                 "convnextv2_atto.fcmae_ft_in1k", "resmlp_24_224.fb_dino", "inception_v3.tf_adv_in1k"):
        assert kept in in1k, kept
    for other_data in ("tf_efficientnet_b0.ns_jft_in1k", "vit_base_patch16_224.augreg_in21k_ft_in1k",
                       "resnext50_32x4d.fb_ssl_yfcc100m_ft_in1k", "resnet50.fb_swsl_ig1b_ft_in1k",
                       "convnext_tiny.fb_in22k_ft_in1k", "vit_base_patch16_clip_224.openai_ft_in1k",
                       "regnety_160.swag_lc_in1k", "vit_base_patch16_224.augreg_in21k",  # 21k head
                       "vit_small_patch16_224.dino"):  # features only, no classifier
        assert other_data in everything and other_data not in in1k, other_data
    assert {e.id for e in imagenet_testbed_standard() if e.available} < in1k


def test_open_clip_set_is_every_pretrained_pair_as_an_eval_id():
    import open_clip

    from imagenet_g.evaluate import parse_model_id

    entries = MODEL_SETS["open_clip"]()
    assert [e.id for e in entries] == [f"open_clip:{a}/{t}" for a, t in open_clip.list_pretrained()]
    assert {(m.name, m.tag) for m in map(parse_model_id, (e.id for e in entries))} == set(open_clip.list_pretrained())


def test_parameter_counts_from_timms_table_agree_with_a_meta_device_build(tmp_path):
    import open_clip
    import timm

    published = count_params("resnet18.tv_in1k")
    assert published.found == PUBLISHED and published.millions == 11.69
    built = count_params("resnet18")  # no table row for the untagged name: built on the meta device
    assert built.found == BUILT and abs(built.millions - published.millions) < 0.005
    for name in ("resnet18", "test_vit", "test_convnext"):  # init skipped on meta (trunc_normal_, fill_): same shapes
        assert count_params(name).millions * 1e6 == sum(p.numel() for p in timm.create_model(name).parameters())
    cfg = {"embed_dim": 16, "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
           "text_cfg": {"context_length": 12, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
    (tmp_path / "tiny-clip-params.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(tmp_path / "tiny-clip-params.json")
    clip = count_params("open_clip:tiny-clip-params")
    assert clip.found == BUILT
    assert clip.millions * 1e6 == sum(p.numel() for p in open_clip.create_model("tiny-clip-params").parameters())
    assert count_params("my_models:build") is None  # user code is not run to count it


def test_filters_patterns_and_a_parameter_budget(tmp_path):
    testbed = imagenet_testbed_standard()
    assert {e.id for e in filter_models(testbed, ["resnet*"], ["*152*"])} == {
        "resnet18.tv_in1k", "resnet34.tv_in1k", "resnet50.tv_in1k", "resnet101.tv_in1k"}
    assert {e.id for e in filter_models(testbed, ["vgg1?.*", "vgg1?_bn.*"])} == {
        f"vgg{d}{bn}.tv_in1k" for d in (11, 13, 16, 19) for bn in ("", "_bn")}
    small = list_models(BASELINE_SET, max_params=12)  # unavailable entries stay listed, with their reason
    assert {r.entry.id: r.params.millions for r in small.rows if r.entry.available} == {
        "resnet18.tv_in1k": 11.69, "tf_efficientnet_b0.aa_in1k": 5.29, "tf_efficientnet_b0.in1k": 5.29}
    assert max(r.params.millions for r in small.rows) <= 12 and len(small.rows) == 8
    assert small.uncounted == ()  # every available model of the set has a published count
    path = tmp_path / "models.txt"
    path.write_text("resnet18.tv_in1k\nsweep_helpers:nan_model\n")
    listing = list_models(path, max_params=100)
    assert [r.entry.id for r in listing.rows] == ["resnet18.tv_in1k"]
    assert listing.uncounted == ("sweep_helpers:nan_model",)  # user code is not run to count it
    with pytest.raises(ArgumentError, match="keeps no model"):
        list_models(BASELINE_SET, max_params=0)
    with pytest.raises(ModelSetError, match="the filters keep no model of testbed-standard"):
        list_models(BASELINE_SET, ["nothing*"])
    with pytest.raises(ArgumentError, match="an empty pattern"):
        list_models(BASELINE_SET, exclude=[""])
    with pytest.raises(UnknownNameError, match="did you mean: testbed-standard"):
        list_models("testbed-standrd")


def test_a_sweep_takes_the_models_its_filters_and_budget_keep(tmp_path, caplog):
    path = tmp_path / "models.txt"
    path.write_text("test_vit\ntest_resnet\nresnet50.tv_in1k\nsweep_helpers:nan_model\n")
    assert [e.id for e in sweep_models(path, ["test_*", "resnet*"], ["*_resnet"])] == ["test_vit", "resnet50.tv_in1k"]
    with caplog.at_level("WARNING", logger="imagenet_g"):
        budget = sweep_models(path, max_params=30)
    assert [e.id for e in budget] == ["test_vit", "test_resnet", "resnet50.tv_in1k"]
    assert "left out, parameter count unknown: sweep_helpers:nan_model" in caplog.text
    assert [e.id for e in sweep_models(BASELINE_SET, ["resnet50.*"])] == ["resnet50.tv_in1k"]


def test_models_command_lists_the_mapping_and_one_line_for_an_unknown_set(run_cli):
    done = run_cli("models", "--set", "testbed-standard", "--json")
    assert done.exit_code == 0, done.stderr
    listing = json.loads(done.stdout)
    assert len(listing["rows"]) == 87 and sum(r["available"] for r in listing["rows"]) == 31
    row = next(r for r in listing["rows"] if r["id"] == "resnet50.tv_in1k")
    assert row == {"id": "resnet50.tv_in1k", "source": "imagenet-testbed:resnet50", "standard": True,
                   "available": True, "reason": "", "overrides": {}, "params_m": 25.56,
                   "params_from": PUBLISHED}
    table = run_cli("models", "--set", "testbed-standard", "--filter", "densenet121*")
    assert "densenet121.tv_in1k" in table.stdout and "bicubic" in table.stdout and "0 of 1" in table.stdout
    sets = run_cli("models")
    assert all(name in sets.stdout for name in MODEL_SETS)
    bad = run_cli("models", "--set", "timm_in1k")
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "did you mean: timm-in1k" in bad.stderr and "--models" in bad.stderr

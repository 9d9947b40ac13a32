"""What a researcher analyses after a run: join keys, per-class accuracy, intervals, extrapolated ER, and
`imagenet-g compare` with an exact McNemar test on paired predictions."""

from __future__ import annotations

import csv
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from imagenet_g.evaluate import EvalRequest, run_eval
from imagenet_g.evaluate.compare import compare_results
from imagenet_g.evaluate.stats import wilson_interval
from imagenet_g.results import EvalResult

scipy_stats = pytest.importorskip("scipy.stats")


@pytest.fixture(scope="module")
def two_runs(data_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    common = dict(pretrained=False, data_root=data_root, release="smoke", workers=0, bootstrap=0,
                  datasets=("imagenet-g", "imagenet", "imagenet-r"))
    a = run_eval(EvalRequest(model="resnet10t", out=out / "a.json", **common))
    b = run_eval(EvalRequest(model="test_vit", out=out / "b.json", **common))
    return out, a, b


def test_predictions_carry_join_keys(two_runs):
    out, a, _ = two_runs
    g = pq.read_table(out / a.datasets["imagenet-g"].predictions_file).to_pydict()
    for column in ("image_index", "template_id", "seed", "wnid"):
        assert len(g[column]) == a.datasets["imagenet-g"].images
    from imagenet_g import labels

    assert [labels.wnids()[t] for t in g["target"]] == g["wnid"]
    val = pq.read_table(out / a.datasets["imagenet"].predictions_file).to_pydict()
    assert all(p.startswith("n") and "/" in p for p in val["path"])


def test_per_class_accuracy_file_agrees_with_the_predictions(two_runs):
    out, a, _ = two_runs
    with open(out / a.per_class_file, newline="") as fh:
        rows = list(csv.DictReader(fh))
    val = [r for r in rows if r["dataset"] == "imagenet"]
    preds = pq.read_table(out / a.datasets["imagenet"].predictions_file).to_pandas()
    by_class = preds.groupby("target")["correct_top1"].mean().mul(100)
    assert {int(r["class_index"]): float(r["top1"]) for r in val} == pytest.approx(by_class.to_dict())
    assert sum(int(r["images"]) for r in val) == a.datasets["imagenet"].images


def test_accuracy_intervals_are_wilson_over_images(two_runs):
    _, a, _ = two_runs
    d = a.datasets["imagenet"]
    hits = round(d.top1 * d.images / 100)
    assert tuple(d.top1_ci) == pytest.approx(wilson_interval(hits, d.images))
    ci = scipy_stats.binomtest(hits, d.images).proportion_ci(method="wilson")
    assert tuple(d.top1_ci) == pytest.approx((100 * ci.low, 100 * ci.high))


def test_compare_pairs_images_and_tests_with_exact_mcnemar(two_runs):
    out, a, b = two_runs
    report = compare_results(out / "a.json", out / "b.json")
    row = report.datasets["imagenet"]
    pa = pq.read_table(out / a.datasets["imagenet"].predictions_file).to_pandas()
    pb = pq.read_table(out / b.datasets["imagenet"].predictions_file).to_pandas()
    both = pa.merge(pb, on="key", suffixes=("_a", "_b"))
    only_a = int((both.correct_top1_a & ~both.correct_top1_b).sum())
    only_b = int((~both.correct_top1_a & both.correct_top1_b).sum())
    assert (row.paired, row.only_a, row.only_b) == (len(both), only_a, only_b)
    expected = 1.0 if only_a + only_b == 0 else scipy_stats.binomtest(only_a, only_a + only_b).pvalue
    assert row.p_value == pytest.approx(expected)
    assert row.top1_diff == pytest.approx(b.datasets["imagenet"].top1 - a.datasets["imagenet"].top1)
    templates = report.templates
    assert templates and set(templates[0]) >= {"template_id", "images", "top1_a", "top1_b"}


def test_cli_compare_table_json_and_bad_input(run_cli, two_runs, tmp_path):
    out, _, _ = two_runs
    res = run_cli("compare", out / "a.json", out / "b.json", "--json")
    assert res.exit_code == 0, res.stderr
    assert set(json.loads(res.stdout)["datasets"]) >= {"imagenet", "imagenet-r", "imagenet-g"}
    res = run_cli("compare", out / "a.json", out / "b.json")
    assert res.exit_code == 0 and "McNemar" in res.stdout
    (tmp_path / "bad.json").write_text("{}")
    res = run_cli("compare", out / "a.json", tmp_path / "bad.json")
    assert res.exit_code == 2 and "bad.json" in res.stderr and res.stderr.count("\n") == 1
    res = run_cli("compare", out / "a.json", tmp_path / "missing.json")
    assert res.exit_code == 2 and "missing.json" in res.stderr


def _copy_runs(out, to):
    for path in out.iterdir():
        (to / path.name).write_bytes(path.read_bytes())
    return to / "a.json", to / "b.json"


def _damage_schema(a, b):
    data = json.loads(b.read_text())
    b.write_text(json.dumps({**data, "schema_version": 99}))
    return "has results schema_version 99, which this imagenet-g does not read"


def _damage_types(a, b):
    data = json.loads(b.read_text())
    b.write_text(json.dumps({**data, "complete": "yes"}))
    return "complete: Input should be a valid boolean"


def _truncate_predictions(a, b):
    file = b.parent / EvalResult.read(b).datasets["imagenet"].predictions_file
    file.write_bytes(file.read_bytes()[:100])
    return f"{file}, the predictions of imagenet, cannot be read (ArrowInvalid"


def _folder_for_results(a, b):
    b.unlink()
    b.mkdir()
    return f"{b} is a folder, not a results file"


def _other_images(a, b):
    file = b.parent / EvalResult.read(b).datasets["imagenet-r"].predictions_file
    table = pq.read_table(file).to_pandas()
    table["key"] = "elsewhere/" + table["key"]
    table.to_parquet(file)
    rows = len(table)
    return f"share no image of imagenet-r (A scored {rows}, B {rows}, none with the same key)"


@pytest.mark.parametrize("damage", [_damage_schema, _damage_types, _truncate_predictions, _folder_for_results,
                                    _other_images])
def test_compare_of_damaged_or_unpaired_runs_is_one_line(run_cli, two_runs, tmp_path, damage):
    a, b = _copy_runs(two_runs[0], tmp_path)
    message = damage(a, b)
    res = run_cli("compare", a, b)
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr, res.stderr
    assert message in res.stderr


def test_er_outside_the_baselines_control_range_is_flagged(data_root, tmp_path):
    # a random-weight model sits far left of every imagenet-testbed standard model
    result = run_eval(EvalRequest(model="resnet10t", pretrained=False, data_root=data_root, datasets=("imagenet-r",),
                                  out=tmp_path / "r.json", workers=0, bootstrap=0))
    er = result.effective_robustness["imagenet-r"]
    low, high = er.baseline_control_range
    assert not low <= er.control_top1 <= high and er.extrapolated
    assert EvalResult.read(tmp_path / "r.json").effective_robustness["imagenet-r"].extrapolated


def test_compare_command_imports_no_torch():
    import subprocess
    import sys

    code = "import sys, imagenet_g.evaluate.compare; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_a_class_with_no_image_is_not_in_the_per_class_file(two_runs):
    out, a, _ = two_runs
    with open(out / a.per_class_file, newline="") as fh:
        r_rows = [r for r in csv.DictReader(fh) if r["dataset"] == "imagenet-r"]
    assert {int(r["class_index"]) for r in r_rows} == {6, 658} and all(int(r["images"]) > 0 for r in r_rows)
    assert np.isfinite([float(r["top5"]) for r in r_rows]).all()

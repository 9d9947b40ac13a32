"""Bad input an adversarial user tried: huge or empty plans, scheduler settings diffusers rejects, rich markup in
paths. Each is one line naming the problem (exit 2), before anything is allocated or written; none a traceback."""

from __future__ import annotations

import re
import time

import pytest
from build_helpers import add_release, mini_spec_data

from imagenet_g.errors import SpecError
from imagenet_g.release.spec.spec import MAX_IMAGES, MAX_IMAGES_PER_CLASS, parse_spec


def _spec(**plan: object) -> dict:
    data = mini_spec_data()
    data["plan"].update(plan)
    return data


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_trillion_images_per_class_is_refused_by_the_schema(own_releases, run_cli):
    with pytest.raises(SpecError, match=f"plan.splits: .*1,000,000,000,000 images per class; at most {MAX_IMAGES_PER_CLASS:,}"):
        parse_spec(_spec(splits={"test": 10**12}))
    add_release(own_releases, "huge", _spec(splits={"test": 10**12}))
    line = _one_line(run_cli("releases", "--specs-dir", own_releases))
    assert "huge" in line and "plan.splits" in line


def test_a_release_larger_than_the_bound_is_refused(own_releases):
    per_class = MAX_IMAGES // 1000 + 1
    with pytest.raises(SpecError, match=f"plan: plans {1000 * per_class:,} images .*at most {MAX_IMAGES:,}"):
        parse_spec(_spec(classes="imagenet-1k", splits={"test": per_class}))


def test_an_empty_class_list_is_a_schema_error():
    with pytest.raises(SpecError, match="plan.classes: lists no class"):
        parse_spec(_spec(classes=[]))


def test_prompt_preview_of_the_largest_plan_answers_at_once(own_releases, run_cli):
    add_release(own_releases, "largest", _spec(classes="imagenet-1k", splits={"test": MAX_IMAGES // 1000}))
    started = time.perf_counter()
    result = run_cli("prompts", "--release", "largest", "--limit", "1", "--specs-dir", own_releases)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.stderr
    assert f"showing 1 of {MAX_IMAGES} images" in result.stdout
    assert elapsed < 10  # planning all 10 million rows takes minutes


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"num_train_timesteps": -5}, r"generator.scheduler.config: PNDMScheduler rejects \{'num_train_timesteps': -5\}"),
        ({"num_train_timestep": 1000}, "generator.scheduler.config.num_train_timestep: unknown PNDMScheduler setting "
                                       "'num_train_timestep' .did you mean: num_train_timesteps"),
        ({"num_train_timesteps": "many"}, "generator.scheduler.config.num_train_timesteps: PNDMScheduler takes a int"),
    ],
)
def test_scheduler_settings_are_checked_before_anything_is_written(config, expected, own_releases, tmp_path, run_cli):
    data = mini_spec_data()
    data["generator"]["scheduler"]["config"] = config
    add_release(own_releases, "sched", data)
    out = tmp_path / "imagenet-g"
    line = _one_line(run_cli("build", "--release", "sched", "--dataset-dir", out, "--specs-dir", own_releases))
    assert re.search(expected, line), line
    assert not out.exists() and not (own_releases / "sched" / "spec.lock").exists()


def test_markup_in_paths_is_printed_as_it_is(releases_root, smoke_build, tmp_path, run_cli):
    out = tmp_path / "o" / "x[/bold]"
    built = run_cli("build", "--release", "mini", "--dataset-dir", out, "--specs-dir", releases_root)
    assert built.exit_code == 0, built.stderr
    assert f"release folder: {out.resolve()}" in built.stdout.replace("\n", "")
    (tmp_path / "d[/bold]").mkdir(parents=True)
    data = run_cli("data", "--data-root", tmp_path / "d[/bold]", "--release", "mini")
    assert data.exit_code == 0 and "d[/bold]" in data.stdout, data.stderr
    results = tmp_path / "r[/bold]" / "x.json"
    scored = run_cli("eval", "--model", "resnet18", "--no-pretrained", "--release", "smoke", "--datasets", "imagenet-g",
                     "--data-root", smoke_build.dataset_dir.parent, "--out", results, "--batch-size", "8")
    assert scored.exit_code == 0, scored.stderr
    assert results.is_file() and "r[/bold]" in scored.stdout.replace("\n", "")

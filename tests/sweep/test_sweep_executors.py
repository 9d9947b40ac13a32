"""The same files whichever runs the sweep: uninterrupted, stopped (SIGTERM) and killed (SIGKILL) then rerun, a job
array, Ray (a worker killed mid-task included)."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sweep_helpers import TEST_MODELS, comparable, model_file

from imagenet_g.sweep import ModelEntry, SweepRequest, run_sweep

ENTRIES = tuple(ModelEntry(m, {}, True) for m in TEST_MODELS)


def _request(root: Path, out: Path, **fields) -> SweepRequest:
    return SweepRequest(models=ENTRIES, out_dir=out, release="smoke", datasets=("imagenet-g",), data_root=root,
                        pretrained=False, workers=0, channels_last=False, **fields)


@pytest.fixture(scope="module")
def reference(sweep_root, tmp_path_factory) -> dict[str, object]:
    """The files of an uninterrupted local sweep of the four test models."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    assert run_sweep(_request(sweep_root, out)).succeeded
    return comparable(out)


def _start(root: Path, models: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "imagenet_g", "sweep", "--models", str(models), "--no-pretrained",
               "--release", "smoke", "--datasets", "imagenet-g", "--data-root", str(root), "--out-dir", str(out),
               "--workers", "0", "--no-channels-last", "--group-size", "1"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})


def _wait_for_records(process: subprocess.Popen, out: Path, count: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while len(list((out / "models").glob("*.json"))) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the sweep recorded too few models in time"
        time.sleep(0.05)


def test_stopped_and_killed_sweeps_resume_to_the_files_of_an_uninterrupted_one(sweep_root, tmp_path, reference):
    models = model_file(tmp_path, [f"{m} --standard" for m in TEST_MODELS])
    out = tmp_path / "sweep"
    stopped = _start(sweep_root, models, out)
    _wait_for_records(stopped, out, 1)
    stopped.send_signal(signal.SIGTERM)
    _, stderr = stopped.communicate(timeout=120)
    assert stopped.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr
    kept = len(list((out / "models").glob("*.json")))
    assert 1 <= kept < len(TEST_MODELS)  # the finished models are kept
    killed = _start(sweep_root, models, out)
    _wait_for_records(killed, out, kept + 1)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    finished = run_sweep(_request(sweep_root, out, group_size=1))  # here: the killed sweep's claim is taken over
    assert finished.succeeded and len(finished.kept) > kept
    assert comparable(out) == reference


def test_a_job_array_writes_the_files_of_one_sweep(sweep_root, tmp_path, reference):
    out = tmp_path / "sweep"
    first = run_sweep(_request(sweep_root, out, group_size=1, job_index=0, num_jobs=2))
    assert first.scored == ("test_efficientnet", "test_convnext") and first.succeeded
    assert {r["model"]: r["status"] for r in first.summary.rows}["test_vit"] == "pending"
    second = run_sweep(_request(sweep_root, out, group_size=1, job_index=1, num_jobs=2))
    assert second.scored == ("test_vit", "test_resnet")
    assert comparable(out) == reference  # the last job's summary holds every model


@pytest.mark.ray
def test_ray_writes_the_files_of_the_local_executor_even_when_a_worker_dies(ray_runtime, sweep_root, tmp_path,
                                                                            reference, monkeypatch):
    from imagenet_g.sweep import ray_run

    marker = tmp_path / "crashed"
    monkeypatch.setattr(ray_run, "run_on_ray", functools.partial(ray_run.run_on_ray,
                                                                 crash_once=("test_convnext", marker)))
    out = tmp_path / "sweep"
    report = run_sweep(_request(sweep_root, out, group_size=2, executor="ray"))
    assert marker.exists()  # a worker really died on the group of test_convnext, and Ray ran the group again
    assert report.succeeded and sorted(report.scored) == sorted(TEST_MODELS)
    assert comparable(out) == reference

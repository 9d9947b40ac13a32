"""Resume: a rerun scores only what is not already complete for the same weights, preprocessing, precision and
data; `force` rescores; an interrupted CLI run says what it kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imagenet_g.evaluate import EvalRequest, run_eval
from imagenet_g.results import EvalResult

MODEL = "resnet10t"
DATASETS = ("imagenet-a", "imagenet-sketch")


def _request(data_root, out, **kw):
    kw["preprocess"] = {"input_size": (3, 64, 64), **kw.get("preprocess", {})}  # small inputs keep it quick
    return EvalRequest(model=MODEL, pretrained=False, data_root=data_root, out=out, datasets=DATASETS,
                       workers=0, bootstrap=0, **kw)


@pytest.fixture
def scored(monkeypatch):
    """Records the datasets ``predict`` is asked to score."""
    from imagenet_g.evaluate import run as run_module

    calls: list[str] = []
    real = run_module.predict

    def counting(*args, **kwargs):
        calls.append(kwargs.get("description"))
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "predict", counting)
    return calls


def test_interrupted_run_resumes_with_the_remaining_datasets_only(data_root, tmp_path, monkeypatch, scored):
    from imagenet_g.evaluate import run as run_module

    out = tmp_path / "r.json"
    counting = run_module.predict

    def interrupt_second(*args, **kwargs):
        if len(scored) == 1:
            scored.append("interrupted")
            raise KeyboardInterrupt
        return counting(*args, **kwargs)

    monkeypatch.setattr(run_module, "predict", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        run_eval(_request(data_root, out))
    first = EvalResult.read(out)
    assert not first.complete and list(first.datasets) == ["imagenet-a"]
    monkeypatch.setattr(run_module, "predict", counting)
    scored.clear()
    result = run_eval(_request(data_root, out))
    assert scored == ["imagenet-sketch", "imagenet"]  # only the remaining datasets' images were scored
    assert result.complete and set(result.datasets) == {"imagenet-a", "val-on-imagenet-a-classes", "imagenet-sketch",
                                                        "imagenet"}
    assert result.datasets["imagenet-a"] == first.datasets["imagenet-a"]


def test_a_complete_rerun_scores_nothing_and_force_rescores(data_root, tmp_path, scored):
    out = tmp_path / "r.json"
    run_eval(_request(data_root, out))
    n = len(scored)
    run_eval(_request(data_root, out))
    assert len(scored) == n
    run_eval(_request(data_root, out, force=True))
    assert len(scored) == 2 * n


@pytest.mark.parametrize("change", ["precision", "preprocess", "weights"])
def test_a_change_that_matters_rescores(data_root, tmp_path, scored, change):
    out = tmp_path / "r.json"
    run_eval(_request(data_root, out))
    n = len(scored)
    if change == "weights":
        import torch

        from imagenet_g.evaluate import load_model

        torch.save(load_model(MODEL, pretrained=False, seed=1).module.state_dict(), tmp_path / "other.pth")
        request = _request(data_root, out, checkpoint=tmp_path / "other.pth")
    else:
        request = _request(data_root, out, **{"precision": {"precision": "amp"},
                                              "preprocess": {"preprocess": {"crop_pct": 0.8}}}[change])
    run_eval(request)
    assert len(scored) == 2 * n


def test_changed_data_rescores_only_that_dataset(data_root, tmp_path, scored):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(data_root / "imagenet-a", root / "imagenet-a")
    shutil.copytree(data_root / "sketch", root / "sketch")
    shutil.copytree(data_root / "imagenet", root / "imagenet")
    out = tmp_path / "r.json"
    run_eval(_request(root, out))
    sketch_class = next((root / "sketch").iterdir())
    next(sketch_class.iterdir()).unlink()
    scored.clear()
    result = run_eval(_request(root, out))
    assert scored == ["imagenet-sketch"] and result.datasets["imagenet-sketch"].images == 3


def test_ctrl_c_on_the_cli_says_what_was_kept(data_root, tmp_path):
    """A real process, interrupted (SIGINT) once its first dataset is written; the rerun completes it."""
    from data_fixtures import write_images

    root = tmp_path / "data"
    root.mkdir()
    (root / "imagenet-a").symlink_to(data_root / "imagenet-a")
    (root / "imagenet").symlink_to(data_root / "imagenet")
    write_images(root / "sketch" / "n01440764", 150, seed=5)  # long enough to be interrupted in
    out = tmp_path / "r.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), "CI": "1"}
    cmd = [sys.executable, "-m", "imagenet_g", "eval", "--model", MODEL, "--no-pretrained",
           "--datasets", ",".join(DATASETS), "--data-root", str(root), "--out", str(out), "--workers", "0",
           "--bootstrap", "0", "--batch-size", "1", "--input-size", "64", "--no-channels-last"]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not (out.exists() and EvalResult.read(out).datasets):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    text = " ".join(err.split())
    assert f"kept imagenet-a in {out}; still to score: imagenet-sketch, val-on-imagenet-a-classes, imagenet" in text and "Traceback" not in err
    result = run_eval(_request(root, out))  # the same request: resumes
    assert result.complete and result.datasets["imagenet-sketch"].images == 150

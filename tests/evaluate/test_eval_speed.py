"""Speed features that must not change a pixel: the persistent pixel cache in eval runs and several models in one
pass."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from imagenet_g.evaluate import EvalRequest, run_eval, run_evals
from imagenet_g.images import cache_size
from imagenet_g.results import EvalResult

MODELS = ("resnet10t", "test_efficientnet")  # different pixel configs (crop 0.95 at 224 / 0.875 at 160)


def _rows(out, result, name):
    return pq.read_table(out.parent / result.datasets[name].predictions_file).to_pydict()


def test_warm_cache_gives_the_same_predictions_and_skips_decoding(data_root, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    common = dict(model="resnet10t", pretrained=False, data_root=data_root, datasets=("objectnet", "imagenet-a"),
                  workers=0, bootstrap=0, preprocess={"input_size": (3, 64, 64)})
    plain = run_eval(EvalRequest(out=tmp_path / "plain.json", **common))
    cold = run_eval(EvalRequest(out=tmp_path / "cold.json", cache_dir=cache, **common))
    size = cache_size(cache)
    assert size.entries == 4 + 4 + 8  # objectnet, imagenet-a, and the val images of both controls' classes
    assert size.bytes > size.entries * 3 * 64 * 64
    from imagenet_g.images import decode

    monkeypatch.setattr(decode, "decode_rgb", lambda data: pytest.fail("decoded although every entry is cached"))
    warm = run_eval(EvalRequest(out=tmp_path / "warm.json", cache_dir=cache, **common))
    for name in plain.datasets:
        p, c, w = (_rows(tmp_path / f, r, name) for f, r in (("plain.json", plain), ("cold.json", cold),
                                                               ("warm.json", warm)))
        assert p["topk"] == c["topk"] == w["topk"]
        # same pixels, same model: scores agree to float32 rounding (CPU kernels may sum in another order per pass)
        assert np.allclose(p["topk_scores"], w["topk_scores"], rtol=1e-5, atol=1e-7)


def test_several_models_one_pass_one_results_file_each(data_root, tmp_path, monkeypatch):
    from imagenet_g.evaluate import run as run_module

    calls = []
    real = run_module.predict
    monkeypatch.setattr(run_module, "predict", lambda models, *a, **k: calls.append(len(models)) or real(models, *a, **k))
    common = dict(pretrained=False, data_root=data_root, datasets=("imagenet-a",), workers=0, bootstrap=0)
    results = run_evals(EvalRequest(model=list(MODELS), out_dir=tmp_path, **common))
    assert [r.model.id for r in results] == list(MODELS) and calls == [2, 2]  # imagenet-a, then its control
    alone = run_eval(EvalRequest(model=MODELS[1], out=tmp_path / "alone" / "b.json", **common))
    for name, d in alone.datasets.items():
        shared = results[1].datasets[name]
        assert (shared.top1, shared.top5, shared.images) == (d.top1, d.top5, d.images)
        together, single = _rows(tmp_path / "x.json", results[1], name), _rows(tmp_path / "alone" / "b.json", alone, name)
        assert together["topk"] == single["topk"]
    for model_id, result in zip(MODELS, results):
        assert EvalResult.read(tmp_path / f"{model_id}.json") == result


def test_cli_repeated_model_writes_one_json_per_model(run_cli, data_root, tmp_path):
    res = run_cli("eval", "--model", MODELS[0], "--model", MODELS[1], "--no-pretrained", "--datasets", "imagenet-a",
                  "--data-root", data_root, "--out-dir", tmp_path, "--workers", "0", "--bootstrap", "0")
    assert res.exit_code == 0, res.stderr
    for model_id in MODELS:
        assert EvalResult.read(tmp_path / f"{model_id}.json").complete
    res = run_cli("eval", "--model", MODELS[0], "--model", MODELS[1], "--no-pretrained", "--data-root", data_root,
                  "--out", tmp_path / "one.json")
    assert res.exit_code == 2 and "one results file" in res.stderr


def test_cli_reports_the_cache_size(run_cli, data_root, tmp_path):
    res = run_cli("eval", "--model", MODELS[0], "--no-pretrained", "--datasets", "imagenet-a", "--data-root", data_root,
                  "--out", tmp_path / "r.json", "--workers", "0", "--bootstrap", "0", "--cache-dir", tmp_path / "c")
    assert res.exit_code == 0, res.stderr
    assert "pixel cache" in res.stderr and "entries" in res.stderr
    assert np.isfinite(EvalResult.read(tmp_path / "r.json").datasets["imagenet-a"].top1)


@pytest.fixture
def two_cores(monkeypatch):
    """Two workers are a worker per core, whatever this machine has: the CPU scoring-worker path runs."""
    from imagenet_g.images import batching

    monkeypatch.setattr(batching, "usable_cores", lambda: 2)
    calls = []
    real = batching._Mapped.__init__
    monkeypatch.setattr(batching._Mapped, "__init__", lambda self, *a: calls.append(1) or real(self, *a))
    return calls


def test_cpu_workers_that_score_give_the_main_process_predictions(data_root, tmp_path, two_cores):
    """The CPU fast path (workers decode and run the models) equals the plain one (workers=0, all in process):
    two pixel configs, a class subset and ObjectNet's collapsed classes, an unreadable file counted."""
    from imagenet_g import benchmarks
    from imagenet_g import images as ds
    from imagenet_g.evaluate.metrics import label_space_for
    from imagenet_g.evaluate.models import load_model
    from imagenet_g.evaluate.predictions import predict

    spec = benchmarks.get_benchmark("objectnet")
    folder = data_root / "objectnet-1.0" / "images"
    images = ds.LAYOUTS[spec.layout](spec, folder)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    images = ds.FolderImages(images.root, (*images.paths, str(bad)), np.append(images.targets, images.targets[0]))
    spaces = {"objectnet": label_space_for(spec), "all": label_space_for(benchmarks.get_benchmark("imagenet"))}
    models = [load_model(m, pretrained=False) for m in MODELS]
    plain = predict(models, images, spaces, border=spec.border, batch_size=3, workers=0, device="cpu")
    assert not two_cores
    fast = predict(models, images, spaces, border=spec.border, batch_size=3, workers=2, device="cpu")
    assert two_cores  # the fast path ran
    for p, f in zip(plain, fast):
        assert p.keys == f.keys and len(p.keys) == len(images) - 1
        assert p.skipped == f.skipped and sum(f.skipped.values()) == 1
        for name in spaces:
            np.testing.assert_array_equal(p.topk[name], f.topk[name])
            np.testing.assert_allclose(p.scores[name], f.scores[name], rtol=0, atol=1e-6)


def test_a_model_error_in_a_scoring_worker_is_one_line(run_cli, data_root, tmp_path, two_cores):
    (tmp_path / "ten_out_speed.py").write_text(
        "import torch\ndef ten():\n    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),"
        " torch.nn.Linear(3, 10))\n")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        res = run_cli("eval", "--model", "ten_out_speed:ten", "--datasets", "imagenet-a", "--data-root", data_root,
                      "--out", tmp_path / "r.json", "--workers", "2", "--device", "cpu")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("ten_out_speed", None)
    from data_fixtures import one_error_line

    assert res.exit_code == 2, res.stderr
    assert "outputs 10 classes" in res.stderr and one_error_line(res.stderr) and two_cores

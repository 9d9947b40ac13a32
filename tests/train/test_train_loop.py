"""The training loop on CPU: a few steps on real + generated data, the loss falls, the outputs, resume, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from imagenet_g.errors import OutputError, SubmissionError, TrainingError
from imagenet_g.evaluate import EvalRequest
from imagenet_g.train import MixPolicy, TrainRequest, evaluate_run, load_recipe, read_record, train
from imagenet_g.train import loop as loop_module
from imagenet_g.train.model import ImageNetLogits, apply_blurpool, build_model
from imagenet_g.train.record import fingerprint

FAST = {"data.batch_size": 8, "schedule.epochs": 2, "schedule.warmup_epochs": 1}


def test_blurpool_is_the_papers_blur_before_strided_convs():
    model = build_model(load_recipe("paper").model.model_copy(update={"blurpool": False}), 4)
    strided = [n for n, m in model.named_modules()
               if isinstance(m, torch.nn.Conv2d) and max(m.stride) > 1 and m.in_channels >= 16]
    assert apply_blurpool(model) == len(strided) == 6  # layer2-4: conv1 and downsample conv; not the 3-channel stem
    wrapped = model.layer2[0].conv1
    conv = wrapped[1]
    x = torch.randn(2, conv.in_channels, 9, 9)
    # the code repository's BlurPoolConv2d: [1,2,1]x[1,2,1]/16 per channel, zero padding 1, stride 1, then the conv
    kernel = (torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16).repeat(conv.in_channels, 1, 1, 1)
    blurred = F.conv2d(x, kernel, padding=1, groups=conv.in_channels)
    assert torch.allclose(wrapped(x), conv(blurred), atol=1e-6)


def test_a_few_steps_on_real_plus_generated(tmp_path, squares, dataset_dir):
    request = TrainRequest(recipe="smoke", overrides=FAST, real=str(squares), generated=("mini:train",),
                           dataset_dir=dataset_dir, out=tmp_path / "run", device="cpu")
    result = train(request, progress=False)
    record = read_record(tmp_path / "run")
    assert record == result.record and record.complete and record.category == "real+generated"
    assert [s.used for s in record.mix.sources] == [32, 8] and record.steps_per_epoch == 5
    assert [e.epoch for e in record.epochs] == [1, 2] and all(e.images == 40 for e in record.epochs)
    assert record.epochs[-1].lr == pytest.approx(0.0, abs=1e-12) and record.lr == pytest.approx(0.05)
    assert {"torch", "timm", "safetensors"} <= set(record.environment)
    # the final weights load strictly into the recipe's architecture with timm's own loader
    from timm.models import load_checkpoint

    model = build_model(record.recipe.model, 4)
    load_checkpoint(model, str(result.weights), strict=True)
    # rerunning a finished run changes nothing; another recipe into the same folder is refused
    assert train(request, progress=False).record == record
    with pytest.raises(OutputError, match=r"holds a run trained otherwise \(seed: 0 in the run, 1 now\)"):
        train(request.model_copy(update={"overrides": {**FAST, "seed": 1}}), progress=False)


def test_a_rerun_may_change_what_does_not_decide_the_weights(tmp_path, squares):
    request = TrainRequest(recipe="smoke", overrides=FAST, real=str(squares), mix=MixPolicy(policy="real-only"),
                           out=tmp_path / "run", device="cpu")
    first = train(request, progress=False).record
    harmless = {**FAST, "data.workers": 2, "checkpoint_every": 3, "eval.batch_size": 7, "description": "again"}
    again = train(request.model_copy(update={"overrides": harmless}), progress=False).record
    assert again.epochs == first.epochs and again.weights_sha256 == first.weights_sha256
    assert (again.recipe.eval.batch_size, read_record(tmp_path / "run").recipe.description) == (7, "again")
    # the fingerprint taken when the run started still covers the changed recipe
    assert again.fingerprint == first.fingerprint == fingerprint(again.recipe, again.mix)
    changed = {**FAST, "optimizer.lr": 0.2, "data.size": 24}
    with pytest.raises(OutputError) as refused:
        train(request.model_copy(update={"overrides": changed}), progress=False)
    assert str(refused.value).startswith(f"{tmp_path / 'run'} holds a run trained otherwise (data.size: 32 in the "
                                         "run, 24 now; optimizer.lr: 0.1 in the run, 0.2 now)")


def test_loss_falls_on_a_learnable_task(tmp_path, squares):
    overrides = {"data.batch_size": 8, "schedule.epochs": 6, "schedule.warmup_epochs": 1, "optimizer.lr": 0.2,
                 "loss.label_smoothing": 0.0}
    request = TrainRequest(recipe="smoke", overrides=overrides, real=str(squares), mix=MixPolicy(policy="real-only"),
                           out=tmp_path / "run", device="cpu")
    losses = [e.loss for e in train(request, progress=False).record.epochs]
    assert losses[-1] < 0.5 * losses[0], losses


def test_eval_at_the_end_and_the_category_for_the_leaderboard(tmp_path, squares):
    request = TrainRequest(recipe="smoke", overrides=FAST, real=str(squares), mix=MixPolicy(policy="real-only"),
                           out=tmp_path / "run", device="cpu")
    train(request, progress=False)
    data_root = tmp_path / "data"
    (data_root / "imagenet").mkdir(parents=True)
    (data_root / "imagenet" / "val").symlink_to(squares)
    result = evaluate_run(tmp_path / "run", EvalRequest(model="-", datasets=("imagenet",), data_root=data_root,
                                                        bootstrap=0, workers=0, device="cpu"))
    assert result.datasets["imagenet"].images == 32 and result.model.source == "train"
    assert read_record(tmp_path / "run").results_file == "results.json"
    from imagenet_g.leaderboard import SubmissionInfo
    from imagenet_g.leaderboard.submit import make_submission

    results = tmp_path / "run" / "results.json"
    assert make_submission(results, SubmissionInfo("mine", None, release="smoke")).category == "real"
    with pytest.raises(SubmissionError, match="trained on real data .training record., not generated"):
        make_submission(results, SubmissionInfo("mine", "generated", release="smoke"))
    # the 4-class model is an ImageNet classifier that only ever predicts its 4 classes
    model = ImageNetLogits(torch.nn.Linear(3, 4), (0, 100, 200, 300))
    assert set(model(torch.randn(50, 3)).argmax(1).tolist()) <= {0, 100, 200, 300}
    x = torch.randn(50, 3)
    assert torch.isfinite(model(x) + model(-x)).all()  # two views summed (flip TTA) stay finite


def test_out_of_memory_is_one_clear_error(tmp_path, squares, monkeypatch, run_cli):
    def oom_criterion(recipe):
        def fail(logits, targets):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return fail

    monkeypatch.setattr(loop_module, "_criterion", oom_criterion)
    result = run_cli("train", "--recipe", "smoke", "--set", "data.batch_size=8", "--real", squares,
                     "--policy", "real-only", "--out", tmp_path / "run", "--device", "cpu")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("imagenet-g: error: out of GPU memory at 8 images per GPU; lower the recipe's "
                                     "data.batch_size (the learning rate scales with it), or use more GPUs")


def test_batch_larger_than_the_mix_is_refused(tmp_path, squares):
    request = TrainRequest(recipe="smoke", overrides={"data.batch_size": 64}, real=str(squares),
                           mix=MixPolicy(policy="real-only"), out=tmp_path / "run", device="cpu")
    with pytest.raises(TrainingError, match="fewer than one global batch of 64"):
        train(request, progress=False)


def test_ema_weights_are_the_ones_saved(tmp_path, squares):
    request = TrainRequest(recipe="smoke", overrides={**FAST, "ema_decay": 0.5}, real=str(squares),
                           mix=MixPolicy(policy="real-only"), out=tmp_path / "run", device="cpu")
    result = train(request, progress=False)
    from safetensors.torch import load_file

    saved, last = load_file(result.weights), load_file(tmp_path / "run" / "last.safetensors")
    assert all(torch.equal(saved[k], last[f"ema.{k}"]) for k in saved)
    assert not all(torch.equal(saved[k], last[f"model.{k}"]) for k in saved if saved[k].is_floating_point())


def test_cli_trains_then_evaluates(tmp_path, squares, run_cli):
    data_root = tmp_path / "data"
    (data_root / "imagenet").mkdir(parents=True)
    (data_root / "imagenet" / "val").symlink_to(squares)
    result = run_cli("train", "--recipe", "smoke", "--set", "data.batch_size=8", "--set", "schedule.epochs=2",
                     "--real", squares, "--policy", "real-only", "--out", tmp_path / "run", "--device", "cpu",
                     "--eval-datasets", "imagenet", "--data-root", data_root)
    assert result.exit_code == 0, result.stderr
    assert "trained resnet18 on 32 images (real; real 32), 2 epochs" in result.stdout
    line = r"^epoch 2/2 at 32 px: loss [\d.]+, lr 0, [\d.]+ images/s, [\d.]+ s$"
    assert re.search(line, result.stderr, re.M), result.stderr
    assert "imagenet: top-1" in result.stdout and (tmp_path / "run" / "results.json").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (("--generated", "v7:train", "--policy", "generated-only"),
     "release v7 is not built in {root} (no v7/manifest.json); build its train split first, or set --dataset-dir"),
    (("--generated", "mini:train", "--set", "classes=imagenet-100"),
     "real set {squares} has no images of 100 of the 100 classes of the label space (e.g. n01558993"),
    (("--generated", "mini:train", "--policy", "fraction"),
     "data mix: generated_fraction is needed by the fraction policy and by no other"),
])
def test_cli_user_errors_are_one_line(tmp_path, squares, dataset_dir, run_cli, args, message):
    result = run_cli("train", "--recipe", "smoke", "--real", squares, "--dataset-dir", dataset_dir, "--out",
                     tmp_path / "run", "--device", "cpu", *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert message.format(root=dataset_dir, squares=squares) in result.stderr, result.stderr


def test_a_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    import safetensors.torch

    from imagenet_g.train.checkpoint import save_weights

    path = tmp_path / "last.safetensors"
    save_weights({"w": torch.ones(3)}, path)
    before = path.read_bytes()

    def half_then_full_disk(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", half_then_full_disk)
    with pytest.raises(OutputError, match="No space left on device .the previous one is kept.; free space"):
        save_weights({"w": torch.zeros(3)}, path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["last.safetensors"]

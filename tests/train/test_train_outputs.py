"""train writes only into a new, empty or its own run folder, and refuses one another live run holds."""

from __future__ import annotations

from output_helpers import assert_refused, held_elsewhere

from imagenet_g.train import read_record


def _train(run_cli, squares, out):
    return run_cli("train", "--recipe", "smoke", "--set", "data.batch_size=8", "--set", "schedule.epochs=1",
                   "--set", "schedule.warmup_epochs=0", "--real", squares, "--policy", "real-only", "--out", out,
                   "--device", "cpu", "--json")


def test_a_folder_holding_the_users_weights_is_not_written(run_cli, squares, tmp_path, monkeypatch):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"the user's own weights")
    monkeypatch.chdir(tmp_path)
    assert_refused(_train(run_cli, squares, "."), ". holds model.safetensors and is not a training run folder", "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]
    assert weights.read_bytes() == b"the user's own weights"


def test_a_run_folder_another_live_run_holds_isassert_refused(run_cli, squares, tmp_path):
    run = tmp_path / "run"
    with held_elsewhere(run, "run folder") as holder:
        assert_refused(_train(run_cli, squares, run), f"run folder {run} is being written by another job",
                       f"pid {holder.pid}")
        assert not run.exists()
    done = _train(run_cli, squares, run)  # its owner died: the claim is taken over
    assert done.exit_code == 0, done.stderr
    assert read_record(run).complete


def test_unreadable_images_are_skipped_counted_and_recorded(tmp_path, squares, run_cli):
    import shutil

    from imagenet_g import labels

    real = tmp_path / "train"
    shutil.copytree(squares, real)
    tench = real / labels.wnids()[0]
    (tench / "0.png").write_text("not an image")  # a text file named .png
    (tench / "1.png").write_bytes((squares / labels.wnids()[0] / "1.png").read_bytes()[:60])  # truncated
    done = _train(run_cli, real, tmp_path / "run")
    assert done.exit_code == 0, done.stderr
    epoch = read_record(tmp_path / "run").epochs[0]
    assert epoch.unreadable_skipped == 2 and epoch.images == 32  # every batch stays whole


def test_a_mix_with_no_readable_image_is_one_line(tmp_path, run_cli):
    from imagenet_g import labels

    real = tmp_path / "train"
    for c in (0, 100, 200, 300):
        (real / labels.wnids()[c]).mkdir(parents=True)
        for j in range(8):
            (real / labels.wnids()[c] / f"{j}.png").write_text("not an image")
    assert_refused(_train(run_cli, real, tmp_path / "run"), "images in a row of the data mix cannot be read")

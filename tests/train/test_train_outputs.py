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

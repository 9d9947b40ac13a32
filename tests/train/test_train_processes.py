"""Runs in real processes: kill -9 and resume to the same weights; 2-process gloo torchrun against one process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from imagenet_g.train import read_record

REPO = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from imagenet_g.cli import main; main(sys.argv[1:])"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "CI": "1", "HF_HUB_OFFLINE": "1"}


def _args(squares: Path, out: Path, *overrides: str) -> list[str]:
    sets = [a for o in ("data.batch_size=8", "schedule.epochs=8", "checkpoint_every=2", *overrides)
            for a in ("--set", o)]
    return ["train", "--recipe", "smoke", "--real", str(squares), "--policy", "real-only", "--out", str(out),
            "--device", "cpu", "--json", *sets]


def test_kill_9_then_resume_gives_the_same_final_weights(tmp_path, squares, run_cli):
    reference = run_cli(*_args(squares, tmp_path / "whole"))  # uninterrupted, in this process (one thread too)
    assert reference.exit_code == 0, reference.stderr
    run = tmp_path / "killed"
    # killed while decoding in a loader worker, resumed decoding in the main process: the data do not depend on it
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *_args(squares, run, "data.workers=1")], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not (run / "last.safetensors").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (run / "model.safetensors").exists()  # it really was interrupted
    other_lr = run_cli(*_args(squares, run, "optimizer.lr=0.5"))
    assert other_lr.exit_code == 2 and "optimizer.lr: 0.1 in the run, 0.5 now" in other_lr.stderr, other_lr.stderr
    resumed = subprocess.run([sys.executable, "-c", ENTRY, *_args(squares, run, "data.workers=0")], env=_env(),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    # 4 steps per epoch (32 images, batch 8), a checkpoint every 2 steps: the line says where it went on
    found = re.search(r"^resumed from epoch (\d+) step (\d+) \((\d+) of 4 batches", resumed.stderr, re.M)
    assert found, resumed.stderr
    epoch, step, batch = (int(v) for v in found.groups())
    assert step > 0 and step % 2 == 0 and (epoch, batch) == (step // 4 + 1, step % 4)
    line = r"^epoch \d+/8 at 32 px: loss [\d.]+, lr [\d.e-]+, [\d.]+ images/s, [\d.]+ s$"
    assert len(re.findall(line, resumed.stderr, re.M)) == 8 - (epoch - 1)
    whole, again = load_file(tmp_path / "whole" / "model.safetensors"), load_file(run / "model.safetensors")
    assert whole.keys() == again.keys()
    assert all(torch.equal(whole[k], again[k]) for k in whole)  # bit-exact
    assert (tmp_path / "whole" / "model.safetensors").read_bytes() == (run / "model.safetensors").read_bytes()
    assert [e.loss for e in read_record(run).epochs] == [e.loss for e in read_record(tmp_path / "whole").epochs]


def _torchrun(tmp_path: Path, nproc: int, args: list[str]) -> subprocess.CompletedProcess:
    script = tmp_path / "entry.py"
    script.write_text(ENTRY + "\n")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               str(script), *args]
    return subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=300)


@pytest.mark.timeout(300)
def test_two_gloo_processes_match_one_process_at_the_same_global_batch(tmp_path, squares, run_cli):
    # GroupNorm: each sample is normalised on its own, so two processes with 4 images each compute the same mean
    # gradient as one process with 8. With BatchNorm they would not: each process normalises over its own local
    # batch (as the paper's DDP training, without SyncBatchNorm), which changes the gradients themselves.
    overrides = ("model.kwargs.norm_layer=groupnorm1", "schedule.epochs=3", "checkpoint_every=0")
    two = _torchrun(tmp_path, 2, _args(squares, tmp_path / "two", *overrides))
    assert two.returncode == 0, two.stderr[-2000:]
    one = run_cli(*_args(squares, tmp_path / "one", *overrides))
    assert one.exit_code == 0, one.stderr
    a, b = load_file(tmp_path / "two" / "model.safetensors"), load_file(tmp_path / "one" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], rtol=1e-4, atol=1e-5), key
    rec_two, rec_one = read_record(tmp_path / "two"), read_record(tmp_path / "one")
    assert (rec_two.world_size, rec_one.world_size, rec_two.steps_per_epoch) == (2, 1, rec_one.steps_per_epoch)
    assert [e.loss for e in rec_two.epochs] == pytest.approx([e.loss for e in rec_one.epochs], rel=1e-4)

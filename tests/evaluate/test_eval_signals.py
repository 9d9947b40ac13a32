"""eval stopped by SIGTERM while its loader workers run forward passes: one line, no worker traceback, and the
workers end at once (torch's shutdown waited up to 5 s for each busy worker, one after another)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagenet_g.checks import usable_cores

REPO = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from imagenet_g.cli import main; main(sys.argv[1:])"
WORKERS = usable_cores()  # as many as eval allows: each worker runs the model on whole batches


@pytest.fixture(scope="module")
def val(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("val")
    rng = np.random.default_rng(0)
    for wnid in ("n01440764", "n01443537"):
        (root / wnid).mkdir()
        for i in range(120):
            Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(root / wnid / f"{i}.JPEG")
    return root


def _children(pid: int) -> list[str]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return found


@pytest.mark.parametrize("group", [False, True], ids=["main process", "process group (Slurm)"])
def test_sigterm_stops_eval_and_its_workers_at_once_in_one_line(val, tmp_path, group):
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "CI": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", ENTRY, "eval", "--model", "resnet50", "--no-pretrained", "--no-channels-last",
               "--path", f"imagenet={val}", "--datasets", "imagenet", "--workers", str(WORKERS), "--batch-size", "48",
               "--out", str(tmp_path / "r.json")]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while len(_children(proc.pid)) < WORKERS and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = _children(proc.pid)
    assert len(workers) >= WORKERS, proc.stderr.read() if proc.poll() is not None else "no workers started"
    time.sleep(1.0)  # every worker inside its first forward pass
    (os.killpg if group else os.kill)(proc.pid, signal.SIGTERM)
    stopped = time.monotonic()
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() - stopped < 60:
        time.sleep(0.05)
    workers_gone = time.monotonic() - stopped
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and "DataLoader worker" not in stderr, stderr
    assert [line for line in stderr.splitlines() if line.startswith("imagenet-g: error:")] == [
        "imagenet-g: error: stopped by SIGTERM; files are written whole or not at all, rerun the same command to "
        "continue"]
    # a resnet50 batch of 48 takes seconds per worker: waiting for each in turn took 5 s x WORKERS
    assert workers_gone < 10, workers_gone

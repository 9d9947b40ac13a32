"""One prepared script for the GPU paths of every job, each against its reference where there is one.

1. eval vs timm's validate.py (``eval_throughput.validate_py``: timm's functions composed as validate.py composes
   them) with the same random resnet50 weights (timm's tiny test_resnet with ``--quick``; one checkpoint file,
   validate.py's ``--checkpoint``) on the same JPEGs, in float32 and in float16 autocast (``--amp``): images/s of
   each scoring loop and the share of images whose top-1 class agrees.
2. A sweep of 5 models (``imagenet-g sweep``) on those JPEGs: wall time, model-images/s, every model scored.
3. Audit: the FID Inception features of ``audit.features.extract`` against torchmetrics' FID network run on the
   same uint8 batches (the same local weights): largest feature difference and images/s of each.
4. Build: the smoke release built twice on the device: images/s, and whether both builds' shards are the same bytes.
5. Train: two optimiser steps of the smoke recipe with AMP (float16 autocast and a grad scaler on CUDA).

A check that fails (top-1 agreement below 99% in float32, 95% with AMP, features further apart than 1e-3 of
their scale, builds that differ, a step that does not run) makes the exit code 1. Under 8 minutes on one GPU;
``--device cpu --quick`` runs every path on CPU with small sizes (the same code: how it is tested here).

    python benchmark/gpu_check.py                       # on a GPU machine
    python benchmark/gpu_check.py --device cpu --quick  # a few minutes on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_throughput import inception_weights  # noqa: E402  (the same seeded local Inception weights)
from eval_throughput import make_images, validate_py  # noqa: E402  (the same validate.py reference and JPEGs)

SWEEP_MODELS = ("resnet18", "resnet50", "efficientnet_b0", "mobilenetv3_large_100", "vit_small_patch16_224")
QUICK_SWEEP_MODELS = ("test_resnet", "test_efficientnet", "test_vit", "test_convnext", "test_byobnet")


def cli(*args: str) -> None:
    """Run an imagenet-g command in this process; raise on a non-zero exit."""
    import contextlib
    import io

    from imagenet_g.cli import main

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the command's own report; this script prints a table
            main([str(a) for a in args])
    except SystemExit as exc:
        if exc.code:
            raise RuntimeError(f"imagenet-g {' '.join(map(str, args[:2]))} exited {exc.code}") from None


def _rate(log: list[str]) -> float:
    """Images (x models) per second of the scoring loop, from eval's log line."""
    import re

    found = [re.search(r": (\d+) images x (\d+) models in ([\d.]+) s", line) for line in log]
    done = [(int(m.group(1)) * int(m.group(2)), float(m.group(3))) for m in found if m]
    return sum(n for n, _ in done) / sum(s for _, s in done)


@contextmanager
def _log_lines() -> Iterator[list[str]]:
    """The package's log messages while the block runs (the handler goes when it ends)."""
    import logging

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger, keep = logging.getLogger("imagenet_g"), Keep()
    logger.addHandler(keep)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(keep)


def check_eval(folder: Path, tmp: Path, args) -> list[dict]:
    import pyarrow.parquet as pq
    import timm
    import torch

    model = "test_resnet" if args.quick else "resnet50"  # float16 on a CPU runs ~10x slower than float32
    torch.manual_seed(0)
    checkpoint = tmp / f"{model}-random.pth"
    torch.save(timm.create_model(model).state_dict(), checkpoint)
    rows = []
    for precision in ("fp32", "amp"):
        ref = validate_py(model, str(folder), args.batch_size, args.workers, args.device, str(checkpoint),
                          amp=precision == "amp")
        out = tmp / f"eval-{precision}"
        with _log_lines() as log:
            cli("eval", "-m", model, "--checkpoint", checkpoint, "--datasets", "imagenet", "--path",
                f"imagenet={folder}", "--device", args.device, "--precision", precision, "--batch-size",
                args.batch_size, "--workers", args.workers, "--bootstrap", "0", "--force", "--out-dir", out)
        table = pq.read_table(out / f"{model}.imagenet.parquet", columns=["key", "topk"]).to_pylist()
        ours = {Path(r["key"]).name: r["topk"][0] for r in table}
        theirs = {Path(f).name: c for f, c in zip(ref["files"], ref["top1"])}
        agree = sum(ours[k] == theirs[k] for k in theirs) / len(theirs)
        need = 0.99 if precision == "fp32" else 0.95
        rows.append({"check": f"eval {model} {precision} vs validate.py", "ours": f"{_rate(log):.1f} img/s",
                     "reference": f"{ref['images'] / ref['loop_seconds']:.1f} img/s",
                     "result": f"top-1 agrees on {agree:.2%} of {len(theirs)} images", "ok": agree >= need})
    return rows


def check_sweep(folder: Path, tmp: Path, args) -> list[dict]:
    from imagenet_g.sweep import SweepRequest, run_sweep

    models = QUICK_SWEEP_MODELS if args.quick else SWEEP_MODELS
    listing = tmp / "sweep-models.txt"
    listing.write_text("".join(f"{m}\n" for m in models))
    start = time.perf_counter()
    report = run_sweep(SweepRequest(models=str(listing), out_dir=tmp / "sweep", release="gpu-check",
                                    datasets=("imagenet",), paths={"imagenet": str(folder)}, pretrained=False,
                                    device=args.device, batch_size=args.batch_size, workers=args.workers,
                                    bootstrap=0))
    wall = time.perf_counter() - start
    n = len(list(folder.rglob("*.JPEG")))
    return [{"check": f"sweep of {len(models)} models", "ours": f"{wall:.1f} s",
             "reference": f"{len(models) * n / wall:.1f} model-images/s",
             "result": f"{len(report.scored)} scored, {len(report.failed)} failed", "ok": report.succeeded}]


def check_audit(folder: Path, tmp: Path, args) -> list[dict]:
    import numpy as np
    import torch
    from torchmetrics.image.fid import FrechetInceptionDistance

    from imagenet_g.audit.extractors import load_extractor, resolve_extractor
    from imagenet_g.audit.features import dataset_fingerprint, extract
    from imagenet_g import images as ds
    from imagenet_g.benchmarks import get_benchmark

    weights = inception_weights(tmp)
    loaded = ds.load(get_benchmark("imagenet"), ds.Location("folder", str(folder)))
    start = time.perf_counter()
    ours = extract(loaded.images, dataset_fingerprint(loaded), resolve_extractor("inception-v3", weights),
                   tmp / "features", args.batch_size, args.workers, args.device)
    ours_rate = len(ours.positions) / (time.perf_counter() - start)
    transform = load_extractor("inception-v3", weights).transform  # the same uint8 pixels for both networks
    net = FrechetInceptionDistance(feature=2048, feature_extractor_weights_path=str(weights)).inception
    net = net.to(args.device)
    start, rows = time.perf_counter(), []
    with torch.inference_mode():
        for k in range(0, len(ours.positions), args.batch_size):
            batch = [transform(loaded.images.open(int(i))) for i in ours.positions[k:k + args.batch_size]]
            rows.append(net(torch.stack(batch).to(args.device)).float().cpu().numpy())
    ref_rate = len(ours.positions) / (time.perf_counter() - start)
    theirs = np.concatenate(rows)
    worst = float(np.abs(np.asarray(ours.features) - theirs).max() / max(np.abs(theirs).max(), 1e-12))
    return [{"check": "audit Inception features vs torchmetrics", "ours": f"{ours_rate:.1f} img/s",
             "reference": f"{ref_rate:.1f} img/s", "result": f"largest difference {worst:.1e} of the features' scale",
             "ok": worst <= 1e-3}]


def check_build(tmp: Path, args) -> list[dict]:
    from imagenet_g.release import BuildRequest, build_release
    from imagenet_g.release.store import read_manifest

    shards, seconds = [], []
    for k in range(2):
        start = time.perf_counter()
        report = build_release(BuildRequest("smoke", dataset_dir=tmp / f"build-{k}", device=args.device,
                                            progress=False))
        seconds.append(time.perf_counter() - start)
        manifest = read_manifest(tmp / f"build-{k}" / "smoke")
        shards.append({s.file: s.sha256 for split in manifest.splits.values() for s in split.shards})
    same = shards[0] == shards[1]
    return [{"check": "smoke build, twice", "ours": f"{report.rows / min(seconds):.2f} img/s",
             "reference": "-", "result": f"{len(shards[0])} shards, {'the same bytes' if same else 'DIFFERENT bytes'}",
             "ok": same and report.complete}]


def check_train(folder: Path, tmp: Path, args) -> list[dict]:
    from imagenet_g.train.record import RECORD_FILE

    out = tmp / "train"
    start = time.perf_counter()
    # 2 images of each of the 10 classes, batch 10: two optimiser steps in one epoch
    cli("train", "--recipe", "smoke", "--set", "amp=true", "--set", "schedule.epochs=1", "--set",
        "schedule.warmup_epochs=0", "--set", "data.batch_size=10", "--real", folder, "--policy", "real-only",
        "--real-per-class", 2, "--device", args.device, "--out", out, "--eval-datasets", "imagenet", "--path",
        f"imagenet={folder}")
    record = json.loads((out / RECORD_FILE).read_text())
    steps = record["steps_per_epoch"] * len(record["epochs"])
    amp = record["recipe"]["amp"] and args.device.startswith("cuda")  # the loop autocasts on CUDA only
    loss = record["epochs"][-1]["loss"] if record["epochs"] else float("nan")
    return [{"check": "train: smoke recipe, AMP", "ours": f"{time.perf_counter() - start:.1f} s", "reference": "-",
             "result": f"{steps} optimiser steps, float16 autocast {'on' if amp else 'off (CPU)'}, loss {loss:.3f}",
             "ok": steps == 2 and record["complete"] and loss == loss}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="small sizes (for a CPU check of the script itself)")
    parser.add_argument("--images", type=int, default=None, help="JPEGs for eval and the sweep (2048; quick: 32)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--workers", type=int, default=min(8, len(os.sched_getaffinity(0))))
    args = parser.parse_args()
    args.images = args.images or (32 if args.quick else 2048)
    args.batch_size = args.batch_size or (16 if args.quick else 128)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ.setdefault("IMAGENET_G_CACHE", str(tmp / "cache"))
        folder = make_images(tmp, args.images)
        rows = []
        checks = (("eval", lambda: check_eval(folder, tmp, args)), ("sweep", lambda: check_sweep(folder, tmp, args)),
                  ("audit", lambda: check_audit(folder, tmp, args)), ("build", lambda: check_build(tmp, args)),
                  ("train", lambda: check_train(folder, tmp, args)))
        for name, run in checks:
            start = time.perf_counter()
            try:
                rows += run()
            except Exception as exc:  # one path failing must not hide the others' results
                rows.append({"check": name, "ours": "-", "reference": "-", "result": f"{type(exc).__name__}: {exc}",
                             "ok": False})
            print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    import torch

    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"gpu_check on {device} ({args.images} JPEGs, batch {args.batch_size}, {args.workers} workers)")
    print("| check | ours | reference | result | ok |")
    print("|---|---|---|---|---|")
    for row in rows:
        ok = "yes" if row["ok"] else "NO"
        print(f"| {row['check']} | {row['ours']} | {row['reference']} | {row['result']} | {ok} |")
    sys.exit(0 if all(row["ok"] for row in rows) else 1)


if __name__ == "__main__":
    main()

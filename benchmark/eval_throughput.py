"""Images/s of the imagenet-g eval harness against a reference loop written like timm's validate.py.

Reference: torchvision ImageFolder + PIL + torchvision transforms (Resize, CenterCrop, ToTensor,
Normalize) + DataLoader, model under torch.no_grad(): the loop most evaluation scripts use.
Ours: ``imagenet_g.evaluate.predict`` (uint8 decode in DataLoader workers, normalisation on the
batch, inference_mode, channels_last; K models share one decode per batch).
Both get the same model (random weights, seeded), the same synthetic JPEGs (ImageNet-like sizes,
written to a temp dir), the same torch threads, the same worker count and batch size.

Every measurement runs in a fresh subprocess so peak memory (ru_maxrss of the process and of its
worker children) is measured per run.

    python benchmark/eval_throughput.py                  # full run (a few minutes on 2 cores)
    python benchmark/eval_throughput.py --images 64 --quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_MODEL = "mobilenetv3_large_100"
LARGE_MODEL = "resnet50"
K_MODELS = ("mobilenetv3_large_100", "efficientnet_b0", "mobilenetv3_small_100")  # one shared pixel config


def make_images(root: Path, n: int, seed: int = 0) -> Path:
    """``n`` JPEGs of ImageNet-like sizes (about 500x375, varied) in 10 wnid folders."""
    import numpy as np
    from PIL import Image

    from imagenet_g import labels

    rng = np.random.default_rng(seed)
    folder = root / f"val-{n}"
    for i in range(n):
        cls = folder / labels.wnids()[i % 10]
        cls.mkdir(parents=True, exist_ok=True)
        w, h = int(rng.integers(400, 640)), int(rng.integers(300, 480))
        # smooth gradients plus noise: compresses like a photo, not like pure noise
        base = np.linspace(0, 255, w)[None, :, None] * rng.random(3)[None, None, :]
        img = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(cls / f"{i:06d}.JPEG", quality=90)
    return folder


def _models(names: list[str]):
    from imagenet_g.evaluate.models import load_model

    return [load_model(name, pretrained=False, seed=i) for i, name in enumerate(names)]


def run_reference(folder: Path, models: list, batch_size: int, workers: int) -> int:
    """validate.py-style loop, once per model (each run decodes the data again)."""
    import torch
    from torchvision import datasets, transforms

    count = 0
    for model in models:
        cfg = model.preprocess
        size = int(cfg.input_size[-1] / cfg.crop_pct)  # timm: floor(img_size / crop_pct)
        interp = transforms.InterpolationMode(cfg.interpolation)
        tf = transforms.Compose([
            transforms.Resize(size, interpolation=interp), transforms.CenterCrop(cfg.input_size[-1]),
            transforms.ToTensor(), transforms.Normalize(cfg.mean, cfg.std),
        ])
        loader = torch.utils.data.DataLoader(datasets.ImageFolder(str(folder), tf), batch_size=batch_size,
                                             num_workers=workers, shuffle=False)
        module = model.module.eval()
        with torch.no_grad():
            for x, _ in loader:
                module(x).argmax(1)
                count += len(x)
    return count


def run_ours(folder: Path, models: list, batch_size: int, workers: int) -> int:
    """One pass of the harness over the folder with all models at once."""
    from imagenet_g import benchmarks
    from imagenet_g.evaluate import datasets as ds
    from imagenet_g.evaluate.harness import predict

    images = ds.LAYOUTS["wnid"](benchmarks.get_benchmark("imagenet"), folder)
    preds = predict(models, images, {"all": None}, batch_size=batch_size, workers=workers, device="cpu")
    return sum(len(p.keys) for p in preds)


def child(args: argparse.Namespace) -> None:
    """Run one measurement and print a JSON line (images, seconds, peak memory in MiB)."""
    import torch

    torch.set_num_threads(args.threads)
    fn = run_ours if args.mode == "ours" else run_reference
    models = _models(args.models)
    with torch.no_grad():  # lazy initialisation outside the timed loop
        for m in models:
            m.module(torch.zeros(2, *m.preprocess.input_size))
    start = time.perf_counter()
    n = fn(Path(args.folder), models, args.batch_size, args.workers)
    seconds = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux; workers are forked, so shared pages count in both terms (an upper bound)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = rss / 1024
    print(json.dumps({"images": n, "seconds": seconds, "peak_mib": peak}))


def measure(mode: str, folder: Path, models: list[str], args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--folder", str(folder), "--threads", str(args.threads),
           "--workers", str(args.workers), "--batch-size", str(args.batch_size), "--models", *models]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs per side; the best is kept")
    parser.add_argument("--quick", action="store_true", help="skip the resnet50 and memory rows")
    parser.add_argument("--child", choices=["ours", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--models", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.mode = args.child
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_images(Path(tmp), args.images)
        print(f"{args.images} synthetic JPEGs (~500x375), {args.threads} torch threads, {args.workers} workers, "
              f"batch {args.batch_size}, random weights, CPU, best of {args.repeats}; K-model rates count model-images")
        print(f"{'case':<44} {'reference img/s':>16} {'ours img/s':>11} {'ratio':>6}")
        cases = [(f"small model ({SMALL_MODEL})", [SMALL_MODEL])]
        if not args.quick:
            cases.append((f"large model ({LARGE_MODEL})", [LARGE_MODEL]))
        cases.append((f"K=3 models, one dataset ({', '.join(K_MODELS)})", list(K_MODELS)))
        for label, models in cases:
            # alternate and keep each side's best run: other load on a shared machine only ever slows a run down
            runs = {"reference": [], "ours": []}
            for _ in range(args.repeats):
                for mode in runs:
                    res = measure(mode, folder, models, args)
                    runs[mode].append(res["images"] / res["seconds"])
            r, o = max(runs["reference"]), max(runs["ours"])
            print(f"{label:<44} {r:>16.1f} {o:>11.1f} {o / r:>5.2f}x", flush=True)
        if not args.quick:
            big = make_images(Path(tmp), args.images * 4, seed=1)
            small_peak = measure("ours", folder, [SMALL_MODEL], args)["peak_mib"]
            big_peak = measure("ours", big, [SMALL_MODEL], args)["peak_mib"]
            print(f"peak memory, ours ({SMALL_MODEL}): {args.images} images {small_peak:.0f} MiB, "
                  f"{4 * args.images} images {big_peak:.0f} MiB (ratio {big_peak / small_peak:.2f})")


if __name__ == "__main__":
    main()

"""Feature extraction images/s of `imagenet-g audit` against torchmetrics' own update loop, same images, same device.

Reference (what a torchmetrics user writes): PIL open -> RGB -> resize to 299x299 (bicubic) -> uint8 tensor, batches
stacked in the main process, ``FrechetInceptionDistance(feature=2048).update(batch, real=True)``; for FID and KID
together a ``KernelInceptionDistance`` is updated on the same batches, so the network runs once per metric.
Ours: ``imagenet_g.audit.features.extract`` (the same resize, decode in DataLoader workers while the network runs,
uint8 batches, ``inference_mode``, torch-fidelity's network with its batch norms folded into the convolutions and
the identity resize skipped (``audit/inception.py``), channels_last, features cached on disk), then FID/KID from the
cached features.
Both use torch-fidelity's Inception-v3 (random weights, seeded, saved to a local file as offline users would),
the same synthetic ImageNet-sized JPEGs, the same torch threads and batch size. Each run is a fresh subprocess,
so peak memory (ru_maxrss of the process plus its workers) is per run.

    python benchmark/audit_throughput.py                 # 96 and 192 images (a few minutes on 2 cores)
    python benchmark/audit_throughput.py --images 32 --repeats 1
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

sys.path.insert(0, str(Path(__file__).parent))
from eval_throughput import make_images  # noqa: E402  (the same synthetic JPEGs as the eval benchmark)


def inception_weights(root: Path) -> Path:
    """torch-fidelity's Inception-v3 with seeded random weights, saved as a local weights file."""
    import torch
    import torch_fidelity.feature_extractor_inceptionv3 as fe

    path = root / "inception-random.pth"
    if not path.is_file():
        original = (fe.FeatureExtractorInceptionV3.load_state_dict, fe.load_state_dict_from_url)
        fe.FeatureExtractorInceptionV3.load_state_dict = lambda self, state: None
        fe.load_state_dict_from_url = lambda *a, **k: {}
        try:
            torch.manual_seed(0)
            net = fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
        finally:
            fe.FeatureExtractorInceptionV3.load_state_dict, fe.load_state_dict_from_url = original
        torch.save(net.state_dict(), path)
    return path


def run_reference(folder: Path, weights: Path, batch_size: int, kid: bool) -> int:
    """torchmetrics' update loop over the folder's images; returns the image count."""
    import warnings

    import torch
    from PIL import Image
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance
    from torchvision.transforms.functional import pil_to_tensor

    from torchmetrics.image.fid import NoTrainInceptionV3

    metrics = [FrechetInceptionDistance(feature=2048, feature_extractor_weights_path=str(weights))]
    if kid:  # KID takes no weights path: hand it the same network class torchmetrics builds, from the same file
        net = NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"],
                                 feature_extractor_weights_path=str(weights))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metrics.append(KernelInceptionDistance(feature=net, subset_size=2))
    paths = sorted(p for p in folder.rglob("*.JPEG"))
    for start in range(0, len(paths), batch_size):
        batch = []
        for p in paths[start:start + batch_size]:
            with Image.open(p) as im:
                batch.append(pil_to_tensor(im.convert("RGB").resize((299, 299), Image.BICUBIC)))
        x = torch.stack(batch)
        for m in metrics:
            m.update(x, real=True)
    return len(paths)


def run_ours(folder: Path, weights: Path, batch_size: int, workers: int, cache: Path) -> int:
    """The audit's extraction (cold or warm cache, depending on ``cache``); returns the image count."""
    from imagenet_g.audit.extractors import resolve_extractor
    from imagenet_g.audit.features import dataset_fingerprint, extract
    from imagenet_g.benchmarks import get_benchmark
    from imagenet_g import images as ds

    loaded = ds.load(get_benchmark("imagenet"), ds.Location("folder", str(folder)))
    extractor = resolve_extractor("inception-v3", weights)
    fs = extract(loaded.images, dataset_fingerprint(loaded), extractor, cache, batch_size, workers, "cpu")
    return len(fs.positions)


def child(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    folder, weights = Path(args.folder), Path(args.weights)
    start = time.perf_counter()
    if args.child == "reference":
        n = run_reference(folder, weights, args.batch_size, kid=False)
    elif args.child == "reference-fid-kid":
        n = run_reference(folder, weights, args.batch_size, kid=True)
    else:
        n = run_ours(folder, weights, args.batch_size, args.workers, Path(args.cache))
    seconds = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux; workers are forked, so shared pages count in both terms (an upper bound)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"images": n, "seconds": seconds, "peak_mib": rss / 1024}))


def measure(mode: str, folder: Path, weights: Path, args: argparse.Namespace, cache: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--folder", str(folder), "--weights", str(weights),
           "--threads", str(args.threads), "--workers", str(args.workers), "--batch-size", str(args.batch_size),
           "--cache", str(cache or folder.parent / "unused")]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=96, help="images of the first size; the memory row doubles it")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs per side; the best is kept")
    parser.add_argument("--child", choices=["ours", "reference", "reference-fid-kid"], help=argparse.SUPPRESS)
    for hidden in ("--folder", "--weights", "--cache"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        weights = inception_weights(root)
        rows = []
        for n in (args.images, 2 * args.images):
            folder = make_images(root, n)
            best: dict[str, dict] = {}
            for r in range(args.repeats):
                for mode in ("reference", "reference-fid-kid", "ours"):
                    cache = root / f"cache-{n}-{r}" if mode == "ours" else None
                    got = measure(mode, folder, weights, args, cache)
                    if mode not in best or got["seconds"] < best[mode]["seconds"]:
                        best[mode] = got
                warm = measure("ours", folder, weights, args, root / f"cache-{n}-{r}")
                if "warm" not in best or warm["seconds"] < best["warm"]["seconds"]:
                    best["warm"] = warm
            rows.append((n, best))
    print(f"\nInception-v3 (torch-fidelity, 2048-d) feature extraction, CPU, {args.threads} torch threads, "
          f"{args.workers} decode workers, batch {args.batch_size}, best of {args.repeats}\n")
    header = f"{'images':>7} | {'job':<26} | {'torchmetrics img/s':>18} | {'audit img/s':>11} | {'ratio':>6} | " \
             f"{'peak MiB (tm / audit)':>22}"
    print(header)
    print("-" * len(header))
    for n, best in rows:
        ref, both, ours, warm = best["reference"], best["reference-fid-kid"], best["ours"], best["warm"]

        def rate(run: dict) -> float:
            return run["images"] / run["seconds"]

        for job, r, o in (("FID features (cold cache)", ref, ours), ("FID + KID (cold cache)", both, ours),
                          ("FID + KID (warm cache)", both, warm)):
            print(f"{n:>7} | {job:<26} | {rate(r):>18.1f} | {rate(o):>11.1f} | {rate(o) / rate(r):>5.2f}x | "
                  f"{r['peak_mib']:>10.0f} / {o['peak_mib']:<9.0f}")
    (n1, b1), (n2, b2) = rows
    print(f"\nmemory flat in dataset size: audit peak {b1['ours']['peak_mib']:.0f} MiB at {n1} images, "
          f"{b2['ours']['peak_mib']:.0f} MiB at {n2} images")


if __name__ == "__main__":
    main()

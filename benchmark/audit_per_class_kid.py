"""Seconds of the audit's per-class FID + KID against torchmetrics' KID with its 100 subsets, on random features.

Per class the audit compares ~50 reference images with ~50 generated ones (2048-d Inception features), so KID's
subset size is the whole of both sets and torchmetrics' 100 subsets are 100 orderings of the same images, one MMD
value. Reference (what the audit did before): our FID (``fidelity.frechet_distance``) + torchmetrics'
``KernelInceptionDistance(subsets=100, subset_size=n)`` per class. Ours: ``fidelity.per_class_distance``, which
computes that one subset once. Both run in this process on the same features; the KID means are compared.

    python benchmark/audit_per_class_kid.py                    # 1000 classes x 50 + 50 images, 2048-d
    python benchmark/audit_per_class_kid.py --classes 100
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch


def reference(real, real_t, fake, fake_t, classes: int) -> tuple[float, dict[int, float]]:
    from torchmetrics.image.kid import KernelInceptionDistance

    from imagenet_g.audit.fidelity import _Precomputed, frechet_distance

    kids = {}
    start = time.perf_counter()
    for cls in range(classes):
        r, f = real[real_t == cls], fake[fake_t == cls]
        frechet_distance(r, f)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
            metric = KernelInceptionDistance(feature=_Precomputed(r.shape[1]), subsets=100, subset_size=len(r))
        metric.update(torch.from_numpy(r), real=True)
        metric.update(torch.from_numpy(f), real=False)
        torch.manual_seed(0)
        kids[cls] = float(metric.compute()[0])
    return time.perf_counter() - start, kids


def ours(real, real_t, fake, fake_t) -> tuple[float, dict[int, float]]:
    from imagenet_g.audit.fidelity import per_class_distance

    start = time.perf_counter()
    done, _ = per_class_distance(real, real_t, fake, fake_t)
    return time.perf_counter() - start, {cls: d.kid for cls, d in done.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--dim", type=int, default=2048)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.classes * args.per_class
    real, fake = rng.normal(size=(n, args.dim)), rng.normal(size=(n, args.dim)) + 0.1
    targets = np.repeat(np.arange(args.classes), args.per_class)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    ref_s, ref_kid = reference(real, targets, fake, targets, args.classes)
    our_s, our_kid = ours(real, targets, fake, targets)
    worst = max(abs(ref_kid[c] - our_kid[c]) / max(abs(ref_kid[c]), 1e-12) for c in ref_kid)
    print(f"{args.classes} classes x {args.per_class} + {args.per_class} images, {args.dim}-d features, "
          f"{torch.get_num_threads()} torch threads")
    print("| per-class FID + KID | seconds | ms per class |")
    print("|---|---:|---:|")
    print(f"| reference (torchmetrics KID, 100 subsets) | {ref_s:.1f} | {1000 * ref_s / args.classes:.1f} |")
    print(f"| ours (one subset when it is the whole set) | {our_s:.1f} | {1000 * our_s / args.classes:.1f} |")
    print(f"ours / reference time: {our_s / ref_s:.2f}x; largest relative KID difference {worst:.1e}")


if __name__ == "__main__":
    main()

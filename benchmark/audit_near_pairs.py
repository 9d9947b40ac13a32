"""Seconds of the audit's near-duplicate search, within-class and across-release pairs, in one pass against the two
passes it made before, on the same random features in the same process.

Reference (what the audit did before): ``near_pairs`` as it was, called once with the class labels and once
without, each pass computing every block of similarities. Ours: ``diversity.near_pairs_each`` with both groupings,
each block computed once. Features are clustered, with planted copies, so both lists fill past their limit and the
totals are exercised; the results are compared pair for pair.

    python benchmark/audit_near_pairs.py                  # 20,000 images x 512-d (ViT-B-32), 1000 classes
    python benchmark/audit_near_pairs.py --images 5000
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def near_pairs_before(x: np.ndarray, threshold: float, groups: np.ndarray | None = None, limit: int = 1000):
    """``imagenet_g.audit.diversity.near_pairs`` before the one-pass search, unchanged."""
    from imagenet_g.audit.diversity import NearPairs, Pair, _rows_per_block, unit_rows

    u = unit_rows(x)
    n = len(u)
    total = 0
    best = np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    step = _rows_per_block(n)
    for start in range(0, n, step):
        sims = u[start:start + step] @ u[start:].T
        rows, cols = np.nonzero(sims >= threshold)
        keep = cols > rows
        if groups is not None:
            keep &= groups[rows + start] == groups[cols + start]
        rows, cols = rows[keep], cols[keep]
        total += len(rows)
        values = sims[rows, cols]
        if len(values) > limit:
            cut = np.partition(values, len(values) - limit)[len(values) - limit]
            chosen = values >= cut
            rows, cols, values = rows[chosen], cols[chosen], values[chosen]
        merged = (np.concatenate([best[0], values]), np.concatenate([best[1], rows + start]),
                  np.concatenate([best[2], cols + start]))
        order = np.lexsort((merged[2], merged[1], -merged[0]))[:limit]
        best = tuple(m[order] for m in merged)
    return NearPairs(total, [Pair(int(i), int(j), float(s)) for s, i, j in zip(*best)])


def main() -> None:
    from imagenet_g.audit.diversity import near_pairs_each

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--threshold", type=float, default=0.95, help="the audit's default duplicate threshold")
    parser.add_argument("--repeats", type=int, default=1, help="alternating runs per side; the best is kept")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    targets = rng.integers(0, args.classes, size=args.images)
    centres = rng.normal(size=(args.classes // 4 + 1, args.dim))  # four classes a cluster: pairs across classes too
    x = centres[targets // 4] + rng.normal(scale=0.2, size=(args.images, args.dim))  # cosine ~0.96 in a cluster
    copies = rng.choice(args.images, size=(args.images // 50, 2), replace=False)
    x[copies[:, 1]] = x[copies[:, 0]]  # exact copies: ties at similarity 1
    limit = 200  # the audit's list limit
    before = after = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        old = near_pairs_before(x, args.threshold, targets, limit), near_pairs_before(x, args.threshold, None, limit)
        before = min(before, time.perf_counter() - start)
        start = time.perf_counter()
        new = tuple(near_pairs_each(x, args.threshold, [targets, None], limit))
        after = min(after, time.perf_counter() - start)
    assert new == old, "the one-pass search differs from the two passes"
    print(f"{args.images} images x {args.dim}-d, {args.classes} classes, threshold {args.threshold}: "
          f"{old[0].total} within-class and {old[1].total} across-release pairs (identical in both)")
    print("| near pairs, within + across | seconds |")
    print("|---|---:|")
    print(f"| before (two passes) | {before:.1f} |")
    print(f"| ours (one pass) | {after:.1f} |")
    print(f"ours / before time: {after / before:.2f}x")


if __name__ == "__main__":
    main()

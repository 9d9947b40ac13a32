"""`imagenet-g sweep` against separate runs of timm's validate.py, side by side in one run; memory flat in the
number of models; the Ray executor against the local one.

Reference: timm's validate.py once per model, as ``benchmark/eval_throughput.py`` composes it from timm's own
functions (same JPEGs, random weights, batch size, workers and ``OMP_NUM_THREADS``, CPU, each run a fresh
process). Ours: the ``imagenet-g sweep`` command line, one fresh process for the whole model set. "whole" is the
reference's summed wall time over ours (imports, model builds, data scans, scoring, writing, all included).

Cases:
- ``test8``: the first 8 of ``timm.list_models('test_*')`` (random weights) vs 8 validate.py runs; target >= 5x.
- ``real4``: resnet18, mobilenetv3_large_100, efficientnet_b0, vit_tiny_patch16_224 (random weights) vs 4 runs;
  target >= 2x.
- ``memory``: the peak memory (proportional set size of the process tree, workers included) of a sweep of 16 test
  models over that of a sweep of 4 of them: each group of 4 the 16-model sweep makes, swept alone (the heaviest
  counts: the same models, the same activations); target <= 1.2x (groups bound what is in memory).
- ``ray``: the ``test8`` sweep on a local Ray runtime (2 CPUs, one per task: two groups at once) vs the local
  executor with the same settings: results files byte-identical apart from the time of the run and the
  environment, and Ray's overhead (its wall time over the local one's).

    python benchmark/sweep_throughput.py --images 256            # ~10 minutes on 2 cores
    python benchmark/sweep_throughput.py --images 64 --cases test8,memory
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_throughput import make_images, run  # noqa: E402  (the same reference, images and process sampling)

from imagenet_g.sweep.folder import run_independent_contents  # noqa: E402  (what two runs of a sweep agree on)

REAL4 = ("resnet18", "mobilenetv3_large_100", "efficientnet_b0", "vit_tiny_patch16_224")
CASES = ("test8", "real4", "memory", "ray")


def test_models(n: int) -> list[str]:
    """The first ``n`` of timm's test models (tiny architectures for testing, random weights only)."""
    import timm

    return timm.list_models("test_*")[:n]


def sweep(models: list[str], folder: Path, out: Path, args, *extra: str) -> dict:
    """One ``imagenet-g sweep`` process over ``models`` (a model file), scored from scratch into ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    listing = out.parent / f"{out.name}.models.txt"
    listing.write_text("".join(f"{m}\n" for m in models))
    cli = ["ours", "sweep", "--models", str(listing), "--no-pretrained", "--release", "bench", "--datasets",
           "imagenet", "--path", f"imagenet={folder}", "--batch-size", str(args.batch_size), "--workers",
           str(args.workers), "--device", "cpu", "--bootstrap", "0", "--force", "--out-dir", str(out), *extra]
    return run(cli, args.threads)


def reference(models: list[str], folder: Path, args) -> dict:
    runs = [run(["reference", m, str(folder), str(args.batch_size), str(args.workers)], args.threads) for m in models]
    return {"wall": sum(r["wall"] for r in runs), "peak_mib": max(r["peak_mib"] for r in runs)}


def versus(label: str, models: list[str], folder: Path, tmp: Path, args, target: str) -> str:
    best_ref = best_ours = None
    for k in range(args.repeats):
        ref = reference(models, folder, args)
        mine = sweep(models, folder, tmp / f"{label}-{k}", args)
        best_ref = ref if best_ref is None or ref["wall"] < best_ref["wall"] else best_ref
        best_ours = mine if best_ours is None or mine["wall"] < best_ours["wall"] else best_ours
    ratio = best_ref["wall"] / best_ours["wall"]
    print(f"{label:<34} {best_ours['wall']:>7.1f} {best_ref['wall']:>13.1f} {ratio:>6.2f}x  (target {target}); peak "
          f"MiB ours {best_ours['peak_mib']:.0f}, validate.py {best_ref['peak_mib']:.0f}", flush=True)
    return f"| {label} | {best_ours['wall']:.1f} | {best_ref['wall']:.1f} | {ratio:.2f}x | {target} |"


def memory(folder: Path, tmp: Path, args) -> str:
    """Peak memory of a sweep of 16 test models against sweeps of 4: each of the 4 groups the 16-model sweep makes
    (the same models, so the same activations), swept alone. Flat in the number of models means the 16-model peak is
    that of its heaviest group; the first 4 models are a lighter mix, shown for context."""
    from imagenet_g.sweep import ModelEntry
    from imagenet_g.sweep.plan import plan_groups
    from imagenet_g.sweep.request import DEFAULT_GROUP_SIZE

    sixteen = test_models(16)
    groups = [[e.id for e in g.entries] for g in plan_groups([ModelEntry(m, {}, False) for m in sixteen],
                                                                DEFAULT_GROUP_SIZE)]
    peak = min(sweep(sixteen, folder, tmp / f"mem16-{k}", args)["peak_mib"] for k in range(args.repeats))
    alone = [min(sweep(g, folder, tmp / f"mem4-{i}-{k}", args)["peak_mib"] for k in range(args.repeats))
             for i, g in enumerate(groups)]
    first = min(sweep(sixteen[:4], folder, tmp / f"mem-first-{k}", args)["peak_mib"] for k in range(args.repeats))
    heaviest = max(alone)
    print(f"peak memory: 16 models {peak:.0f} MiB; its groups of 4 swept alone "
          f"{', '.join(f'{m:.0f}' for m in alone)} MiB: {peak / heaviest:.2f}x the heaviest (target <= 1.2x); "
          f"the first 4 models alone {first:.0f} MiB ({peak / first:.2f}x: a lighter mix)", flush=True)
    return (f"| peak memory, 16 test models vs the heaviest of their groups of 4 swept alone | {peak:.0f} MiB | "
            f"{heaviest:.0f} MiB | {peak / heaviest:.2f}x | <= 1.2x |")


def main() -> None:

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=1, help="alternating runs per side; each keeps its best")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated: {', '.join(CASES)}")
    args = parser.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = make_images(tmp, args.images)
        print(f"{args.images} synthetic JPEGs (~500x375), CPU, {args.threads} threads, {args.workers} workers, batch "
              f"{args.batch_size}, random weights, best of {args.repeats}; load average {os.getloadavg()[0]:.1f} at "
              "start")
        print(f"{'case':<34} {'ours s':>7} {'validate.py s':>13} {'whole':>7}")
        if "test8" in cases:
            rows.append(versus("8 test_* models vs 8 runs", test_models(8), folder, tmp, args, ">= 5x"))
        if "real4" in cases:
            rows.append(versus("4 small real architectures vs 4 runs", list(REAL4), folder, tmp, args, ">= 2x"))
        if "memory" in cases:
            rows.append(memory(folder, tmp, args))
        if "ray" in cases:
            models = test_models(8)
            one = ("--workers", "1", "--no-channels-last")  # one CPU per task, so two tasks run at once on 2 cores
            local = sweep(models, folder, tmp / "local", args, *one)
            ray = sweep(models, folder, tmp / "ray", args, *one, "--executor", "ray")
            same = run_independent_contents(tmp / "local") == run_independent_contents(tmp / "ray")
            print(f"Ray (local runtime, 2 tasks at once) {ray['wall']:.1f} s vs local {local['wall']:.1f} s: overhead "
                  f"{ray['wall'] / local['wall']:.2f}x; results files identical (time and environment aside): {same}",
                  flush=True)
            rows.append(f"| Ray vs local executor, 8 test models | {ray['wall']:.1f} | {local['wall']:.1f} | "
                        f"{ray['wall'] / local['wall']:.2f}x | identical files: {same} |")
    print(f"load average {os.getloadavg()[0]:.1f} at the end; as markdown:")
    print("| case | ours (s, MiB) | reference (s, MiB) | ratio | target |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

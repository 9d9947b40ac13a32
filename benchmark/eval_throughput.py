"""`imagenet-g eval` against timm's validate.py, side by side in one run: whole process and steady state.

Reference: timm's validate.py, i.e. timm's own functions composed exactly as validate.py composes them
(timm does not ship validate.py in its wheel, and this machine cannot fetch it): ``utils.random_seed(42)``,
``create_model(**resolve_model_input_args(...))``, ``resolve_input_data_config(use_test_size=True)``,
``create_dataset`` (ImageFolder), ``create_loader`` with the prefetcher, a warm-up batch, then the
``inference_mode`` loop with ``CrossEntropyLoss`` and ``accuracy(topk=(1, 5))``; float32, no channels_last,
as validate.py runs by default. Ours: the ``imagenet-g eval`` command line itself.

Both sides get the same synthetic JPEGs (ImageNet-like sizes), the same random-weight model, batch size,
worker count and ``OMP_NUM_THREADS``, on CPU. Every run is a fresh process: "whole" is its wall time from exec
to exit (imports, model, data scan, scoring, writing), "steady" is images per second of the scoring loop alone
(validate.py's loop after its warm-up; ours from the rate `imagenet-g eval` logs per dataset). Peak memory is
the largest proportional set size (PSS) of the whole process tree, main process and workers, sampled every 0.2 s: pages
forked workers share are counted once.

Cases: a depthwise model, resnet50, a ViT-Ti, the depthwise model again with a warm pixel cache
(``--cache-dir``, primed by an earlier run), K=3 models scored in one pass (``--model`` three times)
against three separate validate.py runs, and our peak memory on N and 3N images (flat in dataset size). On a
shared machine other load only ever slows a run, so each side keeps its best of ``--repeats`` runs, alternating;
the load average is printed at the start and the end. Use a multiple of 2 x batch size images, so both of our
workers get as many batches.

    python benchmark/eval_throughput.py --images 128            # a few minutes on 2 cores
    python benchmark/eval_throughput.py --images 64 --repeats 1 --cases small,k3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL = "mobilenetv3_large_100"
CASES = {
    "small": [SMALL],
    "resnet50": ["resnet50"],
    "vit": ["vit_tiny_patch16_224"],
    "warm": [SMALL],
    "k3": [SMALL, "efficientnet_b0", "mobilenetv3_small_100"],  # one shared pixel config: one decode
    "memory": [SMALL],  # ours on N and 3N images: peak memory must not grow with the dataset
}
RATE = re.compile(r"scored (\S+): (\d+) images x (\d+) models in ([\d.]+) s")


def make_images(root: Path, n: int, seed: int = 0) -> Path:
    """``n`` JPEGs of ImageNet-like sizes (about 500 x 375, varied) in 10 wnid folders."""
    import numpy as np
    from PIL import Image

    from imagenet_g.labels import wnids

    rng = np.random.default_rng(seed)
    folder = root / f"val-{n}"
    for i in range(n):
        cls = folder / wnids()[i % 10]
        cls.mkdir(parents=True, exist_ok=True)
        w, h = int(rng.integers(400, 640)), int(rng.integers(300, 480))
        # smooth gradients plus noise: compresses like a photo, not like pure noise
        base = np.linspace(0, 255, w)[None, :, None] * rng.random(3)[None, None, :]
        img = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(cls / f"{i:06d}.JPEG", quality=90)
    return folder


def validate_py(model_name: str, folder: str, batch_size: int, workers: int, device: str = "cpu",
                checkpoint: str | None = None, amp: bool = False) -> dict:
    """timm's validate.py ``validate(args)`` for these arguments (float32, or ``--amp``: float16 autocast; prefetcher
    on; ``checkpoint``: validate.py's ``--checkpoint``). Also returns each image's file and top-1 class, in order."""
    from contextlib import nullcontext

    import torch
    from timm import utils
    from timm.data import create_dataset, create_loader, resolve_input_data_config
    from timm.models import create_model, load_checkpoint, resolve_model_input_args
    from timm.utils import AverageMeter, accuracy

    args = {"model": model_name, "img_size": None, "in_chans": None, "input_size": None, "crop_pct": None,
            "crop_mode": None, "mean": None, "std": None, "interpolation": "", "use_train_size": False}
    device = torch.device(device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # validate.py sets this at import
        torch.backends.cudnn.benchmark = True
    utils.random_seed(42)
    model = create_model(**resolve_model_input_args(model_name, args, pretrained=False, num_classes=None,
                                                    global_pool=None, scriptable=False))
    if checkpoint:
        load_checkpoint(model, checkpoint, use_ema=False)
    autocast = torch.autocast(device.type, dtype=torch.float16) if amp else nullcontext()
    data_config = resolve_input_data_config(model, args, use_test_size=True, verbose=False)
    model = model.to(device=device, dtype=None)
    criterion = torch.nn.CrossEntropyLoss().to(device)
    dataset = create_dataset(root=folder, name="", split="validation", download=False, load_bytes=False,
                             class_map="", num_samples=None, input_img_mode="RGB", seed=42)
    loader = create_loader(
        dataset, input_size=data_config["input_size"], batch_size=batch_size, use_prefetcher=True,
        interpolation=data_config["interpolation"], mean=data_config["mean"], std=data_config["std"],
        num_workers=workers, crop_pct=data_config["crop_pct"], crop_mode=data_config["crop_mode"],
        crop_border_pixels=None, pin_memory=False, device=device, img_dtype=torch.float32,
    )
    top1, top5 = AverageMeter(), AverageMeter()
    model.eval()
    predicted = []
    with torch.inference_mode():
        with autocast:
            model(torch.randn((batch_size,) + tuple(data_config["input_size"])).to(device=device))  # warm-up
        start, count = time.perf_counter(), 0
        for inputs, target in loader:
            with autocast:
                output = model(inputs)
                criterion(output, target)
            acc1, acc5 = accuracy(output.detach(), target, topk=(1, 5))
            top1.update(acc1.item(), output.shape[0])
            top5.update(acc5.item(), output.shape[0])
            count += output.shape[0]
            predicted += output.argmax(dim=1).tolist()
        if device.type == "cuda":
            torch.cuda.synchronize()
    files = [dataset.filename(i, absolute=True) for i in range(len(dataset))]
    return {"images": count, "loop_seconds": time.perf_counter() - start, "files": files, "top1": predicted}


def _tree_pss_mib(pid: int) -> float:
    """Proportional set size of ``pid`` and all its descendants (shared pages counted once overall), MiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            total += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, AttributeError):  # exited meanwhile
            continue
    return total / 1024


def child(argv: list[str]) -> None:
    """Run one side in this (fresh) process and print one JSON line."""
    kind, report = argv[0], argv[1]
    if kind == "reference":
        model, folder, batch_size, workers = argv[2], argv[3], int(argv[4]), int(argv[5])
        record = validate_py(model, folder, batch_size, workers)
    else:  # the imagenet-g command line, in this process
        import logging

        from imagenet_g.cli import main

        lines: list[str] = []

        class Keep(logging.Handler):
            def emit(self, rec: logging.LogRecord) -> None:
                lines.append(rec.getMessage())

        logging.getLogger("imagenet_g").addHandler(Keep())
        try:
            main(argv[2:])
        except SystemExit as exc:
            if exc.code:
                raise
        rates = [RATE.search(line) for line in lines]
        done = [(int(m.group(2)) * int(m.group(3)), float(m.group(4))) for m in rates if m]  # model-images
        record = {"images": sum(n for n, _ in done), "loop_seconds": sum(s for _, s in done)}
    Path(report).write_text(json.dumps(record))


def run(cmd: list[str], threads: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        report = fh.name
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "CI": "1", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, __file__, "--child", cmd[0], report, *cmd[1:]], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        peak = 0.0
        while proc.poll() is None:  # peak memory: the process tree's summed PSS, sampled every 0.2 s
            peak = max(peak, _tree_pss_mib(proc.pid))
            try:
                proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        wall = time.perf_counter() - start
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"{cmd[0]} run failed:\n{err.read().decode(errors='replace')[-2000:]}")
    record = json.loads(Path(report).read_text())
    os.unlink(report)
    return {**record, "wall": wall, "peak_mib": peak}


def reference(models: list[str], folder: Path, args) -> dict:
    """validate.py once per model (each decodes the images again): walls and loop times add up."""
    runs = [run(["reference", m, str(folder), str(args.batch_size), str(args.workers)], args.threads) for m in models]
    return {"wall": sum(r["wall"] for r in runs), "images": sum(r["images"] for r in runs),
            "loop_seconds": sum(r["loop_seconds"] for r in runs), "peak_mib": max(r["peak_mib"] for r in runs)}


def ours(models: list[str], folder: Path, args, out: Path, cache: Path | None = None) -> dict:
    cli = ["ours", "eval", *[a for m in models for a in ("--model", m)], "--no-pretrained", "--datasets", "imagenet",
           "--path", f"imagenet={folder}", "--batch-size", str(args.batch_size), "--workers", str(args.workers),
           "--device", "cpu", "--bootstrap", "0", "--force", "--out-dir", str(out)]
    return run([*cli, *(["--cache-dir", str(cache)] if cache else [])], args.threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=1, help="alternating runs per side; each keeps its best")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated: {', '.join(CASES)}")
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    args = parser.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = make_images(tmp, args.images)
        cache = tmp / "pixel-cache"
        print(f"{args.images} synthetic JPEGs (~500x375), CPU, {args.threads} threads, {args.workers} workers, "
              f"batch {args.batch_size}, random weights, best of {args.repeats}; ratio = reference time / our time; "
              f"load average {os.getloadavg()[0]:.1f} at start")
        print(f"{'case':<40} {'ours s':>7} {'validate.py s':>13} {'whole':>6} {'steady':>7} {'peak MiB ours/ref':>18}")
        rows = []
        for case in cases:
            models = CASES[case]
            if case == "memory":
                big = make_images(tmp, 3 * args.images, seed=1)
                small_peak = ours(models, folder, args, tmp / "mem")["peak_mib"]
                big_peak = ours(models, big, args, tmp / "mem")["peak_mib"]
                print(f"peak memory, ours ({SMALL}): {args.images} images {small_peak:.0f} MiB, {3 * args.images} "
                      f"images {big_peak:.0f} MiB (ratio {big_peak / small_peak:.2f})", flush=True)
                continue
            if case == "warm":
                ours(models, folder, args, tmp / "prime", cache)  # fills the pixel cache
            best_ref = best_ours = None
            for _ in range(args.repeats):
                ref = reference(models, folder, args)
                mine = ours(models, folder, args, tmp / case, cache if case == "warm" else None)
                best_ref = ref if best_ref is None or ref["wall"] < best_ref["wall"] else best_ref
                best_ours = mine if best_ours is None or mine["wall"] < best_ours["wall"] else best_ours
            whole = best_ref["wall"] / best_ours["wall"]
            steady = (best_ref["loop_seconds"] / best_ref["images"]) / (best_ours["loop_seconds"] / best_ours["images"])
            label = {"warm": f"{SMALL}, warm pixel cache", "k3": "K=3 models, one pass vs 3 runs"}.get(case, models[0])
            print(f"{label:<40} {best_ours['wall']:>7.1f} {best_ref['wall']:>13.1f} {whole:>5.2f}x {steady:>6.2f}x "
                  f"{best_ours['peak_mib']:>8.0f} / {best_ref['peak_mib']:<8.0f}", flush=True)
            rows.append(f"| {label} | {best_ours['wall']:.1f} | {best_ref['wall']:.1f} | {whole:.2f}x | "
                        f"{steady:.2f}x | {best_ours['peak_mib']:,.0f} / {best_ref['peak_mib']:,.0f} |")
        print(f"load average {os.getloadavg()[0]:.1f} at the end; as markdown:")
        print("| case | ours s | validate.py s | whole | steady | peak MiB ours / validate.py |")
        print("|---|---|---|---|---|---|")
        print("\n".join(rows))


if __name__ == "__main__":
    main()

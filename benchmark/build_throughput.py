"""Build throughput: the builder's overhead over bare pipeline calls, Ray scaling, memory, and the GPU fast path.

CPU (default), with the tiny random-weight generator (imagenet_g.release.generate.tiny_offline.tiny_pipeline):

(a) overhead: ``build_release`` (local executor: plan, generate, encode, parquet, sha256, manifest, card) against
    bare ``generate_batch`` calls for the same prompts, seeds and batch size, after loading the same pipeline;
    same process, same torch threads, runs interleaved, best of ``--repeats`` each. Target <= 10%.
(b) Ray: 2 one-thread workers against 1 one-thread worker on one local runtime (started before timing; the
    workers' start and pipeline load are timed). Target >= 1.6x on 2 cores.
(c) memory: peak RSS of a whole build in a fresh subprocess at n and 4n images. Target: flat.

``--device cuda``: images/s of a Stable Diffusion v1.5-shaped UNet, VAE and CLIP text encoder built from their
configs with random weights (nothing downloaded) at the v1 spec's settings (50 PNDM steps, guidance 7.5,
512x512, float16), with and without each fast-path setting. This is the check to run on a GPU machine.

    python benchmark/build_throughput.py               # CPU (a few minutes on 2 cores)
    python benchmark/build_throughput.py --quick       # smaller CPU workload
    python benchmark/build_throughput.py --device cuda [--batch-size 8]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
THREADS = 1  # torch threads per generator, as the builder's default and each Ray worker (one CPU each)
SD15_SCHEDULER = dict(  # stable-diffusion-v1-5 scheduler/scheduler_config.json
    beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
    set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1,
)


def bench_releases(root: Path, classes: int, per_class: int, steps: int, rows_per_shard: int) -> Path:
    """A releases folder with one spec, ``bench``: the smoke spec's generator, a bigger plan."""
    data = yaml.safe_load((REPO / "imagenet_g" / "releases" / "smoke" / "spec.yaml").read_text())
    data = copy.deepcopy(data)
    data["generator"]["steps"] = steps
    data["plan"]["classes"] = list(range(classes))
    data["plan"]["splits"] = {"test": per_class}
    data["output"]["rows_per_shard"] = rows_per_shard
    (root / "bench").mkdir(parents=True, exist_ok=True)
    (root / "bench" / "spec.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def bare_calls(releases: Path, batch_size: int) -> float:
    """Seconds to load the pipeline and call it for every planned image, in the builder's batches and threads."""
    from imagenet_g.release.spec.shard_plan import plan_shards
    from imagenet_g.release.generate.pipeline import generate_batch, load_generator, torch_threads
    from imagenet_g.release.generate.weights import resolve_model
    from imagenet_g.release.spec.spec import load_release

    started = time.perf_counter()
    release = load_release("bench", releases)
    generator = load_generator(release.spec.generator, resolve_model(release.spec.generator, release.folder), "cpu")
    for shard in plan_shards(release.spec):
        for start in range(0, len(shard.rows), batch_size):
            rows = shard.rows[start : start + batch_size]
            with torch_threads(THREADS):
                generate_batch(generator, [r.prompt for r in rows], [r.seed for r in rows])
    return time.perf_counter() - started


def build_seconds(releases: Path, out: Path, batch_size: int, executor=None) -> float:
    from imagenet_g.release import BuildRequest, build_release

    started = time.perf_counter()
    report = build_release(
        BuildRequest(
            "bench", dataset_dir=out, specs_dir=releases, batch_size=batch_size, threads=THREADS, device="cpu",
            progress=False,
        ),
        executor,
    )
    assert report.complete
    return time.perf_counter() - started


def _with_cpu(run, *args) -> tuple[float, float]:
    """(wall seconds as ``run`` reports them, CPU seconds of this process meanwhile, all threads)."""
    cpu = time.process_time()
    wall = run(*args)
    return wall, time.process_time() - cpu


def overhead(releases: Path, scratch: Path, batch_size: int, repeats: int) -> dict:
    """Best of ``repeats`` interleaved runs each; CPU time too, as other processes on the machine skew wall time."""
    build_runs, bare_runs = [], []
    for i in range(repeats):
        bare_runs.append(_with_cpu(bare_calls, releases, batch_size))
        build_runs.append(_with_cpu(build_seconds, releases, scratch / f"a{i}", batch_size))
    (bare, bare_cpu), (build, build_cpu) = min(bare_runs), min(build_runs)
    return {
        "bare_s": bare, "build_s": build, "overhead": build / bare - 1,
        "bare_cpu_s": bare_cpu, "build_cpu_s": build_cpu, "cpu_overhead": build_cpu / bare_cpu - 1,
    }


def _timed_ray(releases: Path, out: Path, batch_size: int, workers: int) -> tuple[float, float]:
    """(build seconds, images/s once the first batch is done, i.e. after the workers' start and pipeline load)."""
    from imagenet_g.release.run.ray_executor import RayExecutor, RayOptions

    events: list[tuple[float, int]] = []

    class Timed(RayExecutor):
        def run(self, task, shards, advance):
            return super().run(task, shards, lambda n: events.append((time.perf_counter(), n)))

    seconds = build_seconds(releases, out, batch_size, Timed(RayOptions(workers=workers)))
    done = [(t, n) for t, n in events if n > 0]
    steady = sum(n for _, n in done[1:]) / (done[-1][0] - done[0][0])
    return seconds, steady


def ray_scaling(releases: Path, scratch: Path, batch_size: int) -> dict:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        one, one_rate = _timed_ray(releases, scratch / "r1", batch_size, 1)
        two, two_rate = _timed_ray(releases, scratch / "r2", batch_size, 2)
    finally:
        ray.shutdown()
    same = _checksums(scratch / "r1") == _checksums(scratch / "r2")
    return {
        "one_worker_s": one, "two_workers_s": two, "speedup": one / two, "same_bytes": same,
        "one_worker_images_per_s": one_rate, "two_workers_images_per_s": two_rate, "steady_speedup": two_rate / one_rate,
    }


def _checksums(out: Path) -> dict[str, str]:
    manifest = json.loads((out / "bench" / "manifest.json").read_text())
    return {s["file"]: s["sha256"] for split in manifest["splits"].values() for s in split["shards"]}


def memory_child(args: argparse.Namespace) -> None:
    """Child process: build ``--classes`` x ``--per-class`` images; print peak RSS and shard bytes (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        releases = bench_releases(Path(tmp) / "releases", args.classes, args.per_class, args.steps, args.rows_per_shard)
        build_seconds(releases, Path(tmp) / "out", args.batch_size)
        data = sum(p.stat().st_size for p in (Path(tmp) / "out" / "bench").glob("*.parquet"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mib": peak, "shards_mib": data / 2**20}))


def peak_memory(per_class: int, args: argparse.Namespace) -> dict:
    """One step per image: memory, not time, is measured here."""
    command = [
        sys.executable, __file__, "--memory-child", "--classes", str(args.classes), "--per-class", str(per_class),
        "--steps", "1", "--rows-per-shard", str(args.rows_per_shard), "--batch-size", str(args.batch_size),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_cpu(args: argparse.Namespace) -> dict:
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        releases = bench_releases(scratch / "releases", args.classes, args.per_class, args.steps, args.rows_per_shard)
        build_seconds(releases, scratch / "warm", args.batch_size)  # writes bench's spec.lock, warms imports
        if "a" in args.only:
            result["a"] = overhead(releases, scratch, args.batch_size, args.repeats)
        if "b" in args.only:  # a longer plan: each worker's start (imports, pipeline load) is timed too
            releases = bench_releases(
                scratch / "ray-releases", args.classes, args.ray_per_class, args.steps, args.rows_per_shard
            )
            build_seconds(releases, scratch / "ray-warm", args.batch_size)
            result["b"] = ray_scaling(releases, scratch, args.batch_size)
    if "c" not in args.only:
        return result
    small, large = peak_memory(args.memory_per_class, args), peak_memory(args.memory_per_class * 4, args)
    result["c"] = {
        "images_small": args.classes * args.memory_per_class, "images_large": args.classes * args.memory_per_class * 4,
        "peak_small_mib": small["peak_rss_mib"], "peak_large_mib": large["peak_rss_mib"],
        "shards_large_mib": large["shards_mib"], "ratio": large["peak_rss_mib"] / small["peak_rss_mib"],
    }
    return result


def print_cpu(result: dict, args: argparse.Namespace) -> None:
    images = args.classes * args.per_class
    print(f"workload: (a) {images}, (b) {args.classes * args.ray_per_class} images, tiny generator, {args.steps} steps, 64 px, batch {args.batch_size}, "
          f"{args.rows_per_shard} rows/shard, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if "a" in result:
        a = result["a"]
        print(f"(a) bare pipeline calls {a['bare_s']:7.2f}s | build {a['build_s']:7.2f}s | "
              f"overhead {a['overhead'] * 100:+.1f}%  (target <= +10%)")
        print(f"    CPU time: {a['bare_cpu_s']:.2f}s vs {a['build_cpu_s']:.2f}s, {a['cpu_overhead'] * 100:+.1f}% "
              "(encoding, parquet and hashing run on threads beside generation)")
    if "b" in result:
        b = result["b"]
        print(f"(b) ray 1 worker        {b['one_worker_s']:7.2f}s | 2 workers {b['two_workers_s']:7.2f}s | "
              f"speedup {b['speedup']:.2f}x  (target >= 1.6x; same bytes: {b['same_bytes']})")
        print(f"    after the workers' start: {b['one_worker_images_per_s']:.2f} vs {b['two_workers_images_per_s']:.2f} "
              f"images/s, {b['steady_speedup']:.2f}x")
    if "c" not in result:
        return
    c = result["c"]
    print(f"(c) peak RSS {c['images_small']} images {c['peak_small_mib']:7.0f} MiB | {c['images_large']} images "
          f"{c['peak_large_mib']:7.0f} MiB | ratio {c['ratio']:.2f}  (target: flat, ~1.0; the larger build wrote "
          f"{c['shards_large_mib']:.0f} MiB of shards)")


def sd15_generator(device: str):
    """A v1.5-shaped StableDiffusionPipeline with random weights, as a LoadedGenerator at the v1 spec's settings."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from imagenet_g.release.generate.pipeline import LoadedGenerator
    from imagenet_g.release.generate.tiny_offline import tiny_tokenizer
    from imagenet_g.release.spec.spec import load_release

    spec = load_release("v1", REPO / "releases").spec.generator
    # Shapes from stable-diffusion-v1-5's unet/, vae/ and text_encoder/ config.json.
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, cross_attention_dim=768,
        block_out_channels=(320, 640, 1280, 1280), attention_head_dim=8,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, sample_size=512,
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=49408, hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
        max_position_embeddings=77, projection_dim=768, hidden_act="quick_gelu",
    ))
    pipeline = StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tiny_tokenizer(),
        scheduler=PNDMScheduler(**SD15_SCHEDULER), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )
    dtype = "float32" if device == "cpu" else spec.dtype
    pipeline = pipeline.to(device=device, dtype=getattr(torch, dtype))
    pipeline.set_progress_bar_config(disable=True)
    return LoadedGenerator(pipeline=pipeline, spec=spec, device=device, dtype=dtype)


def _images_per_second(generator, batch_size: int, batches: int) -> float:
    import torch

    from imagenet_g.release.generate.pipeline import generate_batch

    prompts, seeds = ["a photo of a tench"] * batch_size, list(range(batch_size))
    generate_batch(generator, prompts, seeds)  # warm-up (and compilation for compile_unet)
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(batches):
        generate_batch(generator, prompts, seeds)
    torch.cuda.synchronize()
    return batch_size * batches / (time.perf_counter() - started)


def run_cuda(args: argparse.Namespace) -> dict:
    """images/s per configuration; each row rebuilds the pipeline so settings never leak between rows."""
    import dataclasses

    import torch
    from diffusers.models.attention_processor import AttnProcessor

    from imagenet_g.release.generate.fastpath import OPTIONS, apply_fast_path

    def classic_attention(g):
        g.pipeline.unet.set_attn_processor(AttnProcessor())
        g.pipeline.vae.set_attn_processor(AttnProcessor())
        return g

    rows = {
        "spec (float16, diffusers defaults)": lambda g: g,
        "without fp16 (float32)": lambda g: dataclasses.replace(
            g, pipeline=g.pipeline.to(dtype=torch.float32), dtype="float32"),
        "without sdpa (classic attention)": classic_attention,
        **{f"+ {name}": (lambda n: lambda g: apply_fast_path(g, [n]))(name) for name in OPTIONS if name != "fp16"},
        "+ all": lambda g: apply_fast_path(g, list(OPTIONS)),
    }
    result = {}
    for label, setup in rows.items():
        torch.manual_seed(0)
        generator = setup(sd15_generator("cuda"))
        result[label] = _images_per_second(generator, args.batch_size, args.batches)
        del generator
        torch.cuda.empty_cache()
    return result


def print_cuda(result: dict, args: argparse.Namespace) -> None:
    import torch

    base = result["spec (float16, diffusers defaults)"]
    print(f"{torch.cuda.get_device_name()}: SD1.5-shaped random weights, 50 steps, 512x512, batch {args.batch_size}")
    for label, speed in result.items():
        print(f"{label:38s} {speed:7.2f} images/s   x{speed / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--quick", action="store_true", help="smaller CPU workload")
    parser.add_argument("--classes", type=int, default=16)
    parser.add_argument("--per-class", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rows-per-shard", type=int, default=8)
    parser.add_argument("--ray-per-class", type=int, default=16, help="(b): images per class")
    parser.add_argument("--memory-per-class", type=int, default=16, help="(c): images per class of the small build")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 4 on CPU, 8 on CUDA")
    parser.add_argument("--batches", type=int, default=2, help="CUDA: timed batches per configuration")
    parser.add_argument("--repeats", type=int, default=3, help="CPU (a): interleaved runs, best of each")
    parser.add_argument("--only", default="abc", help="CPU: which of the parts a, b, c to run (default all)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.batch_size = args.batch_size or (8 if args.device == "cuda" else 4)
    if args.quick:
        args.classes, args.per_class, args.steps, args.ray_per_class, args.memory_per_class = 8, 4, 8, 4, 4
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    if args.memory_child:
        memory_child(args)
        return
    result = run_cuda(args) if args.device == "cuda" else run_cpu(args)
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.device == "cuda":
        print_cuda(result, args)
    else:
        print_cpu(result, args)


if __name__ == "__main__":
    main()

"""CLI commands of the build job: releases, prompts, build, verify, push."""

from __future__ import annotations

import dataclasses
import json
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Column, Table
from rich.text import Text

from imagenet_g.cli.app import app, console, err_console
from imagenet_g.cli.options import DatasetDir, Device, Json, Release, Splits, SpecsDir, as_path
from imagenet_g.checks import MAX_RAY_WORKERS, MAX_THREADS, check_range
from imagenet_g.errors import ImagenetGError
from imagenet_g.layout import DEFAULT_DATASET_DIR
from imagenet_g.progress import quiet_model_libraries

def _jsonable(value: Any) -> Any:
    """pydantic records (shard records inside reports) as their JSON fields; paths and the rest as text."""
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else str(value)


def _print_json(value: Any) -> None:
    console.print_json(json.dumps(value, default=_jsonable))


_releases_app = typer.Typer(
    help="List the releases (no subcommand), or compare two with `diff`.", invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(_releases_app, name="releases")


def _hours(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "-"


@_releases_app.callback()
def releases_command(ctx: typer.Context, specs_dir: SpecsDir = None, as_json: Json = False) -> None:
    """List every release: generator, strategy, classes, splits, image counts, estimated A100-hours, lock."""
    if ctx.invoked_subcommand is not None:
        return
    from imagenet_g.release import release_summaries

    summaries = release_summaries(specs_dir)
    if as_json:
        _print_json([{**dataclasses.asdict(s), "total_images": s.total_images} for s in summaries])
        return
    table = Table(Column("release", no_wrap=True), "generator", "strategy", "classes", "templates", "images",
                  "A100-h (est.)", "locked")
    for s in summaries:
        images = ", ".join(f"{split} {n:,}" for split, n in s.images.items())
        table.add_row(s.version, s.model, s.strategy, str(s.classes), s.templates or "-", images,
                      _hours(s.a100_hours), "yes" if s.locked else "no")
    console.print(table)


@_releases_app.command("diff")
def releases_diff_command(
    a: Annotated[str, typer.Argument(help="first release")],
    b: Annotated[str, typer.Argument(help="second release")],
    dataset_dir: Annotated[Optional[Path], typer.Option(
        parser=as_path,
        help="also compare the built releases in this folder (image counts, checksums); both must be built there",
    )] = None,
    specs_dir: SpecsDir = None,
    as_json: Json = False,
) -> None:
    """What differs between two releases: spec keys, image counts, and (with --dataset-dir) shard checksums."""
    from imagenet_g.release import diff_releases

    diff = diff_releases(a, b, specs_dir, dataset_dir)
    if as_json:
        _print_json(dataclasses.asdict(diff))
        return
    table = Table("", a, b, title=f"{a} vs {b}")
    for key, (left, right) in diff.spec.items():
        table.add_row(key, str(left), str(right))
    for split, (left, right) in diff.images.items():
        if left != right:
            table.add_row(f"images ({split})", str(left or "-"), str(right or "-"))
    console.print(table if table.row_count else f"{a} and {b} have the same spec")
    if diff.built is None:
        return
    for split, (left, right) in diff.built.items():
        same = left is not None and right is not None and left.digest == right.digest
        shown = " vs ".join(f"{x.rows:,} images, shards {x.digest[:12]}" if x else "not built" for x in (left, right))
        console.print(f"{split}: {shown} ({'identical bytes' if same else 'different'})")


@app.command("prompts")
def prompts_command(
    version: Release,
    split: Splits = None,
    limit: Annotated[Optional[int], typer.Option(min=0, help="rows to show (table default 20, JSON all)")] = None,
    specs_dir: SpecsDir = None,
    as_json: Json = False,
) -> None:
    """Preview the prompt plan of a release: class, template, prompt and seed of every image."""
    from imagenet_g.release import MAX_IMAGES, iter_prompts, load_release

    if limit is not None:
        check_range(limit, "limit", 0, MAX_IMAGES, "no release plans more images")
    release = load_release(version, specs_dir)
    splits = tuple(split) if split else None
    total = release.spec.plan.image_count(splits)
    shown = list(islice(iter_prompts(release.spec, splits), limit if limit is not None else (None if as_json else 20)))
    if as_json:
        _print_json([dataclasses.asdict(r) for r in shown])
        return
    table = Table("split", "label", "wnid", "class", "#", "template", "prompt", "seed", title=f"{version} prompt plan")
    for r in shown:
        template = "-" if r.template_id is None else str(r.template_id)  # no prompt: images or class conditioning
        table.add_row(r.split, str(r.class_index), r.wnid, r.class_name, str(r.image_index), template,
                      r.prompt or "-", str(r.seed))
    console.print(table)
    console.print(f"showing {len(shown)} of {total} images; --limit 0 for none, --json for all")


def _batch_size(value: str) -> int | str:
    if value == "auto":
        return value
    if not value.isdigit() or int(value) < 1:
        raise typer.BadParameter(f"{value!r} is not a whole number >= 1 or auto")
    return int(value)


def _executor(name: str, address: str | None, workers: int | None, gpus: float | None) -> Any:
    """The Ray executor for these options, None for the registry's default; Ray flags need --executor ray."""
    if name != "ray":
        if address is not None or workers is not None or gpus is not None:
            raise ImagenetGError("--address, --ray-workers and --gpus-per-worker apply to the ray executor", "add --executor ray")
        return None
    from imagenet_g.release import RayExecutor, RayOptions

    return RayExecutor(RayOptions(address=address, workers=workers, gpus_per_worker=gpus))


@app.command("build")
def build_command(
    version: Release,
    out: DatasetDir = DEFAULT_DATASET_DIR,
    split: Splits = None,
    batch_size: Annotated[str, typer.Option(
        callback=_batch_size, help="images per pipeline call, or auto (largest the GPU holds)")] = "4",
    threads: Annotated[int, typer.Option(
        min=1, max=MAX_THREADS, help="CPU threads for torch (part of the exact bytes)")] = 1,
    device: Device = "auto",
    allow_lock_mismatch: Annotated[bool, typer.Option(
        "--allow-lock-mismatch", help="build even if the model or libraries differ from spec.lock")] = False,
    fast_path: Annotated[Optional[list[str]], typer.Option(
        help="GPU speed settings (comma list, recorded in the manifest): fp16, sdpa, channels_last, compile_unet, "
        "vae_slicing")] = None,
    executor: Annotated[str, typer.Option(help="local (this process) or ray (a Ray cluster)")] = "local",
    address: Annotated[Optional[str], typer.Option(
        help="ray: auto, or HOST:PORT of the head node (default: start Ray on this machine)")] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--ray-workers", min=1, help=f"ray: workers, at most {MAX_RAY_WORKERS:,} (default: one per GPU; on CPU one "
        "per --threads CPUs)")] = None,
    gpus_per_worker: Annotated[Optional[float], typer.Option(
        min=0, help="ray: GPUs per worker (default 1 on CUDA, 0 on CPU)")] = None,
    job_index: Annotated[Optional[int], typer.Option(
        help="job array: this job's number, 0..N-1 (e.g. $SLURM_ARRAY_TASK_ID)")] = None,
    num_jobs: Annotated[Optional[int], typer.Option(help="job array: the number of jobs N")] = None,
    init_images: Annotated[Optional[str], typer.Option(
        help="image-conditioned releases: folder holding the real images' split folders (e.g. /data/imagenet with "
        "val/<wnid>/), or a Hub dataset id")] = None,
    finalize: Annotated[bool, typer.Option(
        "--finalize", help="after a job array: check every shard, then write the manifest and the card")] = False,
    specs_dir: SpecsDir = None,
    as_json: Json = False,
) -> None:
    """Build (or resume) a release into DATASET_DIR/<release> as parquet shards + manifest + dataset card."""
    from imagenet_g.release import BuildRequest, Share, build_release, check_build_request, finalize_release

    if finalize:
        done = finalize_release(version, out, specs_dir)
        if as_json:
            _print_json(dataclasses.asdict(done))
        else:
            console.print(f"{done.version}: finalized {done.shards} shards, {done.rows} images "
                          f"({done.jobs} job records merged) in {done.version_dir}")
        return
    if (job_index is None) != (num_jobs is None):
        raise ImagenetGError("--job-index and --num-jobs go together (job i of N)", "give both or neither")
    request = BuildRequest(
            version=version,
            dataset_dir=out,
            splits=tuple(split) if split else None,
            batch_size=batch_size,
            threads=threads,
            device=device,
            allow_lock_mismatch=allow_lock_mismatch,
            specs_dir=specs_dir,
            executor=executor,
            progress=not as_json,
            fast_path=tuple(fast_path or ()),
            init_images=init_images,
            share=Share(job_index, num_jobs) if job_index is not None else None,
        )
    check_build_request(request)
    runner = _executor(executor, address, workers, gpus_per_worker)
    quiet_model_libraries()  # diffusers' and transformers' chatter: after every argument is checked (they load torch)
    report = build_release(request, runner)
    for diff in report.lock_mismatch:
        err_console.print(Text.assemble(("warning:", "bold yellow"), f" lock mismatch allowed: {diff}"))
    for name in report.removed:
        err_console.print(f"removed {report.version_dir / name}: not a shard of this release")
    for repair in report.repaired:
        err_console.print(f"repaired {repair}")
    if as_json:
        _print_json({**dataclasses.asdict(report), "rows": report.rows})
        return
    console.print(
        f"{report.version}: {report.rows} images in {len(report.shards)} shards ({report.written} written, "
        f"{report.skipped} already built) in {report.seconds:.1f}s on {report.device} ({report.dtype})"
    )
    if report.lock_written:
        console.print(f"wrote the lock for {report.version}; commit {report.lock_path}")
    if report.finalized:
        console.print("this was the last job: every shard is there, manifest and card written")
    elif job_index is not None:
        console.print(f"job {job_index} of {num_jobs} done; the last job (or build --finalize) writes the manifest")
    if report.complete:
        folder = report.dataset_dir.resolve()
        console.print(f"release folder: {folder}")
        console.print(f'load it: datasets.load_dataset("{folder}", "{report.version}", split="test")')
    elif job_index is None and split:
        console.print("some splits are not built yet; run build again without --split to finish")


@app.command("verify")
def verify_command(
    version: Release, out: DatasetDir = DEFAULT_DATASET_DIR, specs_dir: SpecsDir = None, as_json: Json = False
) -> None:
    """Check every shard of a built release against its manifest and spec."""
    from imagenet_g.release import load_release, read_lock, verify_release

    release = load_release(version, specs_dir)
    report = verify_release(out, version, release.spec_hash, read_lock(release.lock_path))
    if as_json:
        _print_json(dataclasses.asdict(report))
        return
    console.print(f"{version}: OK, {report.shards} shards, {report.rows} rows match the manifest "
                  f"(spec {report.spec_hash[:12]})")


@app.command("push")
def push_command(
    version: Release,
    repo_id: Annotated[str, typer.Option(help="Hub dataset repo, e.g. ORG/imagenet-g")],
    out: DatasetDir = DEFAULT_DATASET_DIR,
    private: Annotated[bool, typer.Option("--private", help="create the repo as private")] = False,
    specs_dir: SpecsDir = None,
    as_json: Json = False,
) -> None:
    """Verify a built release, upload it to a Hub dataset repo and tag the commit with the version."""
    from imagenet_g.release import PushRequest, load_release, push_release

    release = load_release(version, specs_dir)
    report = push_release(
        PushRequest(version=version, repo_id=repo_id, dataset_dir=out, private=private,
                    expected_spec_hash=release.spec_hash)
    )
    if as_json:
        _print_json(dataclasses.asdict(report))
        return
    console.print(f"pushed {version} to {report.repo_id} (commit {report.commit[:12]}, tag {report.tag}): {report.url}")

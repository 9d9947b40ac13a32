"""CLI commands of the sweep job: `imagenet-g sweep` and `imagenet-g sweep compare`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from imagenet_g.benchmarks import V2_DEFAULT
from imagenet_g.cli.app import app, console, notes_to_stderr
from imagenet_g.cli.evaluate import CACHE_HELP, DATASETS_HELP, LAYOUT_HELP, PRECISION_HELP
from imagenet_g.cli.options import (
    MODELS_HELP,
    BatchSize,
    Bootstrap,
    DataRoot,
    DatasetPaths,
    Device,
    Json,
    MaxParams,
    ModelExcludes,
    ModelFilters,
    Release,
    V2Variant,
    Workers,
    as_path,
    parse_names,
    parse_paths,
)
from imagenet_g.layout import DEFAULT_RELEASE, DEFAULT_SWEEP_DIR

_SOME_FAILED_EXIT = 1  # the sweep ran, but some model could not be scored (its reason is in the summary)

_sweep_app = typer.Typer(
    help="Score a model set on a release and the shift sets; compare two releases' sweeps.",
    invoke_without_command=True,
)
app.add_typer(_sweep_app, name="sweep")


@_sweep_app.callback()
def sweep(
    ctx: typer.Context,
    models: Annotated[Optional[str], typer.Option("--models", help=MODELS_HELP)] = None,
    include: ModelFilters = None,
    exclude: ModelExcludes = None,
    max_params: MaxParams = None,
    release: Release = DEFAULT_RELEASE,
    datasets: Annotated[Optional[str], typer.Option(help=DATASETS_HELP)] = None,
    out_dir: Annotated[Optional[Path], typer.Option(
        parser=as_path, help=f"the sweep's folder (default {DEFAULT_SWEEP_DIR}/<release>)")] = None,
    pretrained: Annotated[bool, typer.Option("--pretrained/--no-pretrained", help="load the library's weights")] = True,
    data_root: DataRoot = Path("."),
    path: DatasetPaths = None,
    v2_variant: V2Variant = V2_DEFAULT,
    device: Device = "auto",
    batch_size: BatchSize = 64,
    workers: Workers = None,
    precision: Annotated[str, typer.Option(help=PRECISION_HELP)] = "fp32",
    channels_last: Annotated[Optional[bool], typer.Option(
        "--channels-last/--no-channels-last", help=LAYOUT_HELP)] = None,
    group_size: Annotated[int, typer.Option(min=1, help="models held in memory and scored in one pass")] = 4,
    cache_dir: Annotated[Optional[Path], typer.Option(parser=as_path, help=CACHE_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help="rescore every model, complete or failed")] = False,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="score again the models that failed")] = False,
    executor: Annotated[str, typer.Option(help="local (this process) or ray (one task per model group)")] = "local",
    address: Annotated[Optional[str], typer.Option(
        help="ray: auto, or HOST:PORT of the head node (default: start Ray on this machine)")] = None,
    gpus_per_task: Annotated[Optional[float], typer.Option(
        min=0, help="ray: GPUs per task, at most 1 (default 1 on CUDA, 0 on CPU)")] = None,
    job_index: Annotated[Optional[int], typer.Option(help="job array: this job's index I (0-based, e.g. "
                                                          "$SLURM_ARRAY_TASK_ID)")] = None,
    num_jobs: Annotated[Optional[int], typer.Option(help="job array: the number of jobs N")] = None,
    bootstrap: Bootstrap = 1000,
    as_json: Json = False,
) -> None:
    """Score every model of a set on a release and the shift sets: one results file per model, a summary
    (CSV, parquet, markdown). A rerun resumes; a model that fails is recorded and the sweep goes on (exit 1)."""
    if ctx.invoked_subcommand is not None:
        return
    if models is None:
        raise typer.BadParameter("give --models SET|FILE (or a subcommand: compare)", param_hint="--models")
    from imagenet_g.sweep import SweepRequest, check_sweep_request

    request = SweepRequest(
        models=models, include=tuple(include or ()), exclude=tuple(exclude or ()), max_params=max_params,
        out_dir=out_dir if out_dir is not None else DEFAULT_SWEEP_DIR / release, release=release,
        datasets=parse_names(datasets, "datasets") if datasets is not None else None, data_root=data_root,
        paths=parse_paths(path), v2_variant=v2_variant, pretrained=pretrained, device=device, batch_size=batch_size,
        workers=workers, precision=precision, channels_last=channels_last, cache_dir=cache_dir,
        group_size=group_size, force=force, retry_failed=retry_failed, executor=executor, address=address,
        gpus_per_task=gpus_per_task, job_index=job_index, num_jobs=num_jobs, bootstrap=bootstrap,
    )
    check_sweep_request(request)
    from imagenet_g.sweep import run_sweep  # torch: after every argument is checked

    with notes_to_stderr():
        report = run_sweep(request, progress=not as_json)
    if as_json:
        typer.echo(json.dumps({
            "ok": report.succeeded, "out_dir": str(report.out_dir), "scored": list(report.scored),
            "kept": list(report.kept), "failed": report.failed, "unavailable": report.unavailable,
            "pending": list(report.pending),
        }, indent=2))
    else:
        console.print(f"{len(report.scored)} scored, {len(report.kept)} kept from before, {len(report.failed)} failed, "
                      f"{len(report.unavailable)} unavailable; summary: {report.out_dir / 'summary.md'}")
        for model_id, reason in report.failed.items():
            console.print(f"failed: {model_id}: {reason}", style="red")
        if report.pending:
            console.print(f"{len(report.pending)} models are other jobs' share and not recorded yet", style="dim")
    if report.failed:
        raise typer.Exit(_SOME_FAILED_EXIT)


@_sweep_app.command("compare")
def compare(
    dir_a: Annotated[Path, typer.Argument(parser=as_path, help="the sweep of the earlier release")],
    dir_b: Annotated[Path, typer.Argument(parser=as_path, help="the sweep of the new release (same models)")],
    dataset: Annotated[str, typer.Option(help="the dataset whose top-1 is compared")] = "imagenet-g",
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", min=0, help="bootstrap resamples over models for the intervals (0: none)")] = 1000,
    out_dir: Annotated[Optional[Path], typer.Option(
        parser=as_path, help="where the markdown and PNG go (default: DIR_B)")] = None,
    as_json: Json = False,
) -> None:
    """Does release B measure what release A does? Linear fit of B's top-1 on A's, Spearman and Kendall rank
    correlation with bootstrap intervals, the models whose rank moves most; markdown + PNG."""
    from dataclasses import asdict

    from imagenet_g.sweep import compare_sweeps, write_comparison

    report = compare_sweeps(dir_a, dir_b, dataset, bootstrap)
    md, png = write_comparison(report, out_dir if out_dir is not None else dir_b)
    if as_json:
        typer.echo(json.dumps({**asdict(report), "fit": report.fit.model_dump(), "markdown": str(md),
                               "png": str(png)}, indent=2))
        return
    fit = report.fit
    console.print(f"{len(report.models)} common models; {report.dataset} on {report.release_b} = {fit.slope:.3f} x "
                  f"{report.release_a} {fit.intercept:+.2f} (R² {report.r_squared:.3f}); Spearman "
                  f"{report.spearman.value:.3f}, Kendall {report.kendall.value:.3f}")
    console.print(f"wrote {md} and {png}")

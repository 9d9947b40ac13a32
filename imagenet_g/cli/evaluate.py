"""CLI commands of the evaluation job: eval, data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from imagenet_g.cli.app import app, console
from imagenet_g.errors import UnknownNameError

DATA_ROOT_HELP = "folder holding the datasets in their publishers' layouts (see `imagenet-g data`)"
PATH_HELP = "NAME=PATH: a dataset's folder or Hub id (ORG/NAME[:split]), e.g. imagenet-r=/data/imagenet-r; repeatable"


def _parse_paths(items: list[str] | None) -> dict[str, str]:
    paths: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise UnknownNameError(f"--path {item!r} must look like NAME=PATH, e.g. imagenet-r=/data/imagenet-r")
        paths[name.strip()] = value.strip()
    return paths


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


MODEL_HELP = "timm name, timm/<name>.<tag>, open_clip:<arch>/<tag>, or package.module:callable"
DATASETS_HELP = "comma-separated names or collections (natural-shift, controls, all); default: all that are found"
V2_HELP = "ImageNet-V2 variant: matched-frequency, threshold0.7, top-images"
OUT_HELP = "results JSON (default results/<model>.json); per-dataset predictions parquet go beside it"


@app.command("eval")
def eval_command(
    model: Annotated[str, typer.Option("--model", "-m", help=MODEL_HELP)],
    checkpoint: Annotated[Optional[Path], typer.Option(help="local state dict to load (beats pretrained)")] = None,
    pretrained: Annotated[bool, typer.Option("--pretrained/--no-pretrained", help="load the library's weights")] = True,
    datasets: Annotated[Optional[str], typer.Option(help=DATASETS_HELP)] = None,
    release: Annotated[str, typer.Option(help="ImageNet-G release (version) to score")] = "v1",
    data_root: Annotated[Path, typer.Option(help=DATA_ROOT_HELP)] = Path("."),
    path: Annotated[Optional[list[str]], typer.Option("--path", help=PATH_HELP)] = None,
    v2_variant: Annotated[str, typer.Option(help=V2_HELP)] = "matched-frequency",
    batch_size: Annotated[int, typer.Option(min=1)] = 64,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:1, mps")] = "auto",
    workers: Annotated[Optional[int], typer.Option(min=0, help="decode worker processes (default: 1 per core)")] = None,
    out: Annotated[Optional[Path], typer.Option(help=OUT_HELP)] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="bootstrap resamples for the ER 95% interval")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="print the results JSON instead of a table")] = False,
) -> None:
    """Score a classifier on ImageNet-G and the natural-shift sets; write results JSON with top-1/5 and ER."""
    from imagenet_g.evaluate import EvalRequest, run_eval
    from imagenet_g.evaluate.run import output_path

    request = EvalRequest(
        model=model, checkpoint=checkpoint, pretrained=pretrained,
        datasets=tuple(d.strip() for d in datasets.split(",") if d.strip()) if datasets else None,
        release=release, data_root=data_root, paths=_parse_paths(path), v2_variant=v2_variant,
        batch_size=batch_size, device=device, workers=workers, out=out, bootstrap=bootstrap,
    )
    result = run_eval(request, progress=not as_json)
    if as_json:
        console.print_json(result.model_dump_json())
        return
    table = Table(title=f"{result.model.id} ({result.model.source})")
    for col in ("dataset", "version", "top-1", "top-5", "images", "skipped", "ER linear [95% CI]", "ER logit"):
        table.add_column(col, justify="left" if col in ("dataset", "version") else "right")
    for name, d in result.datasets.items():
        er = result.effective_robustness.get(name)
        fits = {f.axis: f for f in er.fits} if er else {}
        lin, log = fits.get("linear"), fits.get("logit")
        lin_text = f"{_fmt(lin.er)} [{_fmt(lin.ci_low)}, {_fmt(lin.ci_high)}]" if lin else ""
        table.add_row(name, d.version or "", f"{d.top1:.2f}", f"{d.top5:.2f}", str(d.images), str(d.skipped),
                      lin_text, _fmt(log.er) if log else "")
    console.print(table)
    for name, reason in {**result.datasets_skipped, **result.effective_robustness_skipped}.items():
        console.print(f"{name}: {reason}", style="dim")
    console.print(f"results: {output_path(request)}")


@app.command("data")
def data_command(
    data_root: Annotated[Path, typer.Option(help=DATA_ROOT_HELP)] = Path("."),
    path: Annotated[Optional[list[str]], typer.Option("--path", help=PATH_HELP)] = None,
    release: Annotated[str, typer.Option(help="ImageNet-G release to count")] = "v1",
    v2_variant: Annotated[str, typer.Option(help="ImageNet-V2 variant")] = "matched-frequency",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """List which evaluation datasets are found, where, and their image counts against the published ones."""
    from dataclasses import asdict

    from imagenet_g.evaluate import inventory

    rows = inventory(data_root, _parse_paths(path), release, v2_variant)
    if as_json:
        console.print_json(json.dumps([asdict(r) for r in rows]))
        return
    table = Table(title=f"datasets under {data_root}")
    for col in ("dataset", "found", "where", "images", "published", "skipped", "note"):
        table.add_column(col, justify="right" if col in ("images", "published", "skipped") else "left")
    for r in rows:
        images = "-" if r.images is None else str(r.images)
        if r.images is not None and r.expected is not None and r.images != r.expected:
            images = Text(images, style="yellow")
        table.add_row(r.name, "yes" if r.found else Text("no", style="red"), r.where or "-", images,
                      "-" if r.expected is None else str(r.expected), str(r.skipped), r.note)
    console.print(table)

"""CLI commands of the evaluation job: eval, data, compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from imagenet_g.benchmarks import V2_DEFAULT
from imagenet_g.cli.app import INTERRUPTED_EXIT, app, console, notes_to_stderr
from imagenet_g.cli.options import (
    BatchSize,
    Bootstrap,
    Checkpoint,
    DataRoot,
    DatasetPaths,
    Device,
    Json,
    Release,
    V2Variant,
    Workers,
    as_path,
    parse_names,
    parse_paths,
)
from imagenet_g.errors import ArgumentError
from imagenet_g.layout import DEFAULT_RELEASE


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


_MODEL_HELP = "timm name, timm/<name>.<tag>, open_clip:<arch>/<tag>, or package.module:callable; repeat for several"
DATASETS_HELP = "comma-separated names or collections (natural-shift, controls, all); default: all that are found"
OUT_HELP = "results JSON of a single model (default OUT_DIR/<model>.json); predictions parquet go beside it"
_OUT_DIR_HELP = "folder of the results files, one per model"
_TTA_HELP = "test-time augmentation: none, or flip (logits of each image and its horizontal flip summed, the paper's)"
PRECISION_HELP = "fp32 (timm validate.py's default: equal results on any device) or amp (float16 autocast)"
CACHE_HELP = "keep decoded, resized pixels here (keyed by file content + preprocessing) so later runs skip decoding"
LAYOUT_HELP = "channels_last memory layout; default: timed per model on the device, the faster is used"
_PIXEL_HELP = "overrides the model's preprocessing (timm configs and your own modules)"


def _floats(text: str | None, flag: str) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ArgumentError(f"{flag} {text!r} must be comma-separated numbers, e.g. 0.5,0.5,0.5") from None


def _overrides(input_size, crop_pct, crop_mode, interpolation, mean, std) -> dict[str, object]:
    given = {"input_size": (3, input_size, input_size) if input_size is not None else None, "crop_pct": crop_pct,
             "crop_mode": crop_mode, "interpolation": interpolation, "mean": _floats(mean, "--mean"),
             "std": _floats(std, "--std")}
    return {k: v for k, v in given.items() if v is not None}


def _interrupted(exc) -> None:
    """Ctrl-C: say which datasets each results file kept and what a rerun will score; exit 130."""
    for out, names in exc.kept.items():
        kept = f"kept {', '.join(names)} in {out}" if names else f"nothing complete yet for {out}"
        sys.stderr.write(f"{kept}; still to score: {', '.join(exc.remaining) or 'nothing'}\n")
    raise typer.Exit(INTERRUPTED_EXIT)


@app.command("eval")
def eval_command(
    model: Annotated[list[str], typer.Option("--model", "-m", help=_MODEL_HELP)],
    checkpoint: Checkpoint = None,
    pretrained: Annotated[bool, typer.Option("--pretrained/--no-pretrained", help="load the library's weights")] = True,
    datasets: Annotated[Optional[str], typer.Option(help=DATASETS_HELP)] = None,
    release: Release = DEFAULT_RELEASE,
    data_root: DataRoot = Path("."),
    path: DatasetPaths = None,
    v2_variant: V2Variant = V2_DEFAULT,
    batch_size: BatchSize = 64,
    device: Device = "auto",
    precision: Annotated[str, typer.Option(help=PRECISION_HELP)] = "fp32",
    tta: Annotated[str, typer.Option(help=_TTA_HELP)] = "none",
    workers: Workers = None,
    out: Annotated[Optional[Path], typer.Option(parser=as_path, help=OUT_HELP)] = None,
    out_dir: Annotated[Path, typer.Option(parser=as_path, help=_OUT_DIR_HELP)] = Path("results"),
    force: Annotated[bool, typer.Option("--force", help="rescore datasets a previous run completed")] = False,
    cache_dir: Annotated[Optional[Path], typer.Option(parser=as_path, help=CACHE_HELP)] = None,
    channels_last: Annotated[Optional[bool], typer.Option("--channels-last/--no-channels-last", help=LAYOUT_HELP)] = None,
    input_size: Annotated[Optional[int], typer.Option(help=f"square input size in pixels, at most 4096; {_PIXEL_HELP}")] = None,
    crop_pct: Annotated[Optional[float], typer.Option(help=f"crop share of the resized image; {_PIXEL_HELP}")] = None,
    crop_mode: Annotated[Optional[str], typer.Option(help=f"center, squash or border; {_PIXEL_HELP}")] = None,
    interpolation: Annotated[Optional[str], typer.Option(help=f"bicubic, bilinear, ...; {_PIXEL_HELP}")] = None,
    mean: Annotated[Optional[str], typer.Option(help=f"R,G,B mean in [0, 1]; {_PIXEL_HELP}")] = None,
    std: Annotated[Optional[str], typer.Option(help=f"R,G,B std in (0, 1]; {_PIXEL_HELP}")] = None,
    bootstrap: Bootstrap = 1000,
    as_json: Json = False,
) -> None:
    """Score classifiers on ImageNet-G and the natural-shift sets; write results JSON with top-1/5 and ER.

    A rerun of the same command resumes: datasets already complete for the same weights, preprocessing,
    precision and data are kept (--force rescores). Several --model share one pass over the images.
    """
    from imagenet_g.evaluate import EvalRequest, check_eval_request

    request = check_eval_request(EvalRequest(
        model=model if len(model) > 1 else model[0], checkpoint=checkpoint, pretrained=pretrained,
        datasets=parse_names(datasets, "datasets") if datasets is not None else None,
        release=release, data_root=data_root, paths=parse_paths(path), v2_variant=v2_variant,
        batch_size=batch_size, device=device, precision=precision, tta=tta, workers=workers, out=out,
        out_dir=out_dir, force=force, cache_dir=cache_dir, channels_last=channels_last, bootstrap=bootstrap,
        preprocess=_overrides(input_size, crop_pct, crop_mode, interpolation, mean, std),
    ))
    from imagenet_g.evaluate import EvalInterrupted, run_evals  # torch: after every argument is checked

    try:
        with notes_to_stderr():
            results = run_evals(request, progress=not as_json)
    except EvalInterrupted as exc:
        _interrupted(exc)
    if cache_dir is not None:
        from imagenet_g.images import cache_size

        size = cache_size(cache_dir)
        sys.stderr.write(f"pixel cache {cache_dir}: {size.entries} entries, {size.bytes / 2**20:.1f} MiB\n")
    if as_json:
        payload = [r.model_dump(mode="json") for r in results]
        console.print_json(json.dumps(payload[0] if len(payload) == 1 else payload))
        return
    from imagenet_g.evaluate import output_paths

    for result, written in zip(results, output_paths(request)):
        _print_result(result, written)


def _print_result(result, written: Path) -> None:
    tta = ", flip TTA" if result.tta == "flip" else ""
    table = Table(title=f"{result.model.id} ({result.model.source}, {result.precision}{tta})")
    columns = ("dataset", "version", "top-1", "95% CI", "top-5", "images", "skipped", "ER linear [95% CI]", "ER logit")
    for col in columns:
        table.add_column(col, justify="left" if col in ("dataset", "version") else "right")
    for name, d in result.datasets.items():
        er = result.effective_robustness.get(name)
        fits = {f.axis: f for f in er.fits} if er else {}
        lin, log = fits.get("linear"), fits.get("logit")
        lin_text = Text(f"{_fmt(lin.er)} [{_fmt(lin.ci_low)}, {_fmt(lin.ci_high)}]" if lin else "")
        if er is not None and er.extrapolated:
            lin_text.append(" extrapolated", style="yellow")
        ci = f"{d.top1_ci[0]:.1f}-{d.top1_ci[1]:.1f}" if d.top1_ci else ""
        table.add_row(name, d.version or "", f"{d.top1:.2f}", ci, f"{d.top5:.2f}", str(d.images), str(d.skipped),
                      lin_text, _fmt(log.er) if log else "")
    console.print(table)
    for name, reason in {**result.datasets_skipped, **result.effective_robustness_skipped}.items():
        console.print(f"{name}: {reason}", style="dim")
    extrapolated = [n for n, er in result.effective_robustness.items() if er.extrapolated]
    if extrapolated:
        console.print(f"ER of {', '.join(extrapolated)}: control top-1 outside the baselines' range; "
                      "the fit is extrapolated", style="yellow")
    console.print(f"results: {written}")


@app.command("data")
def data_command(
    data_root: DataRoot = Path("."),
    path: DatasetPaths = None,
    release: Release = DEFAULT_RELEASE,
    v2_variant: V2Variant = V2_DEFAULT,
    as_json: Json = False,
) -> None:
    """List which evaluation datasets are found, where, and their image counts against the published ones."""
    from dataclasses import asdict

    from imagenet_g.evaluate import inventory

    rows = inventory(data_root, parse_paths(path), release, v2_variant)
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


@app.command("compare")
def compare_command(
    a: Annotated[Path, typer.Argument(parser=as_path, help="results JSON of model A")],
    b: Annotated[Path, typer.Argument(parser=as_path, help="results JSON of model B")],
    as_json: Json = False,
) -> None:
    """Compare two results files image by image: top-1 difference and exact McNemar test per dataset,
    and accuracy per prompt template on ImageNet-G."""
    from dataclasses import asdict

    from imagenet_g.evaluate import compare_results

    report = compare_results(a, b)
    if as_json:
        console.print_json(json.dumps(asdict(report)))
        return
    table = Table(title=f"A = {report.a}   B = {report.b}")
    for col in ("dataset", "top-1 A", "top-1 B", "B - A", "paired", "A only", "B only", "McNemar p"):
        table.add_column(col, justify="left" if col == "dataset" else "right")
    for d in report.datasets.values():
        table.add_row(d.name, f"{d.top1_a:.2f}", f"{d.top1_b:.2f}", f"{d.top1_diff:+.2f}", str(d.paired),
                      str(d.only_a), str(d.only_b), f"{d.p_value:.3g}")
    console.print(table)
    if report.templates:
        per = Table(title="ImageNet-G top-1 per prompt template (paired images)")
        for col in ("template", "images", "top-1 A", "top-1 B", "B - A"):
            per.add_column(col, justify="right")
        for t in report.templates:
            per.add_row(str(t["template_id"]), str(t["images"]), f"{t['top1_a']:.2f}", f"{t['top1_b']:.2f}",
                        f"{t['top1_diff']:+.2f}")
        console.print(per)
    for side, names in (("A", report.only_in_a), ("B", report.only_in_b)):
        if names:
            console.print(f"only in {side}: {', '.join(names)}", style="dim")

"""CLI commands of the audit job: `audit` (one release) and `audit compare A B`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from imagenet_g.cli.app import app, console
from imagenet_g.cli.options import (
    BatchSize,
    DataRoot,
    DatasetPaths,
    Device,
    Json,
    Release,
    Workers,
    as_path,
    parse_names,
    parse_paths,
)
from imagenet_g.layout import DEFAULT_RELEASE

_audit_app = typer.Typer(
    help="Audit a release as data (consistency, FID/KID, diversity, safety, memorisation); compare two audits.",
    invoke_without_command=True,
)
app.add_typer(_audit_app, name="audit")

_FID_HELP = "features for FID/KID: inception-v3 (the standard), clip:<arch>/<pretrained>, random-cnn (offline test)"
_CLIP_HELP = "open_clip model for consistency, diversity, memorisation: clip:<arch>/<pretrained> or random-clip"
_SAFETY_HELP = "sd-safety-checker, random-safety-checker (offline test) or none"
_REFERENCE_HELP = "real data for FID/KID and memorisation (a dataset name, see `imagenet-g data`), or none"
_SHIFT_HELP = "comma-separated natural-shift sets for the distance table; default: every one found"
OUT_HELP = "report folder (default: <release folder>/audits/<version>, beside the release)"


def _none(value: str | None) -> str | None:
    return None if value is None or value.lower() == "none" else value


@_audit_app.callback()
def audit(
    ctx: typer.Context,
    release: Release = DEFAULT_RELEASE,
    data_root: DataRoot = Path("."),
    path: DatasetPaths = None,
    reference: Annotated[str, typer.Option(help=_REFERENCE_HELP)] = "imagenet",
    shift_sets: Annotated[Optional[str], typer.Option(help=_SHIFT_HELP)] = None,
    fid_extractor: Annotated[str, typer.Option(help=_FID_HELP)] = "inception-v3",
    inception_weights: Annotated[Optional[Path], typer.Option(parser=as_path,
                                                               help="local Inception-v3 FID weights file")] = None,
    clip_model: Annotated[str, typer.Option(help=_CLIP_HELP)] = "clip:ViT-B-32/openai",
    templates: Annotated[str, typer.Option(help="zero-shot templates: openai_imagenet_80, openai_imagenet_simple")]
    = "openai_imagenet_80",
    safety_checker: Annotated[str, typer.Option(help=_SAFETY_HELP)] = "sd-safety-checker",
    safety_weights: Annotated[Optional[str], typer.Option(help="the safety checker's local folder or Hub id")] = None,
    consistency_threshold: Annotated[float, typer.Option(help="list classes below this zero-shot top-1 (%)")] = 50.0,
    duplicate_threshold: Annotated[float, typer.Option(help="cosine similarity of a near-duplicate pair")] = 0.95,
    memorisation_threshold: Annotated[float, typer.Option(help="cosine similarity to a reference image")] = 0.95,
    kid_subsets: Annotated[int, typer.Option(
        min=1, help="KID estimates averaged (torchmetrics' default; one when a subset is all of both sets)")] = 100,
    kid_subset_size: Annotated[int, typer.Option(min=2, help="lowered to the smaller set's size")] = 1000,
    batch_size: BatchSize = 64,
    workers: Workers = None,
    device: Device = "auto",
    cache_dir: Annotated[Optional[Path], typer.Option(
        parser=as_path, help="feature cache (default ~/.cache/imagenet-g/features)")] = None,
    out: Annotated[Optional[Path], typer.Option(parser=as_path, help=OUT_HELP)] = None,
    card: Annotated[bool, typer.Option("--card/--no-card", help="add an audit section to the dataset card")] = True,
    as_json: Json = False,
) -> None:
    """Audit a release: how faithful, how real, how diverse, how safe its images are."""
    if ctx.invoked_subcommand:
        return
    from imagenet_g.audit import AuditRequest, check_audit_request, summary_rows

    request = check_audit_request(AuditRequest(
        release=release, data_root=data_root, paths=parse_paths(path), reference=_none(reference),
        shift_sets=parse_names(shift_sets, "shift_sets") if shift_sets is not None else None,
        fid_extractor=fid_extractor, inception_weights=inception_weights, clip_model=clip_model, templates=templates,
        safety_checker=_none(safety_checker), safety_weights=safety_weights,
        consistency_threshold=consistency_threshold, duplicate_threshold=duplicate_threshold,
        memorisation_threshold=memorisation_threshold, kid_subsets=kid_subsets, kid_subset_size=kid_subset_size,
        batch_size=batch_size, workers=workers, device=device, cache_dir=cache_dir, out=out, card=card,
    ))
    from imagenet_g.audit import run_audit  # torch: after every argument is checked

    result, written = run_audit(request, progress=not as_json)
    if as_json:
        console.print_json(result.model_dump_json())
        return
    table = Table(title=f"audit of imagenet-g {result.release.version}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in summary_rows(result):
        table.add_row(name, value)
    console.print(table)
    for name, why in result.skipped.items():
        console.print(f"not computed: {name}: {why}", markup=False)
    if result.random_weights:
        console.print("random-weight extractors: these numbers only prove the tooling", markup=False)
    console.print(f"report: {written['report']}", markup=False)
    console.print(f"audit JSON: {written['json']}", markup=False)


@_audit_app.command("compare")
def compare(
    a: Annotated[str, typer.Argument(help="audit JSON, its folder, or a release version with an audit")],
    b: Annotated[str, typer.Argument(help="the same for the second audit; deltas are B - A")],
    data_root: DataRoot = Path("."),
    classes: Annotated[int, typer.Option(min=0, help="per-class rows shown (largest changes first)")] = 20,
    as_json: Json = False,
) -> None:
    """Per-metric and per-class deltas between two audits (B - A); a version is looked up in DATA_ROOT/imagenet-g."""
    from imagenet_g.audit import compare_audits, find_audit, read_audit

    result = compare_audits(read_audit(find_audit(a, data_root)), read_audit(find_audit(b, data_root)))
    if as_json:
        console.print_json(result.model_dump_json())
        return
    table = Table(title=f"{result.a} -> {result.b}")
    for col in ("metric", "A", "B", "B - A", "better"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for m in result.metrics:
        if m.a is None and m.b is None:
            continue
        cells = ["-" if v is None else f"{v:.4g}" for v in (m.a, m.b)]
        table.add_row(m.metric, *cells, "-" if m.delta is None else f"{m.delta:+.4g}", m.better or "")
    console.print(table)
    if result.per_class and classes:
        biggest = sorted(result.per_class, key=lambda d: -abs(d.delta))[:classes]
        per = Table(title="largest per-class changes")
        for col in ("class", "metric", "A", "B", "B - A"):
            per.add_column(col, justify="left" if col in ("class", "metric") else "right")
        for d in biggest:
            per.add_row(f"{d.class_name} ({d.label})", d.metric, f"{d.a:.4g}", f"{d.b:.4g}", f"{d.delta:+.4g}")
        console.print(per)
    for note in result.notes:
        console.print(f"note: {note}", markup=False)

"""CLI commands of the leaderboard job: `imagenet-g leaderboard validate|add|build|show|verify`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from imagenet_g.cli.app import USER_ERROR_EXIT, app, console, fail
from imagenet_g.cli.options import (
    Bootstrap,
    Checkpoint,
    DataRoot,
    DatasetPaths,
    Device,
    Json,
    Release,
    SpecsDir,
    Workers,
    as_path,
    parse_paths,
)
from imagenet_g.errors import ImagenetGError
from imagenet_g.layout import DEFAULT_DATASET_DIR
from imagenet_g.leaderboard import CATEGORIES, DEFAULT_TOLERANCE

_leaderboard_app = typer.Typer(help="Validate submissions and build the leaderboard.", no_args_is_help=True)
app.add_typer(_leaderboard_app, name="leaderboard")

_Root = Annotated[Path, typer.Option("--root", parser=as_path, help="leaderboard folder holding submissions/<release>/")]
_DEFAULT_ROOT = Path("leaderboard")
# the built releases whose spec hashes a submission is checked against: a folder named must exist; the default,
# ./imagenet-g, may be absent (None)
_BuiltReleases = Annotated[Optional[Path], typer.Option(
    "--dataset-dir", parser=as_path,
    help=f"folder holding the built releases (<release>/manifest.json); default: {DEFAULT_DATASET_DIR}, if there")]
# column titles for terminals narrower than 120 characters
_SHORT_LABELS = {"imagenet": "IN", "imagenet-g": "IN-G", "imagenet-v2": "V2", "imagenet-sketch": "Sketch",
                "imagenet-r": "R", "imagenet-a": "A", "objectnet": "ObjNet"}


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@contextmanager
def _problems_as_lines(as_json: bool = False) -> Iterator[None]:
    """Print every submission problem on its own line (and, with --json, as JSON on stdout) and exit 2."""
    from imagenet_g.leaderboard import SubmissionProblems

    try:
        yield
    except SubmissionProblems as exc:
        if as_json:
            _print_json({"ok": False, "problems": list(exc.problems)})
        for line in exc.problems:
            fail(line)
        raise typer.Exit(USER_ERROR_EXIT) from None


def _catalog(specs_dir: Path | None, dataset_dir: Path | None):
    from imagenet_g.leaderboard import ReleaseCatalog

    return ReleaseCatalog.discover(specs_dir, dataset_dir)


@_leaderboard_app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(
        parser=as_path, help="submission JSON files, folders of them, or glob patterns")],
    dataset_dir: _BuiltReleases = None,
    specs_dir: SpecsDir = None,
    as_json: Json = False,
) -> None:
    """Check submission files; print every problem on one line each (exit 2 if any)."""
    from imagenet_g.leaderboard import submission_files, validate_files

    with _problems_as_lines(as_json):
        loaded = validate_files(submission_files(files), _catalog(specs_dir, dataset_dir))
    if as_json:
        _print_json({"ok": True, "valid": [{"path": str(i.path), "slug": i.submission.slug,
                                            "release": i.submission.release, "model_id": i.submission.model_id}
                                           for i in loaded]})
        return
    console.print(f"{len(loaded)} submission(s) valid")


@_leaderboard_app.command("add")
def add(
    ctx: typer.Context,
    results: Annotated[Optional[Path], typer.Argument(
        parser=as_path, help="results JSON written by `imagenet-g eval --out`")] = None,
    name: Annotated[Optional[str], typer.Option(help="display name on the board")] = None,
    from_sweep: Annotated[Optional[Path], typer.Option(
        parser=as_path, help="a sweep's folder: enter every scored model (its standard models as standard)")] = None,
    category: Annotated[Optional[str], typer.Option(
        help=f"training data of the model: {', '.join(CATEGORIES)}; default: from the training record beside the "
        "results (models trained with `imagenet-g train`); with --from-sweep: of the models that are not standard "
        "(default other)")] = None,
    standard: Annotated[bool, typer.Option(
        "--standard", help="a standard (real-data, standard-training) model: a baseline point")] = False,
    paper: Annotated[Optional[str], typer.Option(help="http(s) link to the paper")] = None,
    code: Annotated[Optional[str], typer.Option(help="http(s) link to the code or weights")] = None,
    submitted_by: Annotated[Optional[str], typer.Option(help="who submitted it")] = None,
    release: Release = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing entry for the same model")] = False,
    root: _Root = _DEFAULT_ROOT,
    dataset_dir: _BuiltReleases = None,
    specs_dir: SpecsDir = None,
    as_json: Json = False,
) -> None:
    """Turn an eval results JSON (or every model of a sweep) into leaderboard/submissions/<release>/<slug>.json (the
    release: the one the ImageNet-G result is from, unless --release says)."""
    from imagenet_g.leaderboard import SubmissionInfo, add_submission

    if from_sweep is not None:
        given = {"RESULTS": results, "--name": name, "--standard": standard or None, "--paper": paper, "--code": code,
                 "--submitted-by": submitted_by, "--release": release}
        clash = [flag for flag, value in given.items() if value is not None]
        if clash:
            raise ImagenetGError(f"{', '.join(clash)} describe one results file; a sweep's models are named by their "
                                 "ids and marked standard by the sweep",
                                 "give --from-sweep alone (with --category, --force)")
        _add_sweep(from_sweep, category or "other", force, root, _catalog(specs_dir, dataset_dir), as_json)
        return
    if results is None:
        ctx.fail("Missing argument 'RESULTS' (or give --from-sweep DIR)")
    if name is None:
        ctx.fail("Missing option '--name'")
    info = SubmissionInfo(name, category, standard, paper, code, submitted_by, release)
    with _problems_as_lines(as_json):
        path = add_submission(results, info, root, _catalog(specs_dir, dataset_dir), force=force)
    if as_json:
        _print_json({"ok": True, "path": str(path), "slug": path.stem, "release": path.parent.name})
        return
    console.print(f"wrote {path} (slug {path.stem})", markup=False)


def _add_sweep(from_sweep: Path, category: str, force: bool, root: Path, catalog, as_json: bool) -> None:
    from imagenet_g.sweep import submit_sweep

    with _problems_as_lines(as_json):
        done = submit_sweep(from_sweep, root, catalog, category, force)
    if as_json:
        _print_json({"ok": True, "release": done.release, "written": [str(p) for p in done.written],
                     "standard": done.standard, "left_out": done.left_out})
        return
    console.print(f"wrote {len(done.written)} entries of release {done.release} ({done.standard} standard) "
                  f"under {root}", markup=False)
    for model_id, why in done.left_out.items():
        console.print(f"left out {model_id}: {why}", markup=False, style="dim")


@_leaderboard_app.command("build")
def build(
    root: _Root = _DEFAULT_ROOT,
    bootstrap: Bootstrap = 1000,
    plots: Annotated[bool, typer.Option(
        "--plots/--no-plots", help="render the PNG plot of each release (matplotlib)")] = True,
    dataset_dir: _BuiltReleases = None,
    specs_dir: SpecsDir = None,
    as_json: Json = False,
) -> None:
    """Validate all submissions, recompute ER, and write leaderboard.json, README.md, plots/ and site/index.html."""
    from imagenet_g.leaderboard import build_leaderboard

    with _problems_as_lines(as_json):
        out = build_leaderboard(root, _catalog(specs_dir, dataset_dir), bootstrap=bootstrap, plots=plots)
    written = [str(p) for p in (out.json_path, out.markdown_path, out.html_path, *out.plot_paths)]
    releases = {v: {"submissions": len(r.entries), "imagenet_g_fit": r.fits["imagenet-g"].status}
                for v, r in out.board.releases.items()}
    if as_json:
        _print_json({"ok": True, "releases": releases, "published_rows": len(out.board.published),
                     "written": written})
        return
    for version, info in releases.items():
        console.print(f"release {version}: {info['submissions']} entries; ImageNet-G fit: {info['imagenet_g_fit']}",
                      markup=False)
    console.print(f"{len(out.board.published)} published rows; {out.board.rank_note}", markup=False)
    for path in written:
        console.print(f"wrote {path}", markup=False)


@_leaderboard_app.command("show")
def show(
    release: Release = None,
    limit: Annotated[int, typer.Option(min=0, help="published rows to show per release (0: all)")] = 20,
    root: _Root = _DEFAULT_ROOT,
    dataset_dir: _BuiltReleases = None,
    specs_dir: SpecsDir = None,
    as_json: Json = False,
) -> None:
    """Print the ranking: the top published rows and every submission, with the slug `verify` takes (every release,
    unless --release names one)."""
    from imagenet_g.errors import unknown
    from imagenet_g.leaderboard import load_leaderboard

    with _problems_as_lines(as_json):
        board = load_leaderboard(root, _catalog(specs_dir, dataset_dir), bootstrap=0)
    versions = list(board.releases)
    if release is not None and release not in board.releases:
        raise unknown("release", release, versions, where=f"on the board under {root}")
    chosen = [release] if release else versions
    if as_json:
        _print_json({"rank": board.rank_note, "releases": {v: _release_rows(board, v, limit) for v in chosen}})
        return
    for version in chosen:
        console.print(_release_table(board, version, limit))


def _release_rows(board, version: str, limit: int) -> list[dict]:
    from imagenet_g.leaderboard import release_ranking

    return [{
        "place": row.place, "slug": row.entry.slug, "name": row.entry.name, "model_id": row.entry.model_id,
        "origin": row.entry.origin, "source": row.entry.source, "category": row.entry.category,
        "score": row.score.model_dump() if row.score else None, "unranked": row.unranked,
        "top1": row.entry.top1, "er": {s: v.linear.er for s, v in row.entry.er.items()},
    } for row in release_ranking(board, version, limit).rows]


def _release_table(board, version: str, limit: int) -> Table:
    from imagenet_g.leaderboard import release_ranking

    ranking = release_ranking(board, version, limit)
    table = Table(title=f"ImageNet-G leaderboard, release {version}: {ranking.rank.title}",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption=f"top-1 % and, below it, ER in pp (linear fit); † extrapolated. "
                          f"{ranking.hidden} more rows: --limit 0, or the page")
    labels = board.labels if console.width >= 120 else _SHORT_LABELS
    table.add_column("#", justify="right")
    table.add_column("Model (slug)", min_width=14, overflow="fold")
    table.add_column("Rank ER", justify="right", no_wrap=True)
    for header in [labels["imagenet"], *(labels[s] for s in board.shifts)]:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Source", overflow="fold")
    for row in ranking.rows:
        entry = row.entry
        name = Text(entry.name)
        if entry.origin == "submission":
            name = Text.assemble((entry.name, "bold"), " ", (f"({entry.slug})", "dim"))
        cells = ["–" if row.place is None else str(row.place), name,
                 _fmt(row.score.er if row.score else None, signed=True), _fmt(entry.top1.get("imagenet"))]
        for shift in board.shifts:
            er = entry.er.get(shift)
            mark = "†" if er and er.outside > 0 else ""
            cells.append(Text.assemble(_fmt(entry.top1.get(shift)), (f"\n{er.linear.er:+.1f}{mark}" if er else "", "dim")))
        cells.append("submission" if entry.origin == "submission" else entry.source)
        table.add_row(*cells)
    return table


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


@_leaderboard_app.command("verify")
def verify(
    key: Annotated[str, typer.Argument(help="the submission's slug (as `show` prints it), model id or display name")],
    release: Release = None,
    tolerance: Annotated[float, typer.Option(
        min=0.0, help="allowed top-1/top-5 difference, percentage points")] = DEFAULT_TOLERANCE,
    data_root: DataRoot = Path("."),
    path: DatasetPaths = None,
    device: Device = "auto",
    workers: Workers = None,
    out: Annotated[Optional[Path], typer.Option(
        parser=as_path, help="results JSON of the re-run (default results/verify/<release>/<slug>.json)")] = None,
    checkpoint: Checkpoint = None,
    root: _Root = _DEFAULT_ROOT,
    as_json: Json = False,
) -> None:
    """Re-run the eval of a submission (its weights, preprocessing and precision; every dataset scored again) and
    report every metric that differs beyond the tolerance (exit 2). --release is needed when the key is in several;
    --checkpoint when the weights are not where the submission recorded them."""
    from imagenet_g.errors import SubmissionError
    from imagenet_g.leaderboard import show_value, verify_submission

    paths = parse_paths(path)
    with _problems_as_lines(as_json):
        report = verify_submission(
            key, root, release, tolerance, data_root, paths, device, workers, out, progress=not as_json,
            checkpoint=checkpoint,
        )
    if as_json:
        _print_json({
            "ok": not report.mismatches, "path": str(report.path), "slug": report.submission.slug,
            "tolerance": report.tolerance, "results_path": str(report.results_path),
            "checks": [{"dataset": c.dataset, "metric": c.metric, "submitted": c.submitted, "measured": c.measured,
                        "ok": c.ok(report.tolerance)} for c in report.checks],
        })
    else:
        table = Table(title=f"verify {report.path}", box=box.SIMPLE_HEAD)
        for header in ("dataset", "metric", "submitted", "measured", "ok"):
            table.add_column(header, justify="right" if header in ("submitted", "measured") else "left")
        for check in report.checks:
            ok = check.ok(report.tolerance)
            table.add_row(check.dataset, check.metric, show_value(check.submitted), show_value(check.measured),
                          Text("ok", style="green") if ok else Text("DIFFERS", style="red"))
        console.print(table)
        console.print(f"re-run results: {report.results_path}", markup=False)
    if report.mismatches:
        raise SubmissionError(report.summary())
    if not as_json:
        console.print(report.summary(), markup=False)

"""CLI commands of the leaderboard job: `imagenet-g leaderboard validate|add|build|show|verify`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich import box
from rich.table import Table

from imagenet_g.cli.app import USER_ERROR_EXIT, app, console, fail
from imagenet_g.cli.options import DATASET_DIR, SPECS_DIR

leaderboard_app = typer.Typer(help="Validate submissions and build the leaderboard.", no_args_is_help=True)
app.add_typer(leaderboard_app, name="leaderboard")

ROOT = typer.Option(Path("leaderboard"), "--root", help="leaderboard folder holding submissions/<release>/")
CATEGORIES = ("real", "generated", "real+generated", "more data", "other")  # as in imagenet_g.leaderboard.schema
# column titles for terminals narrower than 120 characters
SHORT_LABELS = {"imagenet": "IN", "imagenet-g": "IN-G", "imagenet-v2": "V2", "imagenet-sketch": "Sketch",
                "imagenet-r": "R", "imagenet-a": "A", "objectnet": "ObjNet"}


@contextmanager
def _problems_as_lines() -> Iterator[None]:
    """Print every submission problem on its own line and exit 2."""
    from imagenet_g.leaderboard import SubmissionProblems

    try:
        yield
    except SubmissionProblems as exc:
        for line in exc.problems:
            fail(line)
        raise typer.Exit(USER_ERROR_EXIT) from None


def _catalog(specs_dir: Path | None, dataset_dir: Path):
    from imagenet_g.leaderboard import ReleaseCatalog

    return ReleaseCatalog.discover(specs_dir, dataset_dir)


@leaderboard_app.command("validate")
def validate(
    files: list[Path] = typer.Argument(..., help="submission JSON files"),
    dataset_dir: Path = DATASET_DIR,
    specs_dir: Path | None = SPECS_DIR,
) -> None:
    """Check submission files; print every problem on one line each (exit 2 if any)."""
    from imagenet_g.leaderboard import validate_files

    with _problems_as_lines():
        loaded = validate_files(files, _catalog(specs_dir, dataset_dir))
    console.print(f"{len(loaded)} submission(s) valid")


@leaderboard_app.command("add")
def add(
    results: Path = typer.Argument(..., help="results JSON written by `imagenet-g eval --out`"),
    name: str = typer.Option(..., "--name", help="display name on the board"),
    category: str = typer.Option(..., "--category", help=f"training data of the model: {', '.join(CATEGORIES)}"),
    standard: bool = typer.Option(
        False, "--standard", help="a standard (real-data, standard-training) model: a baseline point"
    ),
    paper: str | None = typer.Option(None, "--paper", help="http(s) link to the paper"),
    code: str | None = typer.Option(None, "--code", help="http(s) link to the code or weights"),
    submitted_by: str | None = typer.Option(None, "--submitted-by", help="who submitted it"),
    release: str | None = typer.Option(
        None, "--release", help="release; default: the one the ImageNet-G result is from"
    ),
    force: bool = typer.Option(False, "--force", help="replace an existing entry for the same model"),
    root: Path = ROOT,
    dataset_dir: Path = DATASET_DIR,
    specs_dir: Path | None = SPECS_DIR,
) -> None:
    """Turn an eval results JSON into leaderboard/submissions/<release>/<slug>.json."""
    from imagenet_g.leaderboard import SubmissionInfo, add_submission

    info = SubmissionInfo(name, category, standard, paper, code, submitted_by, release)
    with _problems_as_lines():
        path = add_submission(results, info, root, _catalog(specs_dir, dataset_dir), force=force)
    console.print(f"wrote {path}")


@leaderboard_app.command("build")
def build(
    root: Path = ROOT,
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="bootstrap resamples for ER intervals (0: none)"),
    dataset_dir: Path = DATASET_DIR,
    specs_dir: Path | None = SPECS_DIR,
) -> None:
    """Validate all submissions, recompute ER, and write leaderboard.json, README.md and site/index.html."""
    from imagenet_g.leaderboard import build_leaderboard

    with _problems_as_lines():
        out = build_leaderboard(root, _catalog(specs_dir, dataset_dir), bootstrap=bootstrap)
    for version, release in out.board.releases.items():
        fit = release.fits["imagenet-g"]
        console.print(f"release {version}: {len(release.entries)} entries; ImageNet-G fit: {fit.status}", markup=False)
    for path in (out.json_path, out.markdown_path, out.html_path, *out.plot_paths):
        console.print(f"wrote {path}", markup=False)


@leaderboard_app.command("show")
def show(
    release: str | None = typer.Option(None, "--release", help="release to show (default: all)"),
    limit: int = typer.Option(20, "--limit", min=0, help="published rows to show per release (0: all)"),
    root: Path = ROOT,
    dataset_dir: Path = DATASET_DIR,
    specs_dir: Path | None = SPECS_DIR,
) -> None:
    """Print the ranking: the top published rows and every submission, with the slug `verify` takes."""
    from imagenet_g.errors import UnknownNameError, close_matches
    from imagenet_g.leaderboard import load_leaderboard

    with _problems_as_lines():
        board = load_leaderboard(root, _catalog(specs_dir, dataset_dir), bootstrap=0)
    versions = list(board.releases)
    if release is not None and release not in board.releases:
        raise UnknownNameError(
            f"no release {release!r} on the board under {root}{close_matches(release, versions)}; "
            f"releases: {', '.join(versions) or 'none'}"
        )
    for version in [release] if release else versions:
        console.print(_release_table(board, version, limit))


def _release_table(board, version: str, limit: int) -> Table:
    from rich.markup import escape

    from imagenet_g.leaderboard import rank

    rel = board.releases[version]
    default = next(r for r in board.ranks if r.key == board.default_rank)
    ranked, unranked = rank.order([*rel.entries, *board.published], default)
    shown = [(str(i), e) for i, e in enumerate(ranked, 1) if e.origin == "submission" or not limit or i <= limit]
    shown += [("–", e) for e in unranked if e.origin == "submission"]
    hidden = len(ranked) + len(unranked) - len(shown)
    table = Table(title=f"ImageNet-G leaderboard, release {escape(version)}: {escape(default.title)}",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption=f"top-1 % and, below it, ER in pp (linear fit); † extrapolated. "
                          f"{hidden} more rows: --limit 0 or the page",
                  )
    labels = board.labels if console.width >= 120 else SHORT_LABELS
    table.add_column("#", justify="right")
    table.add_column("Model (slug)", min_width=14, overflow="fold")
    table.add_column("Rank ER", justify="right", no_wrap=True)
    for header in [labels["imagenet"], *(labels[s] for s in board.shifts)]:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Source", overflow="fold")
    for place, entry in shown:
        name = escape(entry.name)
        if entry.origin == "submission":
            name = f"[bold]{name}[/bold] [dim]({escape(entry.slug)})[/dim]"
        score = rank.rank_value(entry, default)
        cells = [place, name, _fmt(score.er if score else None, signed=True), _fmt(entry.top1.get("imagenet"))]
        for shift in board.shifts:
            er = entry.er.get(shift)
            mark = "†" if er and er.outside > 0 else ""
            cells.append(_fmt(entry.top1.get(shift)) + (f"\n[dim]{er.linear.er:+.1f}{mark}[/dim]" if er else ""))
        cells.append("submission" if entry.origin == "submission" else escape(entry.source))
        table.add_row(*cells)
    return table


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


@leaderboard_app.command("verify")
def verify(
    slug: str = typer.Argument(..., help="the submission's file stem, e.g. resnet50"),
    release: str | None = typer.Option(None, "--release", help="release of the submission (needed if in several)"),
    tolerance: float = typer.Option(
        0.1, "--tolerance", min=0.0, help="allowed top-1/top-5 difference, percentage points"
    ),
    data_root: Path = typer.Option(Path("."), "--data-root", help="folder holding the dataset folders"),
    path: list[str] = typer.Option([], "--path", help="NAME=DIR: where one dataset lives (repeatable)"),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:1, mps"),
    workers: int | None = typer.Option(
        None, "--workers", min=0, help="decode worker processes (default: one per core)"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="results JSON of the re-run (default results/verify/<release>/<slug>.json)"
    ),
    root: Path = ROOT,
) -> None:
    """Re-run the eval of a submission and report every metric that differs beyond the tolerance (exit 2)."""
    from imagenet_g.errors import SubmissionError
    from imagenet_g.leaderboard.verify import show_value, verify_submission

    paths = {}
    for item in path:
        name, sep, folder = item.partition("=")
        if not sep or not name or not folder:
            raise SubmissionError(f"--path {item!r}: expected NAME=DIR, e.g. --path imagenet=/data/imagenet")
        paths[name] = folder
    with _problems_as_lines():
        report = verify_submission(
            slug, root, release, tolerance, data_root, paths, device, workers, out, progress=True
        )
    table = Table(title=f"verify {report.path}", box=box.SIMPLE_HEAD)
    for header in ("dataset", "metric", "submitted", "measured", "ok"):
        table.add_column(header, justify="right" if header in ("submitted", "measured") else "left")
    for check in report.checks:
        ok = check.ok(report.tolerance)
        table.add_row(check.dataset, check.metric, show_value(check.submitted), show_value(check.measured),
                      "[green]ok[/green]" if ok else "[red]DIFFERS[/red]")
    console.print(table)
    console.print(f"re-run results: {report.results_path}", markup=False)
    if report.mismatches:
        raise SubmissionError(report.summary())
    console.print(report.summary(), markup=False)

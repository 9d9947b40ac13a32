"""Submissions + published tables -> the board: validate, recompute ER the same way for every row, rank."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from imagenet_g import robustness
from imagenet_g.benchmarks import NATURAL_SHIFTS, SHIFT_CONTROLS
from imagenet_g.errors import SubmissionError
from imagenet_g.leaderboard import er, published, rank
from imagenet_g.leaderboard.board import (
    LEADERBOARD_SCHEMA_VERSION,
    Entry,
    Leaderboard,
    Rank,
    Reference,
    ReferencePoint,
    ReleaseBoard,
    Source,
    rounded,
)
from imagenet_g.leaderboard.schema import Submission
from imagenet_g.leaderboard.validate import IMAGENET_G, LoadedSubmission, ReleaseCatalog, validate_files
from imagenet_g.slugs import slug

# display names of the datasets, in table order
_LABELS: dict[str, str] = {
    "imagenet": "ImageNet",
    "imagenet-g": "ImageNet-G",
    "imagenet-v2": "ImageNet-V2",
    "imagenet-sketch": "ImageNet-Sketch",
    "imagenet-r": "ImageNet-R",
    "imagenet-a": "ImageNet-A",
    "objectnet": "ObjectNet",
    "val-on-imagenet-r-classes": "ImageNet (R-200 classes)",
    "val-on-imagenet-a-classes": "ImageNet (A-200 classes)",
    "val-on-objectnet-classes": "ImageNet (ObjectNet classes)",
}
SHIFTS: tuple[str, ...] = (*NATURAL_SHIFTS, IMAGENET_G)
SUBMISSION = "submission"
# how a results file's precision reads on the board (None: a results file older than the field)
_PRECISION = {"fp32": "fp32", "amp": "float16 autocast (amp)"}


def _submission_paths(root: Path) -> list[Path]:
    """Every ``<root>/submissions/<release>/*.json``, sorted."""
    return sorted(Path(root).glob("submissions/*/*.json"))


def _release_folders(root: Path) -> list[str]:
    """Releases with a folder under ``<root>/submissions`` (a release may have no entries yet)."""
    return sorted(p.name for p in Path(root).glob("submissions/*") if p.is_dir())


def load_leaderboard(
    root: Path = Path("leaderboard"), catalog: ReleaseCatalog | None = None, bootstrap: int = 1000
) -> Leaderboard:
    """Validate every submission under ``root``, score them and the published rows, and rank them
    (raises `SubmissionProblems`)."""
    if not (Path(root) / "submissions").is_dir():
        raise SubmissionError(f"no leaderboard at {root}: {Path(root) / 'submissions'} is not a folder; "
                              f"point the board root at a folder holding submissions/<release>/, or add a first entry with "
                              f"`imagenet-g leaderboard add`")
    catalog = catalog or ReleaseCatalog.discover()
    loaded = validate_files(_submission_paths(root), catalog)
    versions = sorted(set(_release_folders(root)) | {item.submission.release for item in loaded}, key=_release_key)
    rows = published.published_rows()
    ranks = declared_ranks()
    natural = {shift: er.natural_baseline(shift) for shift in NATURAL_SHIFTS}
    releases = {
        v: board_for_release(v, [i for i in loaded if i.submission.release == v], catalog, Path(root), bootstrap, ranks)
        for v in versions
    }
    return Leaderboard(
        schema_version=LEADERBOARD_SCHEMA_VERSION,
        labels=_LABELS,
        shifts=list(SHIFTS),
        ranks=list(ranks),
        default_rank=ranks[0].key,
        rank_note=rank.rank_note(ranks[0]),
        sources={key: _source(src, rows) for key, src in published.SOURCES.items()},
        reference={shift: _reference(shift, natural[shift]) for shift in NATURAL_SHIFTS},
        published=list(published_entries(bootstrap)),
        releases=releases,
    )


@cache
def declared_ranks() -> tuple[Rank, ...]:
    """The board's ranks, the default first (see `imagenet_g.leaderboard.rank`)."""
    return tuple(rank.declare_ranks(_common_shifts(published.published_rows()), NATURAL_SHIFTS, SHIFTS, _LABELS))


@cache
def published_entries(bootstrap: int) -> tuple[Entry, ...]:
    """The published rows scored like submissions, in default-rank order (the same for every release)."""
    natural = {shift: er.natural_baseline(shift) for shift in NATURAL_SHIFTS}
    rows = [_published_fields(row) for row in published.published_rows()]
    ranks = declared_ranks()
    return tuple(_ordered(_score(rows, natural, bootstrap, ranks), ranks[0]))


def _common_shifts(rows: Sequence[published.PublishedRow]) -> list[str]:
    """The natural shift sets that every published source reports (with their control)."""
    covered: dict[str, set[str]] = {}
    for row in rows:
        has = {s for s in NATURAL_SHIFTS if s in row.top1 and SHIFT_CONTROLS[s] in row.top1}
        covered.setdefault(row.source, set()).update(has)
    return [s for s in NATURAL_SHIFTS if all(s in has for has in covered.values())]


def _release_key(version: str) -> tuple[int, int, str]:
    """v1, v2, ..., v10 in numeric order, then other names (smoke) alphabetically."""
    if version[:1] == "v" and version[1:].isdigit():
        return (0, int(version[1:]), version)
    return (1, 0, version)


def board_for_release(
    version: str, loaded: Iterable[LoadedSubmission], catalog: ReleaseCatalog, root: Path, bootstrap: int,
    ranks: Sequence[Rank],
) -> ReleaseBoard:
    """Fit the release's baselines, score every submission, and order them by the default rank."""
    loaded = list(loaded)
    baselines = {shift: er.natural_baseline(shift) for shift in NATURAL_SHIFTS}
    baselines[IMAGENET_G] = _imagenet_g_baseline(version, [i.submission for i in loaded])
    rows = [_submission_fields(item, root) for item in loaded]
    return ReleaseBoard(
        version=version,
        spec_hash=catalog.spec_hashes.get(version),
        plot=f"plots/{slug(version)}.png",
        entries=_ordered(_score(rows, baselines, bootstrap, ranks), ranks[0]),
        fits={shift: er.baseline_fit(shift, baselines[shift]) for shift in SHIFTS},
    )


def _ordered(entries: list[Entry], default: Rank) -> list[Entry]:
    ranked, unranked = rank.order(entries, default)
    return ranked + unranked


def _imagenet_g_baseline(version: str, subs: list[Submission]) -> robustness.BaselinePoints:
    control = SHIFT_CONTROLS[IMAGENET_G]
    standard = sorted(
        (s for s in subs if s.is_standard and control in s.result.datasets), key=lambda s: s.model_id
    )
    return robustness.BaselinePoints(
        names=tuple(s.name for s in standard),
        x=tuple(s.result.datasets[control].top1 for s in standard),
        y=tuple(s.result.datasets[IMAGENET_G].top1 for s in standard),
        source=f"standard entries of leaderboard release {version}",
    )


def _submission_fields(item: LoadedSubmission, root: Path) -> dict:
    sub = item.submission
    datasets = sub.result.datasets
    return dict(
        slug=sub.slug, origin="submission", source=SUBMISSION, file=_relative(item.path, root), name=sub.name,
        model_id=sub.model_id, model_source=sub.model_source, category=sub.category, model_type=None,
        is_standard=sub.is_standard, paper=sub.paper, code=sub.code, submitted_by=sub.submitted_by,
        precision=_PRECISION.get(sub.result.precision or "", None), tta=sub.result.tta,
        preprocess=dict(sub.result.model.preprocess),
        top1={k: rounded(d.top1) for k, d in sorted(datasets.items())},
        top5={k: rounded(d.top5) for k, d in sorted(datasets.items())},
    )


def _published_fields(row: published.PublishedRow) -> dict:
    return dict(
        slug=slug(f"{row.source}:{row.key}"), origin="published", source=row.source, file=None, name=row.name,
        model_id=row.model_id, model_source=row.source, category=row.category, model_type=row.model_type,
        is_standard=False, paper=None, code=None, submitted_by=None, precision=None, tta=None,
        preprocess=row.preprocess,
        top1={k: rounded(v) for k, v in sorted(row.top1.items())},
        top5={k: rounded(v) for k, v in sorted(row.top5.items())},
    )


def _score(rows: list[dict], baselines: dict[str, robustness.BaselinePoints], bootstrap: int, ranks: Sequence[Rank]) -> list[Entry]:
    """Entries with ER on every shift set they can be scored on, and their mean ER under each multi-set rank.

    ER is computed from the top-1 as written to the board (rounded), so anyone can recompute it from the JSON.
    """
    result = er.rows_er([row["top1"] for row in rows], baselines, bootstrap)
    means = {r.key: er.mean_er(result, r.shifts) for r in ranks if len(r.shifts) > 1}
    return [
        Entry(**row, er=dict(sorted(result.er[i].items())),
              scores={key: values[i] for key, values in means.items() if values[i] is not None})
        for i, row in enumerate(rows)
    ]


def _reference(shift: str, pts: robustness.BaselinePoints) -> Reference:
    points = sorted(
        (ReferencePoint(name=n, x=rounded(x), y=rounded(y)) for n, x, y in zip(pts.names, pts.x, pts.y, strict=True)),
        key=lambda p: p.name,
    )
    return Reference(shift=shift, control=SHIFT_CONTROLS[shift], source=pts.source, points=points)


def _source(src: published.PublishedSource, rows: Sequence[published.PublishedRow]) -> Source:
    return Source(key=src.key, title=src.title, url=src.url, license=src.license, version=src.version,
                  note=src.note, rows=sum(1 for r in rows if r.source == src.key))


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()

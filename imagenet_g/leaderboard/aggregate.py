"""Submissions -> leaderboard: load, validate, recompute ER, sort, and write JSON, markdown and HTML.

The output is stable: no timestamps, floats rounded, entries sorted, keys in a fixed order, so
building twice gives the same bytes and a new submission shows as a small diff.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from imagenet_g.errors import SubmissionError
from imagenet_g.leaderboard import er
from imagenet_g.leaderboard.schema import Submission
from imagenet_g.leaderboard.validate import IMAGENET_G, LoadedSubmission, ReleaseCatalog, validate_files

LEADERBOARD_SCHEMA_VERSION = 1
DIGITS = 4  # rounding of every float written: well below the 0.01 pp anyone reads, stable across platforms

# display names of the datasets, in table order
LABELS: dict[str, str] = {
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
SHIFTS: tuple[str, ...] = (IMAGENET_G, *er.NATURAL_SHIFTS)
REFERENCE_NOTE = (
    "Published accuracies of standard (real-data, standard-training) models from the imagenet-testbed table "
    "(Taori et al. 2020, MIT license), shipped with imagenet-g. Not evaluated by imagenet-g; they have no "
    "ImageNet-G accuracy. They are the baseline points of the natural-shift ER fits."
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErValue(_Out):
    er: float
    ci_low: float | None
    ci_high: float | None


class Entry(_Out):
    """One model in one release, as shown on the board."""

    slug: str
    file: str
    name: str
    model_id: str
    model_source: str
    category: str
    is_standard: bool
    paper: str | None
    code: str | None
    submitted_by: str | None
    top1: dict[str, float]
    top5: dict[str, float]
    er: dict[str, dict[str, ErValue]]
    avg_er: float | None


class Line(_Out):
    slope: float
    intercept: float


class Fit(_Out):
    """The baseline fit of one shift set; ``lines`` is empty when there are too few baseline points."""

    shift: str
    control: str
    status: str
    n_baselines: int
    min_baselines: int
    source: str
    lines: dict[str, Line]


class Release(_Out):
    version: str
    spec_hash: str | None
    entries: list[Entry]
    fits: dict[str, Fit]


class ReferencePoint(_Out):
    name: str
    x: float
    y: float


class Reference(_Out):
    """The shipped baseline points of one natural shift set."""

    shift: str
    control: str
    source: str
    points: list[ReferencePoint]


class Leaderboard(_Out):
    schema_version: int
    labels: dict[str, str]
    shifts: list[str]
    reference_note: str
    reference: dict[str, Reference]
    releases: dict[str, Release]


def submission_paths(root: Path) -> list[Path]:
    """Every ``<root>/submissions/<release>/*.json``, sorted."""
    return sorted(Path(root).glob("submissions/*/*.json"))


def release_folders(root: Path) -> list[str]:
    """Releases with a folder under ``<root>/submissions`` (a release may have no entries yet)."""
    return sorted(p.name for p in Path(root).glob("submissions/*") if p.is_dir())


def load_leaderboard(
    root: Path = Path("leaderboard"), catalog: ReleaseCatalog | None = None, bootstrap: int = 1000
) -> Leaderboard:
    """Validate every submission under ``root`` and aggregate them (raises `SubmissionProblems`)."""
    if not (Path(root) / "submissions").is_dir():
        raise SubmissionError(f"no leaderboard at {root}: {Path(root) / 'submissions'} is not a folder; pass --root, "
                              f"or add a first entry with `imagenet-g leaderboard add`")
    catalog = catalog or ReleaseCatalog.discover()
    loaded = validate_files(submission_paths(root), catalog)
    versions = sorted(set(release_folders(root)) | {item.submission.release for item in loaded}, key=_release_key)
    releases = {
        v: build_release(v, [i for i in loaded if i.submission.release == v], catalog, Path(root), bootstrap)
        for v in versions
    }
    reference = {shift: _reference(er.natural_baseline(shift)) for shift in er.NATURAL_SHIFTS}
    return Leaderboard(
        schema_version=LEADERBOARD_SCHEMA_VERSION,
        labels=LABELS,
        shifts=list(SHIFTS),
        reference_note=REFERENCE_NOTE,
        reference=reference,
        releases=releases,
    )


def _release_key(version: str) -> tuple[int, int, str]:
    """v1, v2, ..., v10 in numeric order, then other names (smoke) alphabetically."""
    if version[:1] == "v" and version[1:].isdigit():
        return (0, int(version[1:]), version)
    return (1, 0, version)


def build_release(
    version: str, loaded: Iterable[LoadedSubmission], catalog: ReleaseCatalog, root: Path, bootstrap: int
) -> Release:
    """Fit the release's baselines, recompute every entry's ER, and sort entries by ImageNet-G top-1."""
    loaded = list(loaded)
    baselines = {shift: er.natural_baseline(shift) for shift in er.NATURAL_SHIFTS}
    baselines[IMAGENET_G] = _imagenet_g_baseline(version, [i.submission for i in loaded])
    entries = [_entry(item, baselines, root, bootstrap) for item in loaded]
    entries.sort(key=lambda e: (-e.top1.get(IMAGENET_G, -1.0), e.name.casefold(), e.slug))
    return Release(
        version=version,
        spec_hash=catalog.spec_hashes.get(version),
        entries=entries,
        fits={shift: _fit(baselines[shift]) for shift in SHIFTS},
    )


def _imagenet_g_baseline(version: str, subs: list[Submission]) -> er.ShiftBaseline:
    control = er.SHIFT_CONTROLS[IMAGENET_G]
    standard = sorted(
        (s for s in subs if s.is_standard and control in s.result.datasets), key=lambda s: s.model_id
    )
    return er.points_baseline(
        IMAGENET_G,
        names=[s.name for s in standard],
        x=[s.result.datasets[control].top1 for s in standard],
        y=[s.result.datasets[IMAGENET_G].top1 for s in standard],
        source=f"standard entries of leaderboard release {version}",
    )


def _entry(item: LoadedSubmission, baselines: dict[str, er.ShiftBaseline], root: Path, bootstrap: int) -> Entry:
    sub = item.submission
    datasets = sub.result.datasets
    ers: dict[str, dict[str, ErValue]] = {}
    for shift, baseline in baselines.items():
        if shift in datasets and baseline.control in datasets:
            fits = er.entry_er(baseline, datasets[baseline.control].top1, datasets[shift].top1, bootstrap)
            if fits:
                ers[shift] = {axis: _er_value(fit.er, fit.ci_low, fit.ci_high) for axis, fit in fits.items()}
    natural = [ers[s]["linear"].er for s in er.NATURAL_SHIFTS if s in ers]
    return Entry(
        slug=sub.slug,
        file=_relative(item.path, root),
        name=sub.name,
        model_id=sub.model_id,
        model_source=sub.model_source,
        category=sub.category,
        is_standard=sub.is_standard,
        paper=sub.paper,
        code=sub.code,
        submitted_by=sub.submitted_by,
        top1={k: _r(d.top1) for k, d in sorted(datasets.items())},
        top5={k: _r(d.top5) for k, d in sorted(datasets.items())},
        er=dict(sorted(ers.items())),
        avg_er=_r(sum(natural) / len(natural)) if natural else None,
    )


def _er_value(value: float, low: float | None, high: float | None) -> ErValue:
    return ErValue(er=_r(value), ci_low=None if low is None else _r(low), ci_high=None if high is None else _r(high))


def _fit(baseline: er.ShiftBaseline) -> Fit:
    return Fit(
        shift=baseline.shift,
        control=baseline.control,
        status=baseline.status,
        n_baselines=len(baseline.points),
        min_baselines=er.min_baselines(),
        source=baseline.points.source,
        lines={axis: Line(slope=_r(f.slope), intercept=_r(f.intercept)) for axis, f in baseline.fits.items()},
    )


def _reference(baseline: er.ShiftBaseline) -> Reference:
    pts = baseline.points
    points = sorted(
        (ReferencePoint(name=n, x=_r(x), y=_r(y)) for n, x, y in zip(pts.names, pts.x, pts.y, strict=True)),
        key=lambda p: p.name,
    )
    return Reference(shift=baseline.shift, control=baseline.control, source=pts.source, points=points)


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _r(value: float) -> float:
    return round(float(value), DIGITS) + 0.0  # + 0.0 turns -0.0 into 0.0


def leaderboard_json(board: Leaderboard) -> str:
    """The stable JSON text of the board."""
    return board.model_dump_json(indent=2) + "\n"

"""Two releases' sweeps on the same models -> does the new release measure what the old one does?

``compare_sweeps(A, B)`` pairs the models both sweeps scored, fits B's top-1 against A's on one dataset
(ImageNet-G by default), gives Spearman's and Kendall's rank correlation with bootstrap intervals, and lists the
models whose rank moves most; ``write_comparison`` renders it as markdown and a PNG (as the board's plots).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imagenet_g.benchmarks import get_benchmark
from imagenet_g.checks import check_range
from imagenet_g.errors import ImagenetGError
from imagenet_g.files import atomic_path, atomic_write_text
from imagenet_g.outputs import check_output_file, check_output_folder, visible_entries, written_by
from imagenet_g.results import EvalResult, Line
from imagenet_g.robustness import MAX_BOOTSTRAP, MIN_BASELINES, fit_linear
from imagenet_g.slugs import slug
from imagenet_g.sweep.agreement import CONFIDENCE, Interval, bootstrap, kendall_tau_b, places, spearman
from imagenet_g.sweep.folder import MARKER_FILE, all_records, read_marker, results_path

_MOVERS = 10
_WRITER = "imagenet-g sweep compare"
# the marks that make a comparison file ours: a closing comment in the markdown, the PNG's Software text chunk
_MARKDOWN_MARK = f"<!-- written by {_WRITER} -->"
_PNG_MARK = b"tEXtSoftware\x00" + _WRITER.encode()
_PNG_HEAD = 4096  # the text chunks come before the image data


@dataclass(frozen=True)
class Mover:
    model: str
    top1_a: float
    top1_b: float
    rank_a: float
    rank_b: float

    @property
    def change(self) -> float:
        """Places climbed from A to B (negative: fell)."""
        return self.rank_a - self.rank_b


@dataclass(frozen=True)
class SweepComparison:
    """The agreement of two sweeps on their common models."""

    release_a: str
    release_b: str
    dataset: str
    models: tuple[str, ...]
    top1_a: tuple[float, ...]
    top1_b: tuple[float, ...]
    fit: Line
    r_squared: float
    spearman: Interval
    kendall: Interval
    movers: tuple[Mover, ...]  # largest rank changes first
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]


def _scored(out_dir: Path, dataset: str) -> dict[str, float]:
    """Top-1 on ``dataset`` of every model the sweep scored."""
    found = {}
    for record in all_records(out_dir):
        if record.status != "scored":
            continue
        try:
            result = EvalResult.read(results_path(out_dir, record.id))
        except (OSError, ValueError):
            raise ImagenetGError(f"{results_path(out_dir, record.id)} is not a readable results file",
                                 "rerun the sweep to score the model again") from None
        if dataset in result.datasets:
            found[record.id] = result.datasets[dataset].top1
    return found


def compare_sweeps(dir_a: Path, dir_b: Path, dataset: str = "imagenet-g", resamples: int = 1000,
                   seed: int = 0) -> SweepComparison:
    """Compare the sweep in ``dir_b`` with the one in ``dir_a`` on their common models (see the module docstring)."""
    get_benchmark(dataset)
    check_range(resamples, "bootstrap", 0, MAX_BOOTSTRAP, "resamples")
    release_a, release_b = read_marker(dir_a).release, read_marker(dir_b).release
    a, b = _scored(dir_a, dataset), _scored(dir_b, dataset)
    common = sorted(set(a) & set(b))
    if len(common) < MIN_BASELINES:
        raise ImagenetGError(f"the sweeps share {len(common)} models scored on {dataset}; a comparison needs at least "
                             f"{MIN_BASELINES}", "sweep the same model set on both releases")
    x, y = np.array([a[m] for m in common]), np.array([b[m] for m in common])
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        side = release_a if np.ptp(x) == 0 else release_b
        raise ImagenetGError(f"every common model has the same {dataset} top-1 on {side}, so there is no ranking to "
                             "compare (random weights score at chance)", "sweep trained models")
    fit = fit_linear(x, y)
    residual = y - (fit.slope * x + fit.intercept)
    r_squared = float(1.0 - (residual ** 2).sum() / ((y - y.mean()) ** 2).sum())
    place_a, place_b = places(x), places(y)
    order = sorted(range(len(common)), key=lambda i: (-abs(place_a[i] - place_b[i]), common[i]))[:_MOVERS]
    movers = tuple(Mover(common[i], float(x[i]), float(y[i]), float(place_a[i]), float(place_b[i])) for i in order)
    return SweepComparison(
        release_a=release_a, release_b=release_b, dataset=dataset, models=tuple(common),
        top1_a=tuple(map(float, x)), top1_b=tuple(map(float, y)), fit=fit, r_squared=r_squared,
        spearman=bootstrap(x, y, spearman, resamples, seed), kendall=bootstrap(x, y, kendall_tau_b, resamples, seed),
        movers=movers, only_a=tuple(sorted(set(a) - set(b))), only_b=tuple(sorted(set(b) - set(a))),
    )



def _interval(value: Interval) -> str:
    if value.low is None:
        return f"{value.value:.3f}"
    return f"{value.value:.3f} [{value.low:.3f}, {value.high:.3f}]"


def _comparison_markdown(report: SweepComparison, png_name: str | None = None) -> str:
    """The comparison as markdown: the fit, the rank correlations with their intervals, the movers."""
    a, b, name = report.release_a, report.release_b, report.dataset
    fit = report.fit
    lines = [
        f"# {name}: release {b} against release {a}", "",
        f"{len(report.models)} models scored on both. Top-1 in percent; ranks: 1 is the most accurate.", "",
        f"- Linear fit: top-1 on {b} = {fit.slope:.3f} x top-1 on {a} {'-' if fit.intercept < 0 else '+'} "
        f"{abs(fit.intercept):.2f} (R² {report.r_squared:.3f})",
        f"- Spearman's rho: {_interval(report.spearman)}",
        f"- Kendall's tau-b: {_interval(report.kendall)}",
        f"- Intervals: {CONFIDENCE:g}% bootstrap over the models ({report.spearman.resamples} resamples kept)", "",
    ]
    if png_name:
        lines += [f"![{name} top-1 on {b} against {a}]({png_name})", ""]
    lines += ["## Largest rank changes", "", f"| Model | Top-1 {a} | Top-1 {b} | Rank {a} | Rank {b} | Change |",
              "|---|---:|---:|---:|---:|---:|"]
    for m in report.movers:
        lines.append(f"| {m.model.replace('|', chr(92) + '|')} | {m.top1_a:.2f} | {m.top1_b:.2f} | {m.rank_a:g} | "
                     f"{m.rank_b:g} | {m.change:+g} |")
    for side, names in ((a, report.only_a), (b, report.only_b)):
        if names:
            lines += ["", f"Scored on {side} only ({len(names)}): {', '.join(names)}"]
    return "\n".join([*lines, "", _MARKDOWN_MARK]) + "\n"


def _comparison_png(report: SweepComparison) -> bytes:
    """A scatter of B's top-1 against A's with the fitted line and y = x (matplotlib Agg, stable bytes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 4.6), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x, y = np.array(report.top1_a), np.array(report.top1_b)
    ax.scatter(x, y, s=14, color="#0072B2", label="models")
    span = np.linspace(float(x.min()), float(x.max()), 50)
    ax.plot(span, report.fit.slope * span + report.fit.intercept, color="#D55E00", linewidth=1.2,
            label=f"fit (R² {report.r_squared:.2f})")
    low, high = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
    ax.plot([low, high], [low, high], color="#999999", linewidth=0.8, linestyle="--", label="y = x")
    ax.set_xlabel(f"{report.dataset} top-1 on {report.release_a} (%)", fontsize=8)
    ax.set_ylabel(f"{report.dataset} top-1 on {report.release_b} (%)", fontsize=8)
    ax.set_title(f"Spearman {report.spearman.value:.3f}, Kendall {report.kendall.value:.3f}", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(color="#eef0f4", linewidth=0.6)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": _WRITER})
    return buffer.getvalue()


def _comparison_stem(report: SweepComparison) -> str:
    """The file stem of a comparison: compare-<A>-<dataset>."""
    return f"compare-{slug(report.release_a)}-{slug(report.dataset)}"


def _has_comparison_mark(path: Path, data: bytes) -> bool:
    """Whether ``data`` (of ``path``) is a comparison file this module wrote: its markdown or PNG mark."""
    if path.suffix == ".md":
        return data.rstrip().endswith(_MARKDOWN_MARK.encode())
    return path.suffix == ".png" and _PNG_MARK in data[:_PNG_HEAD]


def _comparison_problem(path: Path) -> str | None:
    """None for a comparison file this module wrote; else what the file is instead."""
    return written_by(path, _has_comparison_mark, _WRITER)


def _holds_ours(folder: Path) -> bool:
    """A sweep's folder, or one holding nothing but comparisons."""
    return (folder / MARKER_FILE).is_file() or all(
        _comparison_problem(folder / name) is None for name in visible_entries(folder))


def check_comparison_output(out_dir: Path, report: SweepComparison) -> tuple[Path, Path]:
    """The markdown and PNG paths of ``report`` in ``out_dir``, refused (``OutputError``) unless the folder is new,
    empty, a sweep's, or holds only comparisons, and each file is absent or a comparison (the output rule)."""
    out_dir = Path(out_dir)
    check_output_folder(out_dir, _holds_ours, "a sweep folder or a folder of comparisons", "out_dir")
    stem = _comparison_stem(report)
    md, png = out_dir / f"{stem}.md", out_dir / f"{stem}.png"
    for path in (md, png):
        check_output_file(path, _comparison_problem, "out_dir")
    return md, png


def write_comparison(report: SweepComparison, out_dir: Path) -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.png`` into ``out_dir`` (B's sweep folder by default), atomically, where
    ``check_comparison_output`` allows it."""
    md, png = check_comparison_output(out_dir, report)
    with atomic_path(png) as tmp:
        tmp.write_bytes(_comparison_png(report))
    atomic_write_text(md, _comparison_markdown(report, png.name))
    return md, png

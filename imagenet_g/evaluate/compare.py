"""Compare two evaluation runs image by image: per-dataset differences with an exact McNemar test, and for
ImageNet-G the accuracy per prompt template.

Pairs are the images both runs scored, joined on the predictions' ``key`` (a folder image's relative
path, a release row's index), so a run that skipped an unreadable file the other read still compares on
the common images. Reads results JSON and parquet only: no model, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imagenet_g.errors import ImagenetGError, one_line
from imagenet_g.evaluate.stats import mcnemar_exact
from imagenet_g.results import EvalResult, read_results

_TEMPLATE_DATASET = "imagenet-g"


@dataclass(frozen=True)
class DatasetComparison:
    """Top-1 of runs A and B on one dataset and the paired test over the images both scored."""

    name: str
    top1_a: float
    top1_b: float
    top1_diff: float  # B - A, percentage points, over each run's own images
    paired: int  # images both runs scored
    only_a: int  # paired images A gets right and B wrong
    only_b: int  # ... and the reverse
    p_value: float  # exact McNemar, two-sided


@dataclass(frozen=True)
class Comparison:
    """Everything `imagenet-g compare` reports."""

    a: str
    b: str
    datasets: dict[str, DatasetComparison]
    templates: list[dict[str, float]] = field(default_factory=list)  # ImageNet-G: per template_id, paired images
    only_in_a: tuple[str, ...] = ()
    only_in_b: tuple[str, ...] = ()


_PREDICTION_COLUMNS = ("key", "correct_top1")  # what the pairing reads of a predictions file


def _predictions(path: Path, result: EvalResult, name: str):
    import pandas as pd

    file = result.datasets[name].predictions_file
    if not file or not (path.parent / file).is_file():
        raise ImagenetGError(f"{path}: the predictions of {name} ({file}) are missing beside it")
    try:
        table = pd.read_parquet(path.parent / file)
    except (OSError, ValueError) as exc:  # truncated or foreign: pyarrow's ArrowInvalid is a ValueError
        raise ImagenetGError(f"{path.parent / file}, the predictions of {name}, cannot be read ({one_line(exc)})",
                             "evaluate again to rewrite it") from None
    missing = [c for c in _PREDICTION_COLUMNS if c not in table.columns]
    if missing:
        raise ImagenetGError(f"{path.parent / file}, the predictions of {name}, has no {', '.join(missing)} column",
                             "evaluate again to rewrite it")
    return table


def compare_results(a: Path, b: Path) -> Comparison:
    """Compare the results files ``a`` and ``b`` on every dataset both contain."""
    a, b = Path(a), Path(b)
    ra, rb = read_results(a), read_results(b)
    common = [n for n in ra.datasets if n in rb.datasets]
    rows: dict[str, DatasetComparison] = {}
    templates: list[dict[str, float]] = []
    for name in common:
        pa, pb = _predictions(a, ra, name), _predictions(b, rb, name)
        both = pa.merge(pb, on="key", how="inner", suffixes=("_a", "_b"))
        if both.empty:
            raise ImagenetGError(
                f"{a} and {b} share no image of {name} (A scored {len(pa)}, B {len(pb)}, none with the same key): "
                "they were run on different images, so there is nothing to pair",
                "compare runs on the same data")
        hit_a, hit_b = both["correct_top1_a"].to_numpy(bool), both["correct_top1_b"].to_numpy(bool)
        only_a, only_b = int((hit_a & ~hit_b).sum()), int((~hit_a & hit_b).sum())
        top1_a, top1_b = ra.datasets[name].top1, rb.datasets[name].top1
        rows[name] = DatasetComparison(name, top1_a, top1_b, top1_b - top1_a, len(both), only_a, only_b,
                                       mcnemar_exact(only_a, only_b))
        if name == _TEMPLATE_DATASET and "template_id_a" in both:
            grouped = both.groupby("template_id_a")[["correct_top1_a", "correct_top1_b"]]
            for template_id, group in grouped:
                templates.append({
                    "template_id": int(template_id), "images": len(group),
                    "top1_a": 100.0 * float(group["correct_top1_a"].mean()),
                    "top1_b": 100.0 * float(group["correct_top1_b"].mean()),
                    "top1_diff": 100.0 * float(group["correct_top1_b"].mean() - group["correct_top1_a"].mean()),
                })
    return Comparison(
        a=ra.model.id, b=rb.model.id, datasets=rows, templates=templates,
        only_in_a=tuple(n for n in ra.datasets if n not in rb.datasets),
        only_in_b=tuple(n for n in rb.datasets if n not in ra.datasets),
    )

"""Published accuracies as reference rows of the board: timm's results tables and the imagenet-testbed table.

Both ship in ``imagenet_g/data/baselines`` with their licenses. The numbers are the publishers', not
re-run by imagenet-g; the board computes their ER with the same code as for submissions. Every row
keeps its source, and each source its version (the sha256 of the shipped files).

x-axes (the control of each ER fit) are the same for both sources and for submissions:
ImageNet-V2 and -Sketch against full ImageNet val; ImageNet-R and -A against ImageNet val restricted
to the same 200 classes, which timm publishes as ``results-imagenet-{r,a}-clean.csv`` ("clean runs on
the ImageNet-1k validation set with the same 200 classes", timm's results/README.md) and the testbed
as ``val-on-imagenet-{r,a}-classes``; ObjectNet (testbed only) against ``val-on-objectnet-classes``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from imagenet_g.benchmarks import TESTBED_COLUMNS
from imagenet_g.robustness import TESTBED_TABLE, baseline_table, baseline_text
from imagenet_g.timm_tags import names_more_data


@dataclass(frozen=True)
class PublishedSource:
    """One published table: where it comes from, its license and the version shipped."""

    key: str
    title: str
    url: str
    license: str
    files: tuple[str, ...]  # under imagenet_g/data/baselines
    note: str

    @property
    def version(self) -> str:
        """sha256 (first 16 hex digits) over the shipped files, in order: changes whenever the data does."""
        digest = hashlib.sha256()
        for name in self.files:
            digest.update(name.encode() + b"\0" + baseline_text(name).encode("utf-8") + b"\0")
        return "sha256:" + digest.hexdigest()[:16]


@dataclass(frozen=True)
class PublishedRow:
    """One model as a published table reports it (accuracies in percent, keyed by our dataset names)."""

    source: str
    key: str  # unique within the source
    name: str
    model_id: str
    category: str
    model_type: str | None
    top1: dict[str, float]
    top5: dict[str, float] = field(default_factory=dict)
    preprocess: dict[str, object] = field(default_factory=dict)


# our dataset name -> timm results file (pytorch-image-models/results, Apache-2.0)
_TIMM_FILES: dict[str, str] = {
    "imagenet": "results-imagenet.csv",
    "imagenet-v2": "results-imagenetv2-matched-frequency.csv",
    "imagenet-sketch": "results-sketch.csv",
    "imagenet-r": "results-imagenet-r.csv",
    "val-on-imagenet-r-classes": "results-imagenet-r-clean.csv",
    "imagenet-a": "results-imagenet-a.csv",
    "val-on-imagenet-a-classes": "results-imagenet-a-clean.csv",
}
# imagenet-testbed model_type -> training-data category; every type but MORE_DATA trains on ImageNet-1k only
_TESTBED_MORE_DATA = "MORE_DATA"

SOURCES: dict[str, PublishedSource] = {
    "timm": PublishedSource(
        key="timm",
        title="timm results tables (pytorch-image-models/results)",
        url="https://github.com/huggingface/pytorch-image-models/tree/main/results",
        license="Apache-2.0",
        files=tuple(f"timm/{name}" for name in _TIMM_FILES.values()),
        note="ImageNet val, V2 matched-frequency, Sketch, R and A, each model at the test size and crop the table "
             "lists; R and A fitted against timm's 'clean' runs of ImageNet val on the same 200 classes. "
             "Precision not stated by the source. Category from the pretrained tag.",
    ),
    "imagenet-testbed": PublishedSource(
        key="imagenet-testbed",
        title="imagenet-testbed (Taori et al. 2020)",
        url="https://github.com/modestyachts/imagenet-testbed",
        license="MIT",
        files=(TESTBED_TABLE,),
        note="Adds ObjectNet. R, A and ObjectNet fitted against ImageNet val restricted to their classes. "
             "Preprocessing and precision per model are not in the shipped table. STANDARD rows are the "
             "baseline points of every natural-shift fit.",
    ),
}


def timm_category(model: str) -> str:
    """'more data' when the pretrained tag names data beyond ImageNet-1k, else 'real'."""
    return "more data" if names_more_data(model) else "real"


def _timm_rows() -> list[PublishedRow]:
    """One row per (model, test size) of timm's ImageNet table, with every other table's number for it."""
    tables = {dataset: {(r["model"], r["img_size"]): r for r in baseline_table(f"timm/{name}")}
              for dataset, name in _TIMM_FILES.items()}
    base = tables["imagenet"]
    sizes = Counter(model for model, _ in base)
    rows = []
    for (model, size), row in base.items():
        found = {dataset: table[(model, size)] for dataset, table in tables.items() if (model, size) in table}
        rows.append(PublishedRow(
            source="timm",
            key=f"{model}@{size}",
            name=model if sizes[model] == 1 else f"{model} @ {size} px",
            model_id=f"timm/{model}",
            category=timm_category(model),
            model_type=None,
            top1={d: float(r["top1"]) for d, r in found.items()},
            top5={d: float(r["top5"]) for d, r in found.items()},
            preprocess={"img_size": int(size), "crop_pct": float(row["crop_pct"]),
                        "interpolation": row["interpolation"]},
        ))
    return rows


def _testbed_rows() -> list[PublishedRow]:
    """Every row of the imagenet-testbed table, with the columns it reports."""
    rows = []
    for row in baseline_table(TESTBED_TABLE):
        top1 = {dataset: float(row[column]) for dataset, column in TESTBED_COLUMNS.items() if row.get(column)}
        model_type = row["model_type"] or None
        rows.append(PublishedRow(
            source="imagenet-testbed",
            key=row["model"],
            name=row["model"],
            model_id=row["model"],
            category="more data" if model_type == _TESTBED_MORE_DATA else "real",
            model_type=model_type or "unlabelled",
            top1=top1,
        ))
    return rows


@cache
def published_rows() -> tuple[PublishedRow, ...]:
    """All reference rows, timm's first, each source in its table's order."""
    return (*_timm_rows(), *_testbed_rows())

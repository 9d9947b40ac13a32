"""The one registry of evaluation sets. Every list and mapping about them is derived from it.

Each entry is one evaluation setting (cf. imagenet-testbed's ``src/eval_settings``): where its images live,
which class subset its logits are restricted to, the control set on the x-axis of its Effective Robustness
fit, the imagenet-testbed column holding the same setting, and its published image count. Derived here:
``SHIFT_CONTROLS`` (shift set -> control), ``NATURAL_SHIFTS`` (the five natural-shift sets), ``CONTROLS``,
``TESTBED_COLUMNS`` and the collections ``natural-shift``, ``controls`` and ``all``.

Counts are the published ones (ObjectNet: the images of its 113 ImageNet-overlapping classes).
"""

from __future__ import annotations

from dataclasses import dataclass

from imagenet_g.errors import unknown

# ImageNet-V2's variants; the first is the default and the one imagenet-testbed's baselines (and so every
# ER fit of V2) are measured on.
_V2_VARIANTS = ("matched-frequency", "threshold0.7", "top-images")
V2_DEFAULT = _V2_VARIANTS[0]


@dataclass(frozen=True)
class Benchmark:
    """One evaluation setting: where its images live, which classes its logits are restricted to, its ER control."""

    name: str
    description: str
    expected_images: int | None  # published count; None where it depends on the release
    classes: str  # labels.subset_indices name: logits are restricted to these before argmax
    control: str | None  # a shift set: the x-axis dataset of its ER fit; None for the control sets themselves
    natural_shift: bool = False  # one of the five natural distribution shifts of the literature
    testbed_column: str | None = None  # the imagenet-testbed column with the same setting (baselines)
    folders: tuple[str, ...] = ()  # candidate folders under the data root ('{variant}' filled for V2)
    layout: str = "wnid"  # how the publisher lays out its folder (imagenet_g.images.LAYOUTS)
    parent: str | None = None  # controls: a class subset of another dataset's images
    border: int = 0  # pixels trimmed off each edge before resizing
    objectnet_labels: bool = False  # correct when prediction and target map to the same ObjectNet class
    hub_split: str = "test"


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("imagenet-g", "ImageNet-G generated test set (a built release)", None, "imagenet-1k", "imagenet",
                  folders=("imagenet-g",), layout="release"),
        Benchmark("imagenet", "ImageNet-1k validation set", 50_000, "imagenet-1k", None, testbed_column="val",
                  folders=("imagenet/val", "imagenet-val", "val"), hub_split="validation"),
        Benchmark("imagenet-v2", "ImageNet-V2 (Recht et al. 2019)", 10_000, "imagenet-1k", "imagenet", True,
                  f"imagenetv2-{V2_DEFAULT}-format-val",
                  ("imagenetv2-{variant}-format-val", "imagenet-v2/imagenetv2-{variant}-format-val"), "index"),
        Benchmark("imagenet-sketch", "ImageNet-Sketch", 50_889, "imagenet-1k", "imagenet", True, "imagenet-sketch",
                  ("sketch", "imagenet-sketch/sketch", "imagenet-sketch")),
        Benchmark("imagenet-r", "ImageNet-R renditions, 200 classes", 30_000, "imagenet-r-200",
                  "val-on-imagenet-r-classes", True, "imagenet-r", ("imagenet-r",)),
        Benchmark("imagenet-a", "ImageNet-A natural adversarial examples, 200 classes", 7_500, "imagenet-a-200",
                  "val-on-imagenet-a-classes", True, "imagenet-a", ("imagenet-a",)),
        Benchmark("objectnet", "ObjectNet 1.0, 113 ImageNet-overlapping classes", 18_574, "objectnet-125",
                  "val-on-objectnet-classes", True, "objectnet-1.0-beta", ("objectnet-1.0/images", "objectnet/images"),
                  "objectnet", border=2, objectnet_labels=True),
        Benchmark("val-on-imagenet-r-classes", "ImageNet val on the 200 ImageNet-R classes", 10_000,
                  "imagenet-r-200", None, testbed_column="val-on-imagenet-r-classes", parent="imagenet"),
        Benchmark("val-on-imagenet-a-classes", "ImageNet val on the 200 ImageNet-A classes", 10_000,
                  "imagenet-a-200", None, testbed_column="val-on-imagenet-a-classes", parent="imagenet"),
        Benchmark("val-on-objectnet-classes", "ImageNet val on the 125 ObjectNet-mapped classes", 6_250,
                  "objectnet-125", None, testbed_column="val-on-objectnet-classes", parent="imagenet",
                  objectnet_labels=True),
    )
}

SHIFT_CONTROLS: dict[str, str] = {b.name: b.control for b in BENCHMARKS.values() if b.control}
NATURAL_SHIFTS: tuple[str, ...] = tuple(b.name for b in BENCHMARKS.values() if b.natural_shift)
CONTROLS: tuple[str, ...] = tuple(b.name for b in BENCHMARKS.values() if b.parent)
TESTBED_COLUMNS: dict[str, str] = {b.name: b.testbed_column for b in BENCHMARKS.values() if b.testbed_column}
_COLLECTIONS: dict[str, tuple[str, ...]] = {"natural-shift": NATURAL_SHIFTS, "controls": CONTROLS,
                                           "all": tuple(BENCHMARKS)}


def get_benchmark(name: str) -> Benchmark:
    """The evaluation set called ``name``; unknown names raise with close matches."""
    if name not in BENCHMARKS:
        raise unknown("dataset", name, [*BENCHMARKS, *_COLLECTIONS])
    return BENCHMARKS[name]


def expand_names(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Expand collection names, validate each dataset name, keep order, drop repeats."""
    out: list[str] = []
    for name in names:
        for item in _COLLECTIONS.get(name, (name,)):
            get_benchmark(item)
            if item not in out:
                out.append(item)
    return tuple(out)


def check_variant(variant: str) -> str:
    """Validate an ImageNet-V2 variant name."""
    if variant not in _V2_VARIANTS:
        raise unknown("ImageNet-V2 variant", variant, _V2_VARIANTS)
    return variant

"""The data mix: which rows of which source a model trains on, decided by an explicit policy, and its record.

Policies (``MixPolicy.policy``):

- ``concat`` (the paper): the real set and every generated split, each whole;
- ``fraction``: the real set whole plus, per class, ``_fraction_count(generated_fraction, n)`` of each generated
  split's ``n`` rows of that class (a seeded uniform sample without replacement): ``generated_fraction x n`` rounded
  half up, and at least one row of a class that has any (`FRACTION_RULE`);
- ``generated-only`` / ``real-only``: one side alone.

``real_per_class`` / ``generated_per_class`` cap the rows per class (a seeded sample) for data-size ablations.
The label space is an ascending tuple of ImageNet indices; a model's output ``k`` is ``label_space[k]``. Rows of
classes outside it are dropped and counted; a generated split that lacks a class of it is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from imagenet_g import labels
from imagenet_g.errors import TrainingError
from imagenet_g.strict import StrictModel

if TYPE_CHECKING:  # sources reads images through evaluation's image lists (torch); the mix needs only their types
    from imagenet_g.train.sources import Source

_Policy = Literal["concat", "fraction", "generated-only", "real-only"]
FRACTION_RULE = "fraction x rows of the class, rounded half up; at least 1 row of a class that has any"


class MixPolicy(StrictModel):
    """How real and generated data are combined."""

    policy: _Policy = "concat"
    generated_fraction: float | None = Field(default=None, gt=0, le=1, description="fraction policy only")
    real_per_class: int | None = Field(default=None, ge=1)
    generated_per_class: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _fraction_given(self) -> MixPolicy:
        if (self.policy == "fraction") != (self.generated_fraction is not None):
            raise ValueError("generated_fraction is needed by the fraction policy and by no other")
        return self

    @property
    def uses_real(self) -> bool:
        return self.policy != "generated-only"

    @property
    def uses_generated(self) -> bool:
        return self.policy != "real-only"


class SourceRecord(StrictModel):
    """One source of a mix: where it came from, how many rows it had and how many the mix uses, per class."""

    kind: Literal["real", "generated"]
    location: str
    version: str | None = None
    split: str | None = None
    spec_hash: str | None = None
    rows: int
    dropped_outside_label_space: int
    skipped: dict[str, int] = Field(default_factory=dict)
    used: int
    used_per_class: tuple[int, ...] = Field(description="rows used per class, in label-space order")


class MixRecord(StrictModel):
    """Exactly what a model was trained on (goes into the training record)."""

    policy: MixPolicy
    fraction_rule: str | None = Field(default=None, description="how the fraction policy counts rows per class")
    label_space: str = Field(description="a labels subset name, or 'custom'")
    classes: tuple[int, ...] = Field(description="ImageNet index of each model output")
    sources: tuple[SourceRecord, ...]
    total: int

    @property
    def category(self) -> Literal["real", "generated", "real+generated"]:
        """The leaderboard's training-data category of a model trained on this mix."""
        kinds = {s.kind for s in self.sources if s.used}
        return "real+generated" if kinds == {"real", "generated"} else "real" if kinds == {"real"} else "generated"


@dataclass(frozen=True)
class Mix:
    """Row ``i`` of the training set is row ``row[i]`` of ``sources[source[i]]`` with model target ``target[i]``."""

    sources: tuple[Source, ...]
    source: np.ndarray
    row: np.ndarray
    target: np.ndarray
    record: MixRecord

    def __len__(self) -> int:
        return len(self.target)


def _label_space_name(classes: tuple[int, ...]) -> str:
    """The labels subset name of these classes, or 'custom'."""
    for name in ("imagenet-1k", "imagenet-100"):
        if tuple(labels.subset_indices(name)) == tuple(classes):
            return name
    return "custom"


def _fraction_count(fraction: float, rows: int) -> int:
    """Rows of a class of ``rows`` that the fraction policy keeps (`FRACTION_RULE`): ``fraction x rows`` rounded half
    up, computed on the decimal the fraction is written as (0.5 x 5 = 2.5 -> 3, not float or banker's rounding),
    and at least one when the class has any, so that no class silently gets no generated data."""
    if rows == 0:
        return 0
    kept = (Decimal(repr(fraction)) * rows).to_integral_value(rounding=ROUND_HALF_UP)
    return max(1, int(kept))


def _sample(rows_of_class: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    if count >= len(rows_of_class):
        return rows_of_class
    return np.sort(rng.choice(rows_of_class, size=count, replace=False))


def _select(
    source: Source, position: np.ndarray, policy: MixPolicy, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``source`` the mix uses (ascending) and the count per label-space class (other rows: dropped)."""
    pos = position[source.table.targets]
    cap = policy.real_per_class if source.kind == "real" else policy.generated_per_class
    keep: list[np.ndarray] = []
    counts = np.zeros(int(position.max()) + 1, dtype=np.int64)
    order = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[order], np.arange(len(counts) + 1))
    for k in range(len(counts)):
        rows = order[bounds[k]:bounds[k + 1]]
        count = len(rows)
        if source.kind == "generated" and policy.policy == "fraction":
            count = _fraction_count(policy.generated_fraction, count)
        if cap is not None:
            count = min(count, cap)
        chosen = _sample(rows, count, rng)
        keep.append(chosen)
        counts[k] = len(chosen)
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, np.int64), counts


def _check_generated(source: Source, classes: tuple[int, ...]) -> None:
    missing = sorted(set(classes) - set(source.classes))
    if missing:
        example = ", ".join(labels.wnids()[c] for c in missing[:3])
        raise TrainingError(
            f"label spaces do not match: release {source.name} has no images of {len(missing)} of the "
            f"{len(classes)} training classes (e.g. {example})",
            fix="build a release of those classes, or train on a label space the release covers (the recipe's "
            "classes, or a real set of fewer classes)",
        )


def _check_needed(policy: MixPolicy, real: object | None, generated: Sequence[object]) -> None:
    """The sources ``policy`` uses are given (a real set, a generated split)."""
    if policy.uses_real and not real:
        raise TrainingError(f"the {policy.policy} policy needs a real set",
                            fix="set {real}, or set {policy} to generated-only")
    if policy.uses_generated and not generated:
        raise TrainingError(f"the {policy.policy} policy needs a generated release split",
                            fix="set {generated} to VERSION:SPLIT, or set {policy} to real-only")


def check_mix_sources(policy: MixPolicy, real: str | None, generated: Sequence[str]) -> None:
    """Before anything is read: the sources ``policy`` uses are given, and no generated split it would not use."""
    if generated and not policy.uses_generated:
        raise TrainingError("the real-only policy uses no generated split",
                            fix="leave {generated} out, or choose another {policy}")
    _check_needed(policy, real, generated)


def plan_mix(real: Source | None, generated: tuple[Source, ...], classes: tuple[int, ...], policy: MixPolicy) -> Mix:
    """Combine the sources by ``policy`` over the label space ``classes`` (ascending ImageNet indices)."""
    _check_needed(policy, real, generated)
    if not classes or list(classes) != sorted(set(classes)):
        raise TrainingError("the label space is not ascending, distinct ImageNet indices",
                            fix="list each class once, in index order")
    position = np.full(labels.NUM_CLASSES, -1, dtype=np.int64)
    position[list(classes)] = np.arange(len(classes))
    used_sources = ([real] if policy.uses_real else []) + (list(generated) if policy.uses_generated else [])
    parts, records = [], []
    for i, source in enumerate(used_sources):
        if source.kind == "generated":
            _check_generated(source, classes)
        inside = position[source.table.targets] >= 0
        rows, counts = _select(source, position, policy, np.random.default_rng([policy.seed, i]))
        parts.append((i, rows))
        records.append(SourceRecord(
            kind=source.kind, location=source.location, version=source.version, split=source.split,
            spec_hash=source.spec_hash, rows=len(source.table.targets),
            dropped_outside_label_space=int((~inside).sum()), skipped=dict(source.skipped),
            used=len(rows), used_per_class=tuple(int(c) for c in counts),
        ))
    source_ids = np.concatenate([np.full(len(r), i, dtype=np.int64) for i, r in parts])
    row_ids = np.concatenate([r for _, r in parts]).astype(np.int64)
    targets = np.concatenate([position[used_sources[i].table.targets[r]] for i, r in parts])
    record = MixRecord(
        policy=policy, fraction_rule=FRACTION_RULE if policy.policy == "fraction" else None,
        label_space=_label_space_name(classes), classes=tuple(classes), sources=tuple(records),
        total=len(targets),
    )
    return Mix(tuple(used_sources), source_ids, row_ids, targets, record)


def parse_split(text: str) -> tuple[str, str]:
    """'v1:train' -> ('v1', 'train'); a bare version means its train split."""
    version, _, split = text.partition(":")
    if not version:
        raise TrainingError(f"generated split {text!r} names no release", fix="write {generated} as VERSION:SPLIT, "
                            "e.g. v1:train")
    return version, split or "train"


def load_mix(
    real: str | None,
    generated: tuple[str, ...],
    dataset_dir: str | Path,
    policy: MixPolicy,
    classes: str | None = None,
) -> Mix:
    """Find the sources and plan the mix. The label space is ``classes`` (a labels subset name), else the real set's
    classes (also under generated-only, where the real set's images are not used), else the releases' classes."""
    from imagenet_g.train.sources import real_source, release_split

    check_mix_sources(policy, real, generated)
    named = labels.subset_indices(classes) if classes else None
    real_set = real_source(real, named) if real else None
    splits = tuple(release_split(Path(dataset_dir), *parse_split(g)) for g in generated)
    if named is not None:
        space = tuple(named)
    elif real_set is not None:
        space = real_set.classes
    else:
        space = tuple(sorted({c for s in splits for c in s.classes}))
    return plan_mix(real_set, splits, space, policy)

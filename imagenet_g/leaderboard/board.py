"""The built board as data: what leaderboard.json holds and the markdown and HTML views render.

The output is stable: no timestamps, floats rounded, entries sorted, keys in a fixed order, so building
twice gives the same bytes and a new submission shows as a small diff.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from imagenet_g.results import BaselineFit

LEADERBOARD_SCHEMA_VERSION = 3
_DIGITS = 3  # rounding of every float written: below the 0.01 pp anyone reads, stable across platforms


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErValue(_Out):
    """ER in percentage points with its bootstrap 95% interval (None without resamples)."""

    er: float
    ci_low: float | None
    ci_high: float | None


class ShiftEr(_Out):
    """ER of one entry on one shift set, per axis. ``outside``: how far (pp) the entry's control accuracy
    lies outside the range of the baseline points; above 0 the ER is extrapolated beyond the fit's data."""

    linear: ErValue
    logit: ErValue
    outside: float


class Entry(_Out):
    """One row of the board: a submission re-run by its submitter with imagenet-g, or a published row."""

    slug: str
    origin: Literal["submission", "published"]
    source: str  # 'submission', or the key of a published source in `Leaderboard.sources`
    file: str | None  # the submission file, relative to the board root
    name: str
    model_id: str
    model_source: str
    category: str
    model_type: str | None  # the published table's own type label (imagenet-testbed)
    is_standard: bool
    paper: str | None
    code: str | None
    submitted_by: str | None
    precision: str | None
    tta: str | None  # test-time augmentation of a submission ('none', 'flip'); None: not stated (published rows)
    preprocess: dict[str, object]
    top1: dict[str, float]
    top5: dict[str, float]
    er: dict[str, ShiftEr]
    scores: dict[str, ErValue]  # mean linear ER of each multi-shift rank the entry has every shift of


class Rank(_Out):
    """A declared ranking: the mean linear-axis ER over ``shifts``. Entries without ER on one of them, or
    whose control accuracy lies more than ``max_outside`` pp outside a fit's baseline range, are unranked."""

    key: str
    title: str
    shifts: list[str]
    max_outside: float


class ReleaseBoard(_Out):
    """One release's part of the board: its submissions and the baseline fit of each shift set."""

    version: str
    spec_hash: str | None
    plot: str | None  # the PNG beside README.md, relative to the board root
    entries: list[Entry]  # the release's submissions, in default-rank order
    fits: dict[str, BaselineFit]  # shift set -> its baseline fit (slope, intercept and range rounded)


class ReferencePoint(_Out):
    name: str
    x: float
    y: float


class Reference(_Out):
    """The baseline points of one natural shift set's fit."""

    shift: str
    control: str
    source: str
    points: list[ReferencePoint]


class Source(_Out):
    """A published table the reference rows come from."""

    key: str
    title: str
    url: str
    license: str
    version: str
    note: str
    rows: int


class Leaderboard(_Out):
    schema_version: int
    labels: dict[str, str]
    shifts: list[str]
    ranks: list[Rank]
    default_rank: str
    rank_note: str
    sources: dict[str, Source]
    reference: dict[str, Reference]
    published: list[Entry]  # the same in every release, in default-rank order
    releases: dict[str, ReleaseBoard]

    @property
    def ranked_by(self) -> Rank:
        """The rank ``default_rank`` names: the order of the README, `show` and the page's first view."""
        return next(r for r in self.ranks if r.key == self.default_rank)


def rounded(value: float) -> float:
    """A float as written to the board."""
    return round(float(value), _DIGITS) + 0.0  # + 0.0 turns -0.0 into 0.0


def leaderboard_json(board: Leaderboard) -> str:
    """The stable JSON text of the board."""
    return board.model_dump_json(indent=1) + "\n"

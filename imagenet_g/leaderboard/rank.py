"""The board's declared rankings: the mean linear-axis ER over a fixed list of shift sets.

The default ranks by the natural shift sets that every published table reports (ImageNet-V2, -Sketch,
-R and -A: timm has no ObjectNet), so every ranked row is scored on the same sets; a row missing one is
listed unranked, with the sets it lacks. The page offers the others: all five natural shifts, and the
ER on each single set (ImageNet-G included).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from imagenet_g.leaderboard.board import Entry, ErValue, Leaderboard, Rank

# A linear fit extended far beyond its data says little (a 0-epoch network sits 56 pp left of the
# ImageNet baselines and would top the board with ER +72); within this many pp ER is ranked and flagged.
_MAX_OUTSIDE = 10.0


def declare_ranks(common: Sequence[str], natural: Sequence[str], shifts: Sequence[str],
                  labels: Mapping[str, str]) -> list[Rank]:
    """The default rank (mean ER over ``common``) first, then all ``natural`` sets, then each single set."""
    def names(keys: Sequence[str]) -> str:
        return ", ".join(labels[k] for k in keys)

    def make(key: str, title: str, keys: Sequence[str]) -> Rank:
        return Rank(key=key, title=title, shifts=list(keys), max_outside=_MAX_OUTSIDE)

    ranks = [make("natural-common", f"Mean ER over {names(common)}", common)]
    if list(natural) != list(common):
        ranks.append(make("natural-all", f"Mean ER over {names(natural)}", natural))
    ranks += [make(f"er-{s}", f"ER on {labels[s]}", [s]) for s in shifts]
    return ranks


def rank_note(rank: Rank) -> str:
    """What the rank is, in one sentence for the README and the page."""
    return (f"Ranked by {rank.title[0].lower()}{rank.title[1:]} (linear fit, percentage points; 95% bootstrap "
            f"interval over the baseline models). Rows without ER on one of these sets, or whose control accuracy "
            f"lies more than {rank.max_outside:g} pp outside a fit's baseline range, are listed unranked; ER "
            f"extrapolated beyond the baseline range is marked †.")


def rank_value(entry: Entry, rank: Rank) -> ErValue | None:
    """The entry's score under ``rank``, or None when it is unranked (see `unranked_reason`)."""
    if unranked_reason(entry, rank):
        return None
    if len(rank.shifts) == 1:
        shift = entry.er.get(rank.shifts[0])
        return shift.linear if shift else None
    return entry.scores.get(rank.key)


def unranked_reason(entry: Entry, rank: Rank, labels: Mapping[str, str] | None = None) -> str | None:
    """Why the entry has no place under ``rank`` (no ER on some of its sets, or too far outside a fit's
    baseline range), or None when it is ranked."""
    labels = labels or {}
    missing = [labels.get(s, s) for s in rank.shifts if s not in entry.er]
    if missing:
        return "no ER on " + ", ".join(missing)
    far = [labels.get(s, s) for s in rank.shifts if entry.er[s].outside > rank.max_outside]
    if far:
        return f"control accuracy more than {rank.max_outside:g} pp outside the baseline range on " + ", ".join(far)
    return None


def order(entries: Iterable[Entry], rank: Rank) -> tuple[list[Entry], list[Entry]]:
    """Ranked entries (highest score first; ties by name) and the unranked rest (by name)."""
    ranked, unranked = [], []
    for entry in entries:
        (ranked if rank_value(entry, rank) is not None else unranked).append(entry)
    ranked.sort(key=lambda e: (-rank_value(e, rank).er, e.name.casefold(), e.slug))
    unranked.sort(key=lambda e: (e.name.casefold(), e.slug))
    return ranked, unranked


@dataclass(frozen=True)
class RankedRow:
    """One row of a release's ranking as ``leaderboard show`` lists it."""

    place: int | None  # None: unranked
    entry: Entry
    score: ErValue | None  # the default ranking's value
    unranked: str | None  # why the row has no place


@dataclass(frozen=True)
class ReleaseRanking:
    """A release's rows under the board's default rank, as ``leaderboard show`` and the README list them."""

    rank: Rank  # the ranking used
    rows: list[RankedRow]  # ranked rows first, then unranked ones
    ranked: int  # rows with a place, shown or not
    hidden: int  # rows left out by the limit


def release_ranking(board: Leaderboard, version: str, limit: int = 0) -> ReleaseRanking:
    """A release's rows under the board's default rank: the top ``limit`` ranked rows (0: all) and every
    submission, ranked first."""
    default = board.ranked_by
    ranked, unranked = order([*board.releases[version].entries, *board.published], default)
    places = [(i, e) for i, e in enumerate(ranked, 1) if e.origin == "submission" or not limit or i <= limit]
    places += [(None, e) for e in unranked if e.origin == "submission" or not limit]
    rows = [RankedRow(place, e, rank_value(e, default), unranked_reason(e, default, board.labels))
            for place, e in places]
    return ReleaseRanking(default, rows, len(ranked), len(ranked) + len(unranked) - len(rows))

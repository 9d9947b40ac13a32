"""A sweep's scored models -> leaderboard submissions, in one validation pass (all are written, or none).

The models the sweep marked standard (those of the baseline set, or ``--standard`` in a model file) enter as
standard entries trained on real data: the points of the release's ImageNet-G baseline fit. The others enter
under the category given (``other`` unless told). Models that failed or are not scored yet are left out, and said.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.errors import SubmissionError, unknown
from imagenet_g.leaderboard import CATEGORIES, ReleaseCatalog, SubmissionInfo, add_submissions
from imagenet_g.sweep.folder import all_records, read_marker, results_path

_STANDARD_CATEGORY = "real"  # a standard model is trained on ImageNet's real images with a standard recipe


@dataclass(frozen=True)
class SweepSubmission:
    """What submitting a sweep wrote and left out."""

    release: str
    written: tuple[Path, ...]
    standard: int
    left_out: dict[str, str]  # model -> why (failed, not scored yet)


def submit_sweep(out_dir: Path, root: Path = Path("leaderboard"), catalog: ReleaseCatalog | None = None,
                 category: str = "other", force: bool = False) -> SweepSubmission:
    """Enter every scored model of the sweep in ``out_dir`` on the board at ``root``."""
    if category not in CATEGORIES:
        raise unknown("category", category, CATEGORIES, param="category")
    marker = read_marker(out_dir)
    records = all_records(out_dir)
    scored = [r for r in records if r.status == "scored"]
    if not scored:
        raise SubmissionError(f"the sweep in {out_dir} has no scored model", "run the sweep first")
    items = [(results_path(out_dir, r.id),
              SubmissionInfo(name=r.id, category=_STANDARD_CATEGORY if r.standard else category,
                             is_standard=r.standard, release=marker.release))
             for r in scored]
    written = add_submissions(items, root, catalog, force)
    left_out = {r.id: f"failed: {r.reason}" for r in records if r.status == "failed"}
    return SweepSubmission(marker.release, tuple(written), sum(r.standard for r in scored), left_out)

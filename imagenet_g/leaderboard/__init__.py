"""The leaderboard: submission files -> validated entries with recomputed ER -> JSON, markdown and HTML.

The public names below are loaded on first use, so that the command line's help and its checks do not import the
aggregation (numpy) to read a constant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.leaderboard.aggregate import load_leaderboard
    from imagenet_g.leaderboard.board import Leaderboard
    from imagenet_g.leaderboard.constants import CATEGORIES, DEFAULT_TOLERANCE
    from imagenet_g.leaderboard.publish import BuildOutput, build_leaderboard
    from imagenet_g.leaderboard.rank import RankedRow, ReleaseRanking, release_ranking
    from imagenet_g.leaderboard.schema import Submission
    from imagenet_g.leaderboard.submit import SubmissionInfo, add_submission, add_submissions, make_submission
    from imagenet_g.leaderboard.validate import ReleaseCatalog, SubmissionProblems, submission_files, validate_files
    from imagenet_g.leaderboard.verify import show_value, verify_submission

_HOMES = {
    "load_leaderboard": "aggregate",
    "Leaderboard": "board",
    "BuildOutput": "publish",
    "build_leaderboard": "publish",
    "RankedRow": "rank",
    "ReleaseRanking": "rank",
    "release_ranking": "rank",
    "CATEGORIES": "constants",
    "Submission": "schema",
    "SubmissionInfo": "submit",
    "add_submission": "submit",
    "add_submissions": "submit",
    "make_submission": "submit",
    "ReleaseCatalog": "validate",
    "SubmissionProblems": "validate",
    "submission_files": "validate",
    "validate_files": "validate",
    "DEFAULT_TOLERANCE": "constants",
    "show_value": "verify",
    "verify_submission": "verify",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

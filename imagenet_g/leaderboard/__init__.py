"""The leaderboard: submission files -> validated entries with recomputed ER -> JSON, markdown and HTML."""

from imagenet_g.leaderboard.aggregate import load_leaderboard
from imagenet_g.leaderboard.board import Leaderboard
from imagenet_g.leaderboard.publish import BuildOutput, build_leaderboard
from imagenet_g.leaderboard.schema import CATEGORIES, Submission
from imagenet_g.leaderboard.submit import SubmissionInfo, add_submission, make_submission
from imagenet_g.leaderboard.validate import ReleaseCatalog, SubmissionProblems, validate_files

__all__ = [
    "CATEGORIES",
    "BuildOutput",
    "Leaderboard",
    "ReleaseCatalog",
    "Submission",
    "SubmissionInfo",
    "SubmissionProblems",
    "add_submission",
    "build_leaderboard",
    "load_leaderboard",
    "make_submission",
    "validate_files",
]

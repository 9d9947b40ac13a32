"""The errors a user can cause. The CLI prints their message on one line and exits 2.

Every message says what was wrong and how to fix it. Classes also subclass the matching
built-in so that callers using plain Python can catch them as usual.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ImagenetGError(Exception):
    """Base class of every error a user can cause (bad input, missing data, failed check)."""


class SpecError(ImagenetGError, ValueError):
    """A release spec or lock is malformed, inconsistent, or does not match what would be loaded."""


class UnknownNameError(ImagenetGError, KeyError):
    """A name (version, model, dataset, class, template set) that we do not know."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class DatasetNotFoundError(ImagenetGError, FileNotFoundError):
    """A dataset folder is missing, empty, or not in the layout its publisher ships."""


class ReleaseIntegrityError(ImagenetGError):
    """A built release does not match its manifest (missing, truncated or altered shard)."""


class OutputError(ImagenetGError, OSError):
    """An output location cannot be written, or holds something we must not overwrite."""


class SubmissionError(ImagenetGError, ValueError):
    """A leaderboard submission failed validation."""


class ModelError(ImagenetGError, ValueError):
    """A model cannot be built, or its weights (checkpoint, pretrained tag) cannot be loaded into it."""


class DependencyError(ImagenetGError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class ClusterError(ImagenetGError, ConnectionError):
    """A compute cluster (Ray) cannot be reached, lacks the resources asked for, or lost its workers."""


def close_matches(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return a ' (did you mean: a, b?)' suffix for an unknown name, or '' when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)
    return f" (did you mean: {', '.join(matches)}?)" if matches else ""

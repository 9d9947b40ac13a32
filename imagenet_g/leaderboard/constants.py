"""The leaderboard's constants that the command line needs for its help and checks, in a module that imports nothing
(the schema and verify modules bring pydantic, ~0.1 s of every command's start)."""

from __future__ import annotations

from typing import Literal

Category = Literal["real", "generated", "real+generated", "more data", "other"]
CATEGORIES: tuple[str, ...] = Category.__args__

DEFAULT_TOLERANCE = 0.1  # percentage points: decode and kernel differences across machines stay well below this

"""The `imagenet-g` command line: a thin layer over the library (see ``imagenet_g.cli.app``).

Each module below registers its commands on the root app; heavy libraries (torch, diffusers)
are imported inside the commands so that ``--help`` stays fast.
"""

from imagenet_g.cli import audit, build, evaluate, leaderboard, models, sweep, train  # noqa: F401  (registers commands)
from imagenet_g.cli.app import app, main

__all__ = ["app", "main"]

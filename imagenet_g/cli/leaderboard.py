"""CLI commands of the leaderboard job: `imagenet-g leaderboard ...`."""

from __future__ import annotations

import typer

from imagenet_g.cli.app import app

leaderboard_app = typer.Typer(help="Validate submissions and build the leaderboard.", no_args_is_help=True)
app.add_typer(leaderboard_app, name="leaderboard")

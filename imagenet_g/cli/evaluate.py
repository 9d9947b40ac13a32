"""CLI commands of the evaluation job: eval, data."""

from __future__ import annotations

from imagenet_g.cli.app import app  # noqa: F401

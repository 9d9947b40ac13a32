"""CLI commands of the build job: releases, prompts, build, verify, push."""

from __future__ import annotations

from imagenet_g.cli.app import app  # noqa: F401

"""Options shared by several commands: one flag name per thing, defined once."""

from __future__ import annotations

import typer

from imagenet_g.layout import DEFAULT_DATASET_DIR

SPECS_DIR = typer.Option(
    None, "--specs-dir", help="folder of release specs, <release>/spec.yaml (default: $IMAGENET_G_SPECS, else the "
    "specs shipped with the package)"
)
DATASET_DIR = typer.Option(
    DEFAULT_DATASET_DIR, "--dataset-dir", help="dataset folder holding every built release (<release>/manifest.json)"
)
RELEASE = typer.Option(..., "--release", "-r", help="release version, e.g. v1 or smoke")
JSON = typer.Option(False, "--json", help="print JSON instead of a table")

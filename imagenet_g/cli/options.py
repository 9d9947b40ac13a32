"""Options shared by several commands: one flag name per thing, defined once."""

from __future__ import annotations

import typer

from imagenet_g.errors import UnknownNameError
from imagenet_g.layout import DEFAULT_DATASET_DIR

DATA_ROOT_HELP = "folder holding the datasets in their publishers' layouts (see `imagenet-g data`)"
PATH_HELP = "NAME=PATH: a dataset's folder or Hub id (ORG/NAME[:split]), e.g. imagenet-r=/data/imagenet-r; repeatable"

SPECS_DIR = typer.Option(
    None, "--specs-dir", help="folder of release specs, <release>/spec.yaml (default: $IMAGENET_G_SPECS, else the "
    "specs shipped with the package)"
)
DATASET_DIR = typer.Option(
    DEFAULT_DATASET_DIR, "--dataset-dir", help="dataset folder holding every built release (<release>/manifest.json)"
)
RELEASE = typer.Option(..., "--release", "-r", help="release version, e.g. v1 or smoke")
JSON = typer.Option(False, "--json", help="print JSON instead of a table")


def parse_names(text: str) -> tuple[str, ...]:
    """A comma-separated list of names (``--datasets a,b``), blanks and surrounding spaces dropped."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def parse_paths(items: list[str] | None) -> dict[str, str]:
    """The repeatable ``--path NAME=PATH`` option as {dataset name: folder or Hub id}."""
    paths: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UnknownNameError(
                f"--path {item!r}: expected NAME=DIR or NAME=ORG/NAME[:split] (NAME=PATH), e.g. imagenet-r=/data/imagenet-r"
            )
        paths[name.strip()] = value.strip()
    return paths

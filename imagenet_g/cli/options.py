"""Options shared by several commands, each defined once here in typer's ``Annotated`` style; a command gives the
default in its signature, from the library's constant (``release: Release = DEFAULT_RELEASE``). Path options never
take an empty string: ``--out ''`` would otherwise be read as the current folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from imagenet_g.errors import ArgumentError


def as_path(text: str | Path) -> Path:
    """A path option's value: any text but an empty one (``Path('')`` is ``.``, the current folder); defaults come
    as paths already."""
    if isinstance(text, Path):
        return text
    if not text.strip():
        raise typer.BadParameter("an empty string is not a path (write . for the current folder)")
    return Path(text)


Release = Annotated[str, typer.Option("--release", "-r", help="ImageNet-G release (version), e.g. v1 or smoke")]
SpecsDir = Annotated[Optional[Path], typer.Option(
    "--specs-dir", parser=as_path,
    help="folder of release specs, <release>/spec.yaml (default: $IMAGENET_G_SPECS, else the specs shipped with the "
    "package)")]
DatasetDir = Annotated[Path, typer.Option(
    "--dataset-dir", parser=as_path, help="folder holding the built releases (<release>/manifest.json)")]
DataRoot = Annotated[Path, typer.Option(
    "--data-root", parser=as_path,
    help="folder holding the datasets in their publishers' layouts (see `imagenet-g data`)")]
DatasetPaths = Annotated[Optional[list[str]], typer.Option(
    "--path", help="NAME=PATH: a dataset's folder or Hub id (ORG/NAME[:split]), e.g. imagenet-r=/data/imagenet-r; "
    "repeatable")]
V2Variant = Annotated[str, typer.Option("--v2-variant", help="ImageNet-V2 variant: matched-frequency, threshold0.7, "
                                        "top-images")]
Splits = Annotated[Optional[list[str]], typer.Option("--split", help="only these splits (repeatable)")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu, cuda, cuda:N or mps")]
Workers = Annotated[Optional[int], typer.Option(
    "--workers", min=0, help="worker processes that decode (on CPU they also run the model); default one per core, "
    "0: none")]
Checkpoint = Annotated[Optional[Path], typer.Option(
    "--checkpoint", parser=as_path, help="the model's weights file (a state dict; beats pretrained weights)")]
Bootstrap = Annotated[int, typer.Option("--bootstrap", min=0, help="bootstrap resamples for the ER 95% intervals "
                                        "(0: none)")]
Json = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, help="images per forward pass")]
# the models of a sweep and of `imagenet-g models`, selected as timm's bulk runner selects them
MODELS_HELP = "a model set's name (see `imagenet-g models`) or a model file: one model id a line, optional overrides"
ModelFilters = Annotated[Optional[list[str]], typer.Option(
    "--filter", help="keep only model ids matching this fnmatch pattern, e.g. 'convnext*'; repeatable (any matches)")]
ModelExcludes = Annotated[Optional[list[str]], typer.Option(
    "--exclude", help="leave out model ids matching this fnmatch pattern; repeatable")]
MaxParams = Annotated[Optional[float], typer.Option(
    "--max-params", help="keep only models of at most this many million parameters (counted without weights; a "
    "model whose count is unknown is left out)")]


def parse_names(text: str, param: str) -> tuple[str, ...]:
    """A comma-separated list of names given as parameter ``param`` (``--datasets a,b``), blanks and surrounding
    spaces dropped; a list that names nothing (``''``) is an error, never "all"."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise ArgumentError(f"{text!r} names nothing", f"set {{{param}}} to comma-separated names, e.g. imagenet,imagenet-r")
    return names


def parse_paths(items: list[str] | None) -> dict[str, str]:
    """The repeatable ``--path NAME=PATH`` option as {dataset name: folder or Hub id}; a name given twice is an
    error (which one was meant?)."""
    paths: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise ArgumentError(f"{item!r} is not NAME=PATH",
                                "write {paths} as NAME=DIR or NAME=ORG/NAME[:split], e.g. imagenet-r=/data/imagenet-r")
        if name in paths:
            raise ArgumentError(f"{name} is given twice ({paths[name]!r} and {value!r})", f"give {{paths}} {name}= once")
        paths[name] = value
    return paths

"""CLI command of the sweep job's model sets: models."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Column, Table

from imagenet_g.cli.app import app, console
from imagenet_g.cli.options import MODELS_HELP, Json, MaxParams, ModelExcludes, ModelFilters


@app.command("models")
def models_command(
    models: Annotated[Optional[str], typer.Option("--set", "--models", help=MODELS_HELP)] = None,
    include: ModelFilters = None,
    exclude: ModelExcludes = None,
    max_params: MaxParams = None,
    as_json: Json = False,
) -> None:
    """List the named model sets, or the models of one set or file: id, availability (or why not), parameters.

    testbed-standard (the default baseline set of ImageNet-G ER) maps imagenet-testbed's standard models to the
    timm ids of the same weights; timm-in1k, timm and open_clip list what the installed libraries offer.
    """
    from imagenet_g.sweep import list_models, model_set_summaries

    if models is None:
        if include or exclude or max_params is not None:
            raise typer.BadParameter("--filter, --exclude and --max-params select models of a set: give --set")
        sets = model_set_summaries()
        if as_json:
            console.print_json(json.dumps(sets))
            return
        table = Table(Column("set", no_wrap=True), "models")
        for name, about in sets.items():
            table.add_row(name, about)
        console.print(table)
        return
    listing = list_models(models, include or (), exclude or (), max_params)
    if as_json:
        console.print_json(json.dumps({"models": listing.models, "rows": [r.as_dict() for r in listing.rows],
                                       "uncounted": list(listing.uncounted)}))
        return
    available = sum(r.entry.available for r in listing.rows)
    table = Table(Column("model", no_wrap=True), Column("from", overflow="fold"), Column("params (M)", justify="right"),
                  "available", caption=f"{listing.models}: {available} of {len(listing.rows)} models available")
    for r in listing.rows:
        params = f"{r.params.millions:,.2f}" if r.params else "-"
        table.add_row(r.entry.id, r.entry.source, params, "yes" if r.entry.available else f"no: {r.entry.reason}")
    console.print(table)
    if listing.uncounted:
        console.print(f"left out, parameter count unknown: {', '.join(listing.uncounted)}")

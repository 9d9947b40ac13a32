"""CLI commands of the training job: `imagenet-g train`, `imagenet-g recipes`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
import yaml
from rich.table import Table

from imagenet_g.cli.app import app, console, notes_to_stderr
from imagenet_g.cli.options import (
    DataRoot,
    DatasetDir,
    DatasetPaths,
    Device,
    Json,
    Release,
    as_path,
    parse_names,
    parse_paths,
)
from imagenet_g.errors import ArgumentError, RecipeError
from imagenet_g.layout import DEFAULT_DATASET_DIR, DEFAULT_RELEASE

_RECIPE_HELP = ("a shipped recipe (paper = ResNet-18, paper-resnet50, paper-resnext50, paper-resnext101, paper-imagenet100, "
               "smoke; see `imagenet-g recipes`) or a recipe .yaml file")
_REAL_HELP = "real training set: ImageNet's train folder (<wnid>/ images), a dataset folder of parquet, or ORG/NAME[:split]"
_GENERATED_HELP = "a built ImageNet-G release split, VERSION:SPLIT (e.g. v1:train); repeatable"
_POLICY_HELP = "concat (both whole, the paper), fraction, generated-only, real-only"
_SET_HELP = "KEY=VALUE: override a recipe key (YAML value), e.g. schedule.epochs=16 or data.batch_size=256; repeatable"
_EVAL_HELP = "after training, evaluate on these datasets/collections (e.g. imagenet,natural-shift,imagenet-g)"
_EVAL_OPTIONS = {"release": "--release", "path": "--path", "data_root": "--data-root"}  # where --eval-datasets are
_TRAINED = "trained"  # the eval request's model until the run exists: evaluate_run scores the run itself


def _overrides(items: list[str] | None) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RecipeError(f"--set {item!r} is not KEY=VALUE", fix="write it like schedule.epochs=16")
        out[key.strip()] = yaml.safe_load(value)
    return out


@app.command("recipes")
def recipes_command(as_json: Json = False) -> None:
    """List the shipped training recipes."""
    from imagenet_g.train import load_recipe, recipe_names

    recipes = {name: load_recipe(name) for name in recipe_names()}
    if as_json:
        console.print_json(json.dumps({n: r.model_dump(mode="json") for n, r in recipes.items()}))
        return
    table = Table(title="training recipes")
    for col in ("recipe", "model", "classes", "epochs", "batch", "lr @ batch", "no decay on", "train px", "eval"):
        table.add_column(col)
    for name, r in recipes.items():
        arch = r.model.arch + (" + blur-pool" if r.model.blurpool else "")
        size = str(r.data.size)
        if r.data.max_size is not None and r.data.ramp_epochs is not None:
            size += f" -> {r.data.max_size} (epochs {r.data.ramp_epochs[0]}-{r.data.ramp_epochs[1]})"
        table.add_row(name, arch, r.classes or "the real set's", str(r.schedule.epochs), str(r.data.batch_size),
                      f"{r.optimizer.lr} @ {r.optimizer.reference_batch}", r.optimizer.no_decay, size,
                      f"{r.eval.size} px" + (", flip TTA" if r.eval.tta == "flip" else ""))
    console.print(table)


@app.command("train")
def train_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", parser=as_path, help="run folder: checkpoints, training record, results")],
    recipe: Annotated[str, typer.Option(help=_RECIPE_HELP)] = "paper",
    real: Annotated[Optional[str], typer.Option(help=_REAL_HELP)] = None,
    generated: Annotated[Optional[list[str]], typer.Option("--generated", help=_GENERATED_HELP)] = None,
    dataset_dir: DatasetDir = DEFAULT_DATASET_DIR,
    policy: Annotated[str, typer.Option(help=_POLICY_HELP)] = "concat",
    generated_fraction: Annotated[Optional[float], typer.Option(help="fraction policy: share of each class's "
                                                                "generated images used (rounded half up, at least "
                                                                "1 per class)")] = None,
    real_per_class: Annotated[Optional[int], typer.Option(help="at most N real images per class")] = None,
    generated_per_class: Annotated[Optional[int], typer.Option(help="at most N generated images per class")] = None,
    mix_seed: Annotated[int, typer.Option(help="seed of the per-class sampling")] = 0,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help=_SET_HELP)] = None,
    device: Device = "auto",
    eval_datasets: Annotated[Optional[str], typer.Option(help=_EVAL_HELP)] = None,
    data_root: DataRoot = Path("."),
    path: DatasetPaths = None,
    release: Release = DEFAULT_RELEASE,
    as_json: Json = False,
) -> None:
    """Train a classifier on real + generated data with a recipe; resumes from the run folder's last checkpoint.
    Under torchrun, --device cuda gives each process its GPU. --release, --data-root and --path say where the
    --eval-datasets are."""
    from pydantic import ValidationError

    from imagenet_g.evaluate import EvalRequest, check_eval_request
    from imagenet_g.train import RECORD_FILE, MixPolicy, TrainRequest, check_train_request

    try:
        mix = MixPolicy(policy=policy, generated_fraction=generated_fraction, real_per_class=real_per_class,
                        generated_per_class=generated_per_class, seed=mix_seed)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise RecipeError(f"data mix: {where + ': ' if where else ''}{error['msg'].removeprefix('Value error, ')}",
                          fix="check --policy, --generated-fraction, --real-per-class, --generated-per-class") from None
    request = TrainRequest(recipe=recipe, overrides=_overrides(set_), real=real, generated=tuple(generated or ()),
                           dataset_dir=dataset_dir, mix=mix, out=out, device=device)
    check_train_request(request)
    paths = parse_paths(path)
    evaluation = None
    if eval_datasets is not None:  # checked now, not after training: its model is the run, so only its data
        evaluation = check_eval_request(EvalRequest(
            model=_TRAINED, datasets=parse_names(eval_datasets, "eval_datasets"), data_root=data_root,
            paths=paths, release=release, device=device), models=False)
    else:
        _refuse_eval_options(ctx)
    from imagenet_g.train import train  # torch: after every argument is checked

    with notes_to_stderr():
        result = train(request, progress=not as_json)
        if evaluation is not None and result.is_main:
            _evaluate(result.run_dir, evaluation, as_json)
    if as_json:
        console.print_json(result.record.model_dump_json())
        return
    record = result.record
    last = record.epochs[-1] if record.epochs else None
    console.print(f"trained {record.recipe.model.arch} on {record.mix.total} images ({record.category}; "
                  f"{', '.join(f'{s.kind} {s.used}' for s in record.mix.sources)}), {len(record.epochs)} epochs"
                  + (f", last loss {last.loss:.4f}, {last.images_per_second:.0f} images/s" if last else ""))
    console.print(f"weights: {result.weights}")
    console.print(f"record:  {result.run_dir / RECORD_FILE}")


def _refuse_eval_options(ctx: typer.Context) -> None:
    """Options that say where the --eval-datasets are, given without them: they would be ignored."""
    given = [flag for name, flag in _EVAL_OPTIONS.items() if ctx.get_parameter_source(name).name == "COMMANDLINE"]
    if given:
        raise ArgumentError(f"{'/'.join(given)} {'is' if len(given) == 1 else 'are'} used only with --eval-datasets",
                            "set {eval_datasets} to the datasets to evaluate the run on, or leave "
                            + ("it" if len(given) == 1 else "them") + " out")


def _evaluate(run_dir: Path, request, quiet: bool) -> None:
    from imagenet_g.train import RESULTS_FILE, evaluate_run

    result = evaluate_run(run_dir, request, progress=not quiet)
    if not quiet:
        for name, d in result.datasets.items():
            console.print(f"{name}: top-1 {d.top1:.2f}, top-5 {d.top5:.2f} ({d.images} images)")
        console.print(f"results: {run_dir / RESULTS_FILE}")

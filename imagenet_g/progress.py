"""One progress bar for long work (items, rate, ETA), drawn on stderr and quiet when asked or in CI; the
`datasets` library's own bars are silenced while we load with it, and diffusers'/transformers' while a build runs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def progress_enabled(requested: bool = True) -> bool:
    """True when a bar should be drawn: requested, and not running under CI."""
    return requested and not os.environ.get("CI")


@contextmanager
def quiet_datasets() -> Iterator[None]:
    """Silence the ``datasets`` library's progress bars ("Generating test split", "Loading dataset shards") for
    the duration; the caller's bar shows the work. The previous setting is restored afterwards."""
    import datasets

    was_disabled = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            datasets.enable_progress_bars()


def quiet_model_libraries() -> None:
    """Silence diffusers' and transformers' loading chatter and their own bars for this process; ours is enough."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    for logging in (diffusers_logging, transformers_logging):
        logging.set_verbosity_error()
        logging.disable_progress_bar()


@contextmanager
def progress_bar(description: str, total: int | None, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; a rich bar with count, rate and ETA is shown when ``enabled`` and not in CI."""
    if not progress_enabled(enabled):
        yield lambda n=1: None
        return
    columns = (
        TextColumn("{task.description}", style="bold", markup=False),  # the description names user input
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(description, total=total, rate="")

        def advance(n: int = 1) -> None:
            progress.advance(task, n)
            speed = progress.tasks[task].speed
            progress.update(task, rate=f"{speed:.1f}/s" if speed else "")

        yield advance

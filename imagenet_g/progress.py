"""One progress bar for long work (items, rate, ETA), drawn on stderr and quiet when asked or in CI; the
`datasets` library's own bars are silenced while we load with it, and diffusers'/transformers' while a build runs.
Where stderr is not a terminal (a log file, a batch job), the bar becomes ``_LOG_LINES`` lines, one per 5% of the work."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
import time
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


_LOG_LINES = 20  # where stderr is not a terminal: one progress line per 5% of the work


def _progress_enabled(requested: bool = True) -> bool:
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
def quiet_safety_checker() -> Iterator[None]:
    """Silence diffusers' safety checker for the duration: it warns "a black image will be returned" whenever it
    flags one, but we run it as a classifier on a placeholder and never alter an image (build and audit)."""
    logger = logging.getLogger("diffusers.pipelines.stable_diffusion.safety_checker")
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


@contextmanager
def quiet_root_logger() -> Iterator[None]:
    """Drop what is logged on the root logger itself for the duration, without ``logging.error()`` installing a
    stderr handler there: open_clip logs "Failed to download ..." that way just before it raises, and we report the
    failure in one line of our own."""
    root = logging.getLogger()
    guard = logging.NullHandler()  # a handler present: logging.error() does not call basicConfig()
    root.addHandler(guard)
    disabled, root.disabled = root.disabled, True
    try:
        yield
    finally:
        root.disabled = disabled
        root.removeHandler(guard)


@contextmanager
def progress_bar(description: str, total: int | None, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; a rich bar with count, rate and ETA is shown when ``enabled`` and not in CI, or, where
    stderr is not a terminal, a line each time another 1/``_LOG_LINES`` of ``total`` is done."""
    if not _progress_enabled(enabled):
        yield lambda n=1: None
        return
    console = Console(stderr=True)
    if not console.is_terminal:
        yield _progress_lines(description, total, console)
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
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total, rate="")

        def advance(n: int = 1) -> None:
            progress.advance(task, n)
            speed = progress.tasks[task].speed
            progress.update(task, rate=f"{speed:.1f}/s" if speed else "")

        yield advance


def _progress_lines(description: str, total: int | None, console: Console) -> Callable[[int], None]:
    """``advance(n)`` that prints "description: done/total (pct), rate, elapsed, ETA" each time the work passes
    another 1/``_LOG_LINES`` of ``total`` (nothing without a total)."""
    start, done, shown = time.monotonic(), 0, 0

    def advance(n: int = 1) -> None:
        nonlocal done, shown
        done += n
        if not total or (done < total and done * _LOG_LINES < (shown + 1) * total):
            return
        shown = done * _LOG_LINES // total
        elapsed = time.monotonic() - start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = f", ETA {_clock((total - done) / rate)}" if rate and done < total else ""
        console.print(f"{description}: {done}/{total} ({100 * done / total:.0f}%), {rate:.1f}/s, "
                      f"{_clock(elapsed)} elapsed{eta}", markup=False, highlight=False, soft_wrap=True)

    return advance


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"

"""The root typer app and the one place that turns user errors into a one-line message + exit 2."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

import typer
from rich.console import Console

from imagenet_g import __version__
from imagenet_g.errors import ImagenetGError

app = typer.Typer(
    name="imagenet-g",
    help="Build, evaluate and rank on ImageNet-G, the generated robustness benchmark.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Where output goes to a pipe, a file or a CI log, rich would cut tables and wrap lines at 80 columns ("datas…
# versi…"): there lines are as long as they need (tables never expand to the width), unless COLUMNS says otherwise.
_PIPE_WIDTH = 10_000
# typer's help is drawn in panels as wide as the console, so piped help gets a fixed width at which no flag name or
# help word is cut (tests/cli checks every command's help at it); TERMINAL_WIDTH, typer's own setting, wins.
_HELP_WIDTH = 160


def _width(stream: object) -> int | None:
    """The console width for ``stream``: rich's own on a terminal or where COLUMNS is set, else ``_PIPE_WIDTH``."""
    terminal = getattr(stream, "isatty", lambda: False)()
    return None if terminal or os.environ.get("COLUMNS") else _PIPE_WIDTH


if not sys.stdout.isatty():  # typer reads it when it first draws help (its rich_utils, imported only then)
    os.environ.setdefault("TERMINAL_WIDTH", str(_HELP_WIDTH))

# No markup or emoji codes in what we print: paths, names and prompts come from the user and are printed as
# they are (``--dataset-dir 'o/x[/bold]'`` must not be read as a style). Styling is passed as rich Text/style.
console = Console(markup=False, emoji=False, width=_width(sys.stdout))
err_console = Console(stderr=True, markup=False, emoji=False, width=_width(sys.stderr))

USER_ERROR_EXIT = 2
INTERRUPTED_EXIT = 130  # 128 + SIGINT, the shell's convention for Ctrl-C
_INTERRUPTED = "interrupted (Ctrl-C); files are written whole or not at all, rerun the same command to continue"
# What schedulers send to end a job (Slurm at preemption or time limit: SIGTERM; a closed terminal: SIGHUP).
# A command stops on them as on Ctrl-C and exits with 128 + the signal's number.
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_stopped_by: list[signal.Signals] = []

# Library parameter names whose flag is not simply --parameter-name.
_FLAG_NAMES = {"version": "--release", "overrides": "--set", "paths": "--path", "is_standard": "--standard",
              "include": "--filter"}


def _flag_name(parameter: str) -> str:
    """The command-line form of a library parameter named in an error's fix: ``device`` -> ``--device``,
    ``device=cpu`` -> ``--device cpu``, ``pretrained=False`` -> ``--no-pretrained``."""
    name, has_value, value = parameter.partition("=")
    flag = _FLAG_NAMES.get(name, "--" + name.replace("_", "-"))
    if not has_value or value == "True":
        return flag
    if value == "False":
        return "--no-" + flag.removeprefix("--")
    return f"{flag} {value}"


def visible(text: str) -> str:
    """``text`` on one line with what a terminal would act on escaped: runs of whitespace become one space; control
    and format characters (ESC sequences, carriage returns, bidi overrides) are written as ``\\x1b``, ``\\u202e``."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in " ".join(text.split()))


def fail(message: str) -> None:
    """Print one error line (no markup, no traceback, user input made visible) to stderr."""
    sys.stderr.write(f"imagenet-g: error: {visible(str(message))}\n")
    sys.stderr.flush()


def _usage_error(exc: typer.TyperException) -> str:
    """A usage error of typer's bundled click (unknown flag, missing or unparsable value) as one line."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # the group's help is on stdout already (typer checks it so too)
        return f"{ctx.command_path} needs a command (see {ctx.command_path} --help)"
    hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    return f"{exc.format_message()}{hint}"
@contextmanager
def notes_to_stderr() -> Iterator[None]:
    """Show the library's progress notes (preprocessing, rates, cache, epochs, resumes) on stderr, once, while a
    command runs: not passed on to the root logger, which a dependency may have given a stderr handler of its own
    (a module-level ``logging.warning`` call, as open_clip makes, runs ``logging.basicConfig``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("imagenet_g")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _print_version(value: bool) -> None:
    if value:
        console.print(f"imagenet-g {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_print_version, is_eager=True, help="print the program version and exit"
    ),
) -> None:
    """Build, evaluate and rank on ImageNet-G, the generated robustness benchmark."""


def _stop(signum: int, frame: object) -> None:
    """Turn SIGTERM/SIGHUP into the KeyboardInterrupt of Ctrl-C, so the same cleanup runs (claims released,
    finished work kept); later ones are ignored so that the cleanup itself is not cut short."""
    _stopped_by.append(signal.Signals(signum))
    for stop in _STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    raise KeyboardInterrupt


@contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    _stopped_by.clear()
    if threading.current_thread() is not threading.main_thread():  # handlers can only be set there
        yield
        return
    previous = {stop: signal.getsignal(stop) for stop in _STOP_SIGNALS}
    for stop in _STOP_SIGNALS:
        signal.signal(stop, _stop)
    try:
        yield
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)


def _exit_stopped() -> None:
    """Exit after an interruption: 130 for Ctrl-C, 128 + N for signal N (and say which)."""
    if not _stopped_by:
        fail(_INTERRUPTED)
        sys.exit(INTERRUPTED_EXIT)
    stop = _stopped_by[0]
    fail(f"stopped by {stop.name}; files are written whole or not at all, rerun the same command to continue")
    sys.exit(128 + stop.value)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors exit 2 with one line, Ctrl-C exits 130, SIGTERM 143, SIGHUP 129."""
    try:
        with _stop_signals_interrupt():
            result = app(args=argv, prog_name="imagenet-g", standalone_mode=False)
    except ImagenetGError as exc:
        if _stopped_by:  # e.g. Ray workers killed by the same SIGTERM surface as a cluster error first
            _exit_stopped()
        fail(exc.render(_flag_name))
        sys.exit(USER_ERROR_EXIT)
    except (KeyboardInterrupt, typer.Abort):
        _exit_stopped()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors of typer's bundled click: one line too, not its panel
        fail(_usage_error(exc))
        sys.exit(getattr(exc, "exit_code", USER_ERROR_EXIT))
    if result == INTERRUPTED_EXIT:  # typer turns Ctrl-C inside a command into a returned 130
        _exit_stopped()
    sys.exit(result if isinstance(result, int) else 0)

"""The root typer app and the one place that turns user errors into a one-line message + exit 2."""

from __future__ import annotations

import sys
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
console = Console()
err_console = Console(stderr=True)

USER_ERROR_EXIT = 2
INTERRUPTED_EXIT = 130  # 128 + SIGINT, the shell's convention for Ctrl-C
INTERRUPTED = "interrupted (Ctrl-C); files are written whole or not at all, rerun the same command to continue"

# Library parameter names whose flag is not simply --parameter-name.
FLAG_NAMES = {"version": "--release", "specs_dir": "--specs-dir", "dataset_dir": "--dataset-dir", "overrides": "--set"}


def flag_name(parameter: str) -> str:
    """The command-line flag of a library parameter named in an error's fix."""
    return FLAG_NAMES.get(parameter, "--" + parameter.replace("_", "-"))


def fail(message: str) -> None:
    """Print one error line (no markup, no traceback) to stderr."""
    sys.stderr.write(f"imagenet-g: error: {' '.join(str(message).split())}\n")
    sys.stderr.flush()


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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors exit 2 with one line, Ctrl-C exits 130."""
    try:
        result = app(args=argv, prog_name="imagenet-g", standalone_mode=False)
    except ImagenetGError as exc:
        fail(exc.render(flag_name))
        sys.exit(USER_ERROR_EXIT)
    except (KeyboardInterrupt, typer.Abort):
        fail(INTERRUPTED)
        sys.exit(INTERRUPTED_EXIT)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors from typer's bundled click: they print themselves
        exc.show()
        sys.exit(getattr(exc, "exit_code", USER_ERROR_EXIT))
    if result == INTERRUPTED_EXIT:  # typer turns Ctrl-C inside a command into a returned 130
        fail(INTERRUPTED)
    sys.exit(result if isinstance(result, int) else 0)

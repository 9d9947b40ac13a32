"""The root typer app and the one place that turns user errors into a one-line message + exit 2."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from imagenet_g.errors import ImagenetGError

app = typer.Typer(
    name="imagenet-g",
    help="Build, evaluate and rank on ImageNet-G, the generated robustness benchmark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

USER_ERROR_EXIT = 2
INTERRUPTED_EXIT = 130  # 128 + SIGINT


def fail(message: str) -> None:
    """Print one error line (no markup, no traceback) to stderr."""
    sys.stderr.write(f"imagenet-g: error: {' '.join(str(message).split())}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app; user errors and Ctrl-C exit 2 with one line."""
    try:
        result = app(args=argv, prog_name="imagenet-g", standalone_mode=False)
    except ImagenetGError as exc:
        fail(str(exc))
        sys.exit(USER_ERROR_EXIT)
    except (KeyboardInterrupt, typer.Abort):
        fail("interrupted; completed work was kept, rerun the same command to resume")
        sys.exit(USER_ERROR_EXIT)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors from typer's bundled click: they print themselves
        exc.show()
        sys.exit(getattr(exc, "exit_code", USER_ERROR_EXIT))
    if result == INTERRUPTED_EXIT:  # typer turns Ctrl-C inside a command into a returned 130
        fail("interrupted; completed work was kept, rerun the same command to resume")
        sys.exit(USER_ERROR_EXIT)
    sys.exit(result if isinstance(result, int) else 0)

"""Where a command may write: the one rule for the outputs of every job (build, eval, audit, train, sweep, leaderboard).

A command writes only into files and folders it created or that carry its own marker: a results file of the same
model, a release folder whose card or manifest it wrote, an audit folder with its audit JSON, a run folder with its
training record, a sweep folder with its marker. Anything else at the target is refused with an ``OutputError``
naming it, before any work starts, so a file the user owns is never replaced. An empty string is never a path
(``Path("")`` is the current folder). While a job writes an output it holds the output's claim
(``imagenet_g.claims.claimed``), so that a second run of the same job is refused instead of writing alongside.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo

from imagenet_g.errors import OutputError

_SHOWN = 3  # entries named in a refusal


def not_empty(value: Any, param: str) -> Any:
    """``value`` unchanged unless it is an empty (or blank) string, which is refused: it is never a path."""
    if isinstance(value, str) and not value.strip():
        raise OutputError(f"{param} is an empty string, which is not a path",
                          f"set {{{param}}} to a file or folder name (. for the current folder)")
    return value


def _not_empty_field(value: Any, info: ValidationInfo) -> Any:
    return not_empty(value, info.field_name or "path")


# A path field of a request: an empty string is refused (by name) before pydantic would read it as ".".
RequestPath = Annotated[Path, BeforeValidator(_not_empty_field)]


def visible_entries(folder: Path) -> list[str]:
    """The names in ``folder`` that are not hidden (hidden ones are claims and temp files of writers), sorted."""
    return sorted(name for name in os.listdir(folder) if not name.startswith("."))


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def written_by(path: Path, ours: Callable[[Path, bytes], bool], writer: str) -> str | None:
    """None for a file ``writer`` wrote (``ours(path, its bytes)`` finds its mark); else what it is instead, for
    ``check_output_file``: unreadable, or not ``writer``'s."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    return None if ours(path, data) else f"was not written by `{writer}`"


def check_output_file(path: Path, problem: Callable[[Path], str | None], param: str) -> None:
    """A file a job is about to (re)write: absent, or one of the job's own (``problem(path)`` is None; else it says
    what the file is instead). Anything else is refused, naming the file."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder, where a file would be written", f"set {{{param}}} to a file")
    if not (path.exists() or path.is_symlink()):
        return
    reason = problem(path)
    if reason is not None:
        raise OutputError(f"{path} {reason}; imagenet-g replaces only files it wrote",
                          f"move it away, or set {{{param}}} to another path")


def check_output_folder(folder: Path, marker: str | Callable[[Path], bool], what: str, param: str) -> None:
    """A folder a job writes into: absent, empty (hidden entries aside), or carrying the job's ``marker`` (a file
    name in it, or a test of the folder). Anything else is refused, naming what the folder holds."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, where {what} would be written", f"set {{{param}}} to a folder")
    if not folder.is_dir():
        return
    try:
        entries = visible_entries(folder)
    except OSError as exc:
        raise OutputError(f"cannot read {folder}: {exc.strerror or exc}", f"set {{{param}}} to another folder") from None
    ours = marker(folder) if callable(marker) else (folder / marker).is_file()
    if entries and not ours:
        raise OutputError(
            f"{folder} holds {_named(entries)} and is not {what}; imagenet-g writes only into new or empty folders "
            "and its own",
            f"set {{{param}}} to a new or empty folder",
        )

"""mkdocs hook: the CLI and Python reference pages, generated from the code at every build.

- ``reference/cli.md``: every command and subcommand of the typer app behind ``imagenet-g`` (walked as the click
  command tree typer builds), with its usage line, help text and one entry per argument and option: the option as
  ``--help`` shows it, its default and range, its help text (a definition list: readable at phone width). Nothing is written by hand, so the page cannot fall
  behind the code; ``tests/test_docs.py`` walks the same tree independently and checks every option is on the page.
- ``reference/python/<package>.md``: one page per public face (``FACES``), rendered by mkdocstrings from the
  docstrings of the names the package exports (its ``__all__``, read at build time: the faces load their names
  lazily, so importing them is cheap and imports no torch).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from mkdocs.structure.files import File, Files

# The public faces with a Python reference page, in the order of the navigation: the jobs, then the image layer and
# the ground-floor modules a user reads results through.
FACES = (
    ("imagenet_g.release", "Build, verify and push a release"),
    ("imagenet_g.evaluate", "Score classifiers"),
    ("imagenet_g.leaderboard", "Submissions and the board"),
    ("imagenet_g.audit", "Audit a release as data"),
    ("imagenet_g.train", "Train on real + generated data"),
    ("imagenet_g.sweep", "Sweeps of model sets"),
    ("imagenet_g.images", "Reading images (the image layer)"),
    ("imagenet_g.robustness", "Effective Robustness math"),
    ("imagenet_g.results", "The results JSON"),
    ("imagenet_g.errors", "Error types"),
)
CLI_PAGE = "reference/cli.md"
PROGRAM = "imagenet-g"


def _cli_root() -> Any:
    """The click command typer builds for ``imagenet-g`` (typer ships its own click: its types, not click's)."""
    import typer.main

    from imagenet_g.cli import app

    return typer.main.get_command(app)


def _context(command: Any, name: str, parent: Any = None) -> Any:
    return command.context_class(command, info_name=name, parent=parent)


def _prose(text: str) -> str:
    """Help text as markdown prose: one line, and ``<release>`` shown as written, not read as an HTML tag."""
    return " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _help_and_extra(param: Any, ctx: Any) -> tuple[str, str, str]:
    """(option as --help shows it, help text, what --help adds in brackets: default, range, required)."""
    record = param.get_help_record(ctx)
    if record is None:
        return "", "", ""
    shown, described = record
    own = param.help or ""
    extra = described[len(own):].strip() if described.startswith(own) else ""
    if extra.startswith("[") and extra.endswith("]"):
        extra = extra[1:-1]
    return shown, own if described.startswith(own) else described, extra


def _command_markdown(command: Any, path: list[str], ctx: Any, level: int) -> list[str]:
    lines = [f"{'#' * level} `{' '.join(path)}`", ""]
    if command.help:
        lines += [_prose(command.help), ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += ["```", f"{' '.join(path)} {usage}".rstrip(), "```", ""]
    entries = []
    for param in command.get_params(ctx):
        if param.hidden or param.name == "help":
            continue
        shown, own, extra = _help_and_extra(param, ctx)
        notes = [*(["argument"] if param.param_type_name == "argument" else []), *([_prose(extra)] if extra else [])]
        if own:  # the flags with their notes, the help under them
            entries += [f"`{shown}`" + (f" &nbsp; *{'; '.join(notes)}*" if notes else ""), f":   {_prose(own)}", ""]
        else:  # no help text: the notes go under the flags
            entries += [f"`{shown}`", f":   *{'; '.join(notes)}*" if notes else ":   &nbsp;", ""]
    lines += entries
    subcommands = getattr(command, "commands", {})
    # top-level commands in the order the CLI registers them (the jobs' order, as --help lists them); below, sorted
    for name in sorted(subcommands) if level > 2 else subcommands:
        sub = subcommands[name]
        if not sub.hidden:
            lines += _command_markdown(sub, [*path, name], _context(sub, name, ctx), level + 1)
    return lines


def cli_reference() -> str:
    root = _cli_root()
    ctx = _context(root, PROGRAM)
    lines = [
        "# CLI reference",
        "",
        "Generated from the code of the `imagenet-g` command at every build of this site: every command and",
        "subcommand, each argument and option with its default and help text, as `imagenet-g COMMAND --help`",
        "prints them. Every command exits 0 on success, 2 with one line on a user error, 130 on Ctrl-C, 143 on",
        "SIGTERM and 129 on SIGHUP ([How commands behave](../behaviour.md)).",
        "",
        "Commands: " + ", ".join(f"[`{name}`](#{_anchor([PROGRAM, name])})" for name in root.commands),
        "",
    ]
    lines += ['<div class="cli-reference" markdown>', ""]
    lines += _command_markdown(root, [PROGRAM], ctx, 2)
    lines += ["</div>"]
    return "\n".join(lines) + "\n"


def _anchor(path: list[str]) -> str:
    """The id the toc extension gives the heading `` `imagenet-g eval` `` (its default slugify)."""
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", " ".join(path)).strip().lower())


def python_reference(face: str, title: str) -> str:
    module = importlib.import_module(face)
    exported = list(getattr(module, "__all__", ()))
    lines = [f"# `{face}`: {title}", ""]
    options = ["    options:", "      show_root_heading: false", "      show_root_toc_entry: false"]
    if exported:
        options.append(f"      members: [{', '.join(exported)}]")
    return "\n".join([*lines, f"::: {face}", *options, ""])


def python_index() -> str:
    lines = [
        "# Python reference",
        "",
        "Every command is a call of one public function, so everything the CLI does can be done from Python. These",
        "pages are generated from the docstrings of each package's public face (the names it exports); import",
        "from the face (`from imagenet_g.evaluate import run_eval`), not from its modules, which may move.",
        "",
        "| package | what for |",
        "|---|---|",
    ]
    lines += [f"| [`{face}`]({face.split('.')[-1]}.md) | {title} |" for face, title in FACES]
    return "\n".join(lines) + "\n"


def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, CLI_PAGE, content=cli_reference()))
    files.append(File.generated(config, "reference/python/index.md", content=python_index()))
    for face, title in FACES:
        files.append(File.generated(config, f"reference/python/{face.split('.')[-1]}.md",
                                    content=python_reference(face, title)))
    return files

"""What the CLI prints where output is not a terminal (pipes, files, CI logs), and how user input is echoed."""

from __future__ import annotations

import pytest
import typer
from test_inputs_suite import app_commands

from imagenet_g.cli import app
from imagenet_g.cli.app import visible


def _options(command_path: str) -> list[str]:
    command = typer.main.get_command(app)
    for word in command_path.split():
        command = command.commands[word]
    return [flag for param in command.params for flag in (*param.opts, *param.secondary_opts) if flag.startswith("--")]


@pytest.mark.parametrize("command", app_commands())
def test_piped_help_cuts_no_flag_name(command, run_cli):
    result = run_cli(*command.split(), "--help")
    assert result.exit_code == 0, result.stderr
    assert "…" not in result.stdout
    assert [flag for flag in _options(command) if flag not in result.stdout] == []


def test_piped_tables_are_not_cut_to_80_columns(run_cli):
    result = run_cli("releases")
    assert result.exit_code == 0, result.stderr
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) > 80
    assert "lambdalabs/sd-image-variations-diffusers" in result.stdout


def test_control_and_bidi_characters_are_escaped_on_one_line():
    assert visible("v1\x1b[31m red\r\n\u202egnp.exe  x") == "v1\\x1b[31m red \\u202egnp.exe x"
    assert visible("ünïcode names stay") == "ünïcode names stay"


def test_an_error_echoing_user_input_escapes_it(run_cli):
    result = run_cli("prompts", "--release", "v1\x1b[2J\u202e")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "'v1\\x1b[2J\\u202e'" in result.stderr

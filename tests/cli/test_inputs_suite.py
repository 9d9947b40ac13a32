"""The bad-input suite as a whole: every command has cases, there are enough of them, and the light ones (nearly all)
fail before torch or any model library is imported."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

from bad_input import GROUPS, HEAVY, Case, counts

HERE = Path(__file__).resolve().parent
MIN_CASES = 150
MIN_PER_COMMAND = 3


def all_cases() -> list[Case]:
    """The CASES of every ``test_inputs_*.py`` table beside this file."""
    found: list[Case] = []
    for path in sorted(HERE.glob("test_inputs_*.py")):
        found += getattr(importlib.import_module(path.stem), "CASES", [])
    return found


def app_commands() -> list[str]:
    """Every command of the CLI, as typed: ``eval``, ``leaderboard add``, ``audit`` (a group that runs itself)."""
    import typer

    from imagenet_g.cli import app

    def walk(group, prefix: tuple[str, ...]):
        for name, command in group.commands.items():
            path = (*prefix, name)
            if hasattr(command, "commands"):
                if command.invoke_without_command:
                    yield " ".join(path)
                yield from walk(command, path)
            else:
                yield " ".join(path)

    return sorted(walk(typer.main.get_command(app), ()))


def test_every_command_has_cases():
    per_command = counts(all_cases())
    assert {c: per_command.get(c, 0) for c in app_commands() if per_command.get(c, 0) < MIN_PER_COMMAND} == {}
    assert set(per_command) <= {*app_commands(), *GROUPS}, "a case names a command the CLI does not have"


def test_the_suite_is_large_enough():
    assert len(all_cases()) >= MIN_CASES


def test_case_ids_are_unique():
    cases = all_cases()
    assert len({c.id for c in cases}) == len(cases)


# Runs each light case in this one interpreter, in order, and stops at the first one after which a model library is
# imported (every later case would be measured with it loaded).
PROBE = """
import contextlib, io, json, os, sys
from imagenet_g.cli import main
cases, heavy = json.loads(sys.stdin.read()), {heavy!r}
for argv in cases:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code
    loaded = sorted(m for m in heavy if m in sys.modules)
    if loaded:
        print(json.dumps({{"argv": argv, "loaded": loaded, "code": code, "stderr": err.getvalue()[-300:]}}))
        break
print("DONE")
"""


def test_light_cases_import_no_model_library(workspace):
    light = [list(c.argv) for c in all_cases() if not c.heavy]
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY)], input=json.dumps(light),
                          capture_output=True, text=True, timeout=600, cwd=workspace)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines == ["DONE"], lines

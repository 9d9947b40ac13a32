"""The CLI root: usage errors and user errors exit 2 with a short message, never a traceback."""

import pytest


@pytest.mark.parametrize(
    "args, expected",
    [
        (["build", "--bogus"], "No such option: --bogus"),
        (["eval"], "Missing option '--model'"),
        (["leaderboard", "add"], "Missing argument"),
    ],
)
def test_usage_errors_exit_2_without_traceback(run_cli, args, expected):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_user_error_is_one_line(run_cli):
    result = run_cli("prompts", "--release", "v99")  # a release that does not exist
    assert result.exit_code == 2
    assert result.stderr.startswith("imagenet-g: error: ") and result.stderr.count("\n") == 1


def _options_without_help(command, path=("imagenet-g",)) -> list[str]:
    found = [f"{' '.join(path)} {p.opts[0]}" for p in getattr(command, "params", [])
             if p.param_type_name == "option" and not getattr(p, "help", None)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _options_without_help(sub, (*path, name))
    return found


def test_every_option_says_what_it_does():
    """`--help` and the generated CLI reference show each option's help text; an option without one shows only its
    default (``eval --batch-size`` did)."""
    import typer

    from imagenet_g.cli import app

    assert _options_without_help(typer.main.get_command(app)) == []

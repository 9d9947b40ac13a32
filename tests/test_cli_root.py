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

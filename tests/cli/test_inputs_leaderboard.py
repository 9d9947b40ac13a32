"""Bad input to the leaderboard commands: validate, add, build, show, verify."""

from __future__ import annotations

import pytest
from bad_input import case, ids

CASES = [
    # leaderboard validate
    case("leaderboard validate", says="Missing argument 'files'"),
    case("leaderboard validate nowhere.json", says="nowhere.json: no such file"),
    case("leaderboard validate bad.json", says="bad.json: not valid JSON"),
    # leaderboard add
    case("leaderboard add nowhere.json --name x", says="nowhere.json: no such results file"),
    case("leaderboard add bad.json --name x", says="bad.json: not valid JSON"),
    case("leaderboard add leaderboard/submissions/smoke/resnet18.json", says="Missing option '--name'"),
    case("leaderboard add leaderboard/submissions/smoke/resnet18.json --name x", says="is already a submission"),
    # leaderboard build
    case("leaderboard build --root nowhere", says="no leaderboard at nowhere"),
    case("leaderboard build --root notes.txt", says="no leaderboard at notes.txt"),
    case("leaderboard build --root leaderboard --bootstrap -1", says="'--bootstrap'"),
    # leaderboard show
    case("leaderboard show --root nowhere", says="no leaderboard at nowhere"),
    case("leaderboard show --root leaderboard --release v99", says="unknown release 'v99'"),
    case("leaderboard show --root leaderboard --limit -1", says="'--limit'"),
    # leaderboard verify
    case("leaderboard verify bogus --root leaderboard", says="unknown submission 'bogus'", heavy=True),
    case("leaderboard verify resnet18 --root leaderboard --tolerance -1", says="'--tolerance'"),
    case("leaderboard verify resnet18 --root leaderboard --device cdua", says="did you mean: cuda", heavy=True),
    case("leaderboard verify resnet18 --root nowhere", says="unknown submission 'resnet18'", heavy=True),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_leaderboard_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
